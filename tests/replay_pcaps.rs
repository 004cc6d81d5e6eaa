//! The pipeline end to end on the real captures of the corpus (tests/corpus): every file replays,
//! packet counts agree with capinfos, flows with tshark, and output does not depend on
//! the worker count.

mod common;

use common::*;
use mizuban::config::Config;
use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn every_shared_capture_replays_and_counts_match_capinfos() {
    let files = shared_pcaps();
    assert!(files.len() >= 60, "shared corpus missing: {}", files.len());
    let check_counts = have_tool("capinfos");
    let cfg = Config::default();
    for f in &files {
        let r = mizuban::pipeline::collect(std::slice::from_ref(f), &cfg, 2).expect("replay runs");
        let input = &r.summary.inputs[0];
        assert!(input.error.is_none(), "{}: {:?}", f.display(), input.error);
        if check_counts {
            let out = run_stdout(
                std::process::Command::new("capinfos")
                    .args(["-c", "-M", "-T"])
                    .arg(f),
            );
            // -T: table form, header line then "file<TAB>count".
            let count: u64 = out
                .lines()
                .nth(1)
                .and_then(|l| l.split('\t').nth(1))
                .and_then(|c| c.trim().parse().ok())
                .unwrap_or_else(|| panic!("capinfos output: {out}"));
            assert_eq!(r.summary.packets, count, "{}", f.display());
        }
    }
}

/// TCP conversations per tshark (`-z conv,tcp`) against our TCP flows.
#[test]
fn tcp_flow_counts_match_tshark_conversations() {
    if !have_tool("tshark") {
        return;
    }
    for name in [
        "modbus/suricata_modbus.pcap",
        "modbus/zeek_modbusSmall.pcap",
        "it/arkime_ssh2.pcap",
        "it/zeek_http-vlan-0.pcap",
        "modbus/cisagov_modbus_example.pcap",
    ] {
        let f = corpus::path(name);
        let out = run_stdout(
            std::process::Command::new("tshark")
                .args(["-n", "-q", "-z", "conv,tcp", "-r"])
                .arg(&f),
        );
        // Conversation rows contain "<->"; header and footer lines do not.
        let tshark: BTreeSet<String> = out
            .lines()
            .filter(|l| l.contains("<->"))
            .map(|l| {
                let mut parts = l.split_whitespace();
                let a = parts.next().unwrap_or("").to_string();
                parts.next();
                let b = parts.next().unwrap_or("").to_string();
                if a <= b {
                    format!("{a}|{b}")
                } else {
                    format!("{b}|{a}")
                }
            })
            .collect();
        let r =
            mizuban::pipeline::collect(std::slice::from_ref(&f), &Config::default(), 1).unwrap();
        let ours: BTreeSet<String> = r
            .events
            .iter()
            .filter(|e| e.kind.type_name() == "flow_start" && e.flow.proto == 6)
            .map(|e| {
                let (a, b) = (e.flow.client.to_string(), e.flow.server.to_string());
                if a <= b {
                    format!("{a}|{b}")
                } else {
                    format!("{b}|{a}")
                }
            })
            .collect();
        assert_eq!(ours, tshark, "{name}");
    }
}

fn replay_outputs(file: &Path, workers: usize, dir: &Path) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let ev = dir.join(format!("ev{workers}.jsonl"));
    let al = dir.join(format!("al{workers}.jsonl"));
    let sj = dir.join(format!("sum{workers}.json"));
    let out = mizuban()
        .args([
            "replay",
            "--no-progress",
            "--workers",
            &workers.to_string(),
            "--events",
        ])
        .arg(&ev)
        .arg("--alerts")
        .arg(&al)
        .arg("--summary-json")
        .arg(&sj)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        std::fs::read(ev).unwrap(),
        std::fs::read(al).unwrap(),
        std::fs::read(sj).unwrap(),
    )
}

#[test]
fn outputs_are_identical_for_one_and_four_workers() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = shared_pcaps();
    files.push(sample_pcap());
    for f in &files {
        let one = replay_outputs(f, 1, tmp.path());
        let four = replay_outputs(f, 4, tmp.path());
        assert!(
            one.0 == four.0,
            "{}: events differ between 1 and 4 workers",
            f.display()
        );
        assert!(
            one.1 == four.1,
            "{}: alerts differ between 1 and 4 workers",
            f.display()
        );
        assert!(
            one.2 == four.2,
            "{}: summaries differ between 1 and 4 workers",
            f.display()
        );
    }
}

/// The workers write event lines by hand (issue 15); serde's writer, which the detector
/// used before, is the reference: the binary's `--events` file must be its bytes, line
/// for line, on every capture.
#[test]
fn event_lines_written_by_the_workers_are_the_serde_writers_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = shared_pcaps();
    files.push(sample_pcap());
    let mut lines = 0usize;
    for f in &files {
        let (ours, _, _) = replay_outputs(f, 2, tmp.path());
        let r = mizuban::pipeline::collect(std::slice::from_ref(f), &Config::default(), 1)
            .expect("replay runs");
        let name = mizuban::pipeline::display_name(f);
        let mut want = Vec::new();
        for ev in &r.events {
            mizuban_exporter::json::write_event(&mut want, ev, &name).unwrap();
        }
        lines += r.events.len();
        assert!(
            ours == want,
            "{}: event lines differ from the serde writer's",
            f.display()
        );
    }
    assert!(lines > 10_000, "too few events to compare: {lines}");
}

#[test]
fn several_files_are_merged_in_time_order() {
    let a = corpus::path("modbus/zeek_modbusSmall.pcap");
    let b = corpus::path("it/zeek_dns53.pcap");
    let r = mizuban::pipeline::collect(&[a.clone(), b.clone()], &Config::default(), 2).unwrap();
    let single_a = mizuban::pipeline::collect(&[a], &Config::default(), 1).unwrap();
    let single_b = mizuban::pipeline::collect(&[b], &Config::default(), 1).unwrap();
    assert_eq!(
        r.summary.packets,
        single_a.summary.packets + single_b.summary.packets
    );
    let ts: Vec<_> = r.events.iter().map(|e| e.ts).collect();
    let mut sorted = ts.clone();
    sorted.sort();
    assert_eq!(
        ts, sorted,
        "events of merged files must come in packet-time order"
    );
}
