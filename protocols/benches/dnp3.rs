//! DNP3 parsing speed (issue 11, point 8).
//!
//! Inputs are built with the crate's encoders (link::encode, transport::segment,
//! app::encode) as a master's poll cycle looks on the wire: a class 0 read, its
//! 600-byte response over three link frames (g30v1 analog inputs), a CROB select and
//! operate with their echoes. `frame_app` measures link framing with every CRC plus the
//! application decode of single-frame fragments; `stream` measures the whole per-flow
//! parser (framing, CRCs, reassembly, objects, pairing, events) over the cycle.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

#[path = "common/stream.rs"]
mod stream;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mizuban_protocols::dnp3::{Dnp3Config, Parser, app, link, transport};
use mizuban_protocols::parser::Direction;
use std::hint::black_box;

fn frames(ctl: u8, dst: u16, src: u16, fragment: &[u8]) -> Vec<u8> {
    transport::segment(fragment, 249, 0)
        .iter()
        .flat_map(|s| link::encode(ctl, dst, src, s))
        .collect()
}

fn cycle() -> Vec<(Direction, Vec<u8>)> {
    let crob = |f: u8, seq: u8, iin: Option<u16>| {
        app::encode(
            0xC0 | seq,
            f,
            iin,
            &[
                0x0C, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00, 0x41, 0x01, 0xF4, 0x01, 0, 0, 0, 0, 0, 0,
                0,
            ],
        )
    };
    let mut big = vec![0x1E, 0x01, 0x01, 0x00, 0x00, 0x75, 0x00];
    for i in 0..118u32 {
        big.push(0x01);
        big.extend_from_slice(&i.to_le_bytes());
    }
    vec![
        (
            Direction::ToServer,
            frames(
                0xC4,
                10,
                1,
                &app::encode(0xC1, 0x01, None, &[0x3C, 0x01, 0x06]),
            ),
        ),
        (
            Direction::ToClient,
            frames(0x44, 1, 10, &app::encode(0xC1, 0x81, Some(0), &big)),
        ),
        (Direction::ToServer, frames(0xC4, 10, 1, &crob(3, 2, None))),
        (
            Direction::ToClient,
            frames(0x44, 1, 10, &crob(0x81, 2, Some(0))),
        ),
        (Direction::ToServer, frames(0xC4, 10, 1, &crob(4, 3, None))),
        (
            Direction::ToClient,
            frames(0x44, 1, 10, &crob(0x81, 3, Some(0))),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let cyc = cycle();
    let single: Vec<&Vec<u8>> = cyc
        .iter()
        .map(|(_, b)| b)
        .filter(|b| b.len() <= link::MAX_FRAME_LEN)
        .collect();
    let mut g = c.benchmark_group("dnp3");
    g.throughput(Throughput::Elements(single.len() as u64));
    g.bench_function("frame_app", |b| {
        b.iter(|| {
            for bytes in &single {
                let (f, _) = link::parse_frame(black_box(bytes)).unwrap();
                black_box(app::decode(&f.data.bytes()[1..]));
            }
        })
    });
    let bytes: u64 = cyc.iter().map(|(_, b)| b.len() as u64).sum();
    g.throughput(Throughput::Bytes(bytes));
    stream::bench_stream(&mut g, 20000, || Parser::new(&Dnp3Config::default()), &cyc);
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
