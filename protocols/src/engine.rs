//! One worker's share of the packet path: flows, reassembly, identification, parsers.
//! STUB: to be implemented (issue 2, points 3-4; parsers in their issues).

use crate::event::{AppProtocol, Event};
use crate::flow::{FlowConfig, ReassemblyConfig};
use crate::modbus::ModbusConfig;
use mizuban_capture::defrag::DefragConfig;
use mizuban_capture::{DropCounters, PacketMeta, Timestamp};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The engine's sections of the config file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    pub flows: FlowConfig,
    pub reassembly: ReassemblyConfig,
    pub defrag: DefragConfig,
    pub modbus: ModbusConfig,
}

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
    /// Out-of-order bytes held right now.
    pub reassembly_buffered_bytes: u64,
    pub reassembly_gaps: u64,
    /// Bytes the peers acknowledged (denominator of the capture-loss estimate).
    pub acked_bytes: u64,
    /// Bytes acknowledged that the monitor never saw.
    pub missed_bytes: u64,
    pub events: u64,
    pub modbus: crate::modbus::Stats,
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
        self.acked_bytes = self.acked_bytes.saturating_add(o.acked_bytes);
        self.missed_bytes = self.missed_bytes.saturating_add(o.missed_bytes);
        self.events = self.events.saturating_add(o.events);
        self.modbus.merge(&o.modbus);
    }
}

pub struct Engine {
    stats: EngineStats,
}

impl Engine {
    /// `shards` is the worker count: table caps are split across them.
    pub fn new(_cfg: &EngineConfig, _shards: usize) -> Engine {
        Engine {
            stats: EngineStats::default(),
        }
    }

    /// Processes one packet; `frame` is the captured frame `meta.info` describes.
    pub fn process(&mut self, meta: &PacketMeta, _frame: &[u8], _out: &mut Vec<Event>) {
        self.stats.packets = self.stats.packets.saturating_add(1);
        self.stats.bytes = self.stats.bytes.saturating_add(u64::from(meta.wire_len));
    }

    /// Packet time advanced to `now` (sent to every worker at the same point of the run,
    /// with sequence number `seq`): expire idle flows, fragments and transactions.
    pub fn tick(&mut self, _now: Timestamp, _seq: u64, _out: &mut Vec<Event>) {}

    /// End of input: flush every flow and pending transaction.
    pub fn finish(&mut self, _now: Timestamp, _seq: u64, _out: &mut Vec<Event>) {}

    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }
}
