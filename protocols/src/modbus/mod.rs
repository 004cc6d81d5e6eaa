//! Modbus/TCP (Modbus Application Protocol Specification V1.1b3, Modbus Messaging on
//! TCP/IP Implementation Guide V1.0b). STUB: to be implemented (issue 3).

mod event;
pub use event::{DeviceIdentity, FunctionClass, Transaction, WrittenValues};

use serde::Deserialize;
use std::time::Duration;

/// `[modbus]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModbusConfig {
    /// A request with no response after this much packet time is emitted unanswered.
    #[serde(with = "mizuban_capture::time_serde")]
    pub transaction_timeout: Duration,
    /// Outstanding requests per flow; more are emitted unanswered and counted.
    pub max_pending_per_flow: usize,
}

impl Default for ModbusConfig {
    fn default() -> Self {
        ModbusConfig {
            transaction_timeout: Duration::from_secs(10),
            max_pending_per_flow: 64,
        }
    }
}

/// Counters the Modbus analyzer keeps on its worker; merged and exported by the pipeline.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Transactions by function code (0-127, exception bit cleared).
    pub transactions_by_function: Vec<u64>,
    pub unanswered: u64,
}

impl Stats {
    pub fn merge(&mut self, other: &Stats) {
        if self.transactions_by_function.len() < other.transactions_by_function.len() {
            self.transactions_by_function
                .resize(other.transactions_by_function.len(), 0);
        }
        for (a, b) in self
            .transactions_by_function
            .iter_mut()
            .zip(&other.transactions_by_function)
        {
            *a = a.saturating_add(*b);
        }
        self.unanswered = self.unanswered.saturating_add(other.unanswered);
    }
}
