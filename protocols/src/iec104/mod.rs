//! IEC 60870-5-104 (telecontrol over TCP 2404).
//!
//! - `probe.rs` checks the APCI header: 0x68, APDU length 4..=253, control field
//!   (section 5). It is too weak to run away from TCP 2404.
//! - [`apci`]: APDU framing and the I/S/U control field; [`asdu`]: the data unit
//!   identifier and the information objects of every type; `state`: the per-connection
//!   [`Parser`] (sequence numbers, commands awaiting confirmation); [`control`]: ASDUs
//!   as control actions.
//!
//! It emits one [`Apdu`] event per APDU and a `parse_error` event per malformed or lost
//! unit (reasons: [`Anomaly::as_str`]).

pub mod apci;
pub mod asdu;
pub mod control;
mod event;
mod facts;
pub mod probe;
mod state;
#[cfg(test)]
mod tests;
pub mod types;

pub use event::Apdu;
pub use probe::*;
pub use state::{MAX_PENDING_PER_FLOW, Parser};
pub use types::Anomaly;

use crate::event::AppProtocol;
use crate::registry::{Category, On, PORT_ONLY, ProtocolSpec, StreamOnly};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The registered port (IEC 60870-5-104 section 10.1).
pub const IEC104_PORT: u16 = 2404;

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Ics,
    tcp: On::ports(&[IEC104_PORT]).probe(probe, PORT_ONLY),
    parser: Some(|cfg| Box::new(StreamOnly(Parser::new(&cfg.iec104)))),
    // IEC 62351-3 TLS profile; IANA registers 19998 as iec-104-sec.
    tls_ports: &[19998],
    ..ProtocolSpec::new(AppProtocol::Iec104, "iec104")
};

/// `[protocols.iec104]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Iec104Config {
    /// A command with no activation confirmation after this much packet time is
    /// reported unanswered (the standard's t1 default is 15 s).
    #[serde(with = "mizuban_capture::time_serde")]
    pub command_timeout: Duration,
    /// Commands awaiting confirmation per connection (capped at
    /// [`MAX_PENDING_PER_FLOW`]); more give up the oldest, counted.
    pub max_pending_per_flow: usize,
}

impl Default for Iec104Config {
    fn default() -> Self {
        Iec104Config {
            command_timeout: Duration::from_secs(15),
            max_pending_per_flow: 32,
        }
    }
}

/// Counters the IEC 104 analyzer keeps on its worker.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// I frames by type identification (256 slots; an I frame too short for one
    /// counts in slot 0).
    pub i_frames_by_type: Vec<u64>,
    pub s_frames: u64,
    /// U frames by function (startdt_act ... testfr_con, invalid).
    pub u_frames: BTreeMap<&'static str, u64>,
    /// I frames whose N(S) was not the next one.
    pub sequence_gaps: u64,
    /// N(R) acknowledging frames the peer never sent.
    pub ack_out_of_window: u64,
    pub parse_errors: BTreeMap<&'static str, u64>,
    /// Commands given up over the per-connection cap.
    pub tx_cap: u64,
    /// Commands reported without confirmation.
    pub unanswered: u64,
    /// Information objects counted but not kept (over 32 per ASDU).
    pub objects_dropped: u64,
    pub resync_skipped_bytes: u64,
}

impl Stats {
    pub fn count_type(&mut self, t: Option<u8>) {
        if self.i_frames_by_type.len() < 256 {
            self.i_frames_by_type.resize(256, 0);
        }
        if let Some(n) = self.i_frames_by_type.get_mut(usize::from(t.unwrap_or(0))) {
            *n = n.saturating_add(1);
        }
    }

    pub fn count_u(&mut self, function: u8) {
        let n = self.u_frames.entry(apci::u_name(function)).or_insert(0);
        *n = n.saturating_add(1);
    }

    pub fn count_parse_error(&mut self, a: Anomaly) {
        let n = self.parse_errors.entry(a.as_str()).or_insert(0);
        *n = n.saturating_add(1);
    }

    pub fn add_skipped(&mut self, n: usize) {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        self.resync_skipped_bytes = self.resync_skipped_bytes.saturating_add(n);
    }

    /// I frames by type name (a bounded label set: the defined types and "unknown").
    pub fn i_frames_by_name(&self) -> BTreeMap<&'static str, u64> {
        let mut m = BTreeMap::new();
        for (t, &n) in self.i_frames_by_type.iter().enumerate() {
            if n > 0 {
                let e = m
                    .entry(types::type_name(u8::try_from(t).unwrap_or(0)))
                    .or_insert(0u64);
                *e = e.saturating_add(n);
            }
        }
        m
    }

    pub fn merge(&mut self, o: &Stats) {
        if self.i_frames_by_type.len() < o.i_frames_by_type.len() {
            self.i_frames_by_type.resize(o.i_frames_by_type.len(), 0);
        }
        for (a, b) in self.i_frames_by_type.iter_mut().zip(&o.i_frames_by_type) {
            *a = a.saturating_add(*b);
        }
        for (k, v) in &o.u_frames {
            let n = self.u_frames.entry(k).or_insert(0);
            *n = n.saturating_add(*v);
        }
        for (k, v) in &o.parse_errors {
            let n = self.parse_errors.entry(k).or_insert(0);
            *n = n.saturating_add(*v);
        }
        let add = |a: &mut u64, b: u64| *a = a.saturating_add(b);
        add(&mut self.s_frames, o.s_frames);
        add(&mut self.sequence_gaps, o.sequence_gaps);
        add(&mut self.ack_out_of_window, o.ack_out_of_window);
        add(&mut self.tx_cap, o.tx_cap);
        add(&mut self.unanswered, o.unanswered);
        add(&mut self.objects_dropped, o.objects_dropped);
        add(&mut self.resync_skipped_bytes, o.resync_skipped_bytes);
    }
}
