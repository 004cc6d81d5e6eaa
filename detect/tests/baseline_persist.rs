//! Persistence: round trips, schema versions, corrupt files, and a writer killed with
//! SIGKILL mid-save never leaving a corrupt file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

#[path = "baseline_support.rs"]
mod support;

use mizuban_detect::baseline::{
    AssetTracker, Baseline, BaselineConfig, BaselineState, default_is_internal,
};
use mizuban_detect::inventory::{InventoryConfig, InventoryState};
use mizuban_detect::persist::{self, Kind, PersistError, SCHEMA_VERSION};
use std::path::Path;
use support::*;

fn learned() -> Baseline {
    let mut b = Baseline::new(BaselineConfig {
        learn_secs: 0,
        ..BaselineConfig::default()
    });
    let mut out = Vec::new();
    for e in plant_day(0) {
        b.on_event(&e, &default_is_internal, &mut out);
    }
    b.finish_learning(t(10));
    // One pending finding, so it round-trips too.
    let w = ev(
        20,
        flow("10.0.0.10:40000", "10.0.0.20:502", TCP),
        modbus(6, 1),
    );
    b.on_event(&w, &default_is_internal, &mut out);
    assert_eq!(out.len(), 1);
    b
}

fn tracker() -> AssetTracker {
    let mut tr = AssetTracker::new(Some(BaselineConfig::default()), InventoryConfig::default());
    let mut out = Vec::new();
    for e in plant_day(0) {
        tr.on_event(&e, &default_is_internal, &mut out);
    }
    tr
}

#[test]
fn baseline_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baseline.json");
    let b = learned();
    persist::save_baseline(&path, b.state()).unwrap();
    let back = persist::load_baseline(&path).unwrap();
    assert_eq!(&back, b.state());
    assert!(!back.model.is_empty());
    assert_eq!(back.pending.len(), 1);
    // Saving again over the old file works and leaves no temporary files.
    persist::save_baseline(&path, &back).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["baseline.json"]);
    // Resumed baseline behaves like the original: the same event, the same finding.
    let mut resumed = Baseline::from_state(BaselineConfig::default(), back);
    let mut out = Vec::new();
    let w = ev(
        30,
        flow("10.0.0.10:40000", "10.0.0.20:502", TCP),
        modbus(6, 1),
    );
    resumed.on_event(&w, &default_is_internal, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(resumed.state().pending.values().next().unwrap().count, 2);
}

#[test]
fn tracker_checkpoint_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let tr = tracker();
    tr.save(&path).unwrap();
    let st = persist::load_state(&path).unwrap();
    assert_eq!(st.inventory.as_ref(), Some(tr.inventory.state()));
    assert_eq!(
        st.baseline.as_ref(),
        tr.baseline.as_ref().map(|b| b.state())
    );
    let back = AssetTracker::from_state(
        Some(BaselineConfig::default()),
        InventoryConfig::default(),
        st,
    );
    assert_eq!(back.inventory.assets().len(), 3);
}

#[test]
fn inventory_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inv.json");
    let tr = tracker();
    persist::save_inventory(&path, tr.inventory.state()).unwrap();
    let back: InventoryState = persist::load_inventory(&path).unwrap();
    assert_eq!(&back, tr.inventory.state());
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn newer_schema_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.json");
    let newer = SCHEMA_VERSION + 1;
    // A future file whose data this build could not even type: refused on the version.
    write(
        &path,
        &format!(
            r#"{{"schema_version":{newer},"kind":"baseline","data":{{"hosts":"a new shape"}}}}"#
        ),
    );
    let err = persist::load_baseline(&path).unwrap_err();
    assert!(
        matches!(err, PersistError::NewerSchema { found, .. } if found == newer),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("future.json") && msg.contains("newer"),
        "{msg}"
    );
}

#[test]
fn wrong_kind_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.json");
    persist::save_baseline(&path, learned().state()).unwrap();
    let err = persist::load_inventory(&path).unwrap_err();
    assert!(matches!(err, PersistError::WrongKind { .. }), "{err:?}");
}

