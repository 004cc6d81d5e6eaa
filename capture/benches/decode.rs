//! Per-packet decode cost on the hot path: Ethernet/IPv4/TCP carrying a Modbus/TCP
//! request (the packet mizuban sees most in a plant), plus VLAN, IPv6 and SLL2 variants
//! and one IPv4 fragment reassembly. Frames are built once outside the measured loop;
//! throughput is in packets (elements) per second.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use etherparse::{PacketBuilder, VlanId};
use mizuban_capture::defrag::Defragmenter;
use mizuban_capture::{LinkType, Timestamp, decode};
use std::hint::black_box;

/// Modbus/TCP read holding registers request: MBAP (7 bytes) + PDU (5 bytes).
const MODBUS_READ: &[u8] = &[0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10];

fn frames() -> Vec<(&'static str, LinkType, Vec<u8>)> {
    let mut out = Vec::new();
    let mut f = Vec::new();
    PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(49152, 502, 1, 8192)
        .ack(1)
        .psh()
        .write(&mut f, MODBUS_READ)
        .ok();
    out.push(("eth_ipv4_tcp_modbus", LinkType::Ethernet, f));
    let mut f = Vec::new();
    PacketBuilder::ethernet2([1; 6], [2; 6])
        .double_vlan(
            VlanId::try_new(100).unwrap_or_default(),
            VlanId::try_new(7).unwrap_or_default(),
        )
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(47808, 47808)
        .write(&mut f, MODBUS_READ)
        .ok();
    out.push(("eth_qinq_ipv4_udp", LinkType::Ethernet, f));
    let mut f = Vec::new();
    PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv6([0xfd; 16], [0xfe; 16], 64)
        .tcp(49152, 4840, 1, 8192)
        .write(&mut f, MODBUS_READ)
        .ok();
    out.push(("eth_ipv6_tcp", LinkType::Ethernet, f));
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
    ];
    PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(49152, 502, 1, 8192)
        .write(&mut sll2, MODBUS_READ)
        .ok();
    out.push(("sll2_ipv4_tcp", LinkType::LinuxSll2, sll2));
    out
}

fn bench_decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(1));
    for (name, link, frame) in frames() {
        let wire = u32::try_from(frame.len()).unwrap_or(u32::MAX);
        g.bench_function(name, |b| {
            b.iter(|| decode(black_box(link), black_box(&frame), black_box(wire)))
        });
    }
    g.finish();
}

/// Two-fragment IPv4/UDP datagram (1480 + 520 bytes of payload) reassembled.
fn bench_defrag(c: &mut Criterion) {
    let payload = vec![0x5a_u8; 2000 - 8];
    let mut whole = Vec::new();
    PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(47808, 47808)
        .write(&mut whole, &payload)
        .ok();
    let ip_payload = whole.get(20..).unwrap_or(&[]).to_vec();
    let frag = |offset: usize, more: bool, data: &[u8]| {
        let total = u16::try_from(data.len().saturating_add(20)).unwrap_or(0);
        let ff = (u16::from(more) << 13) | u16::try_from(offset / 8).unwrap_or(0);
        let mut f = vec![0x45, 0];
        f.extend_from_slice(&total.to_be_bytes());
        f.extend_from_slice(&[0x12, 0x34]);
        f.extend_from_slice(&ff.to_be_bytes());
        f.extend_from_slice(&[64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        f.extend_from_slice(data);
        f
    };
    let (a, b) = ip_payload.split_at(1480);
    let f1 = frag(0, true, a);
    let f2 = frag(1480, false, b);
    let i1 = decode(LinkType::Raw, &f1, 0);
    let i2 = decode(LinkType::Raw, &f2, 0);
    let mut g = c.benchmark_group("defrag");
    g.throughput(Throughput::Elements(1));
    g.bench_function("ipv4_two_fragments", |bch| {
        bch.iter_batched_ref(
            Defragmenter::default,
            |d| {
                d.push(Timestamp::ZERO, &i1, &f1);
                d.push(Timestamp::ZERO, &i2, &f2).map(|r| r.payload.len())
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_decode, bench_defrag);
criterion_main!(benches);
