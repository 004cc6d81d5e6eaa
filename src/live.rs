//! Live capture from network interfaces with libpcap (cargo feature `live`).
//!
//! Each interface is opened promiscuous and non-blocking, with the snapshot length and
//! ring size set explicitly and *without* immediate mode: libpcap then uses TPACKET_V3,
//! whose blocks pack frames by their captured length, so the 64 MiB ring holds hundreds
//! of thousands of Modbus-sized frames whatever the interface's offload settings (in
//! immediate mode it falls back to fixed slots, 64 KiB each once the interface reports
//! offloads: about a thousand frames; issue 15). A block is handed over when full or
//! after [`BLOCK_TIMEOUT_MS`]. The source thread reads each interface in batches
//! (`pcap_dispatch`, up to [`DISPATCH_BATCH`] frames a call), round-robin. The handles are only ever read: mizuban never calls a
//! libpcap send function, so the monitored network never sees a packet from it. Kernel
//! drops come from `pcap_stats` once a second; an interface that fails is closed, counted
//! as down, and reopened every `reopen_interval` until it comes back.

use crate::config::CaptureConfig;
use crate::pipeline::source::{FrameSource, SourceItem};
use anyhow::Context;
use mizuban_capture::file::Frame;
use mizuban_capture::{DropReason, LinkType, Timestamp};
use pcap::{Active, Capture, Precision};
use std::time::{Duration, Instant};

/// How long the source sleeps when no interface has a packet: short enough to add no
/// real latency, long enough not to spin a core on an idle link.
const IDLE_SLEEP: Duration = Duration::from_micros(500);
/// How often kernel drop counters are read.
const STATS_INTERVAL: Duration = Duration::from_secs(1);
/// Longest a partly filled ring block waits before the kernel hands it over: the added
/// latency on a quiet link (alerts are not urgent to the millisecond).
const BLOCK_TIMEOUT_MS: i32 = 20;
/// Frames taken from one interface per read.
const DISPATCH_BATCH: usize = 512;

/// A frame read by the last dispatch, its bytes at `start..end` of the batch arena.
struct Pending {
    file: u16,
    ts: Timestamp,
    link: LinkType,
    wire_len: u32,
    number: u64,
    start: usize,
    end: usize,
}

struct Iface {
    name: String,
    cap: Option<Capture<Active>>,
    link: LinkType,
    frames: u64,
    /// Last cumulative kernel counters (dropped + if_dropped), to report deltas.
    kernel_dropped: u64,
    retry_at: Instant,
}

/// Interfaces as one [`FrameSource`].
pub struct LiveSource {
    ifaces: Vec<Iface>,
    cfg: CaptureConfig,
    next: usize,
    last_stats: Instant,
    pending: Vec<(DropReason, u64)>,
    /// Frames of the last dispatch, copied out of libpcap's ring (see `next_item`), and
    /// how many of them were handed out.
    arena: Vec<u8>,
    batch: Vec<Pending>,
    served: usize,
}

fn open_iface(name: &str, cfg: &CaptureConfig) -> Result<Capture<Active>, pcap::Error> {
    let snaplen = i32::try_from(cfg.snaplen).unwrap_or(i32::MAX);
    let buffer = i32::try_from(cfg.buffer_size).unwrap_or(i32::MAX);
    let mut cap = Capture::from_device(name)?
        .promisc(cfg.promiscuous)
        .snaplen(snaplen)
        .buffer_size(buffer)
        .immediate_mode(false)
        .timeout(BLOCK_TIMEOUT_MS)
        .precision(Precision::Nano)
        .open()?
        .setnonblock()?;
    if let Some(f) = cfg.filter.as_deref().filter(|f| !f.trim().is_empty()) {
        cap.filter(f, true)?;
    }
    Ok(cap)
}

