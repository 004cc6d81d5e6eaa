//! deploy/grafana/mizuban-dashboard.json and the alerting rules speak the exporter's
//! language: every PromQL expression parses (promtool) and names only metrics and
//! labels that a freshly registered exporter really exposes.

mod common;

use mizuban_exporter::{Metrics, MetricsSnapshot};
use prometheus::{Encoder, Registry, TextEncoder};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn dashboard() -> serde_json::Value {
    serde_json::from_str(&read(&repo().join("deploy/grafana/mizuban-dashboard.json")))
        .expect("dashboard is JSON")
}

/// Series and label names in a scrape of an exporter with every family touched.
fn exposed() -> (BTreeSet<String>, BTreeSet<String>) {
    let reg = Registry::new();
    let mut m = Metrics::register(&reg).unwrap();
    m.update(&MetricsSnapshot::every_family());
    let mut out = Vec::new();
    TextEncoder::new().encode(&reg.gather(), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut names = BTreeSet::new();
    let mut labels = BTreeSet::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let series = line.rsplit_once(' ').map_or(line, |(s, _)| s);
        let (name, rest) = series.split_once('{').unwrap_or((series, ""));
        names.insert(name.to_owned());
        for pair in rest.trim_end_matches('}').split(',') {
            if let Some((k, _)) = pair.split_once('=') {
                labels.insert(k.to_owned());
            }
        }
    }
    // Prometheus adds these at scrape time (`site` from the scrape configuration of a
    // site Prometheus, deploy/central/).
    names.insert("up".to_owned());
    labels.extend(["job".to_owned(), "instance".to_owned(), "site".to_owned()]);
    (names, labels)
}

/// Replaces Grafana's variables with values PromQL accepts.
fn substitute(expr: &str) -> String {
    expr.replace("$__rate_interval", "5m")
        .replace("$__interval", "1m")
        .replace("$__range", "1h")
        .replace("$job", ".+")
        .replace("$instance", ".+")
        .replace("$site", ".*")
}

/// Every `expr` in panel targets, and the selectors inside `label_values(...)` queries
/// of template variables.
fn dashboard_exprs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, val) in map {
                match (k.as_str(), val) {
                    ("expr", serde_json::Value::String(s)) => out.push(s.clone()),
                    ("query" | "definition", serde_json::Value::String(s))
                        if s.starts_with("label_values(") =>
                    {
                        let inner = &s["label_values(".len()..s.len() - 1];
                        let selector = inner.rsplit_once(',').map_or(inner, |(sel, _)| sel);
                        out.push(selector.trim().to_owned());
                    }
                    _ => dashboard_exprs(val, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| dashboard_exprs(x, out)),
        _ => {}
    }
}

/// `expr:` values from the rules YAML: one-line values and `|` block scalars.
fn rule_exprs(yaml: &str) -> Vec<String> {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(rest) = line.trim_start().strip_prefix("expr:") {
            let indent = line.len() - line.trim_start().len();
            if rest.trim() == "|" {
                let mut body = String::new();
                i += 1;
                while i < lines.len()
                    && (lines[i].trim().is_empty()
                        || lines[i].len() - lines[i].trim_start().len() > indent)
                {
                    body.push_str(lines[i].trim());
                    body.push(' ');
                    i += 1;
                }
                out.push(body.trim().to_owned());
                continue;
            }
            out.push(rest.trim().to_owned());
        }
        i += 1;
    }
    out
}

const AGGREGATIONS: &[&str] = &[
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
];
const LABEL_LISTS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];
const KEYWORDS: &[&str] = &["and", "or", "unless", "offset", "bool", "inf", "nan"];

/// Metric names and label names an expression refers to. A small scanner, enough for
/// our expressions: strings are skipped, `{...}` yields label names, `by (...)` and its
/// kin yield label names, an identifier before `(` is a function.
fn names_in(expr: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let b = expr.as_bytes();
    let (mut metrics, mut labels) = (BTreeSet::new(), BTreeSet::new());
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b':';
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == b'{' {
            // Matchers: label, operator, quoted value, separated by commas.
            i += 1;
            while i < b.len() && b[i] != b'}' {
                if ident(b[i]) {
                    let start = i;
                    while i < b.len() && ident(b[i]) {
                        i += 1;
                    }
                    labels.insert(expr[start..i].to_owned());
                } else if b[i] == b'"' {
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                } else {
                    i += 1;
                }
            }
            i += 1;
        } else if c == b'[' {
            i += expr[i..].find(']').expect("unclosed [") + 1;
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && ident(b[i]) {
                i += 1;
            }
            let word = &expr[start..i];
            let next = expr[i..].trim_start().bytes().next();
            if LABEL_LISTS.contains(&word) {
                if next == Some(b'(') {
                    let open = i + expr[i..].find('(').unwrap_or(0);
                    let close = open + expr[open..].find(')').expect("unclosed (");
                    for l in expr[open + 1..close].split(',') {
                        if !l.trim().is_empty() {
                            labels.insert(l.trim().to_owned());
                        }
                    }
                    i = close + 1;
                }
            } else if next == Some(b'(') || AGGREGATIONS.contains(&word) || KEYWORDS.contains(&word)
            {
                // A function, an aggregation (maybe followed by `by`) or an operator.
            } else {
                metrics.insert(word.to_owned());
            }
        } else {
            i += 1;
        }
    }
    (metrics, labels)
}

