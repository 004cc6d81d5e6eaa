//! The counters of one engine, merged across workers for the summary and the exporter.

use crate::event::AppProtocol;
use mizuban_capture::DropCounters;
use std::collections::BTreeMap;

/// Counters an engine keeps; the pipeline merges them across workers for the summary
/// and the exporter.
#[derive(Clone, Debug, Default)]
pub struct EngineStats {
    pub packets: u64,
    pub bytes: u64,
    pub flows_created: u64,
    pub flows_active: u64,
    pub flows_evicted: u64,
    pub drops: DropCounters,
    /// Flows identified, by application protocol.
    pub protocols: BTreeMap<AppProtocol, u64>,
    /// Out-of-order bytes held right now (with a per-segment overhead, as charged to the
    /// caps).
    pub reassembly_buffered_bytes: u64,
    pub reassembly_gaps: u64,
    /// TCP payload bytes seen again after delivery (retransmissions), dropped.
    pub reassembly_duplicate_bytes: u64,
    /// Out-of-order bytes overlapping bytes already buffered; the first copy was kept.
    pub reassembly_overlap_bytes: u64,
    /// Bytes the peers acknowledged (denominator of the capture-loss estimate).
    pub acked_bytes: u64,
    /// Bytes acknowledged that the monitor never saw.
    pub missed_bytes: u64,
    pub events: u64,
    pub modbus: crate::modbus::Stats,
    pub dnp3: crate::dnp3::Stats,
    pub iec104: crate::iec104::Stats,
    /// Evictions, emergency mode, memory and capture health (issue 14).
    pub health: crate::flow::HealthStats,
}

impl EngineStats {
    pub fn merge(&mut self, o: &EngineStats) {
        self.packets = self.packets.saturating_add(o.packets);
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.flows_created = self.flows_created.saturating_add(o.flows_created);
        self.flows_active = self.flows_active.saturating_add(o.flows_active);
        self.flows_evicted = self.flows_evicted.saturating_add(o.flows_evicted);
        self.drops.merge(&o.drops);
        for (p, n) in &o.protocols {
            let e = self.protocols.entry(*p).or_insert(0);
            *e = e.saturating_add(*n);
        }
        self.reassembly_buffered_bytes = self
            .reassembly_buffered_bytes
            .saturating_add(o.reassembly_buffered_bytes);
        self.reassembly_gaps = self.reassembly_gaps.saturating_add(o.reassembly_gaps);
        self.reassembly_duplicate_bytes = self
            .reassembly_duplicate_bytes
            .saturating_add(o.reassembly_duplicate_bytes);
        self.reassembly_overlap_bytes = self
            .reassembly_overlap_bytes
            .saturating_add(o.reassembly_overlap_bytes);
        self.acked_bytes = self.acked_bytes.saturating_add(o.acked_bytes);
        self.missed_bytes = self.missed_bytes.saturating_add(o.missed_bytes);
        self.events = self.events.saturating_add(o.events);
        self.modbus.merge(&o.modbus);
        self.dnp3.merge(&o.dnp3);
        self.iec104.merge(&o.iec104);
        self.health.merge(&o.health);
    }
}
