//! Running real Prometheus-side components in tests: child processes killed on drop,
//! free loopback ports, a minimal HTTP client and the Prometheus query API, and
//! mizuban replaying with `--linger` while it serves metrics.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Bound on waiting for mizuban to announce its metrics address.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Bound on one HTTP exchange.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on a process exiting after SIGTERM.
pub const EXIT_TIMEOUT: Duration = Duration::from_secs(20);
pub const POLL: Duration = Duration::from_millis(500);

/// Kills the child on drop, so a failed assertion leaves no process behind.
pub struct Reaped(pub Option<Child>);

impl Reaped {
    pub fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("child present")
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A loopback port nobody listens on right now (bind to 0, read it, release it).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub fn free_addr() -> SocketAddr {
    format!("127.0.0.1:{}", free_port()).parse().unwrap()
}

/// Percent-encodes a query-string value (RFC 3986 unreserved characters kept).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A minimal HTTP/1.0 GET (the server closes the connection after the body).
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, HTTP_TIMEOUT)?;
    s.set_read_timeout(Some(HTTP_TIMEOUT))?;
    s.set_write_timeout(Some(HTTP_TIMEOUT))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no HTTP head"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no HTTP status"))?;
    Ok((status, body.to_owned()))
}

/// Runs an instant query; returns the result vector, or the error text.
pub fn query(prom: SocketAddr, q: &str) -> Result<Vec<serde_json::Value>, String> {
    let (status, body) = http_get(prom, &format!("/api/v1/query?query={}", urlencode(q)))
        .map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("HTTP {status}: {body}"));
    }
    let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    v["data"]["result"]
        .as_array()
        .cloned()
        .ok_or_else(|| format!("no result in {body}"))
}

pub fn sample_value(series: &serde_json::Value) -> f64 {
    series["value"][1]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Sends SIGTERM (to our own child, by pid) and waits a bounded time for it to exit.
pub fn terminate(child: &mut Child) -> Option<std::process::ExitStatus> {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + EXIT_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// The last `n` lines of a file (for failure messages).
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<_> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Whether this mizuban has `replay --metrics-listen --linger`.
pub fn replay_can_linger() -> bool {
    let help = super::mizuban()
        .args(["replay", "--help"])
        .output()
        .expect("run mizuban replay --help");
    let help = String::from_utf8_lossy(&help.stdout);
    help.contains("--linger") && help.contains("--metrics-listen")
}

/// A `mizuban replay --linger` serving metrics on an ephemeral loopback port.
pub struct Lingering {
    pub proc: Reaped,
    pub metrics: SocketAddr,
    /// Collects its stderr until it exits.
    pub log: JoinHandle<String>,
}

/// Starts `mizuban replay --no-progress --metrics-listen 127.0.0.1:0 --linger PCAP` and
/// waits (bounded) for it to announce its metrics address.
pub fn start_lingering_replay(pcap: &Path) -> Lingering {
    let mut proc = Reaped(Some(
        super::mizuban()
            .args([
                "replay",
                "--no-progress",
                "--metrics-listen",
                "127.0.0.1:0",
                "--linger",
            ])
            .arg(pcap)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mizuban"),
    ));
    let stderr = proc.child().stderr.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let log = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            all.push_str(&line);
            all.push('\n');
            let _ = tx.send(line);
        }
        all
    });
    let deadline = Instant::now() + START_TIMEOUT;
    let metrics: SocketAddr = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .expect("mizuban did not announce its metrics address");
        if let Some(rest) = line.split("serving metrics on http://").nth(1) {
            break rest
                .trim_end_matches("/metrics")
                .parse()
                .expect("metrics address");
        }
    };
    assert!(metrics.ip().is_loopback());
    Lingering { proc, metrics, log }
}

/// A Prometheus server on `addr` with the given configuration text, its files in
/// `dir/name.*` and its data in `dir/name-data`. `extra` are further flags.
pub fn start_prometheus(
    dir: &Path,
    name: &str,
    config: &str,
    addr: SocketAddr,
    extra: &[&str],
) -> Reaped {
    let file = dir.join(format!("{name}.yml"));
    std::fs::write(&file, config).unwrap();
    let data = dir.join(format!("{name}-data"));
    let agent = extra.iter().any(|a| a.contains("agent"));
    let storage = if agent {
        format!("--storage.agent.path={}", data.display())
    } else {
        format!("--storage.tsdb.path={}", data.display())
    };
    Reaped(Some(
        Command::new("prometheus")
            .arg(format!("--config.file={}", file.display()))
            .arg(storage)
            .arg(format!("--web.listen-address={addr}"))
            .args(extra)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join(format!("{name}.log"))).unwrap())
            .stderr(std::fs::File::create(dir.join(format!("{name}.err"))).unwrap())
            .spawn()
            .expect("start prometheus"),
    ))
}
