//! The counters of one engine, merged across workers for the summary and the exporter.

use crate::event::AppProtocol;
use crate::stats::{CounterValue, ExportStats, Merge, merged};
use mizuban_capture::DropCounters;
use std::collections::BTreeMap;

merged! {
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
}

/// Stats types that merge with a hand-written `merge` of their own (to move to
/// [`merged!`]: a new field there is merged only if someone remembers to).
macro_rules! merge_by_method {
    ($($t:ty),*) => {
        $(impl Merge for $t {
            fn merge(&mut self, other: &Self) {
                <$t>::merge(self, other);
            }
        })*
    };
}
merge_by_method!(
    crate::dnp3::Stats,
    crate::iec104::Stats,
    crate::flow::HealthStats
);

impl EngineStats {
    /// Adds another worker's counters (every field: see [`merged!`]).
    pub fn merge(&mut self, other: &EngineStats) {
        Merge::merge(self, other);
    }

    /// The values of every protocol's own counters (see `ProtocolSpec::counters`).
    /// One line per protocol that keeps stats.
    pub fn protocol_counters(&self) -> Vec<CounterValue> {
        let mut out = Vec::new();
        let with_stats: [&dyn ExportStats; 1] = [&self.modbus];
        for s in with_stats {
            s.export(&mut out);
        }
        out
    }
}
