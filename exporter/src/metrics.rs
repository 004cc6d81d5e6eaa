//! All metrics, registered in one place (STYLE.md section 6).
//!
//! One [`Metrics`] struct, fields in alphabetical order, built by [`Metrics::register`]
//! into a caller's registry: no global registry, no lazy statics. The packet path never
//! sees it: [`Metrics::update`] copies a [`MetricsSnapshot`] of plain totals in.
//!
//! Label values come only from closed sets: [`DropReason`], [`AppProtocol`],
//! [`Severity`], rule ids (`&'static str` constants in detect), Modbus codes (one byte),
//! queue and source names from configuration. Each labelled family also has a named cap
//! on its series count; keys past the cap are summed into one `other` series, so even a
//! hostile sender of every Modbus function code cannot grow the scrape without bound.

pub mod health;

use crate::histogram::FixedHistogram;
use crate::snapshot::{BaselineMode, MetricsSnapshot, QueueName};
use mizuban_capture::DropReason;
use mizuban_capture::encap::EncapKind;
use mizuban_detect::Severity;
use mizuban_detect::verdict::Verdict;
use mizuban_protocols::AppProtocol;
use mizuban_protocols::stats::CounterDoc;
use prometheus::{
    Gauge, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, core::Collector,
};
use std::collections::BTreeMap;

/// Series cap for alerts by (rule, severity). Rules are a fixed set of a few dozen.
pub const MAX_ALERT_SERIES: usize = 64;
/// Series cap for active findings by rule.
pub const MAX_FINDING_SERIES: usize = 64;
/// Series cap for events by protocol (the enum has about 30 variants).
pub const MAX_EVENT_SERIES: usize = 64;
/// Series cap for Modbus transactions by function code (public codes are 1-127; user
/// and vendor codes are few on a real plant).
pub const MAX_MODBUS_FUNCTION_SERIES: usize = 64;
/// Series cap for Modbus exceptions by (function, code).
pub const MAX_MODBUS_EXCEPTION_SERIES: usize = 64;
/// Series cap for control actions by (protocol, action, authorized): the 7 control
/// protocols x 11 action classes x 2.
pub const MAX_CONTROL_ACTION_SERIES: usize = 154;
/// Series cap for the telecontrol families: DNP3 has 37 function names, IEC 104 about
/// 75 type names and 7 S/U labels.
pub const MAX_TELECONTROL_SERIES: usize = 160;
/// Series cap for capture sources (configured interfaces).
pub const MAX_SOURCE_SERIES: usize = 16;
/// Series cap for queues (worker queues plus detector and sink).
pub const MAX_QUEUE_SERIES: usize = 130;

/// The label value standing for every key past a family's series cap.
pub const OVERFLOW_LABEL: &str = "other";

/// The Prometheus type of a metric, as written in `# TYPE`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
    Histogram,
}

impl MetricKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
        }
    }
}

/// One metric's name, type, labels and help: the single source for registration and
/// for the documented metric list (`exporter/METRICS.md`).
#[derive(Copy, Clone, Debug)]
pub struct MetricDoc {
    pub name: &'static str,
    pub kind: MetricKind,
    pub labels: &'static [&'static str],
    pub help: &'static str,
}

macro_rules! docs {
    ($($id:ident: $name:literal, $kind:ident, [$($label:literal),*], $help:literal;)*) => {
        $(const $id: MetricDoc = MetricDoc {
            name: $name,
            kind: MetricKind::$kind,
            labels: &[$($label),*],
            help: $help,
        };)*
        /// Every metric this crate registers, sorted by name (process metrics aside).
        pub const METRIC_DOCS: &[MetricDoc] = &[$($id),*];
    };
}

