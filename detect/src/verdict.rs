//! The closed-network verdict over the observed period, which a network monitor can give
//! only with its limits stated:
//!
//! - `not_closed`: at least one alert proves contact with the internet (or an internet
//!   VPN); the findings are listed, grouped by internal host. Capture loss does not
//!   weaken this: what was seen was seen.
//! - `undetermined`: no such alert, but too few packets were seen or the estimated
//!   capture loss is above the threshold, so the absence of findings proves nothing.
//! - `closed`: no such alert over the period, with enough traffic and little loss.

use crate::alert::{Alert, Severity};
use crate::config::VerdictConfig;
use crate::policy::Policy;
use mizuban_capture::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::IpAddr;

/// Findings listed per host in the report; the rest are counted in `more`.
pub const MAX_FINDINGS_PER_HOST: usize = 50;
/// Hosts listed in the report; the rest are counted in `more_hosts`.
pub const MAX_HOSTS: usize = 200;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Closed,
    NotClosed,
    Undetermined,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Closed => "closed",
            Verdict::NotClosed => "not_closed",
            Verdict::Undetermined => "undetermined",
        }
    }
}

/// What the pipeline knows about its own view (see `Detector::set_capture_stats`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CaptureStats {
    pub packets: u64,
    /// TCP bytes acknowledged by the peers.
    pub acked_bytes: u64,
    /// Acknowledged bytes the monitor never saw.
    pub missed_bytes: u64,
    /// The view's own health (issue 14): see [`CaptureHealth`].
    pub health: CaptureHealth,
}

/// What the engine learnt about how the port is mirrored.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CaptureHealth {
    /// TCP flows of three packets or more, and of those the ones seen in one direction.
    pub tcp_sessions: u64,
    pub one_sided_sessions: u64,
    /// TCP payload bytes seen, and those too far outside their stream's window to follow.
    pub tcp_payload_bytes: u64,
    pub unfollowable_bytes: u64,
    pub unfollowable_flows: u64,
    /// Frames seen twice in a row (the same packet mirrored twice).
    pub duplicate_frames: u64,
}

/// One-sided sessions needed before their ratio counts: one odd flow is not a SPAN port.
pub const MIN_ONE_SIDED_SESSIONS: u64 = 3;

impl CaptureHealth {
    pub fn one_sided_ratio(&self) -> f64 {
        ratio(self.one_sided_sessions, self.tcp_sessions)
    }

    pub fn unfollowable_ratio(&self) -> f64 {
        ratio(self.unfollowable_bytes, self.tcp_payload_bytes)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        return 0.0;
    }
    // u64 -> f64 loses precision only beyond 2^53: irrelevant for a ratio.
    #[allow(clippy::cast_precision_loss)]
    let r = a as f64 / b as f64;
    r.clamp(0.0, 1.0)
}

impl CaptureStats {
    /// Missed / acknowledged bytes (Zeek's capture-loss estimate); 0 with no TCP.
    pub fn loss_ratio(&self) -> f64 {
        if self.acked_bytes == 0 {
            return 0.0;
        }
        // u64 -> f64 loses precision only beyond 2^53 bytes: irrelevant for a ratio.
        #[allow(clippy::cast_precision_loss)]
        let r = self.missed_bytes as f64 / self.acked_bytes as f64;
        r.clamp(0.0, 1.0)
    }
}

