//! The engine's view of the capture and of its memory, as the detector's verdict and the
//! summary need it (issue 14).

use mizuban_capture::budget::{MemoryBudget, MemoryUse, Table};
use mizuban_detect::verdict::CaptureHealth;
use mizuban_exporter::metrics::health::HealthSnapshot;
use mizuban_protocols::EngineStats;
use mizuban_protocols::flow::EvictClass;
use std::collections::BTreeMap;

/// The verdict's capture-health input from the workers' merged counters.
pub fn capture_health(e: &EngineStats) -> CaptureHealth {
    let h = &e.health;
    CaptureHealth {
        tcp_sessions: h.tcp_sessions,
        one_sided_sessions: h.one_sided_sessions,
        tcp_payload_bytes: h.tcp_payload_bytes,
        unfollowable_bytes: h.out_of_window_bytes,
        unfollowable_flows: h.unfollowable_flows,
        duplicate_frames: h.duplicate_frames,
    }
}

/// Flows evicted by class, and expired early in emergency mode, for the summary.
pub fn evictions(e: &EngineStats) -> BTreeMap<&'static str, u64> {
    let h = &e.health;
    let mut m: BTreeMap<&'static str, u64> = EvictClass::ALL
        .iter()
        .map(|c| (c.as_str(), h.evicted_of(*c)))
        .collect();
    m.insert("emergency_timeout", h.emergency_expired);
    m
}

/// Peak bytes accounted per table, with the budget, for the summary.
#[derive(Clone, Debug, Default)]
pub struct MemorySummary {
    pub limit: u64,
    pub peak: MemoryUse,
}

impl MemorySummary {
    pub fn new(budget: MemoryBudget, e: &EngineStats, detector_bytes: u64) -> MemorySummary {
        let mut peak = e.health.memory_peak;
        peak.set(Table::Detector, detector_bytes);
        MemorySummary {
            limit: budget.total,
            peak,
        }
    }

    /// "memory (peak accounted / share, MiB): flows 12.0/115.2 ...; budget 256 MiB".
    pub fn render(&self) -> String {
        let budget = MemoryBudget { total: self.limit };
        let mib = |b: u64| b as f64 / f64::from(1u32 << 20);
        let parts: Vec<String> = self
            .peak
            .iter()
            .map(|(t, b)| format!("{} {:.1}/{:.1}", t.as_str(), mib(b), mib(budget.share(t))))
            .collect();
        format!(
            "memory (peak accounted / share, MiB): {}; budget {:.0} MiB",
            parts.join(" "),
            mib(self.limit)
        )
    }
}

/// The exporter's memory, eviction and capture-health values.
pub fn metrics(e: &EngineStats, limit: u64, detector_bytes: u64) -> HealthSnapshot {
    let h = &e.health;
    let mut memory = h.memory;
    memory.set(Table::Detector, detector_bytes);
    HealthSnapshot {
        memory: memory.iter().collect(),
        memory_limit: limit,
        evictions: evictions(e).into_iter().collect(),
        emergency_active: h.emergency_active,
        one_sided_sessions: h.one_sided_sessions,
        tcp_sessions: h.tcp_sessions,
        duplicate_frames: h.duplicate_frames,
        unfollowable_flows: h.unfollowable_flows,
    }
}
