//! Registration, snapshot updates and the rendered scrape.

use mizuban_capture::DropReason;
use mizuban_detect::Severity;
use mizuban_exporter::metrics::{
    MAX_MODBUS_EXCEPTION_SERIES, MAX_MODBUS_FUNCTION_SERIES, MetricKind, all_metric_docs,
    metric_docs_markdown, protocol_counter_docs,
};
use mizuban_exporter::snapshot::{BaselineMode, SEVERITIES};
use mizuban_exporter::{Metrics, MetricsSnapshot, metric_docs};
use prometheus::{Encoder, Registry, TextEncoder};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};

/// One sample line of the text format.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn render(reg: &Registry) -> String {
    let mut out = Vec::new();
    TextEncoder::new().encode(&reg.gather(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Parses sample lines (our label values contain no quotes, commas or escapes).
fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            let (name, labels) = match series.split_once('{') {
                Some((n, rest)) => {
                    let body = rest.strip_suffix('}').unwrap();
                    let labels = body
                        .split(',')
                        .filter(|p| !p.is_empty())
                        .map(|p| {
                            let (k, v) = p.split_once('=').unwrap();
                            (k.to_owned(), v.trim_matches('"').to_owned())
                        })
                        .collect();
                    (n.to_owned(), labels)
                }
                None => (series.to_owned(), BTreeMap::new()),
            };
            let value = match value {
                "+Inf" => f64::INFINITY,
                v => v.parse().unwrap(),
            };
            Sample {
                name,
                labels,
                value,
            }
        })
        .collect()
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}

fn registered() -> (Registry, Metrics) {
    let reg = Registry::new();
    let m = Metrics::register(&reg).unwrap();
    (reg, m)
}

/// Series names a metric of this kind produces.
fn series_names(name: &str, kind: MetricKind) -> Vec<String> {
    match kind {
        MetricKind::Histogram => ["_bucket", "_sum", "_count"]
            .iter()
            .map(|s| format!("{name}{s}"))
            .collect(),
        _ => vec![name.to_owned()],
    }
}

#[test]
fn render_shows_exactly_the_documented_metrics() {
    let (reg, mut m) = registered();
    m.update(&MetricsSnapshot::every_family());
    let samples = parse(&render(&reg));
    let rendered: BTreeSet<String> = samples
        .iter()
        .map(|s| s.name.clone())
        .filter(|n| !n.starts_with("process_"))
        .collect();
    let documented: BTreeSet<String> = all_metric_docs()
        .iter()
        .flat_map(|d| series_names(d.name, d.kind))
        .collect();
    assert_eq!(rendered, documented);
    // Documented label names are the ones rendered.
    for d in all_metric_docs() {
        let want: BTreeSet<&str> = d.labels.iter().copied().collect();
        for s in samples.iter().filter(|s| s.name == d.name) {
            let got: BTreeSet<&str> = s.labels.keys().map(String::as_str).collect();
            assert_eq!(got, want, "{}", d.name);
        }
    }
    #[cfg(target_os = "linux")]
    assert!(
        samples
            .iter()
            .any(|s| s.name == "process_resident_memory_bytes")
    );
}

#[test]
fn docs_are_sorted_and_follow_naming_conventions() {
    let names: Vec<_> = metric_docs().iter().map(|(n, _, _)| *n).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    for d in all_metric_docs() {
        assert!(d.name.starts_with("mizuban_"), "{}", d.name);
        assert_eq!(
            d.name.ends_with("_total"),
            d.kind == MetricKind::Counter,
            "{}: counters and only counters end in _total",
            d.name
        );
        assert!(!d.help.is_empty());
    }
}

