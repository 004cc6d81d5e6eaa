//! The report's model: everything the audit report states, with its evidence, built
//! from one [`DetectState`] (baseline, inventory and evidence) whether that came from a
//! replay just run or from a sensor's `state.json`. Rendering (HTML, the map) reads only
//! this; nothing here knows about HTML or languages.
//!
//! Alerts are put in sections by the guideline point their rule serves (the `guideline`
//! every rule declares), not by rule or protocol, so the findings of analyzers added
//! later land in the right section without a change here; a guideline point no section
//! claims goes to "other findings", which is shown only when it is not empty.

use mizuban_detect::baseline::BaselineState;
use mizuban_detect::evidence::{AlertRecord, ControlRecord, EvidenceDrops, Link, RunRecord};
use mizuban_detect::inventory::render::{AssetView, views};
use mizuban_detect::persist::DetectState;
use mizuban_detect::verdict::Verdict;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The report's sections, in order. Each serves guideline items (see `i18n`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    Summary,
    Internet,
    Networks,
    Remote,
    Recon,
    Auth,
    Assets,
    Control,
    Changes,
    Map,
    Health,
    Other,
}

impl Section {
    pub const ALL: [Section; 12] = [
        Section::Summary,
        Section::Internet,
        Section::Networks,
        Section::Remote,
        Section::Recon,
        Section::Auth,
        Section::Assets,
        Section::Control,
        Section::Changes,
        Section::Map,
        Section::Health,
        Section::Other,
    ];

    /// The key of its strings (`section.<key>.title`, `.guideline`, `.intro`).
    pub fn key(self) -> &'static str {
        match self {
            Section::Summary => "summary",
            Section::Internet => "internet",
            Section::Networks => "networks",
            Section::Remote => "remote",
            Section::Recon => "recon",
            Section::Auth => "auth",
            Section::Assets => "assets",
            Section::Control => "control",
            Section::Changes => "changes",
            Section::Map => "map",
            Section::Health => "health",
            Section::Other => "other",
        }
    }

    /// The section an alert belongs to, from the guideline point its rule serves.
    pub fn of_alert(a: &AlertRecord) -> Section {
        use mizuban_detect::baseline::rules as b;
        use mizuban_detect::rules::guideline as g;
        let gl = a.guideline.as_str();
        if [g::NO_INTERNET, g::NO_INTERNET_NAMES, g::NO_INTERNET_VPN].contains(&gl) {
            Section::Internet
        } else if [g::ZONES, g::VPN_INSIDE].contains(&gl) {
            Section::Networks
        } else if gl == g::REMOTE_SERVICES {
            Section::Remote
        } else if gl == mizuban_detect::scan::ADDRESS_SCAN.guideline {
            Section::Recon
        } else if [g::CLEARTEXT, g::FAILED_LOGINS].contains(&gl) {
            Section::Auth
        } else if gl == b::GUIDELINE_PATCHING {
            Section::Assets
        } else if gl == mizuban_detect::control::GUIDELINE {
            Section::Control
        } else if [
            b::GUIDELINE_ASSETS,
            b::GUIDELINE_BASELINE,
            b::GUIDELINE_CONTROL,
        ]
        .contains(&gl)
        {
            Section::Changes
        } else if a.closed_network_breach {
            // A new rule that proves the network is not closed is internet contact.
            Section::Internet
        } else {
            Section::Other
        }
    }
}

/// Where the report's data came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// A replay of these capture files.
    Replay(Vec<String>),
    /// A sensor's state file.
    State(String),
}

/// An internet name an internal host resolved or contacted, with the alerts whose
/// evidence names it (a DNS query, its answer, the TLS name, the egress it led to).
#[derive(Clone, Debug, PartialEq)]
pub struct InternetName {
    pub host: Option<IpAddr>,
    pub host_name: Option<String>,
    pub name: String,
    /// The evidence keys it was seen under: `query` (DNS), `sni` (TLS), `http_host`,
    /// `dns_name` (the name the host resolved for the address it then contacted).
    pub hows: Vec<String>,
    pub alerts: Vec<AlertRecord>,
}

impl InternetName {
    pub fn count(&self) -> u64 {
        self.alerts.iter().map(|a| a.count).sum()
    }

    pub fn first_ns(&self) -> i64 {
        self.alerts.iter().map(|a| a.first_ns).min().unwrap_or(0)
    }

    pub fn last_ns(&self) -> i64 {
        self.alerts.iter().map(|a| a.last_ns).max().unwrap_or(0)
    }
}

/// Capture and sensor health over every run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Health {
    pub packets: u64,
    pub bytes: u64,
    pub flows: u64,
    pub acked_bytes: u64,
    pub missed_bytes: u64,
    /// TCP sessions, and those seen in one direction only, when counted.
    pub tcp_sessions: Option<u64>,
    pub one_sided_flows: Option<u64>,
    pub drops: BTreeMap<String, u64>,
    pub alerts_suppressed: u64,
    pub runs: Vec<RunRecord>,
    pub evidence_drops: EvidenceDrops,
    /// Items the inventory could not keep.
    pub inventory_drops: u64,
}