docs! {
    ALERTS: "mizuban_alerts_total", Counter, ["rule", "severity"],
        "Alert occurrences by rule and severity; repeats of an existing alert count too.";
    ASSETS_KNOWN: "mizuban_assets_known", Gauge, [],
        "Hosts in the asset inventory.";
    BASELINE_PROGRESS: "mizuban_baseline_learning_progress_ratio", Gauge, [],
        "Baseline learning progress, 0 to 1, in packet time.";
    BASELINE_MODE: "mizuban_baseline_mode", Gauge, ["mode"],
        "Baseline mode: 1 for the current mode (off, learning, enforcing), 0 for the others.";
    BUILD_INFO: "mizuban_build_info", Gauge, ["version"],
        "Always 1; the version label names the running build.";
    CAPTURE_BYTES: "mizuban_capture_bytes_total", Counter, ["source"],
        "Bytes read from a capture source (wire length, link layer included).";
    CAPTURE_DUPLICATES: "mizuban_capture_duplicate_frames_total", Counter, [],
        "Frames that repeat the one just before in their flow within 1 ms: the same packet mirrored twice.";
    CAPTURE_ONE_SIDED: "mizuban_capture_one_sided_flows", Gauge, [],
        "TCP sessions (3 packets or more) ended so far that were seen in one direction only (a SPAN port copying one direction).";
    CAPTURE_PACKETS: "mizuban_capture_packets_total", Counter, ["source"],
        "Packets read from a capture source.";
    CAPTURE_TCP_SESSIONS: "mizuban_capture_tcp_sessions", Gauge, [],
        "TCP sessions (3 packets or more) ended so far: the denominator of the one-sided ratio.";
    CAPTURE_UNFOLLOWABLE: "mizuban_capture_unfollowable_flows_total", Counter, [],
        "TCP flows whose sequence numbers lay far outside their window (random, forged or garbled): not reassembled, not counted as capture loss.";
    VERDICT: "mizuban_closed_network_verdict", Gauge, ["verdict"],
        "Closed-network verdict so far: 1 for the current one (closed, not_closed, undetermined), 0 for the others.";
    CONTROL_ACTIONS: "mizuban_control_actions_total", Counter, ["protocol", "action", "authorized"],
        "Control actions (writes, operates, program transfers, mode changes, restarts...) by protocol, action class and whether the control policy allowed the client.";
    DECAPSULATED: "mizuban_decapsulated_packets_total", Counter, ["encapsulation"],
        "Packets that reached the monitor inside an encapsulation (erspan_i, erspan_ii, erspan_iii, gre, vxlan, pppoe, qinq, mpls), by kind; the inner packet is what is analysed.";
    DNP3_CRC_ERRORS: "mizuban_dnp3_crc_errors_total", Counter, ["kind"],
        "DNP3 link frames whose header CRC (kind header) or a user-data block CRC (kind data) failed.";
    DROPS: "mizuban_drops_total", Counter, ["reason"],
        "Packets, bytes or units dropped or left unparsed, by reason.";
    EVENTS: "mizuban_events_total", Counter, ["protocol"],
        "Protocol events emitted, by application protocol.";
    FINDINGS_ACTIVE: "mizuban_findings_active", Gauge, ["rule"],
        "Alerts currently held by the alert store (distinct de-duplication keys), by rule.";
    FLOW_EMERGENCY: "mizuban_flow_emergency_active", Gauge, [],
        "Workers whose flow table is in emergency mode (at 90 % of its memory share): cheap flows get short timeouts.";
    FLOW_EVICTIONS: "mizuban_flow_evictions_total", Counter, ["class"],
        "Flows evicted to stay within the memory budget, by class, least valuable first (one_sided, handshake_less, payload_less, established; emergency_timeout for early expiry).";
    FLOWS_ACTIVE: "mizuban_flows_active", Gauge, [],
        "Flows currently in the flow tables.";
    FLOWS_EVICTED: "mizuban_flows_evicted_total", Counter, [],
        "Flows evicted from a full flow table before they ended.";
    MEMORY_BYTES: "mizuban_memory_bytes", Gauge, ["table"],
        "Bytes each table accounts against its share of the memory budget (flows, reassembly, defrag, detector, queues).";
    MEMORY_LIMIT: "mizuban_memory_limit_bytes", Gauge, [],
        "The process's memory budget ([limits] memory).";
    MODBUS_EXCEPTIONS: "mizuban_modbus_exceptions_total", Counter, ["function", "code"],
        "Modbus exception responses by request function code and exception code.";
    MODBUS_RESPONSE_TIME: "mizuban_modbus_response_time_seconds", Histogram, [],
        "Time from a Modbus request to its response, in packet time.";
    MODBUS_TRANSACTIONS: "mizuban_modbus_transactions_total", Counter, ["function"],
        "Modbus transactions by request function code.";
    QUEUE_CAPACITY: "mizuban_queue_capacity", Gauge, ["queue"],
        "Capacity of a pipeline queue, in batches.";
    QUEUE_DEPTH: "mizuban_queue_depth", Gauge, ["queue"],
        "Batches waiting in a pipeline queue when last sampled.";
    REASSEMBLY_BUFFERED: "mizuban_reassembly_buffered_bytes", Gauge, [],
        "Out-of-order TCP bytes held for reassembly.";
    REASSEMBLY_GAPS: "mizuban_reassembly_gaps_total", Counter, [],
        "Holes in TCP streams: byte ranges never captured.";
    SYSLOG_SENT: "mizuban_syslog_sent_total", Counter, [],
        "Alerts handed to the syslog receiver (UDP datagrams sent, TCP frames written).";
    TCP_ACKED: "mizuban_tcp_acked_bytes_total", Counter, [],
        "TCP bytes acknowledged by receivers (denominator of capture loss).";
    TCP_MISSED: "mizuban_tcp_missed_bytes_total", Counter, [],
        "TCP bytes acknowledged but never captured (numerator of capture loss).";
    TELECONTROL_DROPPED: "mizuban_telecontrol_dropped_total", Counter, ["protocol", "what"],
        "DNP3 and IEC 104 units left out over a cap or skipped, by protocol and what (object headers, decoded objects, requests over the per-flow cap, fragments in progress, resync bytes).";
    TELECONTROL_PARSE_ERRORS: "mizuban_telecontrol_parse_errors_total", Counter, ["protocol", "error"],
        "DNP3 and IEC 104 parse errors by protocol and reason.";
    TELECONTROL_PDUS: "mizuban_telecontrol_pdus_total", Counter, ["protocol", "pdu"],
        "DNP3 application fragments by function and IEC 104 APDUs by type identification (S frames as s_frame, U frames by function).";
    TELECONTROL_SEQUENCE_ERRORS: "mizuban_telecontrol_sequence_errors_total", Counter, ["protocol", "kind"],
        "Sequence errors: DNP3 transport segments out of sequence; IEC 104 send sequence gaps and acknowledgements of frames never sent.";
}

