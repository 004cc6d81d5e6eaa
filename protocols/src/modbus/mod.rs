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
mod facts;
pub mod frame;
pub mod pdu;
mod state;

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Ics,
    tcp: On::ports(&[502]).probe(probe, ANY_PORT),
    strict: true,
    counters: COUNTERS,
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
use crate::stats::{self, CounterDoc, CounterValue, ExportStats, Merge, merged};
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
/// [`ResponseTimes::overflow`]. Each histogram is about 20 KiB.
pub const MAX_SERVERS_TRACKED: usize = 256;
/// Highest response time a histogram records exactly (10 minutes, in microseconds);
/// longer ones saturate.
pub const RESPONSE_TIME_MAX_US: u64 = 600_000_000;
/// Significant digits of the response-time histograms (1 % resolution).
pub const RESPONSE_TIME_SIGFIG: u8 = 2;
/// Function codes counted by [`Stats::transactions_by_function`] (0-127).
pub const FUNCTION_CODES: usize = 128;

merged! {
    /// Counters the Modbus analyzer keeps on its worker; merged and exported by the
    /// pipeline (the `mizuban_modbus_*` families: transactions, exceptions and response
    /// times have their own; the rest are [`COUNTERS`]).
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
        pub response_times: ResponseTimes,
    }
}

/// Response times in microseconds, per server address, capped at
/// [`MAX_SERVERS_TRACKED`] servers.
#[derive(Clone, Debug, Default)]
pub struct ResponseTimes {
    pub by_server: BTreeMap<IpAddr, Histogram<u64>>,
    /// Response times not recorded because [`MAX_SERVERS_TRACKED`] servers were
    /// already tracked.
    pub overflow: u64,
}

impl ResponseTimes {
    pub fn record(&mut self, server: IpAddr, us: u64) {
        if let Some(h) = self.by_server.get_mut(&server) {
            h.saturating_record(us.max(1));
            return;
        }
        if self.by_server.len() >= MAX_SERVERS_TRACKED {
            self.overflow = self.overflow.saturating_add(1);
            return;
        }
        match Histogram::new_with_bounds(1, RESPONSE_TIME_MAX_US, RESPONSE_TIME_SIGFIG) {
            Ok(mut h) => {
                h.saturating_record(us.max(1));
                self.by_server.insert(server, h);
            }
            Err(_) => self.overflow = self.overflow.saturating_add(1),
        }
    }
}

impl Merge for ResponseTimes {
    fn merge(&mut self, other: &ResponseTimes) {
        self.overflow = self.overflow.saturating_add(other.overflow);
        for (server, h) in &other.by_server {
            if let Some(mine) = self.by_server.get_mut(server) {
                if mine.add(h).is_err() {
                    self.overflow = self.overflow.saturating_add(1);
                }
            } else if self.by_server.len() < MAX_SERVERS_TRACKED {
                self.by_server.insert(*server, h.clone());
            } else {
                self.overflow = self.overflow.saturating_add(h.len());
            }
        }
    }
}

/// The Modbus counters exported through the generic per-protocol path.
pub const COUNTERS: &[CounterDoc] = &[
    CounterDoc {
        name: "mizuban_modbus_parse_errors_total",
        labels: &["anomaly"],
        values: &Anomaly::NAMES,
        help: "Modbus ADUs that could not be decoded, by anomaly.",
    },
    CounterDoc {
        name: "mizuban_modbus_pending_overflow_total",
        labels: &[],
        values: &[],
        help: "Modbus requests given up because their flow had too many outstanding.",
    },
    CounterDoc {
        name: "mizuban_modbus_response_time_untracked_total",
        labels: &[],
        values: &[],
        help: "Modbus response times not recorded: the per-worker cap of servers tracked was reached.",
    },
    CounterDoc {
        name: "mizuban_modbus_responses_without_request_total",
        labels: &[],
        values: &[],
        help: "Modbus responses whose request was never seen.",
    },
    CounterDoc {
        name: "mizuban_modbus_resync_skipped_bytes_total",
        labels: &[],
        values: &[],
        help: "Bytes skipped while resynchronising Modbus streams (garbage, gaps, partial ADUs at close).",
    },
    CounterDoc {
        name: "mizuban_modbus_unanswered_total",
        labels: &[],
        values: &[],
        help: "Modbus requests reported without a response (timeout, flow end, or over the per-flow cap).",
    },
];

impl ExportStats for Stats {
    fn export(&self, out: &mut Vec<CounterValue>) {
        for (reason, n) in &self.parse_errors {
            out.push(CounterValue {
                name: "mizuban_modbus_parse_errors_total",
                label: Some(reason),
                value: *n,
            });
        }
        stats::value(out, "mizuban_modbus_pending_overflow_total", self.tx_cap);
        stats::value(
            out,
            "mizuban_modbus_response_time_untracked_total",
            self.response_times.overflow,
        );
        stats::value(
            out,
            "mizuban_modbus_responses_without_request_total",
            self.responses_without_request,
        );
        stats::value(
            out,
            "mizuban_modbus_resync_skipped_bytes_total",
            self.resync_skipped_bytes,
        );
        stats::value(out, "mizuban_modbus_unanswered_total", self.unanswered);
    }
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
        self.response_times.record(server, us);
    }
}
