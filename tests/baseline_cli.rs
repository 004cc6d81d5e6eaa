//! The baseline and inventory commands through the real binary (issue 5):
//! `baseline learn|show|diff|approve`, `replay --baseline`, `replay --state-dir`,
//! `assets`, and the refusal of a newer schema.
//!
//! Expected findings come from the bytes of the injected sessions
//! (`common::modbus_inject`); expected hosts from `tshark -q -z endpoints,ip`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::modbus_inject::{CAPTURE, EXPECTED_FINDINGS, tshark_endpoints, write_modified};
use common::{corpus, have_tool, mizuban};
use mizuban_detect::baseline::{default_is_internal, rules, store_alert_id};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Output;

fn capture() -> Option<PathBuf> {
    let p = corpus::path(CAPTURE);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIP: {} missing", p.display());
        None
    }
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn learn(pcap: &Path, out: &Path) {
    ok(mizuban()
        .args(["baseline", "learn", "--out"])
        .arg(out)
        .arg(pcap)
        .output()
        .unwrap());
}

/// Replays `pcap` enforcing `baseline`; returns the ids of the baseline alerts.
fn replay_enforcing(pcap: &Path, baseline: &Path, dir: &Path) -> BTreeSet<String> {
    let alerts = dir.join("alerts.jsonl");
    ok(mizuban()
        .args(["replay", "--no-progress", "--baseline"])
        .arg(baseline)
        .arg("--alerts")
        .arg(&alerts)
        .arg(pcap)
        .output()
        .unwrap());
    std::fs::read_to_string(&alerts)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| rules::is_baseline_rule(v["rule"].as_str().unwrap()))
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

fn expected_ids(which: &[(&str, &str)]) -> BTreeSet<String> {
    which.iter().map(|(r, k)| store_alert_id(r, k)).collect()
}

#[test]
fn learn_and_replay_the_same_capture_raises_no_baseline_alert() {
    let Some(pcap) = capture() else { return };
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("B.json");
    learn(&pcap, &b);
    let ids = replay_enforcing(&pcap, &b, dir.path());
    assert!(ids.is_empty(), "{ids:?}");
    // The learned baseline holds the PLC and its five clients (tshark, see
    // common::modbus_inject), and nothing is pending.
    let show = ok(mizuban()
        .args(["baseline", "show"])
        .arg(&b)
        .output()
        .unwrap());
    assert!(show.contains("mode: enforcing"), "{show}");
    assert!(show.contains("pending findings: 0"), "{show}");
    for ip in [
        "192.168.0.20",
        "192.168.0.21",
        "192.168.0.112",
        "192.168.0.133",
        "192.168.0.144",
        "192.168.0.156",
    ] {
        assert!(show.contains(&format!("  host {ip}\n")), "{ip}: {show}");
    }
    assert!(show.contains("  service 192.168.0.20 tcp/502\n"), "{show}");
}