impl Health {
    /// Missed / acknowledged bytes, 0 with no TCP.
    pub fn loss(&self) -> f64 {
        if self.acked_bytes == 0 {
            0.0
        } else {
            (self.missed_bytes as f64 / self.acked_bytes as f64).clamp(0.0, 1.0)
        }
    }

    /// One-sided over all TCP sessions, when counted.
    pub fn one_sided_share(&self) -> Option<f64> {
        let n = self.one_sided_flows?;
        let all = self.tcp_sessions.unwrap_or(0);
        Some(if all == 0 {
            0.0
        } else {
            (n as f64 / all as f64).clamp(0.0, 1.0)
        })
    }
}

/// ICS protocols whose specification has no authentication at all: any host that can
/// reach the server can read and write (MODBUS Application Protocol Specification
/// V1.1b3 has no authentication field; Modbus/TCP Security is a separate TLS profile
/// on port 802).
pub const UNAUTHENTICATED_PROTOCOLS: &[&str] = &["modbus"];

#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub origin: Origin,
    /// The sensor the data came from: inputs (files or interfaces) of the runs.
    pub sensor: String,
    pub version: &'static str,
    /// First and last packet time over all runs.
    pub period: Option<(i64, i64)>,
    pub verdict: Verdict,
    /// Verdict thresholds of the last run.
    pub min_packets: u64,
    pub max_capture_loss: f64,
    /// Every alert, highest severity first, then first seen.
    pub alerts: Vec<AlertRecord>,
    pub internet_names: Vec<InternetName>,
    pub assets: Vec<AssetView>,
    pub controls: Vec<ControlRecord>,
    pub links: Vec<Link>,
    pub baseline: Option<BaselineState>,
    pub health: Health,
}

impl Report {
    pub fn build(state: &DetectState, origin: Origin) -> Report {
        let ev = state.evidence.clone().unwrap_or_default();
        let inv = state.inventory.clone().unwrap_or_default();
        let mut alerts = ev.alerts.clone();
        alerts.sort_by(|a, b| {
            b.severity_rank()
                .cmp(&a.severity_rank())
                .then(a.first_ns.cmp(&b.first_ns))
                .then(a.id.cmp(&b.id))
        });
        let mut health = Health {
            runs: ev.runs.clone(),
            evidence_drops: ev.dropped.clone(),
            inventory_drops: inv.stats.total(),
            ..Health::default()
        };
        let mut period: Option<(i64, i64)> = None;
        for r in &ev.runs {
            health.packets = health.packets.saturating_add(r.packets);
            health.bytes = health.bytes.saturating_add(r.bytes);
            health.flows = health.flows.saturating_add(r.flows);
            health.acked_bytes = health.acked_bytes.saturating_add(r.acked_bytes);
            health.missed_bytes = health.missed_bytes.saturating_add(r.missed_bytes);
            health.alerts_suppressed = health.alerts_suppressed.saturating_add(r.alerts_suppressed);
            if let Some(n) = r.one_sided_flows {
                health.one_sided_flows =
                    Some(health.one_sided_flows.unwrap_or(0).saturating_add(n));
            }
            if let Some(n) = r.tcp_sessions {
                health.tcp_sessions = Some(health.tcp_sessions.unwrap_or(0).saturating_add(n));
            }
            for (k, v) in &r.drops {
                let e = health.drops.entry(k.clone()).or_insert(0);
                *e = e.saturating_add(*v);
            }
            if r.packets > 0 {
                period = Some(match period {
                    None => (r.start_ns, r.end_ns),
                    Some((a, b)) => (a.min(r.start_ns), b.max(r.end_ns)),
                });
            }
        }
        let last = ev.runs.last();
        let (min_packets, max_capture_loss) =
            last.map_or((0, 0.0), |r| (r.min_packets, r.max_capture_loss));
        let mut verdict = overall_verdict(&alerts, &health, min_packets, max_capture_loss);
        // The sensor judged its last run's view too thin (one-sided, unfollowable...):
        // the absence of findings proves nothing over the whole period either.
        if verdict == Verdict::Closed && last.is_some_and(|r| r.verdict == "undetermined") {
            verdict = Verdict::Undetermined;
        }
        let mut sensor: Vec<String> = Vec::new();
        for r in &ev.runs {
            for i in &r.inputs {
                if !sensor.contains(i) {
                    sensor.push(i.clone());
                }
            }
        }
        let mut controls = ev.controls.clone();
        controls.sort_by(|a, b| {
            (a.authorized, a.server, a.client, &a.action).cmp(&(
                b.authorized,
                b.server,
                b.client,
                &b.action,
            ))
        });
        let mut links = ev.links.clone();
        links.sort_by(|a, b| {
            (a.client, a.server, &a.transport, a.port).cmp(&(
                b.client,
                b.server,
                &b.transport,
                b.port,
            ))
        });
        Report {
            origin,
            sensor: sensor.join(", "),
            version: env!("CARGO_PKG_VERSION"),
            period,
            verdict,
            min_packets,
            max_capture_loss,
            internet_names: internet_names(&alerts),
            alerts,
            assets: views(&inv),
            controls,
            links,
            baseline: state.baseline.clone(),
            health,
        }
    }

