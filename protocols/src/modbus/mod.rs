//! Modbus/TCP (Modbus Application Protocol Specification V1.1b3, Modbus Messaging on
//! TCP/IP Implementation Guide V1.0b).
//!
//! - [`probe`] recognises Modbus on any port from the first bytes of a direction, and
//!   refuses non-Modbus bytes on port 502 (MBAP header checks, guide section 3.1.3).
//! - [`Parser`] is the per-flow [`StreamParser`](crate::parser::StreamParser): framing
//!   (`frame.rs`), content (`pdu.rs`), pairing and resync (`state.rs`). It emits one
//!   [`Transaction`] per request/response pair and a `parse_error` event per malformed
//!   ADU (reasons: [`Anomaly::as_str`]).

pub mod control;
mod event;
pub mod frame;
pub mod pdu;
mod state;

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Ics,
    tcp: On::ports(&[502]).probe(probe, ANY_PORT),
    strict: true,
    parser: Some(|cfg| Box::new(StreamOnly(Parser::new(&cfg.modbus)))),
    ..ProtocolSpec::new(AppProtocol::Modbus, "modbus")
};

#[cfg(test)]
mod tests;
pub mod types;
pub mod umas;

pub use event::{DeviceIdentity, FunctionClass, Transaction, WrittenValues};
pub use state::{MAX_PENDING_PER_FLOW, Parser};
pub use types::Anomaly;

use crate::event::AppProtocol;
use crate::parser::{Direction, Probe};
use crate::registry::{ANY_PORT, Category, On, ProtocolSpec, StreamOnly};
use hdrhistogram::Histogram;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// `[modbus]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModbusConfig {
    /// A request with no response after this much packet time is emitted unanswered.
    #[serde(with = "mizuban_capture::time_serde")]
    pub transaction_timeout: Duration,
    /// Outstanding requests per flow; more are emitted unanswered and counted
    /// (capped at [`MAX_PENDING_PER_FLOW`]).
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

/// The registered Modbus/TCP port (guide section 4.1.2).
pub const MODBUS_PORT: u16 = 502;

/// Is this the start of a Modbus/TCP direction? Checks the MBAP header (guide section
/// 3.1.3): protocol id 0, length 2..=254, a function code plausible for the direction
/// (requests never carry the exception bit; 0x80 is nothing), and, when the ADU ends
/// inside `data`, that what follows is nothing, a short tail, or another MBAP header.
/// Unknown function codes, 0 included, are accepted: a function-code scan is Modbus
/// too (arkime_modbus.pcap stream 6 opens with function 0). The tail check is what
/// keeps binary protocols on other ports out (iti_mb2.pcap, TCP 5026, opens with bytes
/// that frame as an MBAP header with function 0 followed by non-MBAP bytes).
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    match frame::check_prefix(data) {
        Err(frame::FrameError::Incomplete { .. }) => Probe::NeedMore,
        Err(_) => Probe::NoMatch,
        // The parser tolerates 255 on an established flow; a new flow must be strict.
        Ok(len) if len > frame::MAX_LENGTH_FIELD => Probe::NoMatch,
        Ok(_) => match data.get(frame::MBAP_HEADER_LEN) {
            None => Probe::NeedMore,
            // Either direction may carry responses: the flow's orientation comes from
            // the SYN, and the port-502 side sometimes opens (see `state::role`).
            Some(&b) if !frame::plausible_function(b, false) => Probe::NoMatch,
            Some(_) => match frame::parse_adu(data) {
                Ok((_, rest)) => match rest.get(2..4) {
                    Some([0, 0]) | None => Probe::Match,
                    Some(_) => Probe::NoMatch,
                },
                Err(frame::FrameError::Incomplete { .. }) => Probe::Match,
                Err(_) => Probe::NoMatch,
            },
        },
    }
}

/// Servers whose response times are tracked per worker; more are counted in
/// [`Stats::response_time_servers_overflow`]. Each histogram is about 20 KiB.
pub const MAX_SERVERS_TRACKED: usize = 256;
/// Highest response time a histogram records exactly (10 minutes, in microseconds);
/// longer ones saturate.
pub const RESPONSE_TIME_MAX_US: u64 = 600_000_000;
/// Significant digits of the response-time histograms (1 % resolution).
pub const RESPONSE_TIME_SIGFIG: u8 = 2;
/// Function codes counted by [`Stats::transactions_by_function`] (0-127).
pub const FUNCTION_CODES: usize = 128;

