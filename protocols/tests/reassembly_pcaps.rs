//! Every real capture of the corpus (tests/corpus, see tests/common/corpus.rs) through the engine: nothing panics, and one,
//! two or three engines (packets split by `shard_for`, as the pipeline does) emit the
//! same sorted events. The Modbus captures must be identified as Modbus.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use mizuban_capture::file::CaptureReader;
use mizuban_capture::{PacketMeta, Timestamp, decode, shard_for};
use mizuban_protocols::{AppProtocol, Engine, EngineConfig, Event, EventKind};
use std::path::{Path, PathBuf};

#[path = "../../tests/common/corpus.rs"]
mod corpus;

fn pcaps() -> Vec<PathBuf> {
    corpus::capture_paths()
}

fn load(path: &Path) -> Vec<(PacketMeta, Vec<u8>)> {
    let mut r = CaptureReader::open(path).unwrap();
    let mut out = Vec::new();
    let mut seq = 0u64;
    loop {
        let f = match r.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if !e.is_fatal() => break,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        let info = decode(f.link, f.data, f.wire_len);
        seq += 2;
        let meta = PacketMeta {
            seq,
            file: 0,
            frame: f.number,
            ts: f.ts,
            wire_len: f.wire_len,
            cap_len: f.data.len() as u32,
            info,
        };
        out.push((meta, f.data.to_vec()));
    }
    out
}

/// Packets through `shards` engines with a tick per second of packet time.
fn run(packets: &[(PacketMeta, Vec<u8>)], shards: usize) -> Vec<Event> {
    let cfg = EngineConfig::default();
    let mut engines: Vec<Engine> = (0..shards).map(|_| Engine::new(&cfg, shards)).collect();
    let mut out = Vec::new();
    let mut next_tick: Option<i64> = None;
    let mut last = Timestamp(0);
    for (meta, frame) in packets {
        let secs = meta.ts.secs();
        match next_tick {
            Some(t) if secs >= t => {
                for e in &mut engines {
                    e.tick(Timestamp::from_secs_nanos(secs, 0), meta.seq - 1, &mut out);
                }
                next_tick = Some(secs + 1);
            }
            None => next_tick = Some(secs + 1),
            _ => {}
        }
        // Non-IP frames go to worker 0, as the pipeline routes them.
        let s = match (meta.info.ip(), &meta.info.net) {
            (Some(ip), _) => shard_for(ip.src, ip.dst, meta.info.vlan, shards),
            (None, mizuban_capture::Net::Arp(a)) => shard_for(
                a.sender_ip.into(),
                a.target_ip.into(),
                meta.info.vlan,
                shards,
            ),
            _ => 0,
        };
        engines[s].process(meta, frame, &mut out);
        last = last.max(meta.ts);
    }
    for e in &mut engines {
        e.finish(last, u64::MAX, &mut out);
    }
    out.sort_by_key(|e| e.sort_key());
    out
}

#[test]
fn real_captures_are_deterministic_across_shard_counts() {
    let files = pcaps();
    assert!(
        files.len() >= 60,
        "corpus incomplete: {} captures",
        files.len()
    );
    for path in &files {
        let packets = load(path);
        let one = run(&packets, 1);
        for shards in [2, 3] {
            let many = run(&packets, shards);
            assert_eq!(
                one.len(),
                many.len(),
                "{} with {shards} shards",
                path.display()
            );
            for (a, b) in one.iter().zip(&many) {
                assert_eq!(a, b, "{} with {shards} shards", path.display());
            }
        }
        let name = path.file_name().unwrap().to_string_lossy();
        if path.parent().unwrap().ends_with("modbus") && !name.contains("exception") {
            let modbus = one.iter().any(|e| {
                matches!(&e.kind, EventKind::ProtocolDetected(p) if p.protocol == AppProtocol::Modbus)
            });
            assert!(modbus, "{}: no Modbus flow identified", path.display());
        }
    }
}
