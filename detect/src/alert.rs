//! The alert model: what a rule found ([`Finding`]), what the store keeps ([`Alert`]) and
//! what the alerts output carries ([`AlertLine`]). Every JSON field is documented in
//! `detect/README.md`; adding a field is fine, renaming one is a breaking change.

use mizuban_capture::{MacAddr, Timestamp};
use mizuban_protocols::FlowTuple;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[default]
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Which way the traffic crossed the policy's boundary, seen from the flow's client.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Internal client, external (internet) server.
    Outbound,
    /// External client, internal server.
    Inbound,
    /// Both ends internal.
    Internal,
    /// Both ends external (transit traffic on the monitored segment).
    External,
}

impl Direction {
    pub fn of(client_internal: bool, server_internal: bool) -> Direction {
        match (client_internal, server_internal) {
            (true, false) => Direction::Outbound,
            (false, true) => Direction::Inbound,
            (true, true) => Direction::Internal,
            (false, false) => Direction::External,
        }
    }
}

/// Named facts behind an alert (DNS names, SNI, user names, function codes, outcome).
/// A `BTreeMap` so the JSON object is written in key order, whatever the insert order.
/// Values are capped at [`MAX_EVIDENCE_VALUE_LEN`] bytes by [`Finding::evidence`].
pub type Evidence = BTreeMap<&'static str, String>;

/// Longest evidence value kept; longer values are cut on a char boundary.
pub const MAX_EVIDENCE_VALUE_LEN: usize = 256;

/// A packet in a run: the input's index and the 1-based frame number (0 for none).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct FrameAt {
    pub file: u16,
    pub frame: u64,
}

/// One alert: a rule firing on a de-duplication key; repeats raise `count`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Alert {
    /// Stable id: the rule and a hash of the de-duplication key (`internet_egress-1a2b...`).
    pub id: String,
    pub rule: &'static str,
    pub severity: Severity,
    /// The closed-network assumption or guideline point the traffic breaks.
    pub guideline: &'static str,
    /// Whether this alert proves the network is not closed (feeds the verdict).
    pub closed_network_breach: bool,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
    /// Community ID v1 (seed 0) of the flow that raised the alert, the key Zeek,
    /// Suricata and Malcolm use for the same flow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub community_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_ip: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_mac: Option<MacAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst_ip: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst_mac: Option<MacAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst_name: Option<String>,
    pub message: String,
    pub evidence: Evidence,
    /// The packet that raised it and the latest that repeated it (for the report; not
    /// in the JSON line).
    #[serde(skip)]
    pub first_frame: Option<FrameAt>,
    #[serde(skip)]
    pub last_frame: Option<FrameAt>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// First time this alert fires.
    New,
    /// Its count, last-seen time or evidence changed since it was last written.
    Update,
}

/// One line of the alerts output: `{"status":"new",...alert fields}`. The JSON-lines
/// writer (`mizuban_exporter::json::write_alert`) puts `"type":"alert"` in front.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertLine {
    pub status: AlertStatus,
    #[serde(flatten)]
    pub alert: Alert,
}

/// What a rule or the baseline found, before de-duplication. The alert store turns
/// findings into [`Alert`]s: one per `(rule, key)`, repeats raising the count.
///
/// Build one with [`Finding::new`] and the `with_*` helpers (or `..Default::default()`);
/// the detector fills zones, names and MACs it knows before storing it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub guideline: &'static str,
    /// The de-duplication key within the rule, e.g. "10.0.0.5|8.8.8.8".
    pub key: String,
    pub ts: Timestamp,
    pub src_ip: Option<IpAddr>,
    pub dst_ip: Option<IpAddr>,
    pub message: String,
    /// The traffic proves the network is not closed (internet contact, internet VPN).
    pub closed_network_breach: bool,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    pub src_mac: Option<MacAddr>,
    pub dst_mac: Option<MacAddr>,
    pub transport: Option<&'static str>,
    pub vlan: Option<u16>,
    /// Set with the flow (see [`Alert::community_id`]).
    pub community_id: Option<String>,
    pub direction: Option<Direction>,
    pub evidence: Evidence,
    /// The packet the finding came from (set by the detector).
    pub frame: Option<FrameAt>,
    /// Only refresh the evidence (and message, if non-empty) of an existing alert: do not
    /// raise its count, and create nothing if the alert does not exist (e.g. a flow's end
    /// updating the alert its start raised).
    pub evidence_only: bool,
}

impl Finding {
    pub fn new(
        rule: &'static str,
        severity: Severity,
        guideline: &'static str,
        key: String,
        ts: Timestamp,
        message: String,
    ) -> Finding {
        Finding {
            rule,
            severity,
            guideline,
            key,
            ts,
            message,
            ..Finding::default()
        }
    }

    /// Source = the flow's client, destination = its server.
    pub fn with_flow(mut self, flow: &FlowTuple) -> Finding {
        self.src_ip = Some(flow.client.ip());
        self.src_port = Some(flow.client.port());
        self.dst_ip = Some(flow.server.ip());
        self.dst_port = Some(flow.server.port());
        self.transport = Some(flow.transport());
        self.vlan = flow.vlan.innermost();
        self.community_id = flow.community_id();
        self
    }

    pub fn with_direction(mut self, d: Direction) -> Finding {
        self.direction = Some(d);
        self
    }

    pub fn breach(mut self, yes: bool) -> Finding {
        self.closed_network_breach = yes;
        self
    }

    /// Adds one evidence entry, cut to [`MAX_EVIDENCE_VALUE_LEN`] bytes.
    pub fn evidence(mut self, key: &'static str, value: impl Into<String>) -> Finding {
        self.evidence.insert(key, cap_value(value.into()));
        self
    }
}

/// Cuts a value to [`MAX_EVIDENCE_VALUE_LEN`] bytes on a char boundary.
pub fn cap_value(mut v: String) -> String {
    if v.len() > MAX_EVIDENCE_VALUE_LEN {
        let mut end = MAX_EVIDENCE_VALUE_LEN;
        while end > 0 && !v.is_char_boundary(end) {
            end = end.saturating_sub(1);
        }
        v.truncate(end);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_line_has_status_first() {
        let line = AlertLine {
            status: AlertStatus::New,
            alert: Alert {
                id: "x-1".into(),
                rule: "x",
                ..Alert::default()
            },
        };
        let s = serde_json::to_string(&line).unwrap_or_default();
        assert!(s.starts_with(r#"{"status":"new","id":"x-1","rule":"x""#));
        // Unknown optional fields are left out, the evidence object is always there.
        assert!(!s.contains("src_ip"));
        assert!(s.contains(r#""evidence":{}"#));
    }

    #[test]
    fn evidence_is_capped_on_char_boundary() {
        let long = "é".repeat(200); // 400 bytes
        let f = Finding::default().evidence("name", long);
        let v = f.evidence.get("name").cloned().unwrap_or_default();
        assert!(v.len() <= MAX_EVIDENCE_VALUE_LEN);
        assert!(v.chars().all(|c| c == 'é'));
    }
}
