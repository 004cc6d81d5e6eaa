//! IEC 104 parsing speed (issue 11, point 8).
//!
//! Inputs are built with the crate's encoders (apci::encode, asdu::encode) as a
//! substation link looks on the wire: spontaneous measured values (M_ME_NC_1 with 8
//! objects), single points, a select/execute single command with confirmations, S and
//! U frames. `apdu_asdu` measures APDU framing plus ASDU decoding; `stream` the whole
//! per-connection parser (framing, sequence checks, objects, command pairing, events).
#![allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]

#[path = "common/stream.rs"]
mod stream;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mizuban_protocols::iec104::apci::{self, Control};
use mizuban_protocols::iec104::{Iec104Config, Parser, asdu};
use mizuban_protocols::parser::Direction;
use std::hint::black_box;

fn units() -> Vec<(Direction, Vec<u8>)> {
    let f = [0x00, 0x00, 0x20, 0x41, 0x00];
    let me: Vec<(u32, &[u8])> = (0..8u32).map(|i| (4000 + i, &f[..])).collect();
    let sp: Vec<(u32, &[u8])> = (0..4u32).map(|i| (1000 + i, &[0x01][..])).collect();
    let i = |s: u16, a: Vec<u8>| apci::encode(Control::I { send: s, recv: s }, &a);
    vec![
        (Direction::ToClient, i(0, asdu::encode(13, 3, 1, &me))),
        (Direction::ToClient, i(1, asdu::encode(1, 3, 1, &sp))),
        (
            Direction::ToServer,
            apci::encode(Control::S { recv: 2 }, &[]),
        ),
        (
            Direction::ToServer,
            i(0, asdu::encode(45, 6, 1, &[(5001, &[0x81])])),
        ),
        (
            Direction::ToClient,
            i(2, asdu::encode(45, 7, 1, &[(5001, &[0x81])])),
        ),
        (
            Direction::ToServer,
            i(1, asdu::encode(45, 6, 1, &[(5001, &[0x01])])),
        ),
        (
            Direction::ToClient,
            i(3, asdu::encode(45, 7, 1, &[(5001, &[0x01])])),
        ),
        (
            Direction::ToServer,
            apci::encode(Control::U { function: 0x10 }, &[]),
        ),
        (
            Direction::ToClient,
            apci::encode(Control::U { function: 0x20 }, &[]),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let u = units();
    let mut g = c.benchmark_group("iec104");
    g.throughput(Throughput::Elements(u.len() as u64));
    g.bench_function("apdu_asdu", |b| {
        b.iter(|| {
            for (_, bytes) in &u {
                let (a, _) = apci::parse_apdu(black_box(bytes)).unwrap();
                if let Control::I { .. } = a.control {
                    black_box(asdu::decode(a.asdu));
                }
            }
        })
    });
    stream::bench_stream(&mut g, 2404, || Parser::new(&Iec104Config::default()), &u);
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