/// Series cap for each protocol's labelled counter family (labels are closed enums of a
/// few dozen values at most).
pub const MAX_PROTOCOL_COUNTER_SERIES: usize = 64;

/// The counters protocols export through the generic path (see
/// `mizuban_protocols::stats`), documented by their registry specs.
pub fn protocol_counter_docs() -> impl Iterator<Item = &'static CounterDoc> {
    mizuban_protocols::PROTOCOLS
        .iter()
        .flat_map(|s| s.counters.iter())
}

fn protocol_metric_docs() -> impl Iterator<Item = MetricDoc> {
    protocol_counter_docs().map(|c| MetricDoc {
        name: c.name,
        kind: MetricKind::Counter,
        labels: c.labels,
        help: c.help,
    })
}

/// Every metric registered: [`METRIC_DOCS`] and the protocols' own, sorted by name.
pub fn all_metric_docs() -> Vec<MetricDoc> {
    let mut v: Vec<MetricDoc> = METRIC_DOCS
        .iter()
        .copied()
        .chain(protocol_metric_docs())
        .collect();
    v.sort_by_key(|d| d.name);
    v
}

/// The documented metric list as `(name, type, help)`.
pub fn metric_docs() -> Vec<(&'static str, &'static str, &'static str)> {
    all_metric_docs()
        .iter()
        .map(|d| (d.name, d.kind.as_str(), d.help))
        .collect()
}

