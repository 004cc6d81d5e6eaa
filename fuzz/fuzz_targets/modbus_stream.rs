#![no_main]
//! Modbus stream layer: one flow's parser fed the input split at points, in directions,
//! with gaps and ticks, all derived from the input bytes (every path reachable).

use libfuzzer_sys::fuzz_target;
use mizuban_capture::{Timestamp, VlanTags};
use mizuban_protocols::engine::EngineStats;
use mizuban_protocols::event::FlowTuple;
use mizuban_protocols::modbus::{ModbusConfig, Parser};
use mizuban_protocols::parser::{Direction, ParseCtx, StreamParser};
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let flow = FlowTuple {
        client: ([10, 0, 0, 1], 40000).into(),
        server: ([10, 0, 0, 2], 502).into(),
        proto: 6,
        vlan: VlanTags::default(),
    };
    let cfg = ModbusConfig {
        transaction_timeout: Duration::from_millis(50),
        max_pending_per_flow: 4,
    };
    let mut parser = Parser::new(&cfg);
    let mut stats = EngineStats::default();
    let mut events = Vec::new();
    let mut sub = 0u32;
    let mut rest = data;
    let mut frame = 0u64;
    // Each chunk: a control byte (bit 0 direction, bit 1 gap, bit 2 tick; bits 3-7
    // chunk length 0..=31 times a multiplier of 1 or 9), then the chunk.
    while let Some((&ctl, tail)) = rest.split_first() {
        frame += 1;
        let dir = if ctl & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let len = usize::from(ctl >> 3) * if ctl & 4 == 0 { 1 } else { 9 };
        let (chunk, tail) = tail.split_at(len.min(tail.len()));
        let ts = Timestamp::from_nanos(frame as i64 * 10_000_000);
        let mut ctx = ParseCtx::new(ts, frame, 0, frame, flow, &mut stats, &mut events, &mut sub);
        if ctl & 2 != 0 {
            parser.on_gap(&mut ctx, dir, 1);
        }
        parser.on_data(&mut ctx, dir, chunk);
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
