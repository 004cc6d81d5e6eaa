//! Modbus ADU parsing speed (issue 3, point 9; goal: under 50 ns per ADU).
//!
//! Inputs are the 48 real ADUs of cisagov_modbus_example.pcap (every public function
//! code, requests and responses; tests/fixtures/modbus/), decoded outside the measured
//! closure. `adu_parse` measures framing plus content decoding of one ADU, which is
//! what the stream parser does per ADU before pairing; `stream` measures the whole
//! per-flow parser (framing, decoding, pairing, event building) over the capture's
//! byte streams.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mizuban_capture::{Timestamp, VlanTags};
use mizuban_protocols::engine::EngineStats;
use mizuban_protocols::event::FlowTuple;
use mizuban_protocols::modbus::{ModbusConfig, Parser, frame, pdu};
use mizuban_protocols::parser::{Direction, ParseCtx, StreamParser};
use std::hint::black_box;

const FIXTURE: &str = include_str!("../tests/fixtures/modbus/cisagov_modbus_example.payloads.txt");

fn payloads() -> Vec<(u64, Direction, Vec<u8>)> {
    FIXTURE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut f = l.split_whitespace();
            let frame = f.next().unwrap().parse().unwrap();
            let dir = if f.next().unwrap() == "req" {
                Direction::ToServer
            } else {
                Direction::ToClient
            };
            let hex = f.next().unwrap();
            let bytes = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
                .collect();
            (frame, dir, bytes)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let p = payloads();
    let n = p.len() as u64;
    let mut g = c.benchmark_group("modbus");
    g.throughput(Throughput::Elements(n));
    g.bench_function("adu_parse", |b| {
        b.iter(|| {
            for (_, dir, bytes) in &p {
                let (adu, _) = frame::parse_adu(black_box(bytes)).unwrap();
                let m = match dir {
                    Direction::ToServer => pdu::decode_request(adu.pdu),
                    Direction::ToClient => pdu::decode_response(adu.pdu, None),
                };
                black_box(m);
            }
        })
    });
    let flow = FlowTuple {
        client: ([127, 0, 0, 1], 47785).into(),
        server: ([127, 0, 0, 1], 502).into(),
        proto: 6,
        vlan: VlanTags::default(),
    };
    g.bench_function("stream", |b| {
        b.iter_batched(
            || {
                (
                    Parser::new(&ModbusConfig::default()),
                    EngineStats::default(),
                    Vec::with_capacity(64),
                )
            },
            |(mut parser, mut stats, mut events)| {
                let mut sub = 0;
                for (frame, dir, bytes) in &p {
                    let mut ctx = ParseCtx::new(
                        Timestamp::from_nanos(*frame as i64),
                        *frame,
                        0,
                        *frame,
                        flow,
                        &mut stats,
                        &mut events,
                        &mut sub,
                    );
                    parser.on_data(&mut ctx, *dir, bytes);
                }
                black_box(events.len())
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
