//! The plain counters the pipeline hands to the exporter.
//!
//! The packet path never touches a Prometheus object (STYLE.md section 6): workers and the
//! detector keep plain `u64`s, and a periodic flush copies their running totals into one
//! [`MetricsSnapshot`], which [`crate::metrics::Metrics::update`] turns into metric values.
//! Every field is an absolute total since start (or a current level for gauges), never
//! a delta, so a missed or repeated flush loses nothing.

use mizuban_capture::DropCounters;
use mizuban_detect::Severity;
use mizuban_protocols::AppProtocol;
use std::collections::BTreeMap;
use std::time::Duration;

/// Upper bounds of the Modbus response-time histogram buckets, in seconds, declared once.
/// PLC answers on a LAN take about 1-50 ms; serial gateways and overloaded devices reach
/// seconds, and the usual client timeout is a few seconds.
pub const MODBUS_RESPONSE_BUCKETS_SECONDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Number of histogram counters: one per bound plus the `+Inf` overflow.
pub const MODBUS_RESPONSE_BUCKET_COUNT: usize = MODBUS_RESPONSE_BUCKETS_SECONDS.len() + 1;

/// A fixed-bucket latency histogram kept on the owning thread: per-bucket (not
/// cumulative) counts plus the sum, so two of them merge by addition.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyBuckets {
    /// `counts[i]` counts observations in `(bound[i-1], bound[i]]`; the last is `+Inf`.
    pub counts: [u64; MODBUS_RESPONSE_BUCKET_COUNT],
    pub sum_seconds: f64,
}

impl Default for LatencyBuckets {
    fn default() -> Self {
        LatencyBuckets {
            counts: [0; MODBUS_RESPONSE_BUCKET_COUNT],
            sum_seconds: 0.0,
        }
    }
}

impl LatencyBuckets {
    /// Records one observation.
    pub fn record(&mut self, d: Duration) {
        let secs = d.as_secs_f64();
        let idx = MODBUS_RESPONSE_BUCKETS_SECONDS
            .iter()
            .position(|bound| secs <= *bound)
            .unwrap_or(MODBUS_RESPONSE_BUCKETS_SECONDS.len());
        if let Some(c) = self.counts.get_mut(idx) {
            *c = c.saturating_add(1);
        }
        self.sum_seconds += secs;
    }

    pub fn merge(&mut self, other: &LatencyBuckets) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a = a.saturating_add(*b);
        }
        self.sum_seconds += other.sum_seconds;
    }

    /// Total number of observations.
    pub fn count(&self) -> u64 {
        self.counts
            .iter()
            .fold(0u64, |acc, c| acc.saturating_add(*c))
    }

    /// Converts an HDR histogram of microseconds into these buckets. Each HDR value
    /// range lands in the bucket of its highest equivalent value, so an observation is
    /// never placed below its true bucket.
    pub fn from_hdr_micros(h: &hdrhistogram::Histogram<u64>) -> LatencyBuckets {
        let mut out = LatencyBuckets::default();
        for v in h.iter_recorded() {
            let micros = h.highest_equivalent(v.value_iterated_to());
            let secs = Duration::from_micros(micros).as_secs_f64();
            let idx = MODBUS_RESPONSE_BUCKETS_SECONDS
                .iter()
                .position(|bound| secs <= *bound)
                .unwrap_or(MODBUS_RESPONSE_BUCKETS_SECONDS.len());
            let n = v.count_at_value();
            if let Some(c) = out.counts.get_mut(idx) {
                *c = c.saturating_add(n);
            }
            out.sum_seconds += secs * n as f64;
        }
        out
    }
}

/// Modbus activity, by function code as seen on the wire.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModbusCounters {
    /// Completed or attempted transactions by request function code (0-255).
    pub transactions: BTreeMap<u8, u64>,
    /// Exception responses by `(request function code, exception code)`.
    pub exceptions: BTreeMap<(u8, u8), u64>,
    /// Request-to-response time of matched transactions.
    pub response_time: LatencyBuckets,
}

/// DNP3 and IEC 104 counters (issue 11); keys are (protocol name, label).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TelecontrolCounters {
    /// DNP3 fragments by function name; IEC 104 APDUs by type name, `s_frame`, or U
    /// function name.
    pub pdus: BTreeMap<(&'static str, &'static str), u64>,
    pub parse_errors: BTreeMap<(&'static str, &'static str), u64>,
    /// DNP3 CRC failures by kind: `header`, `data`.
    pub dnp3_crc_errors: BTreeMap<&'static str, u64>,
    /// `transport` (DNP3), `send_gap` and `ack_out_of_window` (IEC 104).
    pub sequence_errors: BTreeMap<(&'static str, &'static str), u64>,
    /// Units left out: `object_headers`, `decoded_objects`, `information_objects`,
    /// `requests_over_cap`, `fragments_in_progress`, `resync_bytes`.
    pub dropped: BTreeMap<(&'static str, &'static str), u64>,
}

