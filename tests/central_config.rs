//! deploy/central/: the site and central Prometheus configurations pass `promtool check
//! config`, the cross-site recording rules pass `promtool check rules` and their unit
//! tests (`promtool test rules`, which also feed the shipped alerting rules two sites),
//! and the Alertmanager configuration passes `amtool check-config`.
//!
//! SKIPs when promtool or amtool is missing, unless MIZUBAN_REQUIRE_TOOLS is set.

mod common;

use prometheus::Encoder;
use std::path::PathBuf;
use std::process::Command;

fn central() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deploy/central")
}

fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .current_dir(central())
        .output()
        .unwrap_or_else(|e| panic!("run {tool}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{tool} {args:?}:\n{text}");
    text
}

#[test]
fn prometheus_configs_pass_promtool() {
    if !common::have_tool("promtool") {
        return;
    }
    for file in ["site-prometheus.yml", "central-prometheus.yml"] {
        let out = run("promtool", &["check", "config", file]);
        assert!(out.contains("SUCCESS"), "{out}");
    }
    let out = run("promtool", &["check", "config", "central-prometheus.yml"]);
    assert!(out.contains("2 rule files found"), "{out}");
}

#[test]
fn central_recording_rules_pass_their_unit_tests() {
    if !common::have_tool("promtool") {
        return;
    }
    run("promtool", &["check", "rules", "mizuban-central-rules.yml"]);
    run(
        "promtool",
        &["test", "rules", "mizuban-central-rules.test.yml"],
    );
}

#[test]
fn alertmanager_config_passes_amtool() {
    if !common::have_tool("amtool") {
        return;
    }
    let out = run("amtool", &["check-config", "alertmanager.yml"]);
    assert!(out.contains("SUCCESS"), "{out}");
}

/// Every scrape job of a site sets the `site` target label: the exporter never does.
#[test]
fn site_label_is_set_in_the_scrape_config() {
    let text = std::fs::read_to_string(central().join("site-prometheus.yml")).unwrap();
    assert!(text.contains("job_name: mizuban"), "{text}");
    assert!(text.contains("site: "), "{text}");
    let registry = prometheus::Registry::new();
    let mut m = mizuban_exporter::Metrics::register(&registry).unwrap();
    m.update(&mizuban_exporter::MetricsSnapshot::every_family());
    let mut out = Vec::new();
    prometheus::TextEncoder::new()
        .encode(&registry.gather(), &mut out)
        .unwrap();
    assert!(!String::from_utf8(out).unwrap().contains("site="));
}
