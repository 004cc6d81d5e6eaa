// Shared by the dnp3_stream and iec104_stream targets (included with `include!`): one
// flow's parser fed the input in chunks, with directions, gaps and ticks derived from
// the input, and the flow closed at the end.

use mizuban_capture::{Timestamp, VlanTags};
use mizuban_protocols::engine::EngineStats;
use mizuban_protocols::event::FlowTuple;
use mizuban_protocols::parser::{Direction, ParseCtx, StreamParser};

/// Each chunk: a control byte (bit 0 direction, bit 1 gap, bit 2 tick, bit 3 wrap the
/// chunk with `wrap(ctl, frame, dir, chunk)` into valid framing; bits 4-7 length
/// 0..=15 times 1 or 17), then the chunk.
fn drive_chunks<P: StreamParser>(
    parser: &mut P,
    server_port: u16,
    data: &[u8],
    wrap: impl Fn(u8, u64, Direction, &[u8]) -> Vec<u8>,
) {
    let flow = FlowTuple {
        client: ([10, 0, 0, 1], 40000).into(),
        server: ([10, 0, 0, 2], server_port).into(),
        proto: 6,
        vlan: VlanTags::default(),
    };
    let mut stats = EngineStats::default();
    let mut events = Vec::new();
    let mut sub = 0u32;
    let mut rest = data;
    let mut frame = 0u64;
    while let Some((&ctl, tail)) = rest.split_first() {
        frame += 1;
        let dir = if ctl & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let len = usize::from(ctl >> 4) * if ctl & 4 == 0 { 1 } else { 17 };
        let (chunk, tail) = tail.split_at(len.min(tail.len()));
        let bytes = if ctl & 8 != 0 {
            wrap(ctl, frame, dir, chunk)
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
}
