//! Hostile traffic (issue 14): every flood kind of `mizuban-synth flood` replays within a
//! small memory budget, with counted evictions and drops, while a Modbus session
//! established before the flood keeps being parsed, transaction for transaction; scans
//! are detected and near misses are not; a one-sided copy of a real capture gives an
//! undetermined verdict that says why; a mid-stream flow oriented by a guess makes no
//! `new_service`. No timings here: speed is `cargo bench --bench floods`.

mod common;

use mizuban::config::Config;
use mizuban::pipeline::{self, RunResult};
use mizuban::synth::flood::{ATTACKER, FloodKind, FloodSpec, SESSION_CLIENT_PORT, write_flood};
use mizuban::synth::{HMI, PLCS, TcpSession, TraceWriter, modbus_adu};
use mizuban_capture::budget::Table;
use mizuban_capture::{DropReason, Timestamp};
use mizuban_protocols::EventKind;
use mizuban_protocols::flow::EvictClass;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Flood packets per kind: enough to fill a 16 MB budget's flow share several times.
const FLOOD: u64 = 30_000;

fn small_budget() -> Config {
    Config::parse("[limits]\nmemory = \"16MB\"\n", "test").unwrap()
}

fn flood_file(dir: &Path, kind: FloodKind, packets: u64, modbus_every: u64) -> (PathBuf, u64) {
    let path = dir.join(format!("{}-{packets}.pcap", kind.as_str()));
    let f = BufWriter::new(std::fs::File::create(&path).unwrap());
    let spec = FloodSpec {
        kind,
        packets,
        modbus_every,
        seed: 14,
    };
    let (w, trace) = write_flood(f, &spec).unwrap();
    drop(w.into_inner().unwrap());
    (path, trace.modbus_transactions)
}

fn run(path: &Path, cfg: &Config) -> RunResult {
    pipeline::collect(&[path.to_path_buf()], cfg, 2).unwrap()
}

fn alerts_of<'a>(r: &'a RunResult, rule: &str) -> Vec<&'a mizuban_detect::Alert> {
    r.detector.alerts().filter(|a| a.rule == rule).collect()
}

#[test]
fn every_flood_stays_within_budget_and_the_modbus_session_survives() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_budget();
    let budget = cfg.limits.budget();
    for kind in FloodKind::ALL {
        let (path, sent) = flood_file(dir.path(), kind, FLOOD, 100);
        let r = run(&path, &cfg);
        let name = kind.as_str();
        // The session: every poll parsed and answered, none lost to the flood.
        let session: Vec<_> = r
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Modbus(t) if e.flow.client.port() == SESSION_CLIENT_PORT => Some(t),
                _ => None,
            })
            .collect();
        assert_eq!(session.len() as u64, sent, "{name}: session transactions");
        assert!(
            session.iter().all(|t| t.response_frame.is_some()),
            "{name}: a poll lost its answer"
        );
        let h = &r.engine.health;
        assert_eq!(
            h.evicted_of(EvictClass::Established),
            0,
            "{name}: an established session was evicted"
        );
        // Memory as accounted, per table, within its share.
        for t in [Table::Flows, Table::Reassembly, Table::Defrag] {
            let peak = h.memory_peak.get(t);
            assert!(
                peak <= budget.share(t),
                "{name}: {} peaked at {peak} of {}",
                t.as_str(),
                budget.share(t)
            );
        }
        let drops = &r.engine.drops;
        match kind {
            FloodKind::AddressScan
            | FloodKind::Spoofed
            | FloodKind::SynFlood
            | FloodKind::UdpPorts => {
                assert!(h.evicted_total() > 0, "{name}: no eviction counted");
                assert_eq!(
                    drops.get(DropReason::FlowTableFull),
                    h.evicted_total(),
                    "{name}: every eviction is a counted drop"
                );
                assert!(
                    h.emergency_entered > 0,
                    "{name}: emergency mode never entered"
                );
                assert!(
                    h.evicted_of(EvictClass::OneSided) > 0,
                    "{name}: one-sided flows go first"
                );
            }
            FloodKind::Fragments => {
                assert!(
                    drops.get(DropReason::FragmentTableFull) > 0,
                    "{name}: fragment sets evicted"
                );
            }
            FloodKind::RandomSeq => {
                assert!(drops.get(DropReason::SeqOutOfWindow) > 0, "{name}");
                assert_eq!(h.unfollowable_flows, 16, "{name}: all 16 flows flagged");
                // Random sequence numbers are not terabytes of loss.
                assert!(
                    r.engine.missed_bytes < 1 << 20,
                    "{name}: {} bytes missed",
                    r.engine.missed_bytes
                );
                let v = r.detector.verdict();
                assert_eq!(v.verdict, mizuban_detect::Verdict::Undetermined, "{name}");
                assert!(
                    v.reasons
                        .iter()
                        .any(|m| m.starts_with("TCP data not followed")),
                    "{name}: {:?}",
                    v.reasons
                );
            }
            FloodKind::ArpStorm => {
                assert_eq!(h.evicted_total(), 0, "{name}: ARP makes no flows");
            }
        }
    }
}