impl LiveSource {
    /// Opens every interface; failing to open one at startup is an error (a typo in an
    /// interface name must not start a monitor that watches nothing).
    pub fn open(cfg: &CaptureConfig) -> anyhow::Result<LiveSource> {
        if cfg.interfaces.is_empty() {
            anyhow::bail!("no interface to capture on: give -i IFACE or [capture] interfaces");
        }
        let mut ifaces = Vec::with_capacity(cfg.interfaces.len());
        for name in &cfg.interfaces {
            let cap = open_iface(name, cfg).with_context(|| format!("opening interface {name}"))?;
            let link =
                LinkType::from_linktype(u32::try_from(cap.get_datalink().0).unwrap_or(u32::MAX));
            ifaces.push(Iface {
                name: name.clone(),
                cap: Some(cap),
                link,
                frames: 0,
                kernel_dropped: 0,
                retry_at: Instant::now(),
            });
        }
        Ok(LiveSource {
            ifaces,
            cfg: cfg.clone(),
            next: 0,
            last_stats: Instant::now(),
            pending: Vec::new(),
            arena: Vec::with_capacity(1 << 20),
            batch: Vec::with_capacity(DISPATCH_BATCH),
            served: 0,
        })
    }

    /// Names of the interfaces, in index order (the `file` of their events).
    pub fn names(&self) -> Vec<String> {
        self.ifaces.iter().map(|i| i.name.clone()).collect()
    }

    fn poll_stats_and_reopen(&mut self) {
        if self.last_stats.elapsed() < STATS_INTERVAL {
            return;
        }
        self.last_stats = Instant::now();
        for iface in &mut self.ifaces {
            let down = link_down(&iface.name);
            if down && iface.cap.is_some() {
                // libpcap in non-blocking mode does not report ENETDOWN on Linux (found by
                // tests/live_capture.rs), so the link state is read from sysfs as well.
                eprintln!(
                    "mizuban: interface {} failed (link down); reopening every {:?}",
                    iface.name, self.cfg.reopen_interval
                );
                iface.cap = None;
                iface.retry_at = Instant::now() + self.cfg.reopen_interval;
                self.pending.push((DropReason::InterfaceDown, 1));
                continue;
            }
            match iface.cap.as_mut() {
                Some(cap) => {
                    if let Ok(st) = cap.stats() {
                        let total = u64::from(st.dropped) + u64::from(st.if_dropped);
                        let delta = total.saturating_sub(iface.kernel_dropped);
                        iface.kernel_dropped = total;
                        if delta > 0 {
                            self.pending.push((DropReason::Kernel, delta));
                        }
                    }
                }
                // Opening a down interface succeeds on Linux, so wait for the link first.
                None if down => {}
                None if Instant::now() >= iface.retry_at => {
                    match open_iface(&iface.name, &self.cfg) {
                        Ok(cap) => {
                            eprintln!("mizuban: interface {} is back", iface.name);
                            iface.kernel_dropped = 0;
                            iface.cap = Some(cap);
                        }
                        Err(_) => iface.retry_at = Instant::now() + self.cfg.reopen_interval,
                    }
                }
                None => {}
            }
        }
    }
}

/// Where Linux publishes interface state (`operstate`, RFC 2863 ifOperStatus).
const SYSFS_NET: &str = "/sys/class/net";

