//! Shared by the `it_*` tests: run tshark on a real capture, cut its TCP/UDP payloads
//! out (tshark is the reference decoder), and drive our parsers over them.
//!
//! Tool rule: without tshark a test prints "SKIP: tshark not installed" and passes,
//! unless MIZUBAN_REQUIRE_TOOLS is set, in which case it fails.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mizuban_capture::{Timestamp, VlanTags};
use mizuban_protocols::engine::EngineStats;
use mizuban_protocols::event::{Event, EventKind, FlowTuple};
use mizuban_protocols::parser::{DatagramParser, Direction, ParseCtx, StreamParser};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../../../tests/common/corpus.rs"]
pub mod corpus;

/// Whether tshark can run here; prints SKIP or panics per the tool rule.
pub fn have_tshark() -> bool {
    let ok = Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var_os("MIZUBAN_REQUIRE_TOOLS").is_some() {
            panic!("tshark is required (MIZUBAN_REQUIRE_TOOLS is set) but not installed");
        }
        println!("SKIP: tshark not installed");
    }
    ok
}

/// Whether a capture exists; a missing capture fails only under MIZUBAN_REQUIRE_TOOLS.
pub fn have_capture(p: &Path) -> bool {
    if p.exists() {
        return true;
    }
    if std::env::var_os("MIZUBAN_REQUIRE_TOOLS").is_some() {
        panic!("capture {} missing", p.display());
    }
    println!("SKIP: capture {} missing", p.display());
    false
}

/// The capture at `rel` in the corpus (tests/corpus), when tshark and the capture are both
/// there (each missing one is a SKIP, or a failure under MIZUBAN_REQUIRE_TOOLS).
pub fn tshark_capture(rel: &str) -> Option<PathBuf> {
    if !have_tshark() {
        return None;
    }
    let pcap = corpus::path(rel);
    have_capture(&pcap).then_some(pcap)
}

