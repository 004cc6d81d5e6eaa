//! Flow engine throughput, in packets per second (`Throughput::Elements`).
//!
//! - `flow_lookup_update/100k_flows`: one payload-less TCP ACK for each of 100 000
//!   established flows, round after round: the cost of the hash lookup, the LRU touch, the
//!   per-direction counters and the ACK bookkeeping, with a table much larger than the
//!   CPU caches.
//! - `engine_modbus/1k_flows`: Modbus/TCP polls (12-byte requests, 13-byte responses, in
//!   order) over 1000 flows through the whole engine: flow table, reassembly, the Modbus
//!   parser and its transaction events. This is the packet mix of a water plant's SCADA
//!   network.
//! - `reassembly_in_order`: [`HalfStream::on_segment`] alone on in-order 12-byte segments,
//!   delivering straight from the packet slice.
//!
//! Packets are built once outside the measurement; only the sequence numbers in the
//! decoded view change from round to round, so every segment is new data, not a
//! retransmission.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use etherparse::PacketBuilder;
use mizuban_capture::{LinkType, PacketMeta, Timestamp, Transport, decode};
use mizuban_protocols::flow::{HalfStream, ReassemblyConfig, Segment, StreamSink};
use mizuban_protocols::{Engine, EngineConfig, EngineStats, Event};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn frame(client: u32, cport: u16, to_server: bool, payload: &[u8]) -> (PacketMeta, Vec<u8>) {
    let c = (0x0a00_0000 | client).to_be_bytes();
    let s = [10, 255, 0, 1];
    let (src, dst, sp, dp) = if to_server {
        (c, s, cport, 502)
    } else {
        (s, c, 502, cport)
    };
    let mut f = Vec::new();
    PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(src, dst, 64)
        .tcp(sp, dp, 0, 65535)
        .ack(0)
        .psh()
        .write(&mut f, payload)
        .unwrap();
    let info = decode(LinkType::Ethernet, &f, f.len() as u32);
    assert!(matches!(info.transport, Transport::Tcp(_)));
    let meta = PacketMeta {
        seq: 0,
        file: 0,
        frame: 0,
        ts: Timestamp(0),
        wire_len: f.len() as u32,
        cap_len: f.len() as u32,
        info,
    };
    (meta, f)
}

fn set_seq(meta: &mut PacketMeta, seq: u32, ack: u32) {
    if let Transport::Tcp(t) = &mut meta.info.transport {
        t.seq = seq;
        t.ack = ack;
    }
}

fn flow_lookup_update(c: &mut Criterion) {
    const FLOWS: u32 = 100_000;
    let packets: Vec<(PacketMeta, Vec<u8>)> = (0..FLOWS)
        .map(|i| frame(i + 1, 40000 + (i % 20000) as u16, true, &[]))
        .collect();
    let cfg = EngineConfig::default();
    let mut engine = Engine::new(&cfg, 1);
    let mut out = Vec::with_capacity(FLOWS as usize * 2);
    let mut n: u64 = 0;
    let mut round = |engine: &mut Engine, out: &mut Vec<Event>| {
        for (meta, f) in &packets {
            let mut m = *meta;
            n += 1;
            m.seq = n;
            m.frame = n;
            m.ts = Timestamp(n as i64 * 1000);
            set_seq(&mut m, 1, n as u32);
            engine.process(&m, f, out);
        }
        out.clear();
    };
    // Create the flows before measuring.
    round(&mut engine, &mut out);
    let mut g = c.benchmark_group("flow_lookup_update");
    g.throughput(Throughput::Elements(u64::from(FLOWS)));
    g.bench_function("100k_flows", |b| b.iter(|| round(&mut engine, &mut out)));
    g.finish();
    assert_eq!(engine.flow_count(), FLOWS as usize);
}

fn engine_modbus(c: &mut Criterion) {
    const FLOWS: u32 = 1000;
    const POLLS: u32 = 100;
    let req = [0u8, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 2];
    let resp = [0u8, 1, 0, 0, 0, 7, 1, 3, 4, 0, 1, 0, 2];
    let flows: Vec<_> = (0..FLOWS)
        .map(|i| {
            let cport = 40000 + (i % 20000) as u16;
            (
                frame(i + 1, cport, true, &req),
                frame(i + 1, cport, false, &resp),
            )
        })
        .collect();
    let cfg = EngineConfig::default();
    let per_iter = u64::from(FLOWS * POLLS * 2);
    let mut g = c.benchmark_group("engine_modbus");
    g.throughput(Throughput::Elements(per_iter));
    g.bench_function("1k_flows", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut engine = Engine::new(&cfg, 1);
                let mut out: Vec<Event> = Vec::with_capacity(4096);
                let mut n: u64 = 0;
                let start = Instant::now();
                for p in 0..POLLS {
                    for ((qm, qf), (rm, rf)) in &flows {
                        n += 1;
                        let mut m = *qm;
                        m.seq = n;
                        m.frame = n;
                        m.ts = Timestamp(n as i64 * 1000);
                        set_seq(&mut m, 1 + p * 12, 1 + p * 13);
                        engine.process(&m, qf, &mut out);
                        n += 1;
                        let mut m = *rm;
                        m.seq = n;
                        m.frame = n;
                        m.ts = Timestamp(n as i64 * 1000);
                        set_seq(&mut m, 1 + p * 13, 1 + (p + 1) * 12);
                        engine.process(&m, rf, &mut out);
                        if out.len() >= 4000 {
                            black_box(&out);
                            out.clear();
                        }
                    }
                }
                total += start.elapsed();
                assert!(engine.stats().protocols.values().sum::<u64>() == u64::from(FLOWS));
            }
            total
        })
    });
    g.finish();
}

struct NullSink(u64);

impl StreamSink for NullSink {
    fn data(&mut self, _stats: &mut EngineStats, _frame: u64, data: &[u8]) {
        self.0 += data.len() as u64;
    }
    fn gap(&mut self, _stats: &mut EngineStats, _len: u64) {}
}

fn reassembly_in_order(c: &mut Criterion) {
    const SEGMENTS: u32 = 10_000;
    let cfg = ReassemblyConfig::default();
    let data = [7u8; 12];
    let mut g = c.benchmark_group("reassembly_in_order");
    g.throughput(Throughput::Elements(u64::from(SEGMENTS)));
    g.bench_function("12_byte_segments", |b| {
        let mut half = HalfStream::default();
        let mut stats = EngineStats::default();
        let mut sink = NullSink(0);
        let mut seq: u32 = 1;
        b.iter(|| {
            for i in 0..SEGMENTS {
                let s = Segment {
                    seq,
                    syn: false,
                    fin: false,
                    data: &data,
                    missing_tail: 0,
                    frame: u64::from(i),
                };
                half.on_segment(&cfg, &mut stats, &s, &mut sink);
                seq = seq.wrapping_add(12);
            }
        });
        assert_eq!(stats.reassembly_gaps, 0);
        black_box(sink.0);
    });
    g.finish();
}

criterion_group!(
    benches,
    flow_lookup_update,
    engine_modbus,
    reassembly_in_order
);
criterion_main!(benches);