#[test]
fn truncated_and_garbage_files_are_refused_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    persist::save_baseline(&good, learned().state()).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let bad = dir.path().join("bad.json");
    // Every truncation of a valid file is an error naming the file (a cut JSON
    // document never parses; the envelope ends with the data's closing braces).
    for cut in (0..bytes.len().saturating_sub(1)).step_by(7) {
        std::fs::write(&bad, &bytes[..cut]).unwrap();
        let err = persist::load_baseline(&bad).unwrap_err();
        assert!(
            matches!(err, PersistError::Corrupt { .. }),
            "cut {cut}: {err:?}"
        );
        assert!(err.to_string().contains("bad.json"));
    }
    for garbage in [
        "",
        "null",
        "[]",
        "{}",
        "\u{0}\u{1}binary",
        r#"{"schema_version":"one"}"#,
        r#"{"schema_version":1,"kind":"baseline","data":{"model":{"hosts":["not an ip"]}}}"#,
        r#"{"schema_version":1,"kind":"baseline","data":{"model":{"bindings":{"10.0.0.1":["zz:zz"]}}}}"#,
        // A field this build does not know (misplaced, or from a newer build that
        // forgot to raise the version): refused, not silently dropped.
        r#"{"schema_version":1,"kind":"baseline","data":{"hosts":["10.0.0.1"]}}"#,
    ] {
        write(&bad, garbage);
        let err = persist::load_baseline(&bad).unwrap_err();
        assert!(
            matches!(err, PersistError::Corrupt { .. }),
            "{garbage:?}: {err:?}"
        );
    }
    let err = persist::load_baseline(&dir.path().join("missing.json")).unwrap_err();
    assert!(matches!(err, PersistError::Io { .. }) && err.to_string().contains("missing.json"));
}

#[test]
fn older_or_equal_schema_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("min.json");
    write(
        &path,
        r#"{"schema_version":1,"kind":"baseline","data":{"mode":"enforcing","model":{"hosts":["10.0.0.1"]}}}"#,
    );
    let st: BaselineState = persist::load(&path, Kind::Baseline).unwrap();
    assert_eq!(st.model.hosts.len(), 1);
}

/// Child half of `sigkill_mid_save_never_corrupts`: saves ever larger states forever.
#[test]
#[ignore = "run as a child process by sigkill_mid_save_never_corrupts"]
fn child_writer_loop() {
    let Some(path) = std::env::var_os("MIZUBAN_PERSIST_CHILD_PATH") else {
        return;
    };
    let mut b = Baseline::new(BaselineConfig {
        learn_secs: 0,
        ..BaselineConfig::default()
    });
    let mut out = Vec::new();
    for i in 0u32.. {
        let [_, a, c, d] = i.to_be_bytes();
        let addr = format!("10.{a}.{c}.{d}");
        let e = ev(
            1,
            flow(&format!("{addr}:0"), "10.255.255.255:0", 0),
            arp(mac(1), &addr),
        );
        b.on_event(&e, &default_is_internal, &mut out);
        if i % 500 == 0 {
            persist::save_baseline(Path::new(&path), b.state()).unwrap();
        }
    }
}

#[test]
fn sigkill_mid_save_never_corrupts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("killed.json");
    let exe = std::env::current_exe().unwrap();
    for round in 0..5 {
        let mut child = std::process::Command::new(&exe)
            .args(["--exact", "child_writer_loop", "--ignored", "--nocapture"])
            .env("MIZUBAN_PERSIST_CHILD_PATH", &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait for a few saves (bounded), then SIGKILL at whatever point it is in.
        let mut seen = 0;
        for _ in 0..2000 {
            std::thread::sleep(std::time::Duration::from_millis(5));
            if let Ok(m) = std::fs::metadata(&path)
                && m.len() > 0
            {
                seen += 1;
                if seen > 20 + round * 10 {
                    break;
                }
            }
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let st = persist::load_baseline(&path).expect("file after SIGKILL must load");
        assert!(!st.model.hosts.is_empty(), "round {round}");
    }
    // Leftover temporary files are possible after a kill; they are never the target.
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(
            name == "killed.json" || name.starts_with(".killed.json.tmp."),
            "{name}"
        );
    }
}