#[test]
fn fresh_registry_has_build_info_drop_reasons_at_zero_and_baseline_off() {
    let (reg, _m) = registered();
    let s = parse(&render(&reg));
    assert_eq!(
        value(
            &s,
            "mizuban_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        Some(1.0)
    );
    for r in DropReason::ALL {
        assert_eq!(
            value(&s, "mizuban_drops_total", &[("reason", r.as_str())]),
            Some(0.0),
            "{r:?}"
        );
    }
    assert_eq!(
        value(&s, "mizuban_baseline_mode", &[("mode", "off")]),
        Some(1.0)
    );
    assert_eq!(
        value(&s, "mizuban_baseline_mode", &[("mode", "learning")]),
        Some(0.0)
    );
}

#[test]
fn registering_twice_in_one_registry_fails() {
    let (reg, _m) = registered();
    assert!(Metrics::register(&reg).is_err());
}

#[test]
fn update_sets_absolute_values() {
    let (reg, mut m) = registered();
    let snap = MetricsSnapshot::every_family();
    m.update(&snap);
    // A repeated flush of the same totals changes nothing.
    m.update(&snap);
    let s = parse(&render(&reg));
    assert_eq!(
        value(
            &s,
            "mizuban_alerts_total",
            &[("rule", "internet_egress"), ("severity", "high")]
        ),
        Some(3.0)
    );
    assert_eq!(
        value(&s, "mizuban_drops_total", &[("reason", "kernel")]),
        Some(7.0)
    );
    assert_eq!(
        value(&s, "mizuban_events_total", &[("protocol", "modbus")]),
        Some(100.0)
    );
    assert_eq!(
        value(&s, "mizuban_capture_packets_total", &[("source", "eth1")]),
        Some(1000.0)
    );
    assert_eq!(
        value(&s, "mizuban_capture_bytes_total", &[("source", "eth1")]),
        Some(64000.0)
    );
    assert_eq!(
        value(
            &s,
            "mizuban_modbus_transactions_total",
            &[("function", "3")]
        ),
        Some(90.0)
    );
    assert_eq!(
        value(
            &s,
            "mizuban_modbus_exceptions_total",
            &[("function", "3"), ("code", "2")]
        ),
        Some(4.0)
    );
    assert_eq!(
        value(&s, "mizuban_queue_depth", &[("queue", "worker_0")]),
        Some(3.0)
    );
    assert_eq!(
        value(&s, "mizuban_queue_capacity", &[("queue", "detector")]),
        Some(64.0)
    );
    assert_eq!(value(&s, "mizuban_assets_known", &[]), Some(12.0));
    assert_eq!(value(&s, "mizuban_flows_active", &[]), Some(40.0));
    assert_eq!(
        value(&s, "mizuban_tcp_missed_bytes_total", &[]),
        Some(100.0)
    );
    assert_eq!(
        value(&s, "mizuban_baseline_learning_progress_ratio", &[]),
        Some(0.25)
    );
    assert_eq!(
        value(&s, "mizuban_baseline_mode", &[("mode", "learning")]),
        Some(1.0)
    );
    assert_eq!(
        value(&s, "mizuban_baseline_mode", &[("mode", "off")]),
        Some(0.0)
    );
}

#[test]
fn histogram_buckets_are_cumulative_with_le_bounds() {
    let (reg, mut m) = registered();
    // 4 ms and 40 ms: the first falls in le=0.005, the second in le=0.05.
    m.update(&MetricsSnapshot::every_family());
    let s = parse(&render(&reg));
    let b = |le: &str| {
        value(
            &s,
            "mizuban_modbus_response_time_seconds_bucket",
            &[("le", le)],
        )
    };
    assert_eq!(b("0.0025"), Some(0.0));
    assert_eq!(b("0.005"), Some(1.0));
    assert_eq!(b("0.025"), Some(1.0));
    assert_eq!(b("0.05"), Some(2.0));
    assert_eq!(b("+Inf"), Some(2.0));
    assert_eq!(
        value(&s, "mizuban_modbus_response_time_seconds_count", &[]),
        Some(2.0)
    );
    let sum = value(&s, "mizuban_modbus_response_time_seconds_sum", &[]).unwrap();
    assert!((sum - 0.044).abs() < 1e-9, "{sum}");
}

#[test]
fn counters_never_go_down() {
    let (reg, mut m) = registered();
    let mut snap = MetricsSnapshot::default();
    snap.drops.add(DropReason::QueueFull, 10);
    snap.alerts.insert(("remote_access", Severity::High), 5);
    snap.flows_evicted = 9;
    snap.modbus
        .response_time
        .record(std::time::Duration::from_millis(1));
    m.update(&snap);
    // A smaller total (say, a restarted pipeline stage) must not lower any counter.
    let smaller = MetricsSnapshot::default();
    m.update(&smaller);
    let s = parse(&render(&reg));
    assert_eq!(
        value(&s, "mizuban_drops_total", &[("reason", "queue_full")]),
        Some(10.0)
    );
    assert_eq!(
        value(
            &s,
            "mizuban_alerts_total",
            &[("rule", "remote_access"), ("severity", "high")]
        ),
        Some(5.0)
    );
    assert_eq!(value(&s, "mizuban_flows_evicted_total", &[]), Some(9.0));
    assert_eq!(
        value(&s, "mizuban_modbus_response_time_seconds_count", &[]),
        Some(1.0)
    );
    // And a larger one raises them.
    snap.drops.add(DropReason::QueueFull, 2);
    m.update(&snap);
    let s = parse(&render(&reg));
    assert_eq!(
        value(&s, "mizuban_drops_total", &[("reason", "queue_full")]),
        Some(12.0)
    );
}

#[test]
fn gauges_absent_from_a_snapshot_fall_to_zero() {
    let (reg, mut m) = registered();
    m.update(&MetricsSnapshot::every_family());
    m.update(&MetricsSnapshot::default());
    let s = parse(&render(&reg));
    assert_eq!(
        value(
            &s,
            "mizuban_findings_active",
            &[("rule", "internet_egress")]
        ),
        Some(0.0)
    );
    assert_eq!(
        value(&s, "mizuban_queue_depth", &[("queue", "worker_0")]),
        Some(0.0)
    );
}

#[test]
fn hostile_modbus_codes_cannot_grow_the_scrape() {
    let (reg, mut m) = registered();
    let mut snap = MetricsSnapshot::default();
    let mut total_tx = 0u64;
    let mut total_ex = 0u64;
    for f in 0..=255u8 {
        snap.modbus.transactions.insert(f, 1 + u64::from(f));
        total_tx += 1 + u64::from(f);
        for c in 0..=255u8 {
            snap.modbus.exceptions.insert((f, c), 1);
            total_ex += 1;
        }
    }
    m.update(&snap);
    let s = parse(&render(&reg));
    let tx: Vec<_> = s
        .iter()
        .filter(|x| x.name == "mizuban_modbus_transactions_total")
        .collect();
    let ex: Vec<_> = s
        .iter()
        .filter(|x| x.name == "mizuban_modbus_exceptions_total")
        .collect();
    assert_eq!(tx.len(), MAX_MODBUS_FUNCTION_SERIES + 1);
    assert_eq!(ex.len(), MAX_MODBUS_EXCEPTION_SERIES + 1);
    // Nothing is lost: the overflow series holds the rest.
    assert_eq!(tx.iter().map(|x| x.value).sum::<f64>(), total_tx as f64);
    assert_eq!(ex.iter().map(|x| x.value).sum::<f64>(), total_ex as f64);
    assert!(
        tx.iter()
            .any(|x| x.labels.get("function").map(String::as_str) == Some("other"))
    );
    // The overflow stays monotonic when more traffic arrives.
    for v in snap.modbus.transactions.values_mut() {
        *v += 1;
    }
    m.update(&snap);
    let s2 = parse(&render(&reg));
    let sum2: f64 = s2
        .iter()
        .filter(|x| x.name == "mizuban_modbus_transactions_total")
        .map(|x| x.value)
        .sum();
    assert_eq!(sum2, (total_tx + 256) as f64);
}

#[test]
fn label_values_come_from_closed_sets() {
    let (reg, mut m) = registered();
    m.update(&MetricsSnapshot::every_family());
    let reasons: BTreeSet<&str> = DropReason::ALL.iter().map(|r| r.as_str()).collect();
    let severities: BTreeSet<&str> = SEVERITIES.iter().map(|s| s.as_str()).collect();
    let modes: BTreeSet<&str> = BaselineMode::ALL.iter().map(|m| m.as_str()).collect();
    for s in parse(&render(&reg)) {
        for (k, v) in &s.labels {
            let ok = match k.as_str() {
                "reason" => reasons.contains(v.as_str()),
                "severity" => severities.contains(v.as_str()) || v == "other",
                "mode" => modes.contains(v.as_str()),
                "verdict" => ["closed", "not_closed", "undetermined"].contains(&v.as_str()),
                "function" | "code" => v.parse::<u8>().is_ok() || v == "other",
                "queue" => {
                    v == "detector"
                        || v == "sink"
                        || v.strip_prefix("worker_")
                            .is_some_and(|n| n.parse::<u16>().is_ok())
                }
                "le" => true,
                "action" => {
                    mizuban_protocols::facts::Action::ALL
                        .iter()
                        .any(|a| a.as_str() == v)
                        || v == "other"
                }
                "authorized" => ["true", "false", "other"].contains(&v.as_str()),
                "pdu" => {
                    use mizuban_protocols::{dnp3, iec104};
                    (0..=255u8).any(|f| {
                        dnp3::types::function_name(f) == v || iec104::types::type_name(f) == v
                    }) || v == "s_frame"
                        || (0..64u8).any(|f| iec104::apci::u_name(f) == v)
                        || v == "other"
                }
                "error" => {
                    use mizuban_protocols::{dnp3, iec104};
                    dnp3::Anomaly::ALL.iter().any(|a| a.as_str() == v)
                        || iec104::Anomaly::ALL.iter().any(|a| a.as_str() == v)
                        || v == "other"
                }
                "kind" => [
                    "header",
                    "data",
                    "transport",
                    "send_gap",
                    "ack_out_of_window",
                    "other",
                ]
                .contains(&v.as_str()),
                "what" => [
                    "object_headers",
                    "decoded_objects",
                    "information_objects",
                    "requests_over_cap",
                    "fragments_in_progress",
                    "resync_bytes",
                    "other",
                ]
                .contains(&v.as_str()),
                "table" => mizuban_capture::budget::Table::ALL
                    .iter()
                    .any(|t| t.as_str() == v),
                "class" => {
                    mizuban_exporter::metrics::health::EVICTION_CLASSES.contains(&v.as_str())
                }
                "encapsulation" => mizuban_capture::encap::EncapKind::ALL
                    .iter()
                    .any(|e| e.as_str() == v),
                "version" => v == env!("CARGO_PKG_VERSION"),
                // A protocol's own counter: its spec lists the label's values.
                _ if protocol_counter_docs().any(|d| d.name == s.name) => protocol_counter_docs()
                    .any(|d| d.name == s.name && (d.values.contains(&v.as_str()) || v == "other")),
                // Rule ids are detect's &'static str constants; sources come from config.
                "rule" | "source" | "protocol" => !v.is_empty() && v.len() < 64,
                other => panic!("unexpected label {other} on {}", s.name),
            };
            assert!(ok, "{}{{{k}={v}}}", s.name);
        }
    }
}

#[test]
fn declared_rules_exist_at_zero_before_any_alert() {
    let (reg, mut m) = registered();
    m.declare_alert_rules(&[("internet_egress", Severity::High)]);
    let s = parse(&render(&reg));
    assert_eq!(
        value(
            &s,
            "mizuban_alerts_total",
            &[("rule", "internet_egress"), ("severity", "high")]
        ),
        Some(0.0)
    );
}

fn tool_missing(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        if std::env::var_os("MIZUBAN_REQUIRE_TOOLS").is_some() {
            panic!("{tool} not installed and MIZUBAN_REQUIRE_TOOLS is set");
        }
        println!("SKIP: {tool} not installed");
    }
    !found
}

#[test]
fn promtool_check_metrics_finds_no_problem() {
    if tool_missing("promtool") {
        return;
    }
    let (reg, mut m) = registered();
    m.update(&MetricsSnapshot::every_family());
    let text = render(&reg);
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool check metrics:\n{report}");
    assert!(
        report.trim().is_empty(),
        "promtool check metrics:\n{report}"
    );
}

/// `exporter/METRICS.md` is generated from the metric table; regenerate with
/// `UPDATE_METRICS_DOC=1 cargo test -p mizuban-exporter metrics_doc`.
#[test]
fn metrics_doc_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("METRICS.md");
    let want = format!("# mizuban metrics\n\n{}", metric_docs_markdown());
    if std::env::var_os("UPDATE_METRICS_DOC").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: run UPDATE_METRICS_DOC=1 cargo test -p mizuban-exporter metrics_doc",
        path.display()
    );
}