/// One alert as the verdict lists it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VerdictFinding {
    pub id: String,
    pub rule: &'static str,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<IpAddr>,
    pub count: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HostFindings {
    /// The internal host (absent when the alert named none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<IpAddr>,
    /// The host's name (DNS, DHCP, NetBIOS... from the inventory), when one is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    pub findings: Vec<VerdictFinding>,
    /// Findings of this host beyond [`MAX_FINDINGS_PER_HOST`].
    pub more: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VerdictReport {
    pub verdict: Verdict,
    /// First and last packet time of the events seen (absent if none).
    pub period_start: Option<Timestamp>,
    pub period_end: Option<Timestamp>,
    pub period_seconds: u64,
    pub packets: u64,
    pub acked_bytes: u64,
    pub missed_bytes: u64,
    /// Estimated capture loss, missed / acknowledged bytes, 0.0..=1.0.
    pub capture_loss: f64,
    pub min_packets: u64,
    pub max_capture_loss: f64,
    /// One-sided sessions, duplicates, unfollowable TCP data.
    pub capture_health: CaptureHealth,
    /// Why the verdict is what it is, one short sentence each.
    pub reasons: Vec<String>,
    /// Alerts that break the closed-network assumption, by internal host (address order).
    pub hosts: Vec<HostFindings>,
    pub more_hosts: usize,
}

/// The verdict over `alerts` (all alerts of the run) for the observed period.
pub fn assess<'a>(
    alerts: impl Iterator<Item = &'a Alert>,
    policy: &Policy,
    period: Option<(Timestamp, Timestamp)>,
    capture: CaptureStats,
) -> VerdictReport {
    let cfg: &VerdictConfig = &policy.verdict;
    let mut by_host: BTreeMap<Option<IpAddr>, HostFindings> = BTreeMap::new();
    let mut breaches = 0usize;
    for a in alerts.filter(|a| a.closed_network_breach) {
        breaches = breaches.saturating_add(1);
        let (host, peer) = internal_side(a, policy);
        let h = by_host.entry(host).or_insert_with(|| HostFindings {
            host,
            name: None,
            zone: a
                .src_ip
                .filter(|ip| Some(*ip) == host)
                .and(a.src_zone.clone())
                .or_else(|| {
                    a.dst_ip
                        .filter(|ip| Some(*ip) == host)
                        .and(a.dst_zone.clone())
                }),
            findings: Vec::new(),
            more: 0,
        });
        // The first alert naming the host names it (a later alert may know it when the
        // first did not, e.g. a DHCP name learnt after the first packet).
        if h.name.is_none() {
            h.name = if a.src_ip.is_some() && a.src_ip == host {
                a.src_name.clone()
            } else if a.dst_ip.is_some() && a.dst_ip == host {
                a.dst_name.clone()
            } else {
                None
            };
        }
        if h.findings.len() < MAX_FINDINGS_PER_HOST {
            h.findings.push(VerdictFinding {
                id: a.id.clone(),
                rule: a.rule,
                severity: a.severity,
                peer,
                count: a.count,
                first_seen: a.first_seen,
                last_seen: a.last_seen,
                message: a.message.clone(),
            });
        } else {
            h.more = h.more.saturating_add(1);
        }
    }
    let loss = capture.loss_ratio();
    let mut reasons = Vec::new();
    let verdict = if breaches > 0 {
        reasons.push(format!(
            "{breaches} alert(s) show contact with the internet from {} host(s)",
            by_host.len()
        ));
        Verdict::NotClosed
    } else {
        if capture.packets < cfg.min_packets {
            reasons.push(format!(
                "too little traffic: {} packets seen, {} needed",
                capture.packets, cfg.min_packets
            ));
        }
        if loss > cfg.max_capture_loss {
            reasons.push(format!(
                "capture loss {:.2} % above the {:.2} % threshold",
                loss * 100.0,
                cfg.max_capture_loss * 100.0
            ));
        }
        let h = &capture.health;
        if h.one_sided_sessions >= MIN_ONE_SIDED_SESSIONS && h.one_sided_ratio() > cfg.max_one_sided
        {
            reasons.push(format!(
                "one-sided capture: {} of {} TCP sessions ({:.1} %) were seen in one direction only, above the {:.1} % threshold (is the SPAN port copying both directions?)",
                h.one_sided_sessions,
                h.tcp_sessions,
                h.one_sided_ratio() * 100.0,
                cfg.max_one_sided * 100.0
            ));
        }
        if h.unfollowable_ratio() > cfg.max_unfollowable {
            reasons.push(format!(
                "TCP data not followed: {:.1} % of TCP payload bytes had sequence numbers far outside their stream ({} flows), above the {:.1} % threshold",
                h.unfollowable_ratio() * 100.0,
                h.unfollowable_flows,
                cfg.max_unfollowable * 100.0
            ));
        }
        if reasons.is_empty() {
            reasons.push("no traffic with the internet or internet VPN seen".to_owned());
            Verdict::Closed
        } else {
            Verdict::Undetermined
        }
    };
    let total_hosts = by_host.len();
    let hosts: Vec<HostFindings> = by_host.into_values().take(MAX_HOSTS).collect();
    let more_hosts = total_hosts.saturating_sub(hosts.len());
    VerdictReport {
        verdict,
        period_start: period.map(|p| p.0),
        period_end: period.map(|p| p.1),
        period_seconds: period.map_or(0, |(a, b)| b.since(a).as_secs()),
        packets: capture.packets,
        acked_bytes: capture.acked_bytes,
        missed_bytes: capture.missed_bytes,
        capture_loss: loss,
        min_packets: cfg.min_packets,
        max_capture_loss: cfg.max_capture_loss,
        capture_health: capture.health,
        reasons,
        hosts,
        more_hosts,
    }
}

