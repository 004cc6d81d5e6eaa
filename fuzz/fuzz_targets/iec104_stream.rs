#![no_main]
//! IEC 104 stream layer: one connection's parser fed the input in chunks, directions,
//! gaps and ticks derived from the input; a chunk may be wrapped as an I frame's ASDU
//! (so the ASDU decoder and the command pairing are reached), and the ASDU decoder is
//! also fed the whole input directly.

use libfuzzer_sys::fuzz_target;
use mizuban_capture::{Timestamp, VlanTags};
use mizuban_protocols::engine::EngineStats;
use mizuban_protocols::event::FlowTuple;
use mizuban_protocols::iec104::apci::{self, Control};
use mizuban_protocols::iec104::{Iec104Config, Parser, asdu};
use mizuban_protocols::parser::{Direction, ParseCtx, StreamParser};
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let a = asdu::decode(data);
    assert!(a.objects.len() <= asdu::MAX_OBJECTS);
    let flow = FlowTuple {
        client: ([10, 0, 0, 1], 40000).into(),
        server: ([10, 0, 0, 2], 2404).into(),
        proto: 6,
        vlan: VlanTags::default(),
    };
    let cfg = Iec104Config {
        command_timeout: Duration::from_millis(50),
        max_pending_per_flow: 4,
    };
    let mut parser = Parser::new(&cfg);
    let mut stats = EngineStats::default();
    let mut events = Vec::new();
    let mut sub = 0u32;
    let mut rest = data;
    let mut frame = 0u64;
    // Each chunk: a control byte (bit 0 direction, bit 1 gap, bit 2 tick, bit 3 wrap as
    // an I frame; bits 4-7 length 0..=15 times 1 or 17), then the chunk.
    while let Some((&ctl, tail)) = rest.split_first() {
        frame += 1;
        let dir = if ctl & 1 == 0 { Direction::ToServer } else { Direction::ToClient };
        let len = usize::from(ctl >> 4) * if ctl & 4 == 0 { 1 } else { 17 };
        let (chunk, tail) = tail.split_at(len.min(tail.len()));
        let bytes = if ctl & 8 != 0 {
            let n = frame as u16;
            apci::encode(Control::I { send: n, recv: n }, chunk)
        } else {
            chunk.to_vec()
        };
        let ts = Timestamp::from_nanos(frame as i64 * 10_000_000);
        let mut ctx = ParseCtx::new(ts, frame, 0, frame, flow, &mut stats, &mut events, &mut sub);
        if ctl & 2 != 0 {
            parser.on_gap(&mut ctx, dir, 1);
        }
        parser.on_data(&mut ctx, dir, &bytes);
        if ctl & 4 != 0 {
            parser.on_tick(&mut ctx);
        }
        rest = tail;
        if events.len() > 4096 {
            events.clear();
        }
    }
    let mut ctx = ParseCtx::new(Timestamp::MAX, u64::MAX, 0, 0, flow, &mut stats, &mut events, &mut sub);
    parser.on_close(&mut ctx);
    assert_eq!(parser.pending_len(), 0);
});
