// Shared by the dns, tls and http targets (included with `include!`): drives a stream
// parser over `data` cut into segments whose sizes and directions come from the input.

use mizuban_capture::{Timestamp, VlanTags};
use mizuban_protocols::engine::EngineStats;
use mizuban_protocols::event::FlowTuple;
use mizuban_protocols::parser::{Direction, ParseCtx, StreamParser};

/// First byte: segment size seed; second: direction pattern. The rest is the stream.
fn drive_stream<P: StreamParser>(p: &mut P, data: &[u8]) {
    let (Some(&size_seed), Some(&dir_bits)) = (data.first(), data.get(1)) else {
        return;
    };
    let body = data.get(2..).unwrap_or(&[]);
    let flow = FlowTuple {
        client: "10.0.0.1:40000".parse().unwrap(),
        server: "10.0.0.2:80".parse().unwrap(),
        proto: 6,
        vlan: VlanTags::default(),
    };
    let mut stats = EngineStats::default();
    let mut events = Vec::new();
    let mut sub = 0;
    let mut ctx = ParseCtx::new(
        Timestamp::default(),
        1,
        0,
        1,
        flow,
        &mut stats,
        &mut events,
        &mut sub,
    );
    let size = usize::from(size_seed % 64) + 1;
    for (i, chunk) in body.chunks(size).enumerate() {
        let dir = if (dir_bits >> (i % 8)) & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        // Every 16th segment after the first is reported as a gap instead.
        if i > 0 && i % 16 == 0 && size_seed & 0x80 != 0 {
            p.on_gap(&mut ctx, dir, chunk.len() as u64);
        } else {
            p.on_data(&mut ctx, dir, chunk);
        }
    }
    p.on_close(&mut ctx);
}
