//! Control actions (issue 20 point 6) on real and built captures, through the binary.
//!
//! 1. On every Modbus capture of the corpus, the `control_action` events are exactly
//!    the requests tshark shows with a state-changing function: 5, 6, 15, 16, 21, 22,
//!    23, and 8 with sub-function 1 (restart) or 4 (listen only), sent to port 502;
//!    for function 90 (UMAS, no tshark dissector) the requests whose UMAS code (second
//!    byte of tshark's `modbus.data`) is one the published research names as a write,
//!    program transfer or start/stop (see protocols/src/modbus/umas.rs). Captures that
//!    only read have none.
//! 2. A built capture where a host new to the baseline reads, then writes: both
//!    `new_modbus_client` and `new_modbus_writer`, plus `unauthorized_control_action`;
//!    the learned capture itself raises no control alert.
//! 3. A policy with one engineering station, one write-only allow entry and a station
//!    that is allowed nothing.
//! 4. Events and alerts identical for --workers 1 and --workers 4.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::modbus_inject::{NEWCOMER, NEWCOMER_MAC, PLC, PLC_MAC, append_frames, segment};
use common::{corpus, have_tool, mizuban, run_stdout};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn modbus_captures() -> Vec<PathBuf> {
    corpus::captures_in("modbus")
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect()
}

/// Runs a replay; returns (events, alerts) as JSON values.
fn replay(
    pcaps: &[&Path],
    config: Option<&Path>,
    workers: u32,
    extra: &[&str],
) -> (Vec<Value>, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let (ev, al) = (
        dir.path().join("events.jsonl"),
        dir.path().join("alerts.jsonl"),
    );
    let mut cmd = mizuban();
    cmd.args(["replay", "--no-progress", "--workers", &workers.to_string()])
        .arg("--events")
        .arg(&ev)
        .arg("--alerts")
        .arg(&al)
        .args(extra);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    cmd.args(pcaps);
    run_stdout(&mut cmd);
    let read = |p: &Path| -> Vec<Value> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    (read(&ev), read(&al))
}

fn control_events(events: &[Value]) -> Vec<&Value> {
    events
        .iter()
        .filter(|e| e["type"] == "control_action")
        .collect()
}

/// UMAS codes the research names as writes (0x21, 0x23, 0x25, 0x71), program
/// transfers (0x30-0x35) or start/stop (0x40, 0x41).
fn umas_changes_state(code: u8) -> bool {
    matches!(code, 0x21 | 0x23 | 0x25 | 0x71 | 0x30..=0x35 | 0x40 | 0x41)
}

/// (frame, function, sub-function) of every state-changing request tshark decodes.
fn tshark_control_requests(pcap: &Path) -> Vec<(u64, u64, Option<u64>)> {
    let out = run_stdout(Command::new("tshark").arg("-r").arg(pcap).args([
        "-Y",
        "tcp.dstport == 502 && modbus.func_code in {5,6,8,15,16,21,22,23,90}",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-e",
        "frame.number",
        "-e",
        "modbus.func_code",
        "-e",
        "modbus.diagnostic_code",
        "-e",
        "modbus.data",
    ]));
    let mut want = Vec::new();
    for line in out.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let frame: u64 = cols[0].parse().unwrap();
        let split = |i: usize| -> Vec<&str> {
            cols.get(i).map_or(Vec::new(), |c| {
                c.split(',').filter(|s| !s.is_empty()).collect()
            })
        };
        let (mut diags, mut datas) = (split(2).into_iter(), split(3).into_iter());
        for fc in split(1) {
            let fc: u64 = fc.parse().unwrap();
            match fc {
                5 | 6 | 15 | 16 | 21 | 22 | 23 => {
                    want.push((frame, fc, None));
                }
                8 => {
                    let d: u64 = diags.next().unwrap().parse().unwrap();
                    if d == 1 || d == 4 {
                        want.push((frame, fc, Some(d)));
                    }
                }
                90 => {
                    let data = datas.next().unwrap_or("");
                    let code = data.get(2..4).and_then(|h| u8::from_str_radix(h, 16).ok());
                    if let Some(c) = code.filter(|c| umas_changes_state(*c)) {
                        want.push((frame, fc, Some(u64::from(c))));
                    }
                }
                _ => {}
            }
        }
    }
    want.sort_unstable();
    want
}

