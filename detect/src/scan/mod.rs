//! Scan and discovery detection (issue 14), with bounded memory:
//!
//! - `address_scan`: one source reaches many distinct internal addresses within a window
//!   of packet time (Zeek's `Scan::addr_scan_threshold` is 25 in 5 minutes: our default).
//!   New flows (a SYN, a UDP datagram, an ICMP echo) and ARP requests count: an ARP sweep
//!   is how a scanner on the local segment finds hosts.
//! - `port_scan`: one source reaches many distinct ports of one host (Zeek's
//!   `Scan::port_scan_threshold`, 15 in 5 minutes).
//! - `ics_discovery`: a Modbus client sweeping unit ids or enumerating function codes of
//!   one server, or a host broadcasting industrial identity requests (EtherNet/IP
//!   ListIdentity to UDP 44818, BACnet Who-Is to UDP 47808, as tools like nmap's
//!   `enip-info`/`bacnet-info` and plcscan do).
//!
//! Each alert names the source, the count, the window and examples of targets; one
//! alert per source (and host), its count raised by each further burst. Counters live in
//! [`tracker::Tracker`]s capped at `max_sources` keys each.

pub mod tracker;

use crate::alert::{Finding, Severity};
use crate::detector::FindingSource;
use crate::policy::Policy;
use crate::rules::RuleSpec;
use mizuban_capture::Timestamp;
use mizuban_protocols::{Event, EventKind};
use serde::Deserialize;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use tracker::{Seen, Tracker};

const GUIDELINE: &str = "reconnaissance inside the network is detected";

/// The scan rules: this module's part of [`crate::registry`].
pub const RULES: &[RuleSpec] = &[ADDRESS_SCAN, PORT_SCAN, ICS_DISCOVERY];

pub const ADDRESS_SCAN: RuleSpec = RuleSpec {
    id: "address_scan",
    severity: Severity::High,
    guideline: GUIDELINE,
    summary: "one source probing many addresses of the network",
    breach: false,
};

pub const PORT_SCAN: RuleSpec = RuleSpec {
    id: "port_scan",
    severity: Severity::High,
    guideline: GUIDELINE,
    summary: "one source probing many ports of one host",
    breach: false,
};

pub const ICS_DISCOVERY: RuleSpec = RuleSpec {
    id: "ics_discovery",
    severity: Severity::High,
    guideline: GUIDELINE,
    summary: "broadcast identity requests of industrial protocols (device discovery)",
    breach: false,
};

/// UDP ports of industrial identity requests that are broadcast to find devices.
const DISCOVERY_PORTS: &[(u16, &str)] = &[
    (44818, "EtherNet/IP ListIdentity"),
    (47808, "BACnet Who-Is"),
];

/// `[detect.scan]` in the config file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScanConfig {
    /// Distinct internal addresses from one source within `window_secs`.
    pub address_threshold: usize,
    /// Distinct ports of one host from one source within `window_secs`.
    pub port_threshold: usize,
    /// Distinct Modbus unit ids, or function codes, of one server from one client.
    pub unit_threshold: usize,
    pub function_threshold: usize,
    pub window_secs: u64,
    /// Sources (or source and host pairs) tracked per counter.
    pub max_sources: usize,
}

pub const DEFAULT_MAX_SOURCES: usize = 16_384;
/// Thresholds above this would make a key hold too many hashes.
pub const MAX_THRESHOLD: usize = 4096;

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            address_threshold: 25,
            port_threshold: 15,
            unit_threshold: 16,
            function_threshold: 10,
            window_secs: 300,
            max_sources: DEFAULT_MAX_SOURCES,
        }
    }
}

impl ScanConfig {
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("address_threshold", self.address_threshold),
            ("port_threshold", self.port_threshold),
            ("unit_threshold", self.unit_threshold),
            ("function_threshold", self.function_threshold),
        ] {
            if !(2..=MAX_THRESHOLD).contains(&v) {
                return Err(format!("{name}: must be between 2 and {MAX_THRESHOLD}"));
            }
        }
        if self.window_secs == 0 || self.window_secs > crate::policy::MAX_WINDOW_SECS {
            return Err(format!(
                "window_secs: must be between 1 and {}",
                crate::policy::MAX_WINDOW_SECS
            ));
        }
        if self.max_sources == 0 || self.max_sources > 1 << 22 {
            return Err("max_sources: must be between 1 and 4194304".into());
        }
        Ok(())
    }
}

