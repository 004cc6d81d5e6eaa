//! TCP stream reassembly. STUB.

use serde::Deserialize;

/// `[reassembly]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReassemblyConfig {
    /// Out-of-order bytes buffered per flow direction before skipping over the hole.
    pub max_buffered_per_direction: usize,
    /// Out-of-order bytes buffered by one worker across all flows.
    pub max_buffered_total: usize,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        ReassemblyConfig {
            max_buffered_per_direction: 256 * 1024,
            max_buffered_total: 256 * 1024 * 1024,
        }
    }
}