#[test]
fn modified_capture_findings_then_approve_by_alert_id_and_by_host() {
    let Some(pcap) = capture() else { return };
    let dir = tempfile::tempdir().unwrap();
    let modified = dir.path().join("modified.pcap");
    write_modified(&pcap, &modified);
    let b = dir.path().join("B.json");
    learn(&pcap, &b);
    let learned = dir.path().join("learned.json");
    std::fs::copy(&b, &learned).unwrap();

    // Exactly the expected findings, as alerts with the store's ids.
    let ids = replay_enforcing(&modified, &b, dir.path());
    assert_eq!(ids, expected_ids(EXPECTED_FINDINGS));

    // The replay recorded them in B.json; show lists each with its rule:key.
    let show = ok(mizuban()
        .args(["baseline", "show", "--summary"])
        .arg(&b)
        .output()
        .unwrap());
    assert!(show.contains("pending findings: 5"), "{show}");
    for (r, k) in EXPECTED_FINDINGS {
        assert!(show.contains(&format!("  {r}:{k}  ")), "{r}:{k}: {show}");
    }
    assert!(!show.contains("items:"), "{show}");

    // Approve the writer by its alert id and the newcomer by host.
    let writer = store_alert_id(rules::NEW_MODBUS_WRITER, "192.168.0.133|192.168.0.20");
    let out = ok(mizuban()
        .args(["baseline", "approve"])
        .arg(&b)
        .args(["--alert", &writer, "--host", "192.168.0.99"])
        .output()
        .unwrap());
    assert!(out.contains(&format!("approved {writer}: ")), "{out}");
    assert!(
        out.contains("approved 192.168.0.99: host 192.168.0.99"),
        "{out}"
    );

    // Replaying the modified capture again raises nothing from the baseline.
    let ids = replay_enforcing(&modified, &b, dir.path());
    assert!(ids.is_empty(), "{ids:?}");

    // diff learned -> approved: only additions, naming the newcomer's items.
    let d = mizuban()
        .args(["baseline", "diff"])
        .arg(&learned)
        .arg(&b)
        .output()
        .unwrap();
    assert_eq!(d.status.code(), Some(1), "differs: exit 1");
    let text = String::from_utf8(d.stdout).unwrap();
    for want in [
        "+ host 192.168.0.99\n",
        "+ conversation 192.168.0.20 <-> 192.168.0.99 tcp\n",
        "+ modbus 192.168.0.99 -> 192.168.0.20\n",
        "+ modbus 192.168.0.133 -> 192.168.0.20 writes\n",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    assert!(!text.lines().any(|l| l.starts_with('-')), "{text}");
    // A baseline compared with itself: nothing, exit 0.
    let same = ok(mizuban()
        .args(["baseline", "diff"])
        .arg(&b)
        .arg(&b)
        .output()
        .unwrap());
    assert!(same.is_empty(), "{same}");
}

#[test]
fn approve_refuses_an_unknown_alert_id_and_leaves_the_file() {
    let Some(pcap) = capture() else { return };
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("B.json");
    learn(&pcap, &b);
    let before = std::fs::read(&b).unwrap();
    let out = mizuban()
        .args(["baseline", "approve"])
        .arg(&b)
        .args(["--alert", "new_host-0123456789abcdef"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("new_host-0123456789abcdef"), "{err}");
    assert_eq!(std::fs::read(&b).unwrap(), before);
}

#[test]
fn assets_lists_the_hosts_tshark_sees_in_every_format() {
    let Some(pcap) = capture() else { return };
    if !have_tool("tshark") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let state_dir = dir.path().join("state");
    ok(mizuban()
        .args(["replay", "--no-progress", "--state-dir"])
        .arg(&state_dir)
        .arg(&pcap)
        .output()
        .unwrap());
    let state = state_dir.join("state.json");
    let want: BTreeSet<IpAddr> = tshark_endpoints(&pcap)
        .into_iter()
        .filter(|ip| default_is_internal(*ip))
        .collect();
    assert_eq!(want.len(), 6, "{want:?}");

    let assets = |format: &str| {
        ok(mizuban()
            .args(["assets", "--format", format])
            .arg(&state)
            .output()
            .unwrap())
    };
    // Table: a header, then one line per host starting with its address.
    let table = assets("table");
    let rows: BTreeSet<IpAddr> = table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(rows, want, "{table}");
    assert!(table.lines().next().unwrap().starts_with("IP"), "{table}");
    // CSV: the first column.
    let csv = assets("csv");
    let rows: BTreeSet<IpAddr> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next()?.parse().ok())
        .collect();
    assert_eq!(rows, want, "{csv}");
    // JSON: the `ip` of each asset, and the PLC is the one Modbus server.
    let json: serde_json::Value = serde_json::from_str(&assets("json")).unwrap();
    let list = json
        .as_array()
        .or_else(|| json["assets"].as_array())
        .expect("a list of assets");
    let rows: BTreeSet<IpAddr> = list
        .iter()
        .map(|a| a["ip"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(rows, want);
    let servers: Vec<&str> = list
        .iter()
        .filter(|a| {
            a["roles"]
                .as_array()
                .is_some_and(|r| r.iter().any(|x| x == "modbus_server"))
        })
        .map(|a| a["ip"].as_str().unwrap())
        .collect();
    assert_eq!(servers, ["192.168.0.20"]);

    // A bad format is refused by the argument parser.
    let bad = mizuban()
        .args(["assets", "--format", "xml"])
        .arg(&state)
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

/// A file from a future mizuban: same envelope, higher schema version.
fn newer_file(path: &Path, kind: &str) {
    let v = mizuban_detect::persist::SCHEMA_VERSION + 1;
    std::fs::write(
        path,
        format!(r#"{{"schema_version":{v},"kind":"{kind}","generator":"mizuban 9","data":{{"future":1}}}}"#),
    )
    .unwrap();
}

fn refused(out: Output) {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("written by a newer mizuban") && err.contains("upgrade mizuban"),
        "{err}"
    );
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("B.json");
    newer_file(&b, "baseline");
    refused(
        mizuban()
            .args(["baseline", "show"])
            .arg(&b)
            .output()
            .unwrap(),
    );
    refused(
        mizuban()
            .args(["baseline", "approve"])
            .arg(&b)
            .args(["--host", "10.0.0.1"])
            .output()
            .unwrap(),
    );
    let pcap = common::sample_pcap();
    refused(
        mizuban()
            .args(["replay", "--no-progress", "--baseline"])
            .arg(&b)
            .arg(&pcap)
            .output()
            .unwrap(),
    );
    let state_dir = dir.path().join("state");
    std::fs::create_dir(&state_dir).unwrap();
    let state = state_dir.join("state.json");
    newer_file(&state, "state");
    refused(mizuban().args(["assets"]).arg(&state).output().unwrap());
    refused(
        mizuban()
            .args(["replay", "--no-progress", "--state-dir"])
            .arg(&state_dir)
            .arg(&pcap)
            .output()
            .unwrap(),
    );
    // Refused, not overwritten.
    assert!(
        std::fs::read_to_string(&state)
            .unwrap()
            .contains("\"future\"")
    );
}

#[test]
fn a_corrupt_or_wrong_file_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let state_dir = dir.path().join("state");
    std::fs::create_dir(&state_dir).unwrap();
    let state = state_dir.join("state.json");
    // A state file cut short: the whole document must parse before it is used.
    let cut = r#"{"schema_version":1,"kind":"state","generator":"mizuban","data":{"inv"#;
    std::fs::write(&state, cut).unwrap();
    let out = mizuban()
        .args(["replay", "--no-progress", "--state-dir"])
        .arg(&state_dir)
        .arg(common::sample_pcap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a valid mizuban state file"), "{err}");
    assert_eq!(std::fs::read_to_string(&state).unwrap(), cut);

    // `assets` pointed at a baseline says what it got and what it wants.
    let Some(pcap) = capture() else { return };
    let b = dir.path().join("B.json");
    learn(&pcap, &b);
    let out = mizuban().arg("assets").arg(&b).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("holds a baseline, not a state file"), "{err}");
}