#[test]
fn control_actions_are_exactly_the_state_changing_requests_tshark_sees() {
    if !have_tool("tshark") {
        return;
    }
    let pcaps = modbus_captures();
    if pcaps.is_empty() {
        eprintln!("SKIP: no Modbus captures");
        return;
    }
    let (mut with, mut without, mut umas) = (0, 0, 0);
    for pcap in &pcaps {
        let (events, _) = replay(&[pcap], None, 1, &[]);
        let mut got: Vec<(u64, u64, Option<u64>)> = control_events(&events)
            .iter()
            .map(|e| {
                let f = e["function"].as_u64().unwrap();
                let sub = (f == 8 || f == 90).then(|| e["subfunction"].as_u64().unwrap());
                (e["frame"].as_u64().unwrap(), f, sub)
            })
            .collect();
        got.sort_unstable();
        let want = tshark_control_requests(pcap);
        assert_eq!(got, want, "{}", pcap.display());
        if want.is_empty() {
            without += 1;
        } else {
            with += 1;
        }
        umas += want.iter().filter(|(_, f, _)| *f == 90).count();
    }
    assert!(
        with >= 5 && without >= 1,
        "{with} captures with writes, {without} without"
    );
    // iti_modicon_test.pcap: a program read out of a Modicon (UMAS 0x33, 53 x 0x34,
    // 0x35).
    assert!(umas >= 55, "{umas} UMAS control actions");
}

#[test]
fn umas_capture_is_a_program_upload_from_the_modicon() {
    if !corpus::available("modbus/iti_modicon_test.pcap") {
        return;
    }
    let pcap = corpus::path("modbus/iti_modicon_test.pcap");
    let (events, _) = replay(&[&pcap], None, 1, &[]);
    let mut by: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for e in control_events(&events) {
        *by.entry((
            e["action"].as_str().unwrap().to_owned(),
            e["function_name"].as_str().unwrap().to_owned(),
            e["outcome"].as_str().unwrap().to_owned(),
        ))
        .or_default() += 1;
        assert_eq!(e["client"], "192.168.63.100:7718", "{e}");
    }
    let key = |a: &str, f: &str| (a.to_owned(), f.to_owned(), "ok".to_owned());
    let want = BTreeMap::from([
        (key("program_upload", "umas_initialize_upload"), 1),
        (key("program_upload", "umas_upload_block"), 53),
        (key("program_upload", "umas_end_upload"), 1),
    ]);
    assert_eq!(by, want);
    // The summary names who programmed which controller.
    let out = mizuban()
        .args(["replay", "--no-progress"])
        .arg(&pcap)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("  control actions: 192.168.63.100 -> 192.168.63.253: program_upload\n"),
        "{stderr}"
    );
}

/// One TCP session of a newcomer: handshake, a read (function 4), then a write
/// (function 6), each answered (V1.1b3 sections 6.4 and 6.6).
fn newcomer_reads_then_writes() -> Vec<Vec<u8>> {
    let (c, s, cp) = ((NEWCOMER_MAC, NEWCOMER), (PLC_MAC, PLC), 40010u16);
    let read_req = [0x01, 0x01, 0, 0, 0, 6, 1, 0x04, 0, 0, 0, 1];
    let read_rsp = [0x01, 0x01, 0, 0, 0, 5, 1, 0x04, 2, 0, 0x2a];
    let write_req = [0x01, 0x02, 0, 0, 0, 6, 1, 0x06, 0, 7, 0, 9];
    let (c0, s0) = (1000u32, 5000u32);
    let seg = |from_client: bool, seq: u32, ack: Option<u32>, syn: bool, p: &[u8]| {
        if from_client {
            segment(c.0, s.0, c.1, s.1, cp, 502, seq, ack, syn, p)
        } else {
            segment(s.0, c.0, s.1, c.1, 502, cp, seq, ack, syn, p)
        }
    };
    let (r, w) = (read_req.len() as u32, write_req.len() as u32);
    let rr = read_rsp.len() as u32;
    vec![
        seg(true, c0, None, true, &[]),
        seg(false, s0, Some(c0 + 1), true, &[]),
        seg(true, c0 + 1, Some(s0 + 1), false, &[]),
        seg(true, c0 + 1, Some(s0 + 1), false, &read_req),
        seg(false, s0 + 1, Some(c0 + 1 + r), false, &read_rsp),
        seg(true, c0 + 1 + r, Some(s0 + 1 + rr), false, &write_req),
        seg(false, s0 + 1 + rr, Some(c0 + 1 + r + w), false, &write_req),
    ]
}

