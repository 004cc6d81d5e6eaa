#![no_main]
//! DNP3 stream layer: one flow's parser fed the input in chunks, directions, gaps and
//! ticks derived from the input. A chunk may be wrapped into link frames with good CRCs
//! (split into transport segments), so the transport and application layers behind the
//! CRC checks are reached too.

use libfuzzer_sys::fuzz_target;
use mizuban_capture::{Timestamp, VlanTags};
use mizuban_protocols::dnp3::{Dnp3Config, Parser, link, transport};
use mizuban_protocols::engine::EngineStats;
use mizuban_protocols::event::FlowTuple;
use mizuban_protocols::parser::{Direction, ParseCtx, StreamParser};
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let flow = FlowTuple {
        client: ([10, 0, 0, 1], 40000).into(),
        server: ([10, 0, 0, 2], 20000).into(),
        proto: 6,
        vlan: VlanTags::default(),
    };
    let cfg = Dnp3Config {
        transaction_timeout: Duration::from_millis(50),
        max_pending_per_flow: 4,
        max_fragment_len: 600,
    };
    let mut parser = Parser::new(&cfg);
    let mut stats = EngineStats::default();
    let mut events = Vec::new();
    let mut sub = 0u32;
    let mut rest = data;
    let mut frame = 0u64;
    // Each chunk: a control byte (bit 0 direction, bit 1 gap, bit 2 tick, bit 3 wrap in
    // link frames with good CRCs; bits 4-7 length 0..=15 times 1 or 17), then the chunk.
    while let Some((&ctl, tail)) = rest.split_first() {
        frame += 1;
        let dir = if ctl & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let len = usize::from(ctl >> 4) * if ctl & 4 == 0 { 1 } else { 17 };
        let (chunk, tail) = tail.split_at(len.min(tail.len()));
        let bytes: Vec<u8> = if ctl & 8 != 0 {
            let (ctl_byte, src) = if dir == Direction::ToServer { (0xC4, 1) } else { (0x44, 2) };
            transport::segment(chunk, 1 + usize::from(ctl >> 4) * 16, (ctl >> 2) & 0x3F)
                .iter()
                .flat_map(|s| link::encode(ctl_byte, 3 - src, src, s))
                .collect()
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
    let mut ctx = ParseCtx::new(
        Timestamp::MAX,
        u64::MAX,
        0,
        0,
        flow,
        &mut stats,
        &mut events,
        &mut sub,
    );
    parser.on_close(&mut ctx);
    assert_eq!(parser.pending_len(), 0);
});