#[test]
fn scanner_finds_metrics_and_labels() {
    let (m, l) = names_in(
        r#"sum by (job, rule) (increase(mizuban_alerts_total{rule="a,b"}[5m])) > 0 unless on (job) up offset 15m"#,
    );
    assert_eq!(
        m,
        BTreeSet::from(["mizuban_alerts_total".to_owned(), "up".to_owned()])
    );
    assert_eq!(l, BTreeSet::from(["job".to_owned(), "rule".to_owned()]));
}

fn all_exprs() -> Vec<(String, String)> {
    let mut dash = Vec::new();
    dashboard_exprs(&dashboard(), &mut dash);
    let rules = rule_exprs(&read(&repo().join("deploy/prometheus/mizuban-rules.yml")));
    assert!(rules.len() >= 10, "{rules:?}");
    dash.into_iter()
        .map(|e| ("dashboard".to_owned(), e))
        .chain(rules.into_iter().map(|e| ("rules".to_owned(), e)))
        .collect()
}

#[test]
fn every_expression_uses_only_exposed_metrics_and_labels() {
    let (names, labels) = exposed();
    let mut used = BTreeSet::new();
    for (origin, e) in all_exprs() {
        let (m, l) = names_in(&substitute(&e));
        assert!(!m.is_empty(), "{origin}: no metric in {e}");
        for name in &m {
            assert!(names.contains(name), "{origin}: {name} is not exposed: {e}");
        }
        for label in &l {
            assert!(
                labels.contains(label),
                "{origin}: label {label} is not exposed: {e}"
            );
        }
        used.extend(m);
    }
    // The issue's panels: traffic, drops, alerts, Modbus activity and times, assets,
    // capture loss.
    for needed in [
        "mizuban_capture_packets_total",
        "mizuban_drops_total",
        "mizuban_alerts_total",
        "mizuban_modbus_transactions_total",
        "mizuban_modbus_response_time_seconds_bucket",
        "mizuban_assets_known",
        "mizuban_tcp_missed_bytes_total",
    ] {
        assert!(used.contains(needed), "no panel or rule uses {needed}");
    }
}

#[test]
fn dashboard_uses_a_prometheus_datasource_variable_everywhere() {
    let d = dashboard();
    let vars = d["templating"]["list"].as_array().expect("templating list");
    assert!(
        vars.iter().any(|v| v["type"] == "datasource"
            && v["query"] == "prometheus"
            && v["name"] == "DS_PROMETHEUS"),
        "no datasource variable"
    );
    fn check(v: &serde_json::Value, path: &str) {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(ds) = map.get("datasource")
                    && ds.get("type").is_some_and(|t| t == "prometheus")
                {
                    assert_eq!(ds["uid"], "${DS_PROMETHEUS}", "{path}");
                }
                for (k, x) in map {
                    check(x, &format!("{path}.{k}"));
                }
            }
            serde_json::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    check(x, &format!("{path}[{i}]"));
                }
            }
            _ => {}
        }
    }
    check(&d, "$");
    let ids: Vec<_> = d["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_u64().unwrap())
        .collect();
    let unique: BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate panel ids");
}

/// True when `tool` is missing and the test should skip (fails under MIZUBAN_REQUIRE_TOOLS).
fn tool_missing(tool: &str) -> bool {
    !common::have_tool(tool)
}

/// promtool has no offline "parse this expression" command, so each expression becomes
/// a recording rule and `promtool check rules` parses it with Prometheus' own parser.
#[test]
fn every_expression_parses_with_promtool() {
    if tool_missing("promtool") {
        return;
    }
    let exprs = all_exprs();
    let mut yaml = String::from("groups:\n  - name: mizuban-expressions\n    rules:\n");
    for (i, (_, e)) in exprs.iter().enumerate() {
        // A JSON string is a valid YAML double-quoted scalar.
        let quoted = serde_json::to_string(&substitute(e)).unwrap();
        yaml.push_str(&format!(
            "      - record: mizuban_check:expr_{i}\n        expr: {quoted}\n"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exprs.yml");
    std::fs::write(&path, &yaml).unwrap();
    let out = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&path)
        .output()
        .expect("run promtool");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "promtool check rules:\n{report}\n{yaml}"
    );
    assert!(
        report.contains(&format!("SUCCESS: {} rules found", exprs.len())),
        "{report}"
    );
}