/// Renders the metric list as the Markdown committed in `exporter/METRICS.md` (and
/// pasted into the README).
pub fn metric_docs_markdown() -> String {
    let mut s = String::from(
        "<!-- Generated by `UPDATE_METRICS_DOC=1 cargo test -p mizuban-exporter metrics_doc`; do not edit. -->\n\n\
         | Metric | Type | Labels | Description |\n\
         | --- | --- | --- | --- |\n",
    );
    for d in all_metric_docs() {
        let labels = d
            .labels
            .iter()
            .map(|l| format!("`{l}`"))
            .collect::<Vec<_>>()
            .join(", ");
        s.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            d.name,
            d.kind.as_str(),
            labels,
            d.help
        ));
    }
    s.push_str(
        "\nOn Linux the standard `process_*` metrics (CPU seconds, resident memory, open file \
         descriptors, start time) are exported too. Histograms add `_bucket`, `_sum` and \
         `_count` series.\n",
    );
    s
}

fn opts(d: &MetricDoc) -> Opts {
    Opts::new(d.name, d.help)
}

fn register<C: Collector + Clone + 'static>(reg: &Registry, c: C) -> prometheus::Result<C> {
    reg.register(Box::new(c.clone()))?;
    Ok(c)
}

/// Raises a counter to `total`. Prometheus counters never go down, so a smaller total
/// (a restarted pipeline counter) leaves the counter where it is.
fn raise_to(c: &IntCounter, total: u64) {
    let cur = c.get();
    if total > cur {
        c.inc_by(total - cur);
    }
}

/// A labelled counter family with handles resolved once per key and a series cap.
struct CounterFamily<K> {
    vec: IntCounterVec,
    handles: BTreeMap<K, IntCounter>,
    overflow: Option<IntCounter>,
    cap: usize,
}

impl<K: Ord + Clone> CounterFamily<K> {
    fn new(reg: &Registry, d: &MetricDoc, cap: usize) -> prometheus::Result<Self> {
        let vec = register(reg, IntCounterVec::new(opts(d), d.labels)?)?;
        Ok(CounterFamily {
            vec,
            handles: BTreeMap::new(),
            overflow: None,
            cap,
        })
    }

    /// Creates the series for `key` (at zero) if there is room, so `rate()` and
    /// `increase()` see its first rise.
    fn declare(&mut self, key: &K, labels: &[&str]) -> Option<&IntCounter> {
        if !self.handles.contains_key(key) && self.handles.len() < self.cap {
            let h = self.vec.with_label_values(labels);
            self.handles.insert(key.clone(), h);
        }
        self.handles.get(key)
    }

    /// Sets every key's running total. Keys past the cap are summed into the overflow
    /// series; the overflowed key set only grows, so that sum only grows too.
    fn update<I, L>(&mut self, items: I, labels: L)
    where
        I: IntoIterator<Item = (K, u64)>,
        L: Fn(&K) -> Vec<String>,
    {
        let mut overflow_total: Option<u64> = None;
        for (key, total) in items {
            let l = labels(&key);
            let refs: Vec<&str> = l.iter().map(String::as_str).collect();
            match self.declare(&key, &refs) {
                Some(h) => raise_to(h, total),
                None => overflow_total = Some(overflow_total.unwrap_or(0).saturating_add(total)),
            }
        }
        if let Some(total) = overflow_total {
            let n = self
                .vec
                .desc()
                .first()
                .map_or(1, |d| d.variable_labels.len());
            let vec = &self.vec;
            let h = self
                .overflow
                .get_or_insert_with(|| vec.with_label_values(&vec![OVERFLOW_LABEL; n]));
            raise_to(h, total);
        }
    }
}

