//! Baseline configuration (`[baseline]` in the detect config).

use serde::Deserialize;
use std::time::Duration;

/// Default learning span: one week of packet time covers weekly batch jobs and shifts.
pub const DEFAULT_LEARN_SECS: u64 = 7 * 24 * 3600;
/// Default caps. A water utility's control network holds hundreds of hosts; these
/// leave two orders of magnitude of headroom and bound memory to tens of MB when a
/// scan touches millions of addresses.
pub const DEFAULT_MAX_HOSTS: usize = 65_536;
pub const DEFAULT_MAX_MACS: usize = 65_536;
pub const DEFAULT_MAX_CONVERSATIONS: usize = 262_144;
pub const DEFAULT_MAX_SERVICES: usize = 65_536;
pub const DEFAULT_MAX_ICS: usize = 65_536;
pub const DEFAULT_MAX_MODBUS_PAIRS: usize = 16_384;
pub const DEFAULT_MAX_PENDING: usize = 4_096;
/// MACs kept per IP: a redundant pair, a replacement or two, a router seen on both sides.
pub const MAX_MACS_PER_IP: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BaselineConfig {
    /// Off: no baseline findings (the inventory still runs).
    pub enabled: bool,
    /// Learn for this span of packet time from the first event, then enforce.
    /// 0 = learn until told (`Baseline::finish_learning`).
    pub learn_secs: u64,
    pub max_hosts: usize,
    pub max_macs: usize,
    pub max_conversations: usize,
    pub max_services: usize,
    pub max_ics: usize,
    pub max_modbus_pairs: usize,
    /// Findings kept for `mizuban baseline show`/`approve` (the alert store keeps its own).
    pub max_pending: usize,
}

impl Default for BaselineConfig {
    fn default() -> BaselineConfig {
        BaselineConfig {
            enabled: true,
            learn_secs: DEFAULT_LEARN_SECS,
            max_hosts: DEFAULT_MAX_HOSTS,
            max_macs: DEFAULT_MAX_MACS,
            max_conversations: DEFAULT_MAX_CONVERSATIONS,
            max_services: DEFAULT_MAX_SERVICES,
            max_ics: DEFAULT_MAX_ICS,
            max_modbus_pairs: DEFAULT_MAX_MODBUS_PAIRS,
            max_pending: DEFAULT_MAX_PENDING,
        }
    }
}

impl BaselineConfig {
    pub fn learn_span(&self) -> Option<Duration> {
        (self.learn_secs > 0).then(|| Duration::from_secs(self.learn_secs))
    }
}
