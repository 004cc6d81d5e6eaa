//! TCP reassembly of one direction under arbitrary segment/ACK sequences.
//!
//! Every segment carries the true stream content for its offsets (byte = f(offset)), so
//! whatever the order, overlap, loss or cap, each delivered byte must equal f(its stream
//! offset), gaps and deliveries must tile the stream without going back, and the buffer
//! accounting must return to zero. Input layout: 4 bytes ISN, 1 byte cap selector, then
//! 8-byte ops: kind, flags, offset (u16 BE, from the ISN; may point behind or ahead),
//! length (u16 BE), ack delta (u16 BE).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mizuban_protocols::EngineStats;
use mizuban_protocols::flow::{HalfStream, ReassemblyConfig, Segment, StreamSink};

fn content(offset: u64) -> u8 {
    (offset.wrapping_mul(31) % 251) as u8
}

struct Check {
    pos: u64,
}

impl StreamSink for Check {
    fn data(&mut self, _s: &mut EngineStats, _frame: u64, data: &[u8]) {
        assert!(!data.is_empty());
        for (i, b) in data.iter().enumerate() {
            assert_eq!(
                *b,
                content(self.pos + i as u64),
                "byte at {}",
                self.pos + i as u64
            );
        }
        self.pos += data.len() as u64;
    }
    fn gap(&mut self, _s: &mut EngineStats, len: u64) {
        assert!(len > 0);
        self.pos += len;
    }
}

fuzz_target!(|input: &[u8]| {
    if input.len() < 5 {
        return;
    }
    let isn = u32::from_be_bytes([input[0], input[1], input[2], input[3]]);
    let cfg = ReassemblyConfig {
        max_buffered_per_direction: 64 + usize::from(input[4]) * 16,
        max_buffered_total: 64 + usize::from(input[4]) * 24,
    };
    let mut stats = EngineStats::default();
    let mut half = HalfStream::default();
    let mut check = Check { pos: 0 };
    let base = isn.wrapping_add(1);
    half.on_segment(
        &cfg,
        &mut stats,
        &Segment {
            seq: isn,
            syn: true,
            fin: false,
            data: &[],
            missing_tail: 0,
            frame: 0,
        },
        &mut check,
    );
    let mut buf = Vec::new();
    for (frame, op) in input[5..].chunks_exact(8).enumerate() {
        let off = u64::from(u16::from_be_bytes([op[2], op[3]]));
        let len = u64::from(u16::from_be_bytes([op[4], op[5]]) % 1500);
        match op[0] % 4 {
            0 | 1 => {
                buf.clear();
                buf.extend((off..off + len).map(content));
                let seg = Segment {
                    seq: base.wrapping_add(off as u32),
                    syn: false,
                    fin: op[1] & 1 == 1,
                    data: &buf,
                    missing_tail: 0,
                    frame: frame as u64,
                };
                half.on_segment(&cfg, &mut stats, &seg, &mut check);
            }
            2 => {
                let delta = u16::from_be_bytes([op[6], op[7]]);
                half.on_peer_ack(&mut stats, base.wrapping_add(u32::from(delta)), &mut check);
            }
            _ => {}
        }
    }
    half.flush(&mut stats, &mut check);
    half.release(&mut stats);
    assert_eq!(stats.reassembly_buffered_bytes, 0);
});