#[test]
fn newcomer_that_reads_then_writes_raises_the_write_finding() {
    if !have_tool("tshark") || !corpus::available(common::modbus_inject::CAPTURE) {
        return;
    }
    let pcap = corpus::path(common::modbus_inject::CAPTURE);
    let dir = tempfile::tempdir().unwrap();
    let modified = dir.path().join("modified.pcap");
    append_frames(&pcap, &modified, &newcomer_reads_then_writes());
    // tshark sees the built session as we mean it: a read, then a write, from the
    // newcomer to the PLC.
    let seen = run_stdout(Command::new("tshark").arg("-r").arg(&modified).args([
        "-Y",
        "ip.src == 192.168.0.99 && tcp.dstport == 502 && modbus",
        "-T",
        "fields",
        "-e",
        "modbus.func_code",
    ]));
    assert_eq!(seen.lines().collect::<Vec<_>>(), ["4", "6"], "{seen}");

    let b = dir.path().join("B.json");
    run_stdout(
        mizuban()
            .args(["baseline", "learn", "--out"])
            .arg(&b)
            .arg(&pcap),
    );
    let control = |alerts: &[Value]| -> Vec<Value> {
        alerts
            .iter()
            .filter(|a| a["rule"].as_str().unwrap().contains("control"))
            .cloned()
            .collect()
    };
    // The learned capture itself: its writes were learned, nothing is unauthorized.
    let bs = b.to_str().unwrap();
    let (_, alerts) = replay(&[&pcap], None, 1, &["--baseline", bs]);
    assert!(control(&alerts).is_empty(), "{:#?}", control(&alerts));

    let (events, alerts) = replay(&[&modified], None, 1, &["--baseline", bs]);
    let news: BTreeMap<&str, &Value> = alerts
        .iter()
        .filter(|a| a["status"] == "new" && a["src_ip"] == "192.168.0.99")
        .map(|a| (a["rule"].as_str().unwrap(), a))
        .collect();
    let client = news.get("new_modbus_client").expect("new_modbus_client");
    assert!(
        client["message"].as_str().unwrap().contains("function 4"),
        "{client}"
    );
    let writer = news.get("new_modbus_writer").expect("new_modbus_writer");
    assert!(
        writer["message"].as_str().unwrap().contains("wrote"),
        "{writer}"
    );
    assert_eq!(writer["evidence"]["modbus_function"], "6", "{writer}");
    let ua = news
        .get("unauthorized_control_action")
        .expect("unauthorized_control_action");
    let write_frame = control_events(&events)
        .iter()
        .find(|e| e["client"].as_str().unwrap().starts_with("192.168.0.99:"))
        .map(|e| e["frame"].to_string())
        .unwrap();
    assert_eq!(ua["evidence"]["frame"].as_str().unwrap(), write_frame);
    assert_eq!(ua["evidence"]["action"], "write");
    assert_eq!(ua["evidence"]["target"], "holding_registers 7 x1");
    assert_eq!(ua["severity"], "high");
}

fn policy_config(dir: &Path) -> PathBuf {
    let p = dir.join("mizuban.toml");
    std::fs::write(
        &p,
        r#"
[detect.baseline]
enabled = false

[detect.control]
engineering_stations = ["10.1.1.234"]

[[detect.control.allow]]
clients = ["10.0.0.0/24"]
actions = ["write"]
protocols = ["modbus"]
"#,
    )
    .unwrap();
    p
}