/// Packets and bytes read from one configured source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceCounters {
    /// The source's name from configuration: the interface name for live capture,
    /// `file` for replay. Never a value read off the wire.
    pub name: String,
    pub packets: u64,
    /// Bytes on the wire (original length), link layer included.
    pub bytes: u64,
}

/// A queue between pipeline stages, named by a bounded set.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QueueName {
    /// The capture thread's queue into worker N.
    Worker(u16),
    /// Workers into the detector.
    Detector,
    /// Detector into the output sinks.
    Sink,
}

impl QueueName {
    /// The `queue` label value: `worker_3`, `detector`, `sink`.
    pub fn label(self) -> String {
        match self {
            QueueName::Worker(n) => format!("worker_{n}"),
            QueueName::Detector => "detector".to_owned(),
            QueueName::Sink => "sink".to_owned(),
        }
    }
}

/// A queue's current depth and capacity, in batches.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct QueueDepth {
    pub queue: QueueName,
    pub depth: u64,
    pub capacity: u64,
}

/// The baseline's mode (see detect's baseline configuration).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BaselineMode {
    /// No baseline: the "new host / peer / writer" rules are off.
    #[default]
    Off,
    /// Learning what is normal; no "new X" alerts yet.
    Learning,
    /// Alerting on anything not in the learned baseline.
    Enforcing,
}

impl BaselineMode {
    pub const ALL: [BaselineMode; 3] = [
        BaselineMode::Off,
        BaselineMode::Learning,
        BaselineMode::Enforcing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BaselineMode::Off => "off",
            BaselineMode::Learning => "learning",
            BaselineMode::Enforcing => "enforcing",
        }
    }
}

