//! Capture-file read throughput: how many packets per second the pcap and pcapng
//! readers and the merger hand out, on a generated in-memory capture of 1M Modbus-sized
//! frames (66 bytes: Ethernet, IPv4, TCP and a 12-byte Modbus request). The bytes sit
//! in memory, so this measures parsing and buffer handling, not the disk; each frame's
//! bytes are touched (summed) so nothing is optimised away.

// Bench harness code over generated, in-bounds data: the wire-data lints do not apply.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mizuban_capture::file::{CaptureReader, MergedReader};
use mizuban_capture::writer::{PcapWriter, PcapngWriter};
use mizuban_capture::{LinkType, Timestamp};
use std::hint::black_box;
use std::io::Read;
use std::sync::Arc;

const PACKETS: u64 = 1_000_000;
const FRAME_LEN: usize = 66;

/// A `Read` over shared bytes, so each iteration opens a fresh reader without copying
/// the whole capture first.
struct Shared {
    data: Arc<Vec<u8>>,
    pos: usize,
}

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

fn frame(i: u64) -> [u8; FRAME_LEN] {
    let mut f = [0u8; FRAME_LEN];
    f[12] = 0x08; // EtherType IPv4
    f[14] = 0x45;
    f[FRAME_LEN - 1] = i as u8;
    f
}

fn ts(i: u64) -> Timestamp {
    Timestamp::from_nanos(1_600_000_000_000_000_000 + i as i64 * 10_000)
}

fn pcap(packets: u64, offset: u64) -> Arc<Vec<u8>> {
    let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet, 65535, true).unwrap();
    for i in 0..packets {
        w.write_packet(ts(i * 2 + offset), &frame(i), FRAME_LEN as u32)
            .unwrap();
    }
    Arc::new(w.into_inner())
}

fn pcapng(packets: u64) -> Arc<Vec<u8>> {
    let mut w = PcapngWriter::new(Vec::new(), false).unwrap();
    w.add_interface(LinkType::Ethernet, 0, 9, 0).unwrap();
    for i in 0..packets {
        w.write_packet(0, ts(i), &frame(i), FRAME_LEN as u32)
            .unwrap();
    }
    Arc::new(w.into_inner())
}

fn open(data: &Arc<Vec<u8>>) -> CaptureReader {
    CaptureReader::from_reader(Shared {
        data: Arc::clone(data),
        pos: 0,
    })
    .unwrap()
}

fn drain(mut r: CaptureReader) -> u64 {
    let mut sum = 0u64;
    while let Some(f) = r.next_frame().unwrap() {
        sum += u64::from(f.data[FRAME_LEN - 1]) + f.wire_len as u64;
    }
    sum
}

fn bench_read(c: &mut Criterion) {
    let pcap_data = pcap(PACKETS, 0);
    let pcapng_data = pcapng(PACKETS);
    let half_a = pcap(PACKETS / 2, 0);
    let half_b = pcap(PACKETS / 2, 1);

    let mut g = c.benchmark_group("file_read_packets");
    g.sample_size(10);
    g.throughput(Throughput::Elements(PACKETS));
    g.bench_function("pcap_1M", |b| {
        b.iter_batched(
            || open(&pcap_data),
            |r| black_box(drain(r)),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("pcapng_1M", |b| {
        b.iter_batched(
            || open(&pcapng_data),
            |r| black_box(drain(r)),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("merge_2x500k", |b| {
        b.iter_batched(
            || MergedReader::new([(0, open(&half_a)), (1, open(&half_b))]),
            |mut m| {
                let mut sum = 0u64;
                while let Some(f) = m.next_frame().unwrap() {
                    sum += u64::from(f.frame.data[FRAME_LEN - 1]) + f.file as u64;
                }
                black_box(sum)
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("file_read_bytes");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(pcap_data.len() as u64));
    g.bench_function("pcap_1M", |b| {
        b.iter_batched(
            || open(&pcap_data),
            |r| black_box(drain(r)),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_read);
criterion_main!(benches);