/// The scan counters of a run; plugs into the detector as a [`FindingSource`].
pub struct Scans {
    window: Duration,
    addresses: Tracker<IpAddr, IpAddr>,
    ports: Tracker<(IpAddr, IpAddr), u16>,
    units: Tracker<(IpAddr, IpAddr), u8>,
    functions: Tracker<(IpAddr, IpAddr), u8>,
    /// Sources already reported for identity broadcasts (capped like the others).
    broadcasters: Tracker<IpAddr, u16>,
    hasher: ahash::RandomState,
}

impl Scans {
    pub fn new(cfg: &ScanConfig) -> Scans {
        let window = Duration::from_secs(cfg.window_secs);
        let n = cfg.max_sources;
        Scans {
            window,
            addresses: Tracker::new(cfg.address_threshold, window, n),
            ports: Tracker::new(cfg.port_threshold, window, n),
            units: Tracker::new(cfg.unit_threshold, window, n),
            functions: Tracker::new(cfg.function_threshold, window, n),
            // One broadcast is enough to report: the threshold of 2 is met by the
            // first request (see `observe_broadcast`).
            broadcasters: Tracker::new(2, window, n),
            hasher: ahash::RandomState::with_seeds(14, 14, 14, 14),
        }
    }

    fn hash<H: Hash>(&self, v: H) -> u32 {
        // The low 32 bits of a 64-bit hash: collisions among the few dozen targets of
        // one window are vanishingly rare.
        (self.hasher.hash_one(v) & 0xffff_ffff) as u32
    }

    /// Bytes the counters account (the detector's share of the memory budget).
    pub fn bytes(&self) -> u64 {
        [
            self.addresses.bytes(),
            self.ports.bytes(),
            self.units.bytes(),
            self.functions.bytes(),
            self.broadcasters.bytes(),
        ]
        .iter()
        .fold(0u64, |a, b| a.saturating_add(*b))
    }

    /// Keys dropped from full counters.
    pub fn evicted(&self) -> u64 {
        [
            self.addresses.evicted,
            self.ports.evicted,
            self.units.evicted,
            self.functions.evicted,
            self.broadcasters.evicted,
        ]
        .iter()
        .fold(0u64, |a, b| a.saturating_add(*b))
    }

    fn flow_start(&mut self, ev: &Event, policy: &Policy, out: &mut Vec<Finding>) {
        let (src, dst) = (ev.flow.client.ip(), ev.flow.server.ip());
        if src == dst || !policy.is_internal(dst) || is_broadcast(dst) {
            if ev.flow.proto == 17 {
                self.observe_broadcast(ev, dst, out);
            }
            return;
        }
        let h = self.hash(dst);
        if let Seen::Threshold {
            count,
            since,
            examples,
        } = self.addresses.observe(&src, h, dst, ev.ts)
        {
            out.push(self.address_finding(ev, src, count, since, &examples));
        }
        let port = ev.flow.server.port();
        if port == 0 {
            return;
        }
        let h = self.hash((ev.flow.proto, port));
        if let Seen::Threshold {
            count,
            since,
            examples,
        } = self.ports.observe(&(src, dst), h, port, ev.ts)
        {
            let list = join(&examples);
            let f = PORT_SCAN
                .finding(
                    ev,
                    format!("{src}|{dst}"),
                    format!(
                        "{src} reached {count} ports of {dst} within {} (e.g. {list})",
                        window_text(ev.ts, since, self.window)
                    ),
                )
                .evidence("count", count.to_string())
                .evidence("window_secs", self.window.as_secs().to_string())
                .evidence("ports", list);
            out.push(without_ports(f));
        }
    }

    fn address_finding(
        &self,
        ev: &Event,
        src: IpAddr,
        count: usize,
        since: Timestamp,
        examples: &[IpAddr],
    ) -> Finding {
        let list = join(examples);
        let mut f = ADDRESS_SCAN
            .finding(
                ev,
                src.to_string(),
                format!(
                    "{src} reached {count} internal addresses within {} (e.g. {list})",
                    window_text(ev.ts, since, self.window)
                ),
            )
            .evidence("count", count.to_string())
            .evidence("window_secs", self.window.as_secs().to_string())
            .evidence("targets", list);
        f.dst_ip = None;
        without_ports(f)
    }

    fn arp(&mut self, ev: &Event, policy: &Policy, out: &mut Vec<Finding>) {
        let EventKind::Arp(a) = &ev.kind else {
            return;
        };
        // Requests only (RFC 826 op 1); a gratuitous ARP asks for its own address.
        if a.operation != 1 || a.sender_ip == a.target_ip || a.sender_ip.is_unspecified() {
            return;
        }
        let (src, dst) = (IpAddr::V4(a.sender_ip), IpAddr::V4(a.target_ip));
        if !policy.is_internal(dst) {
            return;
        }
        let h = self.hash(dst);
        if let Seen::Threshold {
            count,
            since,
            examples,
        } = self.addresses.observe(&src, h, dst, ev.ts)
        {
            let f = self
                .address_finding(ev, src, count, since, &examples)
                .evidence("method", "arp");
            out.push(f);
        }
    }

