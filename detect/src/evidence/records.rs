//! The rows of the evidence tables, in their saved form (owned strings, nanosecond
//! times), so a report from `state.json` and one from a replay read the same data.

use crate::alert::{Alert, FrameAt};
use mizuban_protocols::facts::{ControlAction, Outcome};
use mizuban_protocols::{AppProtocol, Event};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// A packet that showed something: the capture file (or interface) and its 1-based
/// frame number as tshark counts them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FrameRef {
    pub file: String,
    pub frame: u64,
}

impl FrameRef {
    fn of(at: Option<FrameAt>, inputs: &[String]) -> Option<FrameRef> {
        let at = at.filter(|a| a.frame > 0)?;
        Some(FrameRef {
            file: inputs
                .get(usize::from(at.file))
                .cloned()
                .unwrap_or_default(),
            frame: at.frame,
        })
    }
}

/// Traffic between a client and a server port: the communication map's edges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub client: IpAddr,
    pub server: IpAddr,
    pub transport: String,
    pub port: u16,
    /// The application protocol identified on it ("unknown" if none).
    pub protocol: String,
    /// The protocol's category in the registry (`ics`, `remote`, `vpn`, `naming`,
    /// `auth`, `other`): the map and the report read this, never protocol names.
    pub category: String,
    pub client_internal: bool,
    pub server_internal: bool,
    pub client_zone: Option<String>,
    pub server_zone: Option<String>,
    pub flows: u64,
    pub packets: u64,
    pub bytes: u64,
    pub first_ns: i64,
    pub last_ns: i64,
    /// The first packet seen of it.
    pub first: FrameRef,
}

impl Link {
    /// An industrial (control-system) protocol.
    pub fn is_ics(&self) -> bool {
        self.category == "ics"
    }

    pub(super) fn key(&self) -> (IpAddr, IpAddr, u8, u16) {
        let proto = match self.transport.as_str() {
            "tcp" => 6,
            "udp" => 17,
            "icmp" => 1,
            "icmpv6" => 58,
            "gre" => 47,
            "esp" => 50,
            "ah" => 51,
            "l2tp" => 115,
            "sctp" => 132,
            _ => 0,
        };
        (self.client, self.server, proto, self.port)
    }

    /// A known protocol replaces "unknown", never the other way round.
    pub(super) fn set_protocol(&mut self, p: AppProtocol) {
        if p != AppProtocol::Unknown {
            self.protocol = p.as_str().to_owned();
            self.category = p.category().as_str().to_owned();
        }
    }
}

/// Distinct function names and targets kept per control row.
const MAX_LISTED: usize = 8;

/// Control actions of one client on one server, of one class, authorized or not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlRecord {
    pub client: IpAddr,
    pub server: IpAddr,
    pub protocol: String,
    pub action: String,
    pub authorized: bool,
    pub count: u64,
    pub ok: u64,
    pub refused: u64,
    pub unanswered: u64,
    /// Function names used (at most 8).
    pub functions: BTreeSet<String>,
    /// Objects or addresses touched (at most 8).
    pub targets: BTreeSet<String>,
    pub first_ns: i64,
    pub last_ns: i64,
    pub first: FrameRef,
    pub last: FrameRef,
}

impl ControlRecord {
    pub(super) fn key(&self) -> (IpAddr, IpAddr, String, String, bool) {
        (
            self.client,
            self.server,
            self.protocol.clone(),
            self.action.clone(),
            self.authorized,
        )
    }

    pub(super) fn new(
        key: &(IpAddr, IpAddr, String, String, bool),
        ev: &Event,
        frame: FrameRef,
    ) -> ControlRecord {
        ControlRecord {
            client: key.0,
            server: key.1,
            protocol: key.2.clone(),
            action: key.3.clone(),
            authorized: key.4,
            count: 0,
            ok: 0,
            refused: 0,
            unanswered: 0,
            functions: BTreeSet::new(),
            targets: BTreeSet::new(),
            first_ns: ev.ts.as_nanos(),
            last_ns: ev.ts.as_nanos(),
            first: frame.clone(),
            last: frame,
        }
    }

    pub(super) fn add(&mut self, ev: &Event, ca: &ControlAction, frame: FrameRef) {
        self.count = self.count.saturating_add(1);
        match ca.outcome {
            Outcome::Ok => self.ok = self.ok.saturating_add(1),
            Outcome::Exception => self.refused = self.refused.saturating_add(1),
            Outcome::Unanswered => self.unanswered = self.unanswered.saturating_add(1),
        }
        if self.functions.len() < MAX_LISTED {
            self.functions.insert(ca.function_name.to_owned());
        }
        let target = crate::control::target_text(&ca.target);
        if !target.is_empty() && self.targets.len() < MAX_LISTED {
            self.targets.insert(target);
        }
        let t = ev.ts.as_nanos();
        if t < self.first_ns {
            self.first_ns = t;
            self.first = frame;
        } else if t >= self.last_ns {
            self.last_ns = t;
            self.last = frame;
        }
    }
}