/// A labelled gauge family: keys absent from a snapshot are set to zero.
struct GaugeFamily<K> {
    vec: IntGaugeVec,
    handles: BTreeMap<K, IntGauge>,
    cap: usize,
}

impl<K: Ord + Clone> GaugeFamily<K> {
    fn new(reg: &Registry, d: &MetricDoc, cap: usize) -> prometheus::Result<Self> {
        let vec = register(reg, IntGaugeVec::new(opts(d), d.labels)?)?;
        Ok(GaugeFamily {
            vec,
            handles: BTreeMap::new(),
            cap,
        })
    }

    /// Sets current levels. Keys past the cap are summed into an `other` series.
    fn update<I, L>(&mut self, items: I, label: L)
    where
        I: IntoIterator<Item = (K, u64)>,
        L: Fn(&K) -> String,
    {
        let mut seen = BTreeMap::new();
        let mut overflow: u64 = 0;
        for (key, value) in items {
            if !self.handles.contains_key(&key) && self.handles.len() < self.cap {
                let h = self.vec.with_label_values(&[label(&key).as_str()]);
                self.handles.insert(key.clone(), h);
            }
            if self.handles.contains_key(&key) {
                let v: &mut u64 = seen.entry(key).or_insert(0);
                *v = v.saturating_add(value);
            } else {
                overflow = overflow.saturating_add(value);
            }
        }
        for (key, h) in &self.handles {
            let v = seen.get(key).copied().unwrap_or(0);
            h.set(i64::try_from(v).unwrap_or(i64::MAX));
        }
        if overflow > 0 || self.handles.len() >= self.cap {
            self.vec
                .with_label_values(&[OVERFLOW_LABEL])
                .set(i64::try_from(overflow).unwrap_or(i64::MAX));
        }
    }
}

fn set_gauge(g: &IntGauge, v: u64) {
    g.set(i64::try_from(v).unwrap_or(i64::MAX));
}

/// Every mizuban metric, registered into one registry. Fields in alphabetical order.
pub struct Metrics {
    alerts: CounterFamily<(&'static str, Severity)>,
    assets_known: IntGauge,
    baseline_learning_progress: Gauge,
    baseline_mode: Vec<(BaselineMode, IntGauge)>,
    /// Set once at registration; kept so the struct names every metric it owns.
    #[allow(dead_code)]
    build_info: IntGaugeVec,
    capture_bytes: CounterFamily<String>,
    capture_packets: CounterFamily<String>,
    closed_network_verdict: Vec<(Verdict, IntGauge)>,
    dnp3_crc_errors: CounterFamily<&'static str>,
    control_actions: CounterFamily<(AppProtocol, mizuban_protocols::facts::Action, bool)>,
    decapsulated: Vec<(EncapKind, IntCounter)>,
    drops: Vec<(DropReason, IntCounter)>,
    events: CounterFamily<AppProtocol>,
    findings_active: GaugeFamily<&'static str>,
    flows_active: IntGauge,
    flows_evicted: IntCounter,
    health: health::HealthMetrics,
    modbus_exceptions: CounterFamily<(u8, u8)>,
    modbus_response_time: FixedHistogram,
    modbus_transactions: CounterFamily<u8>,
    queue_capacity: GaugeFamily<QueueName>,
    queue_depth: GaugeFamily<QueueName>,
    reassembly_buffered_bytes: IntGauge,
    reassembly_gaps: IntCounter,
    syslog_sent: IntCounter,
    telecontrol_dropped: CounterFamily<(&'static str, &'static str)>,
    telecontrol_parse_errors: CounterFamily<(&'static str, &'static str)>,
    telecontrol_pdus: CounterFamily<(&'static str, &'static str)>,
    telecontrol_sequence_errors: CounterFamily<(&'static str, &'static str)>,
    tcp_acked_bytes: IntCounter,
    tcp_missed_bytes: IntCounter,
    /// The protocols' own counter families, by metric name (one generic path for all).
    protocol_counters: BTreeMap<&'static str, CounterFamily<Option<&'static str>>>,
}

impl Metrics {
    /// Registers every metric in `reg` (plus the process collector on Linux). Fails if a
    /// name is already registered there.
    pub fn register(reg: &Registry) -> Result<Metrics, prometheus::Error> {
        let build_info = register(reg, IntGaugeVec::new(opts(&BUILD_INFO), BUILD_INFO.labels)?)?;
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);