/// (internal host, peer) of an alert: the internal end if exactly one is internal.
fn internal_side(a: &Alert, policy: &Policy) -> (Option<IpAddr>, Option<IpAddr>) {
    let inside = |ip: Option<IpAddr>| ip.is_some_and(|i| policy.is_internal(i));
    if !inside(a.src_ip) && inside(a.dst_ip) {
        (a.dst_ip, a.src_ip)
    } else {
        (a.src_ip, a.dst_ip)
    }
}

impl VerdictReport {
    /// A few lines for the end-of-run summary on a terminal.
    pub fn render_human(&self) -> String {
        let mut s = String::new();
        let title = match self.verdict {
            Verdict::Closed => "CLOSED",
            Verdict::NotClosed => "NOT CLOSED",
            Verdict::Undetermined => "UNDETERMINED",
        };
        let _ = writeln!(s, "closed-network verdict: {title}");
        match (self.period_start, self.period_end) {
            (Some(a), Some(b)) => {
                let _ = writeln!(s, "  period: {a} .. {b} ({} s)", self.period_seconds);
            }
            _ => {
                let _ = writeln!(s, "  period: no events");
            }
        }
        let _ = writeln!(
            s,
            "  packets: {}, estimated capture loss: {:.2} % ({} of {} acknowledged bytes missed)",
            self.packets,
            self.capture_loss * 100.0,
            self.missed_bytes,
            self.acked_bytes
        );
        let h = &self.capture_health;
        if h.tcp_sessions > 0 || h.duplicate_frames > 0 || h.unfollowable_flows > 0 {
            let _ = writeln!(
                s,
                "  capture view: {} of {} TCP sessions one-sided ({:.1} %), {} duplicate frames, {} TCP flows not followable",
                h.one_sided_sessions,
                h.tcp_sessions,
                h.one_sided_ratio() * 100.0,
                h.duplicate_frames,
                h.unfollowable_flows
            );
        }
        for r in &self.reasons {
            let _ = writeln!(s, "  {r}");
        }
        for h in &self.hosts {
            let host = h
                .host
                .map_or_else(|| "(no address)".to_owned(), |ip| ip.to_string());
            // "192.168.10.50 (ENG-WS01, zone plant)": the address an engineer can
            // look up, and the name they know the machine by.
            let about: Vec<String> = h
                .name
                .iter()
                .cloned()
                .chain(h.zone.as_deref().map(|z| format!("zone {z}")))
                .collect();
            let about = if about.is_empty() {
                String::new()
            } else {
                format!(" ({})", about.join(", "))
            };
            let n = h.findings.len().saturating_add(h.more);
            let _ = writeln!(s, "  {host}{about}: {n} finding(s)");
            for f in &h.findings {
                let _ = writeln!(
                    s,
                    "    {:<8} {:<22} {} [x{}]",
                    f.severity.as_str(),
                    f.rule,
                    f.message,
                    f.count
                );
            }
            if h.more > 0 {
                let _ = writeln!(s, "    ... and {} more", h.more);
            }
        }
        if self.more_hosts > 0 {
            let _ = writeln!(s, "  ... and {} more host(s)", self.more_hosts);
        }
        s
    }
}