/// Every alert severity, in order; a match keeps this list in step with the enum.
pub const SEVERITIES: [Severity; 5] = [
    Severity::Info,
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

/// Compile-time reminder: a new [`Severity`] variant must be added to [`SEVERITIES`].
const fn _severity_listed(s: Severity) -> usize {
    match s {
        Severity::Info => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

/// Everything the exporter shows, as running totals (counters) or current levels
/// (gauges). Fill it from the pipeline's plain counters; `Default` is "nothing yet".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricsSnapshot {
    /// Alert occurrences (findings, repeats included) by rule id and severity.
    pub alerts: BTreeMap<(&'static str, Severity), u64>,
    /// Hosts in the asset inventory.
    pub assets_known: u64,
    pub baseline_mode: BaselineMode,
    /// Control actions by (protocol, action, authorized) (detect's control policy).
    pub control_actions: BTreeMap<(AppProtocol, mizuban_protocols::facts::Action, bool), u64>,
    /// The closed-network verdict so far (`None` before the first assessment).
    pub verdict: Option<mizuban_detect::verdict::Verdict>,
    /// Learning progress, 0.0 to 1.0 (elapsed packet time over the learning period).
    pub baseline_learning_progress: f64,
    /// Everything dropped or left unparsed, by reason.
    /// Packets per encapsulation peeled (ERSPAN, GRE, VXLAN, PPPoE, QinQ, MPLS).
    pub encap: mizuban_capture::encap::EncapCounters,
    pub drops: DropCounters,
    /// Protocol events emitted, by application protocol.
    pub events: BTreeMap<AppProtocol, u64>,
    /// Alerts currently held by the alert store (distinct de-duplication keys), by rule.
    pub findings_active: BTreeMap<&'static str, u64>,
    pub flows_active: u64,
    pub flows_evicted: u64,
    /// Memory budget, evictions and capture health (issue 14).
    pub health: crate::metrics::health::HealthSnapshot,
    pub modbus: ModbusCounters,
    pub queues: Vec<QueueDepth>,
    /// Out-of-order TCP bytes currently held for reassembly.
    pub reassembly_buffered_bytes: u64,
    /// Holes in TCP streams (a range of bytes never seen).
    pub reassembly_gaps: u64,
    pub sources: Vec<SourceCounters>,
    /// Alerts the syslog output delivered (its losses are drops).
    pub syslog_sent: u64,
    pub telecontrol: TelecontrolCounters,
    /// TCP bytes acknowledged by a receiver, and the part of them never captured: their
    /// ratio is the capture loss (as Zeek's capture-loss script computes it).
    pub tcp_acked_bytes: u64,
    pub tcp_missed_bytes: u64,
    /// The protocols' own counters (`mizuban_<protocol>_*_total`), from
    /// `EngineStats::protocol_counters`.
    pub protocol_counters: Vec<mizuban_protocols::stats::CounterValue>,
}

impl MetricsSnapshot {
    /// A snapshot with a non-zero value in every family and label, so a render of it
    /// shows every series name the exporter can produce. For tests and documentation.
    pub fn every_family() -> MetricsSnapshot {
        let mut s = MetricsSnapshot {
            assets_known: 12,
            baseline_mode: BaselineMode::Learning,
            verdict: Some(mizuban_detect::verdict::Verdict::NotClosed),
            baseline_learning_progress: 0.25,
            flows_active: 40,
            flows_evicted: 2,
            reassembly_buffered_bytes: 1500,
            reassembly_gaps: 1,
            syslog_sent: 4,
            tcp_acked_bytes: 1_000_000,
            tcp_missed_bytes: 100,
            health: crate::metrics::health::HealthSnapshot {
                memory: mizuban_capture::budget::Table::ALL
                    .iter()
                    .map(|t| (*t, 1024))
                    .collect(),
                memory_limit: 256 << 20,
                evictions: crate::metrics::health::EVICTION_CLASSES
                    .iter()
                    .map(|c| (*c, 3))
                    .collect(),
                emergency_active: 1,
                one_sided_sessions: 2,
                tcp_sessions: 10,
                duplicate_frames: 4,
                unfollowable_flows: 1,
            },
            ..MetricsSnapshot::default()
        };
        s.alerts.insert(("internet_egress", Severity::High), 3);
        let t = &mut s.telecontrol;
        t.pdus.insert(("dnp3", "direct_operate"), 2);
        t.pdus.insert(("iec104", "c_sc_na_1"), 3);
        t.parse_errors.insert(("dnp3", "data_crc"), 1);
        t.dnp3_crc_errors.insert("header", 1);
        t.sequence_errors.insert(("iec104", "send_gap"), 1);
        t.dropped.insert(("dnp3", "object_headers"), 5);
        for (i, sev) in SEVERITIES.iter().enumerate() {
            s.alerts.insert(("new_host", *sev), i as u64 + 1);
        }
        s.drops.add(mizuban_capture::DropReason::Kernel, 7);
        s.control_actions.insert(
            (
                AppProtocol::Modbus,
                mizuban_protocols::facts::Action::Write,
                true,
            ),
            5,
        );
        s.events.insert(AppProtocol::Modbus, 100);
        s.events.insert(AppProtocol::Dns, 10);
        s.findings_active.insert("internet_egress", 1);
        s.modbus.transactions.insert(3, 90);
        s.modbus.transactions.insert(16, 10);
        s.modbus.exceptions.insert((3, 2), 4);
        s.modbus.response_time.record(Duration::from_millis(4));
        s.modbus.response_time.record(Duration::from_millis(40));
        s.queues.push(QueueDepth {
            queue: QueueName::Worker(0),
            depth: 3,
            capacity: 64,
        });
        s.queues.push(QueueDepth {
            queue: QueueName::Detector,
            depth: 1,
            capacity: 64,
        });
        s.sources.push(SourceCounters {
            name: "eth1".to_owned(),
            packets: 1000,
            bytes: 64_000,
        });
        for (i, d) in crate::metrics::protocol_counter_docs().enumerate() {
            s.protocol_counters
                .push(mizuban_protocols::stats::CounterValue {
                    name: d.name,
                    label: d.values.first().copied(),
                    value: i as u64 + 1,
                });
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_places_values_on_bucket_bounds_inclusively() {
        let mut b = LatencyBuckets::default();
        b.record(Duration::from_micros(500)); // exactly 0.0005 -> first bucket (le)
        b.record(Duration::from_micros(501)); // just above -> second
        b.record(Duration::from_secs(11)); // above the last bound -> +Inf
        assert_eq!(b.counts[0], 1);
        assert_eq!(b.counts[1], 1);
        assert_eq!(b.counts[MODBUS_RESPONSE_BUCKET_COUNT - 1], 1);
        assert_eq!(b.count(), 3);
        assert!((b.sum_seconds - 11.001001).abs() < 1e-9);
    }

    #[test]
    fn hdr_conversion_keeps_counts() {
        let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        h.record(2_000).unwrap(); // 2 ms -> le 0.0025
        h.record(2_000).unwrap();
        h.record(30_000).unwrap(); // 30 ms -> le 0.05
        let b = LatencyBuckets::from_hdr_micros(&h);
        assert_eq!(b.count(), 3);
        assert_eq!(b.counts[2], 2);
        assert_eq!(b.counts[6], 1);
    }

    #[test]
    fn queue_labels() {
        assert_eq!(QueueName::Worker(3).label(), "worker_3");
        assert_eq!(QueueName::Detector.label(), "detector");
    }

    #[test]
    fn severities_cover_the_enum() {
        for (i, s) in SEVERITIES.iter().enumerate() {
            assert_eq!(_severity_listed(*s), i);
        }
    }
}
