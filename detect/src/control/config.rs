//! `[detect.control]`: who may change the process (issue 20 point 3).
//!
//! ```toml
//! [detect.control]
//! engineering_stations = ["10.0.0.5", "10.0.1.0/28"]   # every action class
//! failed_threshold = 5          # control_action_failed: refusals from one client...
//! failed_window_secs = 60       # ...within this much packet time
//!
//! [[detect.control.allow]]
//! clients = ["10.0.2.10"]
//! actions = ["write"]
//! servers = ["10.0.3.0/24"]     # optional: every server when absent
//! protocols = ["modbus"]        # optional: every protocol when absent
//! ```

use serde::Deserialize;

pub const DEFAULT_FAILED_THRESHOLD: u32 = 5;
pub const DEFAULT_FAILED_WINDOW_SECS: u64 = 60;

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlConfig {
    /// Hosts or CIDRs allowed every action class on every server.
    pub engineering_stations: Vec<String>,
    pub allow: Vec<ControlAllowConfig>,
    pub failed_threshold: u32,
    pub failed_window_secs: u64,
}

impl Default for ControlConfig {
    fn default() -> Self {
        ControlConfig {
            engineering_stations: Vec::new(),
            allow: Vec::new(),
            failed_threshold: DEFAULT_FAILED_THRESHOLD,
            failed_window_secs: DEFAULT_FAILED_WINDOW_SECS,
        }
    }
}

/// One finer rule: these clients may perform these action classes.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlAllowConfig {
    /// Hosts or CIDRs.
    pub clients: Vec<String>,
    /// Action classes (`write`, `program_download`, ...; see detect/README.md).
    pub actions: Vec<String>,
    /// Hosts or CIDRs of the controllers; every server when absent.
    #[serde(default)]
    pub servers: Option<Vec<String>>,
    /// Protocol event names (`modbus`, `dnp3`, ...); every protocol when absent.
    #[serde(default)]
    pub protocols: Option<Vec<String>>,
    /// Why (ticket, owner): for the reader, not used.
    #[serde(default)]
    pub reason: Option<String>,
}