/// Whether the kernel says the link is down (or the interface is gone). Unknown states
/// ("unknown", "dormant", no sysfs at all) count as up: a false "down" would stop a
/// capture that works.
fn link_down(name: &str) -> bool {
    let root = std::path::Path::new(SYSFS_NET);
    if !root.is_dir() {
        return false;
    }
    match std::fs::read_to_string(root.join(name).join("operstate")) {
        Ok(state) => matches!(state.trim(), "down" | "lowerlayerdown" | "notpresent"),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

impl LiveSource {
    /// Reads the next batch, from the first interface (round-robin) that has frames.
    fn refill(&mut self) {
        self.arena.clear();
        self.batch.clear();
        self.served = 0;
        let n = self.ifaces.len();
        for k in 0..n {
            let i = (self.next + k) % n;
            let Some(iface) = self.ifaces.get_mut(i) else {
                continue;
            };
            let Iface {
                cap, link, frames, ..
            } = iface;
            let Some(c) = cap.as_mut() else {
                continue;
            };
            let file = u16::try_from(i).unwrap_or(u16::MAX);
            let (arena, batch) = (&mut self.arena, &mut self.batch);
            // Copied out so frames do not borrow the handle; one memcpy per frame.
            let read = c.dispatch(Some(DISPATCH_BATCH), |p| {
                let start = arena.len();
                arena.extend_from_slice(p.data);
                *frames += 1;
                batch.push(Pending {
                    file,
                    ts: Timestamp::from_secs_nanos(
                        p.header.ts.tv_sec,
                        u32::try_from(p.header.ts.tv_usec).unwrap_or(0),
                    ),
                    link: *link,
                    wire_len: p.header.len,
                    number: *frames,
                    start,
                    end: arena.len(),
                });
            });
            match read {
                Ok(_) | Err(pcap::Error::TimeoutExpired) | Err(pcap::Error::NoMorePackets) => {}
                Err(e) => {
                    eprintln!(
                        "mizuban: interface {} failed ({e}); reopening every {:?}",
                        iface.name, self.cfg.reopen_interval
                    );
                    iface.cap = None;
                    iface.retry_at = Instant::now() + self.cfg.reopen_interval;
                    self.pending.push((DropReason::InterfaceDown, 1));
                }
            }
            if !self.batch.is_empty() {
                self.next = (i + 1) % n;
                return;
            }
        }
    }
}

impl FrameSource for LiveSource {
    fn next_item(&mut self) -> SourceItem<'_> {
        if self.served >= self.batch.len() {
            self.poll_stats_and_reopen();
            if let Some((reason, count)) = self.pending.pop() {
                return SourceItem::Dropped { reason, count };
            }
            self.refill();
        }
        let Some(p) = self.batch.get(self.served) else {
            std::thread::sleep(IDLE_SLEEP);
            return SourceItem::Idle;
        };
        self.served += 1;
        SourceItem::Frame {
            file: p.file,
            frame: Frame {
                ts: p.ts,
                link: p.link,
                data: self.arena.get(p.start..p.end).unwrap_or(&[]),
                wire_len: p.wire_len,
                interface: u32::from(p.file),
                number: p.number,
                offset: 0,
            },
        }
    }
}

/// After the capture handles are open: if running as root and a user is configured,
/// switch to it, keeping only CAP_NET_RAW and CAP_NET_ADMIN so interfaces can be
/// reopened after a link flap. Returns what was done, for the log.
pub fn drop_privileges(user: Option<&str>) -> anyhow::Result<Option<String>> {
    use caps::{CapSet, Capability, CapsHashSet};
    use nix::unistd::{Gid, Uid, User, geteuid, setgid, setgroups, setuid};
    let Some(user) = user else { return Ok(None) };
    if !geteuid().is_root() {
        return Ok(None);
    }
    let u = User::from_name(user)
        .with_context(|| format!("looking up user {user}"))?
        .ok_or_else(|| {
            anyhow::anyhow!("user {user} does not exist (set [capture] user, or create it)")
        })?;
    let keep: CapsHashSet = [Capability::CAP_NET_RAW, Capability::CAP_NET_ADMIN]
        .into_iter()
        .collect();
    nix::sys::prctl::set_keepcaps(true).context("keeping capabilities across setuid")?;
    setgroups(&[Gid::from_raw(u.gid.as_raw())]).context("setgroups")?;
    setgid(u.gid).context("setgid")?;
    setuid(Uid::from_raw(u.uid.as_raw())).context("setuid")?;
    caps::set(None, CapSet::Permitted, &keep).context("limiting permitted capabilities")?;
    caps::set(None, CapSet::Effective, &keep).context("raising capture capabilities")?;
    caps::clear(None, CapSet::Inheritable).ok();
    Ok(Some(format!(
        "running as {user} (uid {}) with CAP_NET_RAW, CAP_NET_ADMIN",
        u.uid
    )))
}