#[test]
fn address_scan_is_detected_and_a_near_miss_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::default();
    let (hit, _) = flood_file(dir.path(), FloodKind::AddressScan, 25, 0);
    let r = run(&hit, &cfg);
    let a = alerts_of(&r, "address_scan");
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].src_ip, Some(ATTACKER.ip.into()));
    assert_eq!(a[0].evidence.get("count").map(String::as_str), Some("25"));
    assert_eq!(
        a[0].evidence.get("window_secs").map(String::as_str),
        Some("300")
    );
    assert!(
        a[0].evidence
            .get("targets")
            .is_some_and(|t| t.contains("10.0.0.1"))
    );
    let (miss, _) = flood_file(dir.path(), FloodKind::AddressScan, 24, 0);
    assert!(alerts_of(&run(&miss, &cfg), "address_scan").is_empty());
    // 25 addresses spread over more than the window are not a scan either.
    let cfg = Config::parse("[detect.scan]\nwindow_secs = 1\n", "t").unwrap();
    let slow = dir.path().join("slow.pcap");
    let mut w = TraceWriter::new(
        BufWriter::new(std::fs::File::create(&slow).unwrap()),
        Timestamp::from_secs_nanos(1_775_109_600, 0),
    )
    .unwrap();
    for i in 0..30u8 {
        let target = mizuban::synth::Host::new(i, [0, 0x80, 0xf4], [10, 0, 0, i + 1]);
        TcpSession::new(ATTACKER, target, 40_000 + u16::from(i), 502, 1)
            .syn(&mut w)
            .unwrap();
        w.advance_micros(100_000);
    }
    drop(w.into_inner().into_inner().unwrap());
    assert!(alerts_of(&run(&slow, &cfg), "address_scan").is_empty());
}

#[test]
fn port_scan_is_detected_and_a_near_miss_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::default();
    let (hit, _) = flood_file(dir.path(), FloodKind::UdpPorts, 15, 0);
    let r = run(&hit, &cfg);
    let a = alerts_of(&r, "port_scan");
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(
        (a[0].src_ip, a[0].dst_ip),
        (Some(ATTACKER.ip.into()), Some(PLCS[0].ip.into()))
    );
    assert_eq!(a[0].evidence.get("count").map(String::as_str), Some("15"));
    let (miss, _) = flood_file(dir.path(), FloodKind::UdpPorts, 14, 0);
    assert!(alerts_of(&run(&miss, &cfg), "port_scan").is_empty());
}

/// A Modbus client polling `units` unit ids of one PLC, each once.
fn unit_sweep(path: &Path, units: u8) {
    let mut w = TraceWriter::new(
        BufWriter::new(std::fs::File::create(path).unwrap()),
        Timestamp::from_secs_nanos(1_775_109_600, 0),
    )
    .unwrap();
    let mut s = TcpSession::new(ATTACKER, PLCS[0], 41_000, 502, 7);
    s.handshake(&mut w).unwrap();
    for unit in 1..=units {
        let req = modbus_adu(u16::from(unit), unit, &[0x03, 0, 0, 0, 1]);
        let resp = modbus_adu(u16::from(unit), unit, &[0x83, 0x0b]);
        s.exchange(&mut w, &req, &resp, 500).unwrap();
        w.advance_micros(10_000);
    }
    s.close(&mut w).unwrap();
    drop(w.into_inner().into_inner().unwrap());
}