        let baseline_vec = register(
            reg,
            IntGaugeVec::new(opts(&BASELINE_MODE), BASELINE_MODE.labels)?,
        )?;
        let baseline_mode = BaselineMode::ALL
            .iter()
            .map(|m| (*m, baseline_vec.with_label_values(&[m.as_str()])))
            .collect();

        let verdict_vec = register(reg, IntGaugeVec::new(opts(&VERDICT), VERDICT.labels)?)?;
        let closed_network_verdict = [Verdict::Closed, Verdict::NotClosed, Verdict::Undetermined]
            .iter()
            .map(|v| (*v, verdict_vec.with_label_values(&[v.as_str()])))
            .collect();

        let drops_vec = register(reg, IntCounterVec::new(opts(&DROPS), DROPS.labels)?)?;
        // Every reason exists from the start at 0, so rules see the first drop as a rise.
        let drops = DropReason::ALL
            .iter()
            .map(|r| (*r, drops_vec.with_label_values(&[r.as_str()])))
            .collect();

        let decap_vec = register(
            reg,
            IntCounterVec::new(opts(&DECAPSULATED), DECAPSULATED.labels)?,
        )?;
        let decapsulated = EncapKind::ALL
            .iter()
            .map(|k| (*k, decap_vec.with_label_values(&[k.as_str()])))
            .collect();

        #[cfg(target_os = "linux")]
        reg.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;

        let mut protocol_counters = BTreeMap::new();
        for (c, d) in protocol_counter_docs().zip(protocol_metric_docs()) {
            let mut family = CounterFamily::new(reg, &d, MAX_PROTOCOL_COUNTER_SERIES)?;
            // Every series exists from the start at 0, like the drop reasons, so rules
            // see the first one as a rise.
            if c.values.is_empty() {
                family.declare(&None, &[]);
            }
            for v in c.values {
                family.declare(&Some(*v), &[v]);
            }
            protocol_counters.insert(d.name, family);
        }

