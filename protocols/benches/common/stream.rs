//! The `stream` benchmark every protocol bench shares: one per-flow parser fed a
//! recorded exchange, each unit a TCP payload in its direction, as the engine feeds it.

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup};
use mizuban_capture::{Timestamp, VlanTags};
use mizuban_protocols::engine::EngineStats;
use mizuban_protocols::event::FlowTuple;
use mizuban_protocols::parser::{Direction, ParseCtx, StreamParser};
use std::hint::black_box;

/// Benchmarks `new()`'s parser over `units` on a loopback flow to `server_port`.
pub fn bench_stream<P: StreamParser>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    server_port: u16,
    new: impl Fn() -> P,
    units: &[(Direction, Vec<u8>)],
) {
    let flow = FlowTuple {
        client: ([127, 0, 0, 1], 40000).into(),
        server: ([127, 0, 0, 1], server_port).into(),
        proto: 6,
        vlan: VlanTags::default(),
    };
    g.bench_function("stream", |b| {
        b.iter_batched(
            || (new(), EngineStats::default(), Vec::with_capacity(16)),
            |(mut parser, mut stats, mut events)| {
                let mut sub = 0;
                for (i, (dir, data)) in units.iter().enumerate() {
                    let n = u64::try_from(i).unwrap_or(u64::MAX);
                    let mut ctx = ParseCtx::new(
                        Timestamp::from_nanos(i64::try_from(i).unwrap_or(i64::MAX)),
                        n,
                        0,
                        n.saturating_add(1),
                        flow,
                        &mut stats,
                        &mut events,
                        &mut sub,
                    );
                    parser.on_data(&mut ctx, *dir, data);
                }
                black_box(events.len())
            },
            BatchSize::SmallInput,
        )
    });
}