/// Counters the Modbus analyzer keeps on its worker; merged and exported by the pipeline.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Transactions by function code (0-127, exception bit cleared).
    pub transactions_by_function: Vec<u64>,
    /// Requests emitted without a response (timeout, flow end, or over the cap).
    pub unanswered: u64,
    /// Exception responses by (function, exception code).
    pub exceptions: BTreeMap<(u8, u8), u64>,
    /// `parse_error` events by reason.
    pub parse_errors: BTreeMap<&'static str, u64>,
    /// Responses whose request was not seen.
    pub responses_without_request: u64,
    /// Bytes skipped while resynchronising (garbage, gaps, partial ADUs at close).
    pub resync_skipped_bytes: u64,
    /// Requests given up because the flow had too many outstanding.
    pub tx_cap: u64,
    /// Response time in microseconds, per server address.
    pub response_time_us: BTreeMap<IpAddr, Histogram<u64>>,
    /// Response times not recorded because [`MAX_SERVERS_TRACKED`] servers were
    /// already tracked.
    pub response_time_servers_overflow: u64,
}

impl Stats {
    pub fn count_transaction(&mut self, function: u8, exception: Option<u8>) {
        let f = usize::from(function & 0x7F);
        if self.transactions_by_function.len() < FUNCTION_CODES {
            self.transactions_by_function.resize(FUNCTION_CODES, 0);
        }
        if let Some(n) = self.transactions_by_function.get_mut(f) {
            *n = n.saturating_add(1);
        }
        if let Some(code) = exception {
            let n = self.exceptions.entry((function, code)).or_insert(0);
            *n = n.saturating_add(1);
        }
    }

    pub fn count_parse_error(&mut self, a: Anomaly) {
        let n = self.parse_errors.entry(a.as_str()).or_insert(0);
        *n = n.saturating_add(1);
    }

    pub fn add_skipped(&mut self, n: usize) {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        self.resync_skipped_bytes = self.resync_skipped_bytes.saturating_add(n);
    }

    pub fn record_response_time(&mut self, server: IpAddr, us: u64) {
        if let Some(h) = self.response_time_us.get_mut(&server) {
            h.saturating_record(us.max(1));
            return;
        }
        if self.response_time_us.len() >= MAX_SERVERS_TRACKED {
            self.response_time_servers_overflow =
                self.response_time_servers_overflow.saturating_add(1);
            return;
        }
        match Histogram::new_with_bounds(1, RESPONSE_TIME_MAX_US, RESPONSE_TIME_SIGFIG) {
            Ok(mut h) => {
                h.saturating_record(us.max(1));
                self.response_time_us.insert(server, h);
            }
            Err(_) => {
                self.response_time_servers_overflow =
                    self.response_time_servers_overflow.saturating_add(1);
            }
        }
    }

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
        for (k, v) in &other.exceptions {
            let n = self.exceptions.entry(*k).or_insert(0);
            *n = n.saturating_add(*v);
        }
        for (k, v) in &other.parse_errors {
            let n = self.parse_errors.entry(k).or_insert(0);
            *n = n.saturating_add(*v);
        }
        self.responses_without_request = self
            .responses_without_request
            .saturating_add(other.responses_without_request);
        self.resync_skipped_bytes = self
            .resync_skipped_bytes
            .saturating_add(other.resync_skipped_bytes);
        self.tx_cap = self.tx_cap.saturating_add(other.tx_cap);
        self.response_time_servers_overflow = self
            .response_time_servers_overflow
            .saturating_add(other.response_time_servers_overflow);
        for (server, h) in &other.response_time_us {
            if let Some(mine) = self.response_time_us.get_mut(server) {
                if mine.add(h).is_err() {
                    self.response_time_servers_overflow =
                        self.response_time_servers_overflow.saturating_add(1);
                }
            } else if self.response_time_us.len() < MAX_SERVERS_TRACKED {
                self.response_time_us.insert(*server, h.clone());
            } else {
                self.response_time_servers_overflow =
                    self.response_time_servers_overflow.saturating_add(h.len());
            }
        }
    }
}