#[test]
fn modbus_unit_sweep_is_ics_discovery_and_a_near_miss_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::default();
    let hit = dir.path().join("sweep.pcap");
    unit_sweep(&hit, 16);
    let r = run(&hit, &cfg);
    let a = alerts_of(&r, "ics_discovery");
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(
        a[0].evidence.get("method").map(String::as_str),
        Some("modbus_unit_sweep")
    );
    assert_eq!(a[0].src_ip, Some(ATTACKER.ip.into()));
    let miss = dir.path().join("near.pcap");
    unit_sweep(&miss, 15);
    assert!(alerts_of(&run(&miss, &cfg), "ics_discovery").is_empty());
}

/// arkime_modbus.pcap without its one internet peer (which alone would make the verdict
/// NOT CLOSED), both directions and then only what goes to port 502 — a SPAN port that
/// copies one direction. The one-sided copy is undetermined and says why.
#[test]
fn one_sided_copy_of_a_real_capture_is_undetermined_with_its_reason() {
    if !common::have_tool("tshark") {
        return;
    }
    let src = common::corpus::path("modbus/arkime_modbus.pcap");
    let dir = tempfile::tempdir().unwrap();
    let cut = |filter: &str, name: &str| {
        let out = dir.path().join(name);
        common::run_stdout(
            Command::new("tshark")
                .arg("-r")
                .arg(&src)
                .args(["-Y", filter, "-F", "pcap", "-w"])
                .arg(&out),
        );
        out
    };
    let both = cut("!(ip.addr == 166.161.16.230)", "both.pcap");
    let one = cut(
        "!(ip.addr == 166.161.16.230) && tcp.dstport == 502",
        "one.pcap",
    );
    let cfg = Config::default();
    let reason = |r: &RunResult| {
        r.detector
            .verdict()
            .reasons
            .into_iter()
            .find(|m| m.starts_with("one-sided capture"))
    };
    let r = run(&both, &cfg);
    assert_eq!(reason(&r), None, "both directions are not one-sided");
    assert_eq!(r.engine.health.one_sided_sessions, 0);
    let r = run(&one, &cfg);
    let v = r.detector.verdict();
    assert_eq!(v.verdict, mizuban_detect::Verdict::Undetermined);
    let why = reason(&r).expect("a one-sided reason");
    assert!(why.contains("SPAN port"), "{why}");
    let h = r.engine.health;
    assert!(
        h.one_sided_sessions >= 3 && h.one_sided_sessions == h.tcp_sessions,
        "{h:?}"
    );
    assert!(v.render_human().contains("one-sided"));
}

/// A Windows client on ephemeral port 1630 talking to a server on 4444, picked up
/// mid-stream after the baseline learnt: no `new_service` for port 1630 (the lower port
/// the old orientation took for the server).
#[test]
fn midstream_ephemeral_client_port_is_no_new_service() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("midstream.pcap");
    let mut w = TraceWriter::new(
        BufWriter::new(std::fs::File::create(&path).unwrap()),
        Timestamp::from_secs_nanos(1_775_109_600, 0),
    )
    .unwrap();
    // Learning: the HMI polls a PLC for 2 s (learn_secs = 1 below).
    let mut poll = TcpSession::new(HMI, PLCS[0], 49_152, 502, 1);
    poll.handshake(&mut w).unwrap();
    for i in 0..20u16 {
        let req = modbus_adu(i, 1, &[0x03, 0, 0, 0, 1]);
        poll.exchange(&mut w, &req, &modbus_adu(i, 1, &[0x03, 2, 0, 1]), 500)
            .unwrap();
        w.advance_micros(100_000);
    }
    // Then the mid-stream pickup: no handshake, data both ways.
    let mut s = TcpSession::new(mizuban::synth::ENG_WS, PLCS[1], 1630, 4444, 99);
    for _ in 0..5 {
        s.send(&mut w, true, b"\x00\x01request").unwrap();
        w.advance_micros(2_000);
        s.send(&mut w, false, b"\x00\x02answer").unwrap();
        w.advance_micros(50_000);
    }
    drop(w.into_inner().into_inner().unwrap());
    let cfg = Config::parse("[detect.baseline]\nlearn_secs = 1\n", "t").unwrap();
    let r = run(&path, &cfg);
    let services: Vec<_> = alerts_of(&r, "new_service")
        .into_iter()
        .filter(|a| a.dst_port == Some(1630) || a.message.contains("1630"))
        .collect();
    assert!(services.is_empty(), "{services:?}");
    // The flow itself was seen (the test would pass vacuously otherwise).
    assert!(
        r.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::FlowEnd(_))
                && (e.flow.client.port() == 1630 || e.flow.server.port() == 1630))
    );
}
