//! Alerts to a SIEM over syslog: each alert line becomes one RFC 5424 message (its
//! MSG optionally in CEF), sent over UDP (RFC 5426) or TCP with octet-counting framing
//! (RFC 6587 section 3.4.1).
//!
//! The detector thread only formats a message and offers it to a bounded queue
//! ([`SyslogSink::send`]); a thread of its own does the network I/O, reconnects TCP
//! with exponential backoff and never makes the pipeline wait. A full queue, a message
//! the network refused and what is still queued when the run ends are counted
//! ([`SyslogStats`], exported as `mizuban_drops_total{reason="syslog_..."}`).
//!
//! We format the messages ourselves: the RFC 5424 crates on crates.io either keep the
//! structured data in a `HashMap` (parameters in random order, so the same capture
//! would not give the same bytes), are unmaintained since 2018, or own the transport,
//! which we need to bound and count ourselves. The grammar we need is short (RFC 5424
//! section 6) and tested in `format.rs` and against rsyslogd (tests/syslog_rsyslog.rs).

mod format;
mod transport;

pub use format::{Facility, Format, Formatter};

use crossbeam_channel::{Sender, TrySendError, bounded};
use mizuban_capture::{DropCounters, DropReason};
use mizuban_detect::AlertLine;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Messages waiting for the network by default (`[output.syslog] queue`).
pub const DEFAULT_QUEUE: usize = 4096;
/// Largest `[output.syslog] queue` accepted: bounds the memory a dead SIEM can pin
/// (each message is at most [`format::MAX_MESSAGE_LEN`] bytes).
pub const MAX_QUEUE: usize = 1 << 16;
/// How long the end of a run waits for queued messages to go out.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the messages go: `udp://HOST:PORT` or `tcp://HOST:PORT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Udp(SocketAddr),
    Tcp(SocketAddr),
}

impl Target {
    /// Parses `udp://HOST:PORT` / `tcp://HOST:PORT`; HOST is resolved once, here.
    pub fn parse(s: &str) -> Result<Target, String> {
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| format!("{s:?}: expected udp://HOST:PORT or tcp://HOST:PORT"))?;
        let addr = resolve(rest).map_err(|e| format!("{s:?}: {e}"))?;
        match scheme {
            "udp" => Ok(Target::Udp(addr)),
            "tcp" => Ok(Target::Tcp(addr)),
            other => Err(format!("{s:?}: unknown scheme {other:?} (udp or tcp)")),
        }
    }
}

fn resolve(hostport: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    if hostport.is_empty() || hostport.contains('/') {
        return Err("expected HOST:PORT".into());
    }
    hostport
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or_else(|| "no address".into())
}

/// `[output.syslog]`: alerts to a syslog receiver.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyslogConfig {
    /// `udp://HOST:PORT` or `tcp://HOST:PORT`; off when unset (`--alerts-syslog` overrides).
    pub target: Option<String>,
    /// `rfc5424` (text message) or `cef` (the message in ArcSight CEF).
    pub format: Format,
    /// Syslog facility, e.g. `local0` (the default), `security`, `daemon`.
    pub facility: Facility,
    /// HOSTNAME field; default: this machine's host name.
    pub hostname: Option<String>,
    /// Messages waiting for the network before new ones are dropped (and counted).
    pub queue: usize,
}

impl Default for SyslogConfig {
    fn default() -> Self {
        SyslogConfig {
            target: None,
            format: Format::Rfc5424,
            facility: Facility::Local0,
            hostname: None,
            queue: DEFAULT_QUEUE,
        }
    }
}

impl SyslogConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.queue == 0 || self.queue > MAX_QUEUE {
            return Err(format!(
                "output.syslog.queue: must be between 1 and {MAX_QUEUE}"
            ));
        }
        if let Some(t) = &self.target {
            Target::parse(t).map_err(|e| format!("output.syslog.target: {e}"))?;
        }
        if let Some(h) = &self.hostname
            && format::check_header_field(h, 255).is_err()
        {
            return Err("output.syslog.hostname: 1 to 255 printable ASCII characters".into());
        }
        Ok(())
    }
}

/// What the syslog output lost; read by the metrics exporter.
#[derive(Debug, Default)]
pub struct SyslogStats {
    pub sent: AtomicU64,
    /// Offered while the queue was full.
    pub queue_full: AtomicU64,
    /// Refused by the network (UDP send error) or still queued when the run ended.
    pub unsent: AtomicU64,
}

impl SyslogStats {
    /// Adds the drops to a drop counter set (for the exporter's snapshot).
    pub fn add_to(&self, drops: &mut DropCounters) {
        drops.add(
            DropReason::SyslogQueueFull,
            self.queue_full.load(Ordering::Relaxed),
        );
        drops.add(
            DropReason::SyslogUnsent,
            self.unsent.load(Ordering::Relaxed),
        );
    }
}

/// The sending end, owned by the pipeline's sinks. Dropping it drains the queue for at
/// most [`DRAIN_TIMEOUT`], then counts what is left as unsent.
pub struct SyslogSink {
    formatter: Formatter,
    tx: Option<Sender<Vec<u8>>>,
    closing: Arc<AtomicBool>,
    stats: Arc<SyslogStats>,
    thread: Option<JoinHandle<()>>,
}

impl SyslogSink {
    /// Starts the sender thread. Nothing touches the network before the first alert.
    pub fn start(
        target: Target,
        cfg: &SyslogConfig,
        stats: Arc<SyslogStats>,
    ) -> std::io::Result<SyslogSink> {
        let hostname = cfg.hostname.clone().unwrap_or_else(format::local_hostname);
        let formatter = Formatter::new(cfg.format, cfg.facility, &hostname, std::process::id());
        let (tx, rx) = bounded(cfg.queue.clamp(1, MAX_QUEUE));
        let closing = Arc::new(AtomicBool::new(false));
        let worker = transport::Worker::new(target, rx, stats.clone(), closing.clone());
        let thread = std::thread::Builder::new()
            .name("mizuban-syslog".into())
            .spawn(move || worker.run(DRAIN_TIMEOUT))?;
        Ok(SyslogSink {
            formatter,
            tx: Some(tx),
            closing,
            stats,
            thread: Some(thread),
        })
    }

    /// Formats the alert and queues it; never blocks.
    pub fn send(&self, line: &AlertLine) {
        let Some(tx) = &self.tx else { return };
        match tx.try_send(self.formatter.format(line)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.stats.queue_full.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => {
                self.stats.unsent.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl Drop for SyslogSink {
    fn drop(&mut self) {
        self.closing.store(true, Ordering::Relaxed);
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