/// `tshark -r pcap -Y filter -T fields -e f1 -e f2 ...`, one Vec per frame.
pub fn fields(pcap: &Path, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(pcap).args([
        "-Y",
        filter,
        "-T",
        "fields",
        "-E",
        "separator=\t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]);
    // Segments are parsed as they come: no reassembly in the reference either, so
    // every PDU is dissected in the frame that carries its first byte.
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

pub fn hex(s: &str) -> Vec<u8> {
    let s = s.trim();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// One payload-carrying packet of a capture, oriented.
#[derive(Clone, Debug)]
pub struct Seg {
    pub frame: u64,
    pub stream: u32,
    pub dir: Direction,
    pub payload: Vec<u8>,
}

/// The TCP payloads of `pcap` matching `filter`, in capture order, without
/// retransmissions. The server of a stream is the receiver of its SYN, or failing that
/// the side on `default_server_port` (or the lower port).
pub fn tcp_segments(pcap: &Path, filter: &str, default_server_port: Option<u16>) -> Vec<Seg> {
    let syns = fields(
        pcap,
        "tcp.flags.syn==1 && tcp.flags.ack==0",
        &["tcp.stream", "tcp.dstport"],
    );
    let servers: BTreeMap<u32, u16> = syns
        .iter()
        .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
        .collect();
    let f = format!("tcp.len>0 && !tcp.analysis.retransmission && ({filter})");
    fields(
        pcap,
        &f,
        &[
            "frame.number",
            "tcp.stream",
            "tcp.srcport",
            "tcp.dstport",
            "tcp.payload",
        ],
    )
    .into_iter()
    .map(|r| {
        let stream: u32 = r[1].parse().unwrap();
        let (sport, dport): (u16, u16) = (r[2].parse().unwrap(), r[3].parse().unwrap());
        let server = servers
            .get(&stream)
            .copied()
            .or(default_server_port.filter(|p| *p == sport || *p == dport))
            .unwrap_or(sport.min(dport));
        Seg {
            frame: r[0].parse().unwrap(),
            stream,
            dir: if dport == server {
                Direction::ToServer
            } else {
                Direction::ToClient
            },
            payload: hex(&r[4]),
        }
    })
    .collect()
}

/// The UDP payloads of `pcap` matching `filter` (direction: to the lower port is to
/// the server unless `server_port` says otherwise).
pub fn udp_payloads(pcap: &Path, filter: &str, server_port: u16) -> Vec<Seg> {
    let f = format!("udp && ({filter})");
    fields(
        pcap,
        &f,
        &[
            "frame.number",
            "udp.stream",
            "udp.srcport",
            "udp.dstport",
            "udp.payload",
        ],
    )
    .into_iter()
    .map(|r| {
        let dport: u16 = r[3].parse().unwrap();
        Seg {
            frame: r[0].parse().unwrap(),
            stream: r[1].parse().unwrap(),
            dir: if dport == server_port {
                Direction::ToServer
            } else {
                Direction::ToClient
            },
            payload: hex(&r[4]),
        }
    })
    .collect()
}

fn tuple(proto: u8) -> FlowTuple {
    FlowTuple {
        client: "10.0.0.1:40000".parse().unwrap(),
        server: "10.0.0.2:1".parse().unwrap(),
        proto,
        vlan: VlanTags::default(),
    }
}

/// A parse context for one segment (`seq` orders it, `frame` is where its events point).
fn ctx<'a>(
    seq: u64,
    frame: u64,
    proto: u8,
    stats: &'a mut EngineStats,
    events: &'a mut Vec<Event>,
    sub: &'a mut u32,
) -> ParseCtx<'a> {
    ParseCtx::new(
        Timestamp::default(),
        seq,
        0,
        frame,
        tuple(proto),
        stats,
        events,
        sub,
    )
}

/// Runs a fresh parser per stream of `segs`: `feed` hands it each segment in order, then
/// `close` ends each parser. Returns (frame, event) pairs.
fn run_per_stream<P>(
    segs: &[Seg],
    proto: u8,
    mut new: impl FnMut() -> P,
    mut feed: impl FnMut(&mut P, &mut ParseCtx<'_>, &Seg),
    mut close: impl FnMut(&mut P, &mut ParseCtx<'_>),
) -> Vec<(u64, EventKind)> {
    let mut parsers: BTreeMap<u32, P> = BTreeMap::new();
    let mut stats = EngineStats::default();
    let mut events = Vec::new();
    let mut sub = 0;
    for s in segs {
        let p = parsers.entry(s.stream).or_insert_with(&mut new);
        let mut ctx = ctx(s.frame, s.frame, proto, &mut stats, &mut events, &mut sub);
        feed(p, &mut ctx, s);
    }
    for p in parsers.values_mut() {
        let mut ctx = ctx(u64::MAX, 0, proto, &mut stats, &mut events, &mut sub);
        close(p, &mut ctx);
    }
    events.into_iter().map(|e| (e.frame, e.kind)).collect()
}

/// Runs a fresh stream parser per TCP stream over `segs`; returns (frame, event) pairs.
pub fn run_streams<P: StreamParser>(segs: &[Seg], new: impl FnMut() -> P) -> Vec<(u64, EventKind)> {
    run_per_stream(
        segs,
        6,
        new,
        |p, ctx, s| p.on_data(ctx, s.dir, &s.payload),
        |p, ctx| p.on_close(ctx),
    )
}

/// Runs a fresh datagram parser per UDP stream over `segs`.
pub fn run_datagrams<P: DatagramParser>(
    segs: &[Seg],
    new: impl FnMut() -> P,
) -> Vec<(u64, EventKind)> {
    run_per_stream(
        segs,
        17,
        new,
        |p, ctx, s| p.on_datagram(ctx, s.dir, &s.payload),
        |_, _| {},
    )
}