    fn modbus(&mut self, ev: &Event, out: &mut Vec<Finding>) {
        let EventKind::Modbus(t) = &ev.kind else {
            return;
        };
        let (src, dst) = (ev.flow.client.ip(), ev.flow.server.ip());
        let key = (src, dst);
        let h = self.hash(t.unit_id);
        if let Seen::Threshold {
            count,
            since,
            examples,
        } = self.units.observe(&key, h, t.unit_id, ev.ts)
        {
            out.push(self.ics_finding(
                ev,
                "modbus_unit_sweep",
                "unit ids",
                count,
                since,
                &examples,
            ));
        }
        let h = self.hash(t.function);
        if let Seen::Threshold {
            count,
            since,
            examples,
        } = self.functions.observe(&key, h, t.function, ev.ts)
        {
            out.push(self.ics_finding(
                ev,
                "modbus_function_enumeration",
                "function codes",
                count,
                since,
                &examples,
            ));
        }
    }

    fn ics_finding(
        &self,
        ev: &Event,
        method: &'static str,
        what: &str,
        count: usize,
        since: Timestamp,
        examples: &[u8],
    ) -> Finding {
        let (src, dst) = (ev.flow.client.ip(), ev.flow.server.ip());
        let list = join(examples);
        ICS_DISCOVERY
            .finding(
                ev,
                format!("{method}|{src}|{dst}"),
                format!(
                    "{src} tried {count} Modbus {what} of {dst} within {} (e.g. {list})",
                    window_text(ev.ts, since, self.window)
                ),
            )
            .evidence("method", method)
            .evidence("count", count.to_string())
            .evidence("window_secs", self.window.as_secs().to_string())
            .evidence("targets", list)
    }

    /// An identity request broadcast (or multicast) to an industrial discovery port.
    fn observe_broadcast(&mut self, ev: &Event, dst: IpAddr, out: &mut Vec<Finding>) {
        let port = ev.flow.server.port();
        let Some((_, what)) = DISCOVERY_PORTS.iter().find(|(p, _)| *p == port) else {
            return;
        };
        if !is_broadcast(dst) && !dst.is_multicast() {
            return;
        }
        let src = ev.flow.client.ip();
        // Two "targets" per request so the first request meets the threshold of 2; the
        // tracker then restarts the window, so one alert (and count) per window.
        let h = self.hash(port);
        self.broadcasters.observe(&src, h, port, ev.ts);
        if let Seen::Threshold { since, .. } =
            self.broadcasters
                .observe(&src, h.wrapping_add(1), port, ev.ts)
        {
            let f = ICS_DISCOVERY
                .finding(
                    ev,
                    format!("broadcast|{src}|{port}"),
                    format!(
                        "{src} broadcast an industrial identity request ({what}, udp/{port}) within {}",
                        window_text(ev.ts, since, self.window)
                    ),
                )
                .evidence("method", "identity_broadcast")
                .evidence("count", "1")
                .evidence("window_secs", self.window.as_secs().to_string())
                .evidence("targets", format!("{dst}:{port}"));
            out.push(f);
        }
    }
}

impl FindingSource for Scans {
    fn on_event(&mut self, ev: &Event, policy: &Policy, out: &mut Vec<Finding>) {
        match &ev.kind {
            EventKind::FlowStart(_) => self.flow_start(ev, policy, out),
            EventKind::Arp(_) => self.arp(ev, policy, out),
            EventKind::Modbus(_) => self.modbus(ev, out),
            _ => {}
        }
    }
}

/// The limited broadcast address or an address ending in .255 (a directed broadcast on
/// the /24s plants mostly use; the netmask is not on the wire).
fn is_broadcast(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4 == Ipv4Addr::BROADCAST || v4.octets()[3] == 255,
        IpAddr::V6(_) => false,
    }
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// "12 s" of packet time the burst took (never more than the window).
fn window_text(now: Timestamp, since: Timestamp, window: Duration) -> String {
    let took = now.since(since).min(window).as_secs();
    format!("{took} s (window {} s)", window.as_secs())
}

/// A scan is about the source, not one flow's ports.
fn without_ports(mut f: Finding) -> Finding {
    f.src_port = None;
    f.dst_port = None;
    f
}
