//! DNP3 (IEEE 1815-2012) over TCP and UDP, port 20000 and by probe on any port.
//!
//! Wire layers, one module each:
//! - [`link`]: data link frames, header CRC and every user-data block CRC checked;
//! - [`transport`]: reassembly of application fragments from FIR/FIN segments, bounded
//!   in size and in pairs in progress;
//! - [`app`]: the application header (function, sequence, CON/UNS, IIN) and every object
//!   header (group, variation, qualifier, range or count);
//! - [`objects`]: object sizes and the objects that matter (g0 device attributes, g12
//!   CROB, g41 analog outputs, g50 time, g70 file transfer, g80 IIN writes, g120 secure
//!   authentication);
//! - `state`: the per-flow [`Parser`] (stream and datagram), pairing requests with
//!   responses by application sequence; [`control`]: requests as control actions.
//!
//! It emits one [`Fragment`] event per application fragment and a `parse_error` event
//! per malformed or lost unit (reasons: [`Anomaly::as_str`]).

pub mod app;
pub mod control;
mod event;
mod facts;
pub mod link;
pub mod objects;
pub mod probe;
mod state;
#[cfg(test)]
mod tests;
pub mod transport;
pub mod types;

pub use event::{Fragment, iin_flags};
pub use probe::probe;
pub use state::{MAX_PENDING_PER_FLOW, Parser};
pub use types::Anomaly;

use crate::event::AppProtocol;
use crate::registry::{ANY_PORT, Both, Category, On, ProtocolSpec};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The registered DNP3 port (IEEE 1815-2012 annex C, TCP and UDP).
pub const DNP3_PORT: u16 = 20000;

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Ics,
    tcp: On::ports(&[DNP3_PORT]).probe(probe, ANY_PORT),
    udp: On::ports(&[DNP3_PORT]).probe(probe, ANY_PORT),
    parser: Some(|cfg| Box::new(Both(Parser::new(&cfg.dnp3)))),
    // IEC 62351-3 TLS profile; IANA registers 19999 as dnp-sec.
    tls_ports: &[19999],
    ..ProtocolSpec::new(AppProtocol::Dnp3, "dnp3")
};

/// `[protocols.dnp3]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Dnp3Config {
    /// A request with no response after this much packet time is emitted unanswered.
    #[serde(with = "mizuban_capture::time_serde")]
    pub transaction_timeout: Duration,
    /// Outstanding requests per flow; more are emitted unanswered and counted (capped at
    /// [`MAX_PENDING_PER_FLOW`]).
    pub max_pending_per_flow: usize,
    /// Largest application fragment reassembled, in bytes (250..=65536); longer ones are
    /// dropped and counted (`fragment_too_long`).
    pub max_fragment_len: usize,
}

impl Default for Dnp3Config {
    fn default() -> Self {
        Dnp3Config {
            transaction_timeout: Duration::from_secs(10),
            max_pending_per_flow: 16,
            max_fragment_len: 8192,
        }
    }
}

/// Counters the DNP3 analyzer keeps on its worker; merged and exported by the pipeline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Link frames framed (header CRC good).
    pub link_frames: u64,
    /// Application fragments by function code (256 slots).
    pub fragments_by_function: Vec<u64>,
    /// Link header CRC failures.
    pub crc_errors_header: u64,
    /// Link frames with a user-data block CRC failure.
    pub crc_errors_data: u64,
    /// Transport segments out of sequence.
    pub sequence_gaps: u64,
    /// `parse_error` events by reason.
    pub parse_errors: BTreeMap<&'static str, u64>,
    /// Requests emitted without a response (timeout, flow end, or over the cap).
    pub unanswered: u64,
    /// Responses (FIR) whose request was not seen.
    pub responses_without_request: u64,
    pub unsolicited: u64,
    /// Requests given up because the flow had too many outstanding.
    pub tx_cap: u64,
    /// Fragments in progress given up (too many pairs, or a gap).
    pub reassembly_evicted: u64,
    /// Object headers counted but not kept in events (over 64 per fragment).
    pub objects_dropped: u64,
    /// Decoded objects not kept (over 32 per fragment).
    pub decoded_dropped: u64,
    /// Bytes skipped while resynchronising (garbage, gaps, partial frames at close).
    pub resync_skipped_bytes: u64,
    pub control_actions: u64,
}

impl Stats {
    pub fn count_fragment(&mut self, function: u8) {
        if self.fragments_by_function.len() < 256 {
            self.fragments_by_function.resize(256, 0);
        }
        if let Some(n) = self.fragments_by_function.get_mut(usize::from(function)) {
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

    /// Fragments by function name (a bounded label set: the 37 codes and "unknown").
    pub fn fragments_by_name(&self) -> BTreeMap<&'static str, u64> {
        let mut m = BTreeMap::new();
        for (f, &n) in self.fragments_by_function.iter().enumerate() {
            if n > 0 {
                let name = types::function_name(u8::try_from(f).unwrap_or(u8::MAX));
                let e = m.entry(name).or_insert(0u64);
                *e = e.saturating_add(n);
            }
        }
        m
    }

    pub fn merge(&mut self, o: &Stats) {
        if self.fragments_by_function.len() < o.fragments_by_function.len() {
            self.fragments_by_function
                .resize(o.fragments_by_function.len(), 0);
        }
        for (a, b) in self
            .fragments_by_function
            .iter_mut()
            .zip(&o.fragments_by_function)
        {
            *a = a.saturating_add(*b);
        }
        for (k, v) in &o.parse_errors {
            let n = self.parse_errors.entry(k).or_insert(0);
            *n = n.saturating_add(*v);
        }
        let add = |a: &mut u64, b: u64| *a = a.saturating_add(b);
        add(&mut self.link_frames, o.link_frames);
        add(&mut self.crc_errors_header, o.crc_errors_header);
        add(&mut self.crc_errors_data, o.crc_errors_data);
        add(&mut self.sequence_gaps, o.sequence_gaps);
        add(&mut self.unanswered, o.unanswered);
        add(
            &mut self.responses_without_request,
            o.responses_without_request,
        );
        add(&mut self.unsolicited, o.unsolicited);
        add(&mut self.tx_cap, o.tx_cap);
        add(&mut self.reassembly_evicted, o.reassembly_evicted);
        add(&mut self.objects_dropped, o.objects_dropped);
        add(&mut self.decoded_dropped, o.decoded_dropped);
        add(&mut self.resync_skipped_bytes, o.resync_skipped_bytes);
        add(&mut self.control_actions, o.control_actions);
    }
}