        let metrics = Metrics {
            alerts: CounterFamily::new(reg, &ALERTS, MAX_ALERT_SERIES)?,
            assets_known: register(reg, IntGauge::with_opts(opts(&ASSETS_KNOWN))?)?,
            baseline_learning_progress: register(reg, Gauge::with_opts(opts(&BASELINE_PROGRESS))?)?,
            baseline_mode,
            build_info,
            capture_bytes: CounterFamily::new(reg, &CAPTURE_BYTES, MAX_SOURCE_SERIES)?,
            closed_network_verdict,
            dnp3_crc_errors: CounterFamily::new(reg, &DNP3_CRC_ERRORS, 2)?,
            control_actions: CounterFamily::new(reg, &CONTROL_ACTIONS, MAX_CONTROL_ACTION_SERIES)?,
            capture_packets: CounterFamily::new(reg, &CAPTURE_PACKETS, MAX_SOURCE_SERIES)?,
            decapsulated,
            drops,
            events: CounterFamily::new(reg, &EVENTS, MAX_EVENT_SERIES)?,
            findings_active: GaugeFamily::new(reg, &FINDINGS_ACTIVE, MAX_FINDING_SERIES)?,
            flows_active: register(reg, IntGauge::with_opts(opts(&FLOWS_ACTIVE))?)?,
            flows_evicted: register(reg, IntCounter::with_opts(opts(&FLOWS_EVICTED))?)?,
            health: health::HealthMetrics::register(reg)?,
            modbus_exceptions: CounterFamily::new(
                reg,
                &MODBUS_EXCEPTIONS,
                MAX_MODBUS_EXCEPTION_SERIES,
            )?,
            modbus_response_time: register(
                reg,
                FixedHistogram::new(MODBUS_RESPONSE_TIME.name, MODBUS_RESPONSE_TIME.help)?,
            )?,
            modbus_transactions: CounterFamily::new(
                reg,
                &MODBUS_TRANSACTIONS,
                MAX_MODBUS_FUNCTION_SERIES,
            )?,
            queue_capacity: GaugeFamily::new(reg, &QUEUE_CAPACITY, MAX_QUEUE_SERIES)?,
            queue_depth: GaugeFamily::new(reg, &QUEUE_DEPTH, MAX_QUEUE_SERIES)?,
            reassembly_buffered_bytes: register(
                reg,
                IntGauge::with_opts(opts(&REASSEMBLY_BUFFERED))?,
            )?,
            reassembly_gaps: register(reg, IntCounter::with_opts(opts(&REASSEMBLY_GAPS))?)?,
            syslog_sent: register(reg, IntCounter::with_opts(opts(&SYSLOG_SENT))?)?,
            telecontrol_dropped: CounterFamily::new(
                reg,
                &TELECONTROL_DROPPED,
                MAX_TELECONTROL_SERIES,
            )?,
            telecontrol_parse_errors: CounterFamily::new(
                reg,
                &TELECONTROL_PARSE_ERRORS,
                MAX_TELECONTROL_SERIES,
            )?,
            telecontrol_pdus: CounterFamily::new(reg, &TELECONTROL_PDUS, MAX_TELECONTROL_SERIES)?,
            telecontrol_sequence_errors: CounterFamily::new(
                reg,
                &TELECONTROL_SEQUENCE_ERRORS,
                MAX_TELECONTROL_SERIES,
            )?,
            tcp_acked_bytes: register(reg, IntCounter::with_opts(opts(&TCP_ACKED))?)?,
            tcp_missed_bytes: register(reg, IntCounter::with_opts(opts(&TCP_MISSED))?)?,
            protocol_counters,
        };
        metrics.baseline_mode_set(BaselineMode::default());
        Ok(metrics)
    }

