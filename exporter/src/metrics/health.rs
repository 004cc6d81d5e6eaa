//! Memory budget, evictions and capture-health metrics (issue 14): one group with its
//! own snapshot so the main [`super::Metrics`] only holds and updates it.

use super::{
    CAPTURE_DUPLICATES, CAPTURE_ONE_SIDED, CAPTURE_TCP_SESSIONS, CAPTURE_UNFOLLOWABLE,
    FLOW_EMERGENCY, FLOW_EVICTIONS, MEMORY_BYTES, MEMORY_LIMIT, opts, raise_to, register,
    set_gauge,
};
use mizuban_capture::budget::Table;
use prometheus::{IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Registry};

/// The eviction classes, as the engine names them (a closed set).
pub const EVICTION_CLASSES: [&str; 5] = [
    "one_sided",
    "handshake_less",
    "payload_less",
    "established",
    "emergency_timeout",
];

/// Plain values for the group, filled from the engine's and the detector's counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HealthSnapshot {
    /// Bytes accounted per table right now.
    pub memory: Vec<(Table, u64)>,
    pub memory_limit: u64,
    /// Evictions by class (see [`EVICTION_CLASSES`]).
    pub evictions: Vec<(&'static str, u64)>,
    /// Workers in emergency mode.
    pub emergency_active: u64,
    pub one_sided_sessions: u64,
    pub tcp_sessions: u64,
    pub duplicate_frames: u64,
    pub unfollowable_flows: u64,
}

pub(super) struct HealthMetrics {
    duplicates: IntCounter,
    emergency: IntGauge,
    evictions: Vec<(&'static str, IntCounter)>,
    memory: Vec<(Table, IntGauge)>,
    memory_limit: IntGauge,
    one_sided: IntGauge,
    tcp_sessions: IntGauge,
    unfollowable: IntCounter,
}

impl HealthMetrics {
    pub(super) fn register(reg: &Registry) -> prometheus::Result<HealthMetrics> {
        let mem = register(
            reg,
            IntGaugeVec::new(opts(&MEMORY_BYTES), MEMORY_BYTES.labels)?,
        )?;
        let ev = register(
            reg,
            IntCounterVec::new(opts(&FLOW_EVICTIONS), FLOW_EVICTIONS.labels)?,
        )?;
        Ok(HealthMetrics {
            duplicates: register(reg, IntCounter::with_opts(opts(&CAPTURE_DUPLICATES))?)?,
            emergency: register(reg, IntGauge::with_opts(opts(&FLOW_EMERGENCY))?)?,
            evictions: EVICTION_CLASSES
                .iter()
                .map(|c| (*c, ev.with_label_values(&[c])))
                .collect(),
            memory: Table::ALL
                .iter()
                .map(|t| (*t, mem.with_label_values(&[t.as_str()])))
                .collect(),
            memory_limit: register(reg, IntGauge::with_opts(opts(&MEMORY_LIMIT))?)?,
            one_sided: register(reg, IntGauge::with_opts(opts(&CAPTURE_ONE_SIDED))?)?,
            tcp_sessions: register(reg, IntGauge::with_opts(opts(&CAPTURE_TCP_SESSIONS))?)?,
            unfollowable: register(reg, IntCounter::with_opts(opts(&CAPTURE_UNFOLLOWABLE))?)?,
        })
    }

    pub(super) fn update(&self, s: &HealthSnapshot) {
        raise_to(&self.duplicates, s.duplicate_frames);
        set_gauge(&self.emergency, s.emergency_active);
        for (class, c) in &self.evictions {
            let n = s
                .evictions
                .iter()
                .find(|(k, _)| k == class)
                .map_or(0, |(_, n)| *n);
            raise_to(c, n);
        }
        for (t, g) in &self.memory {
            let n = s.memory.iter().find(|(k, _)| k == t).map_or(0, |(_, n)| *n);
            set_gauge(g, n);
        }
        set_gauge(&self.memory_limit, s.memory_limit);
        set_gauge(&self.one_sided, s.one_sided_sessions);
        set_gauge(&self.tcp_sessions, s.tcp_sessions);
        raise_to(&self.unfollowable, s.unfollowable_flows);
    }
}