/// arkime_modbus.pcap: writes from 10.1.1.234, 10.0.0.9 and 192.168.66.235, and
/// diagnostics restart / listen-only from 10.0.0.57 (`tshark -Y "tcp.dstport == 502
/// && modbus.func_code in {5,6,8,15,16,22,23}" -e ip.src`).
#[test]
fn policy_allows_one_station_and_not_another() {
    if !corpus::available("modbus/arkime_modbus.pcap") {
        return;
    }
    let pcap = corpus::path("modbus/arkime_modbus.pcap");
    let dir = tempfile::tempdir().unwrap();
    let cfg = policy_config(dir.path());
    run_stdout(mizuban().arg("check-config").arg(&cfg));
    let (events, alerts) = replay(&[&pcap], Some(&cfg), 1, &[]);
    let clients: BTreeSet<String> = control_events(&events)
        .iter()
        .map(|e| {
            let c = e["client"].as_str().unwrap();
            c.split(':').next().unwrap().to_owned()
        })
        .collect();
    for c in ["10.1.1.234", "10.0.0.9", "10.0.0.57", "192.168.66.235"] {
        assert!(clients.contains(c), "{c} acts in the capture: {clients:?}");
    }
    let unauthorized: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["rule"] == "unauthorized_control_action")
        .collect();
    let got: BTreeSet<(String, String)> = unauthorized
        .iter()
        .map(|a| {
            (
                a["src_ip"].as_str().unwrap().to_owned(),
                a["evidence"]["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let s = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    // The engineering station and the write-only entry's writes pass; 10.0.0.57 is
    // inside the write-only entry but restarts and silences the PLC; 192.168.66.235
    // is allowed nothing.
    assert_eq!(
        got,
        BTreeSet::from([
            s("10.0.0.57", "mode_change"),
            s("10.0.0.57", "restart"),
            s("192.168.66.235", "write"),
        ])
    );
    for a in &unauthorized {
        let want = if a["evidence"]["action"] == "mode_change" {
            "critical"
        } else {
            "high"
        };
        assert_eq!(a["severity"], want, "{a}");
        for k in ["protocol", "action", "function", "target", "frame"] {
            assert!(a["evidence"].get(k).is_some(), "{k}: {a}");
        }
        assert_eq!(a["evidence"]["protocol"], "modbus");
    }
    // A bad policy is refused with its key.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[detect.control]\nengineering_stations = [\"10.0.0.0/33\"]\n\n[[detect.control.allow]]\nclients = [\"10.0.0.1\"]\nactions = [\"reboot\"]\n",
    )
    .unwrap();
    let out = mizuban().arg("check-config").arg(&bad).output().unwrap();
    assert!(!out.status.success());
    let err =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        err.contains("detect.control.engineering_stations[0]"),
        "{err}"
    );
    assert!(err.contains("detect.control.allow[0].actions[0]"), "{err}");
}

#[test]
fn events_and_alerts_are_identical_for_one_and_four_workers() {
    let rels = ["modbus/arkime_modbus.pcap", "modbus/iti_modicon_test.pcap"];
    if !rels.iter().all(|r| corpus::available(r)) {
        return;
    }
    let pcaps: Vec<PathBuf> = rels.iter().map(|r| corpus::path(r)).collect();
    let dir = tempfile::tempdir().unwrap();
    let cfg = policy_config(dir.path());
    let refs: Vec<&Path> = pcaps.iter().map(PathBuf::as_path).collect();
    let one = replay(&refs, Some(&cfg), 1, &[]);
    let four = replay(&refs, Some(&cfg), 4, &[]);
    let n = control_events(&one.0).len();
    assert_eq!(n, 31 + 55, "control actions of the two captures");
    assert!(
        one.1.iter().any(|a| a["rule"] == "control_action_failed"),
        "{:#?}",
        one.1
    );
    assert_eq!(one.0, four.0, "events");
    assert_eq!(one.1, four.1, "alerts");
}