    /// Creates the alert series of every known rule at zero, so that the first alert
    /// of a rule is a rise Prometheus' `increase()` can see. Call once at startup with
    /// detect's rule list.
    pub fn declare_alert_rules(&mut self, rules: &[(&'static str, Severity)]) {
        for (rule, sev) in rules {
            self.alerts.declare(&(*rule, *sev), &[rule, sev.as_str()]);
        }
    }

    /// Creates the unauthorized series (`authorized="false"`) of every control
    /// protocol and action at zero, so the first unauthorized action is a rise
    /// `increase()` sees.
    pub fn declare_control_actions(&mut self, protocols: &[AppProtocol]) {
        for p in protocols {
            for a in mizuban_protocols::facts::Action::ALL {
                self.control_actions
                    .declare(&(*p, a, false), &[p.as_str(), a.as_str(), "false"]);
            }
        }
    }

    fn baseline_mode_set(&self, mode: BaselineMode) {
        for (m, g) in &self.baseline_mode {
            g.set(i64::from(*m == mode));
        }
    }

    /// Copies a snapshot in: counters rise to the snapshot's totals (never fall),
    /// gauges take its levels.
    pub fn update(&mut self, s: &MetricsSnapshot) {
        self.alerts
            .update(s.alerts.iter().map(|(k, v)| (*k, *v)), |(rule, sev)| {
                vec![(*rule).to_owned(), sev.as_str().to_owned()]
            });
        set_gauge(&self.assets_known, s.assets_known);
        self.baseline_learning_progress
            .set(s.baseline_learning_progress.clamp(0.0, 1.0));
        self.baseline_mode_set(s.baseline_mode);
        for (v, g) in &self.closed_network_verdict {
            g.set(i64::from(s.verdict == Some(*v)));
        }
        self.capture_bytes.update(
            s.sources.iter().map(|src| (src.name.clone(), src.bytes)),
            |name| vec![name.clone()],
        );
        self.capture_packets.update(
            s.sources.iter().map(|src| (src.name.clone(), src.packets)),
            |name| vec![name.clone()],
        );
        self.control_actions.update(
            s.control_actions.iter().map(|(k, v)| (*k, *v)),
            |(p, a, ok)| vec![p.as_str().to_owned(), a.as_str().to_owned(), ok.to_string()],
        );
        for (kind, c) in &self.decapsulated {
            raise_to(c, s.encap.get(*kind));
        }
        for (reason, c) in &self.drops {
            raise_to(c, s.drops.get(*reason));
        }
        self.events
            .update(s.events.iter().map(|(k, v)| (*k, *v)), |p| {
                vec![p.as_str().to_owned()]
            });
        self.findings_active
            .update(s.findings_active.iter().map(|(k, v)| (*k, *v)), |rule| {
                (*rule).to_owned()
            });
        let t = &s.telecontrol;
        self.dnp3_crc_errors
            .update(t.dnp3_crc_errors.iter().map(|(k, v)| (*k, *v)), |k| {
                vec![(*k).to_owned()]
            });
        let pair = |(a, b): &(&'static str, &'static str)| vec![(*a).to_owned(), (*b).to_owned()];
        self.telecontrol_dropped
            .update(t.dropped.iter().map(|(k, v)| (*k, *v)), pair);
        self.telecontrol_parse_errors
            .update(t.parse_errors.iter().map(|(k, v)| (*k, *v)), pair);
        self.telecontrol_pdus
            .update(t.pdus.iter().map(|(k, v)| (*k, *v)), pair);
        self.telecontrol_sequence_errors
            .update(t.sequence_errors.iter().map(|(k, v)| (*k, *v)), pair);
        set_gauge(&self.flows_active, s.flows_active);
        raise_to(&self.flows_evicted, s.flows_evicted);
        self.health.update(&s.health);
        self.modbus_exceptions.update(
            s.modbus.exceptions.iter().map(|(k, v)| (*k, *v)),
            |(f, c)| vec![f.to_string(), c.to_string()],
        );
        self.modbus_response_time.set(&s.modbus.response_time);
        self.modbus_transactions
            .update(s.modbus.transactions.iter().map(|(k, v)| (*k, *v)), |f| {
                vec![f.to_string()]
            });
        self.queue_capacity
            .update(s.queues.iter().map(|q| (q.queue, q.capacity)), |q| {
                q.label()
            });
        self.queue_depth
            .update(s.queues.iter().map(|q| (q.queue, q.depth)), |q| q.label());
        set_gauge(&self.reassembly_buffered_bytes, s.reassembly_buffered_bytes);
        raise_to(&self.reassembly_gaps, s.reassembly_gaps);
        raise_to(&self.syslog_sent, s.syslog_sent);
        raise_to(&self.tcp_acked_bytes, s.tcp_acked_bytes);
        raise_to(&self.tcp_missed_bytes, s.tcp_missed_bytes);
        for (name, family) in &mut self.protocol_counters {
            let values = s.protocol_counters.iter().filter(|c| c.name == *name);
            family.update(values.map(|c| (c.label, c.value)), |label| {
                label.iter().map(|l| (*l).to_owned()).collect()
            });
        }
    }
}