    /// The alerts of one section, in report order.
    pub fn alerts_in(&self, s: Section) -> impl Iterator<Item = &AlertRecord> {
        self.alerts
            .iter()
            .filter(move |a| Section::of_alert(a) == s)
    }

    /// The name the inventory knows `ip` by.
    pub fn name_of(&self, ip: IpAddr) -> Option<&str> {
        self.assets
            .binary_search_by(|a| a.ip.cmp(&ip))
            .ok()
            .and_then(|i| self.assets.get(i))
            .and_then(|a| a.names.first())
            .map(String::as_str)
    }

    /// Hosts named by an alert (either end), with how many alerts name them.
    pub fn hosts_with_findings(&self) -> BTreeMap<IpAddr, usize> {
        let mut m = BTreeMap::new();
        for a in &self.alerts {
            for ip in [a.src_ip, a.dst_ip].into_iter().flatten() {
                *m.entry(ip).or_insert(0) += 1;
            }
        }
        m
    }

    /// The fix-first list: one entry per (rule, internal host), the most severe first
    /// and, at equal severity, what proves internet contact; with how many alerts the
    /// entry stands for. At most `n` entries.
    pub fn fix_first(&self, n: usize) -> Vec<(&AlertRecord, usize)> {
        let mut groups: Vec<(&AlertRecord, usize)> = Vec::new();
        let mut index: BTreeMap<(&str, Option<IpAddr>), usize> = BTreeMap::new();
        for a in &self.alerts {
            let key = (a.rule.as_str(), internal_end(a));
            match index.get(&key).and_then(|&i| groups.get_mut(i)) {
                Some(g) => g.1 += 1,
                None => {
                    index.insert(key, groups.len());
                    groups.push((a, 1));
                }
            }
        }
        groups.sort_by(|(a, _), (b, _)| {
            b.severity_rank()
                .cmp(&a.severity_rank())
                .then(b.closed_network_breach.cmp(&a.closed_network_breach))
                .then(a.first_ns.cmp(&b.first_ns))
        });
        groups.truncate(n);
        groups
    }

    /// Control records on protocols that carry no authentication.
    pub fn unauthenticated_controls(&self) -> impl Iterator<Item = &ControlRecord> {
        self.controls
            .iter()
            .filter(|c| UNAUTHENTICATED_PROTOCOLS.contains(&c.protocol.as_str()))
    }
}

/// The internal end of an alert: the destination of an inbound one, else the source.
pub fn internal_end(a: &AlertRecord) -> Option<IpAddr> {
    if a.direction.as_deref() == Some("inbound") {
        a.dst_ip
    } else {
        a.src_ip.or(a.dst_ip)
    }
}

/// Not closed if any alert proves internet contact over any run; else the thresholds
/// over the whole period decide between closed and undetermined (as the detector does
/// for one run).
fn overall_verdict(alerts: &[AlertRecord], h: &Health, min_packets: u64, max_loss: f64) -> Verdict {
    if alerts.iter().any(|a| a.closed_network_breach) {
        Verdict::NotClosed
    } else if h.packets < min_packets || h.loss() > max_loss || h.packets == 0 {
        Verdict::Undetermined
    } else {
        Verdict::Closed
    }
}

/// Evidence keys that carry an internet name, in the order they are listed.
pub const NAME_KEYS: [&str; 4] = ["query", "sni", "http_host", "dns_name"];

fn internet_names(alerts: &[AlertRecord]) -> Vec<InternetName> {
    let mut by: BTreeMap<(Option<IpAddr>, String), InternetName> = BTreeMap::new();
    for a in alerts
        .iter()
        .filter(|a| Section::of_alert(a) == Section::Internet)
    {
        let Some((key, name)) = NAME_KEYS.iter().find_map(|k| {
            a.evidence
                .get(*k)
                .filter(|n| !n.is_empty())
                .map(|n| (*k, n))
        }) else {
            continue;
        };
        let inbound = a.direction.as_deref() == Some("inbound");
        let (host, host_name) = if inbound {
            (a.dst_ip, a.dst_name.clone())
        } else {
            (a.src_ip, a.src_name.clone())
        };
        let e = by
            .entry((host, name.to_ascii_lowercase()))
            .or_insert_with(|| InternetName {
                host,
                host_name: None,
                name: name.clone(),
                hows: Vec::new(),
                alerts: Vec::new(),
            });
        if e.host_name.is_none() {
            e.host_name = host_name;
        }
        if !e.hows.iter().any(|h| h == key) {
            e.hows.push(key.to_owned());
        }
        e.alerts.push(a.clone());
    }
    by.into_values().collect()
}