/// An alert as saved: every field of [`Alert`], owned.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertRecord {
    pub id: String,
    pub rule: String,
    pub severity: String,
    pub guideline: String,
    pub closed_network_breach: bool,
    pub first_ns: i64,
    pub last_ns: i64,
    pub count: u64,
    pub direction: Option<String>,
    pub transport: Option<String>,
    pub vlan: Option<u16>,
    pub src_ip: Option<IpAddr>,
    pub src_port: Option<u16>,
    pub src_mac: Option<String>,
    pub src_zone: Option<String>,
    pub src_name: Option<String>,
    pub dst_ip: Option<IpAddr>,
    pub dst_port: Option<u16>,
    pub dst_mac: Option<String>,
    pub dst_zone: Option<String>,
    pub dst_name: Option<String>,
    pub message: String,
    pub evidence: BTreeMap<String, String>,
    /// The packet that raised it, and the last one that repeated it.
    pub first_frame: Option<FrameRef>,
    pub last_frame: Option<FrameRef>,
}

impl AlertRecord {
    /// `inputs` names the run's files by index.
    pub fn from_alert(a: &Alert, inputs: &[String]) -> AlertRecord {
        let dir = a
            .direction
            .and_then(|d| serde_json::to_value(d).ok())
            .and_then(|v| v.as_str().map(str::to_owned));
        AlertRecord {
            id: a.id.clone(),
            rule: a.rule.to_owned(),
            severity: a.severity.as_str().to_owned(),
            guideline: a.guideline.to_owned(),
            closed_network_breach: a.closed_network_breach,
            first_ns: a.first_seen.as_nanos(),
            last_ns: a.last_seen.as_nanos(),
            count: a.count,
            direction: dir,
            transport: a.transport.map(str::to_owned),
            vlan: a.vlan,
            src_ip: a.src_ip,
            src_port: a.src_port,
            src_mac: a.src_mac.map(|m| m.to_string()),
            src_zone: a.src_zone.clone(),
            src_name: a.src_name.clone(),
            dst_ip: a.dst_ip,
            dst_port: a.dst_port,
            dst_mac: a.dst_mac.map(|m| m.to_string()),
            dst_zone: a.dst_zone.clone(),
            dst_name: a.dst_name.clone(),
            message: a.message.clone(),
            evidence: a
                .evidence
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            first_frame: FrameRef::of(a.first_frame, inputs),
            last_frame: FrameRef::of(a.last_frame, inputs),
        }
    }

    /// The same alert seen again in a later run.
    pub(super) fn merge(&mut self, later: AlertRecord) {
        let later_rank = later.severity_rank();
        self.count = self.count.saturating_add(later.count);
        if later.first_ns < self.first_ns {
            self.first_ns = later.first_ns;
            self.first_frame = later.first_frame.clone().or(self.first_frame.take());
        }
        if later.last_ns >= self.last_ns {
            self.last_ns = later.last_ns;
            self.last_frame = later.last_frame.or(self.last_frame.take());
        }
        if later_rank > self.severity_rank() {
            self.severity = later.severity;
        }
        self.closed_network_breach |= later.closed_network_breach;
        self.message = later.message;
        self.evidence.extend(later.evidence);
        for (mine, theirs) in [
            (&mut self.src_name, later.src_name),
            (&mut self.dst_name, later.dst_name),
        ] {
            if theirs.is_some() {
                *mine = theirs;
            }
        }
    }

    /// Info 0 .. critical 4 (unknown text 0).
    pub fn severity_rank(&self) -> u8 {
        crate::alert::Severity::parse(&self.severity).map_or(0, |s| s as u8)
    }
}

/// One run of the sensor or of a replay: its period and its own health.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunRecord {
    /// Capture files or interfaces.
    pub inputs: Vec<String>,
    /// First and last packet time (0 before the first packet).
    pub start_ns: i64,
    pub end_ns: i64,
    pub packets: u64,
    pub bytes: u64,
    pub flows: u64,
    /// TCP bytes acknowledged by the peers, and of those the bytes never captured.
    pub acked_bytes: u64,
    pub missed_bytes: u64,
    /// TCP sessions, and of those the ones seen in one direction only (a SPAN port
    /// that mirrors one way), when the engine counts them.
    pub tcp_sessions: Option<u64>,
    pub one_sided_flows: Option<u64>,
    /// Packets, bytes or units dropped, by reason (`mizuban_drops_total`).
    pub drops: BTreeMap<String, u64>,
    /// The closed-network verdict over this run (`closed`, `not_closed`,
    /// `undetermined`) and its thresholds.
    pub verdict: String,
    pub min_packets: u64,
    pub max_capture_loss: f64,
    /// Application protocols by flows.
    pub protocols: BTreeMap<String, u64>,
    /// New alerts the rate limit or the store's cap dropped.
    pub alerts_suppressed: u64,
}
