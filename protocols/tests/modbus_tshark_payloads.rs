//! Differential test of the Modbus parser alone against tshark, before and beside the
//! full pipeline (tests/modbus_tshark.rs at the repo root): tshark extracts the TCP
//! segments of each oracle capture, a minimal in-order reassembler (this file) feeds
//! them to `modbus::Parser`, and the transactions are compared with the oracle CSV.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod modbus_common;

use mizuban_capture::{Timestamp, VlanTags};
use mizuban_protocols::engine::EngineStats;
use mizuban_protocols::event::{Event, EventKind, FlowTuple};
use mizuban_protocols::modbus::{self, ModbusConfig, Parser, Transaction};
use mizuban_protocols::parser::{Direction, ParseCtx, Probe, StreamParser};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

struct Segment {
    frame: u64,
    ts: Timestamp,
    stream: u64,
    src_port: u16,
    dst_port: u16,
    seq: u32,
    syn: bool,
    payload: Vec<u8>,
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn segments(pcap: &Path) -> Vec<Segment> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args(["-Y", "tcp", "-T", "fields", "-E", "separator=|"])
        .args([
            "-e",
            "frame.number",
            "-e",
            "frame.time_epoch",
            "-e",
            "tcp.stream",
        ])
        .args([
            "-e",
            "tcp.srcport",
            "-e",
            "tcp.dstport",
            "-e",
            "tcp.seq_raw",
        ])
        .args(["-e", "tcp.flags.syn", "-e", "tcp.payload"])
        .output()
        .unwrap();
    assert!(out.status.success(), "tshark failed on {}", pcap.display());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('|').collect();
            let secs: f64 = c[1].parse().unwrap();
            Segment {
                frame: c[0].parse().unwrap(),
                ts: Timestamp::from_nanos((secs * 1e9) as i64),
                stream: c[2].parse().unwrap(),
                src_port: c[3].parse().unwrap(),
                dst_port: c[4].parse().unwrap(),
                seq: c[5].parse().unwrap(),
                syn: c[6] == "1" || c[6] == "True",
                payload: hex(c[7]),
            }
        })
        .collect()
}

struct Flow {
    /// What the payload probe said of the first bytes (as the flow engine does).
    modbus: Option<bool>,
    verdict: [Option<Probe>; 2],
    parser: Parser,
    next_seq: [Option<u32>; 2],
    tuple: FlowTuple,
}

/// Replays one capture through one `Parser` per TCP stream with 502 on one side.
fn replay(pcap: &Path) -> (Vec<Transaction>, EngineStats, Vec<Event>) {
    let cfg = ModbusConfig::default();
    let mut flows: BTreeMap<u64, Flow> = BTreeMap::new();
    let mut stats = EngineStats::default();
    let mut events = Vec::new();
    let mut sub = 0u32;
    let mut last_ts = Timestamp::ZERO;
    for s in segments(pcap) {
        let dir = if s.dst_port == 502 {
            Direction::ToServer
        } else if s.src_port == 502 {
            Direction::ToClient
        } else {
            continue;
        };
        last_ts = s.ts;
        let (cport, sport) = match dir {
            Direction::ToServer => (s.src_port, s.dst_port),
            Direction::ToClient => (s.dst_port, s.src_port),
        };
        let flow = flows.entry(s.stream).or_insert_with(|| Flow {
            modbus: None,
            verdict: [None, None],
            parser: Parser::new(&cfg),
            next_seq: [None, None],
            tuple: FlowTuple {
                client: ([10, 0, 0, 1], cport).into(),
                server: ([10, 0, 0, 2], sport).into(),
                proto: 6,
                vlan: VlanTags::default(),
            },
        });
        let mut ctx = ParseCtx::new(
            s.ts,
            s.frame,
            0,
            s.frame,
            flow.tuple,
            &mut stats,
            &mut events,
            &mut sub,
        );
        let seq = s.seq.wrapping_add(u32::from(s.syn));
        let len = s.payload.len() as u32;
        let next = &mut flow.next_seq[dir.index()];
        let mut data = &s.payload[..];
        match *next {
            None => {}
            Some(n) => {
                let ahead = seq.wrapping_sub(n) as i32;
                if ahead > 0 {
                    flow.parser.on_gap(&mut ctx, dir, ahead as u64);
                } else if ahead < 0 {
                    // Retransmission or overlap: keep only the new tail.
                    let old = (-(ahead as i64)) as usize;
                    data = data.get(old..).unwrap_or_default();
                }
            }
        }
        if len > 0 || s.syn {
            let end = seq.wrapping_add(len);
            if next.is_none_or(|n| (end.wrapping_sub(n) as i32) > 0) {
                *next = Some(end);
            }
        }
        // Identification as the flow engine should do it: each direction's first
        // payload gets one probe verdict; the client's verdict decides, the server's
        // only while the client has said nothing (a capture of responses only).
        // zeek_fuzz-72.pcap opens with six zero bytes from the server (no verdict
        // there), and tshark does not report the server's next segment either.
        if !data.is_empty() && flow.modbus.is_none() && flow.verdict[dir.index()].is_none() {
            let v = modbus::probe(data, dir);
            if v != Probe::NeedMore {
                flow.verdict[dir.index()] = Some(v);
            }
            flow.modbus = match (flow.verdict[0], flow.verdict[1]) {
                (Some(Probe::Match), _) => Some(true),
                (Some(_), _) => Some(false),
                (None, Some(Probe::Match)) => Some(true),
                _ => None,
            };
        }
        if !data.is_empty() && flow.modbus == Some(true) {
            flow.parser.on_data(&mut ctx, dir, data);
        }
    }
    for f in flows.values_mut() {
        let mut ctx = ParseCtx::new(
            last_ts,
            u64::MAX,
            0,
            0,
            f.tuple,
            &mut stats,
            &mut events,
            &mut sub,
        );
        f.parser.on_close(&mut ctx);
    }
    let txs = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Modbus(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    (txs, stats, events)
}

#[test]
fn parser_matches_tshark_on_every_oracle_capture() {
    if !modbus_common::have_tool("tshark") {
        return;
    }
    let files = modbus_common::oracle_files();
    assert!(
        !files.is_empty(),
        "no oracle CSVs under {}",
        modbus_common::pcaps_dir()
    );
    let mut all = Vec::new();
    let mut total = 0usize;
    for (pcap, csv) in files {
        let name = pcap.file_name().unwrap().to_str().unwrap().to_string();
        let oracle = modbus_common::load_oracle(&csv);
        let (txs, stats, events) = replay(&pcap);
        let errors: Vec<_> = events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::ParseError(p) => Some((e.frame, p.reason)),
                _ => None,
            })
            .collect();
        let diffs = modbus_common::compare(&name, &oracle, &txs);
        println!(
            "{name}: {} tshark rows, {} transactions, {} unanswered, parse errors {:?}, skipped {} B, {} diffs",
            oracle.len(),
            txs.len(),
            stats.modbus.unanswered,
            errors,
            stats.modbus.resync_skipped_bytes,
            diffs.len()
        );
        total += oracle.values().map(|r| r.pdus.len()).sum::<usize>();
        all.extend(diffs);
    }
    for d in all.iter().take(60) {
        println!("{d}");
    }
    println!("{total} tshark PDUs compared");
    assert!(all.is_empty(), "{} differences with tshark", all.len());
}
