//! deploy/prometheus/mizuban-rules.yml: `promtool check rules`, `promtool test rules`
//! (the unit tests in mizuban-rules.test.yml), and every mizuban rule id an alerting
//! rule names is one the detector really raises.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rules_dir() -> PathBuf {
    repo().join("deploy/prometheus")
}

/// True when `tool` is missing and the test should skip (fails under MIZUBAN_REQUIRE_TOOLS).
fn tool_missing(tool: &str) -> bool {
    !common::have_tool(tool)
}

fn promtool(args: &[&str], dir: &Path) -> (bool, String) {
    let out = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run promtool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn promtool_check_rules_accepts_the_rules() {
    if tool_missing("promtool") {
        return;
    }
    let (ok, out) = promtool(&["check", "rules", "mizuban-rules.yml"], &rules_dir());
    assert!(ok, "promtool check rules:\n{out}");
    assert!(out.contains("SUCCESS"), "{out}");
}

#[test]
fn promtool_rule_unit_tests_pass() {
    if tool_missing("promtool") {
        return;
    }
    let (ok, out) = promtool(&["test", "rules", "mizuban-rules.test.yml"], &rules_dir());
    assert!(ok, "promtool test rules:\n{out}");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The alert names defined in the rules file (`- alert: Name` lines).
fn alert_names(rules: &str) -> Vec<String> {
    rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .map(|s| s.trim().to_owned())
        .collect()
}

/// Values of `rule="..."` matchers in the rules file.
fn rule_ids(rules: &str) -> BTreeSet<String> {
    rules
        .split("rule=\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(id, _)| id.to_owned()))
        .collect()
}

#[test]
fn issue_alerts_are_all_defined_and_each_has_a_unit_test() {
    let rules = read(&rules_dir().join("mizuban-rules.yml"));
    let tests = read(&rules_dir().join("mizuban-rules.test.yml"));
    let names = alert_names(&rules);
    // Issue 6 point 4: the alerts an operator must get.
    for required in [
        "MizubanInternetEgress",
        "MizubanInternetVpn",
        "MizubanRemoteAccess",
        "MizubanNewHost",
        "MizubanNewPeer",
        "MizubanNewModbusWriter",
        "MizubanUnsupportedOs",
        "MizubanPacketsDropping",
        "MizubanDown",
        "MizubanNoTraffic",
    ] {
        assert!(names.iter().any(|n| n == required), "{required} missing");
    }
    for n in &names {
        // A test that expects the alert to fire, not only an empty expectation.
        let fires = tests
            .split("alertname: ")
            .skip(1)
            .any(|t| t.starts_with(&format!("{n}\n")) && t.contains("exp_labels"));
        assert!(fires, "no promtool test expects {n} to fire");
    }
}

/// Collects the text of every .rs file under `dir`.
fn sources(dir: &Path, out: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push_str(&read(&p));
        }
    }
}

#[test]
fn rule_ids_in_alerting_rules_are_raised_by_the_detector() {
    let rules = read(&rules_dir().join("mizuban-rules.yml"));
    let mut detect = String::new();
    sources(&repo().join("detect/src"), &mut detect);
    let ids = rule_ids(&rules);
    assert!(ids.contains("internet_egress"), "{ids:?}");
    for id in ids {
        assert!(
            detect.contains(&format!("\"{id}\"")),
            "rule id {id:?} in mizuban-rules.yml is not a string in detect/src"
        );
    }
}

#[test]
fn promtool_check_config_accepts_the_example_scrape_config() {
    if tool_missing("promtool") {
        return;
    }
    let (ok, out) = promtool(&["check", "config", "prometheus.example.yml"], &rules_dir());
    assert!(ok, "promtool check config:\n{out}");
}
