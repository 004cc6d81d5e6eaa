//! The alert model. STUB shape; to be completed (issue 4).

use mizuban_capture::Timestamp;
use serde::Serialize;
use std::net::IpAddr;

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One alert: a rule firing on a de-duplication key; repeats raise `count`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    /// Stable id: the rule and a hash of the de-duplication key.
    pub id: String,
    pub rule: &'static str,
    pub severity: Severity,
    /// The closed-network assumption or guideline point the traffic breaks.
    pub guideline: &'static str,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub count: u64,
    pub src_ip: Option<IpAddr>,
    pub dst_ip: Option<IpAddr>,
    pub message: String,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// First time this alert fires.
    New,
    /// Its count or last-seen time changed since it was last written.
    Update,
}

/// One line of the alerts output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertLine {
    pub status: AlertStatus,
    #[serde(flatten)]
    pub alert: Alert,
}

/// What a rule or the baseline found, before de-duplication. The alert store turns
/// findings into [`Alert`]s: one per `(rule, key)`, repeats raising the count.
#[derive(Clone, Debug, PartialEq)]
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
}
