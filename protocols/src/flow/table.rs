//! The bounded flow table. STUB.

use serde::Deserialize;
use std::time::Duration;

/// `[flows]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlowConfig {
    /// Flows held per run (split evenly across workers); the least recently seen flow is
    /// evicted beyond it.
    pub max_flows: usize,
    #[serde(with = "mizuban_capture::time_serde")]
    pub tcp_idle_timeout: Duration,
    /// After FIN/RST: how long to keep the flow for late packets.
    #[serde(with = "mizuban_capture::time_serde")]
    pub tcp_closed_timeout: Duration,
    #[serde(with = "mizuban_capture::time_serde")]
    pub udp_idle_timeout: Duration,
    #[serde(with = "mizuban_capture::time_serde")]
    pub other_idle_timeout: Duration,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            max_flows: 1_000_000,
            tcp_idle_timeout: Duration::from_secs(3600),
            tcp_closed_timeout: Duration::from_secs(10),
            udp_idle_timeout: Duration::from_secs(120),
            other_idle_timeout: Duration::from_secs(120),
        }
    }
}
