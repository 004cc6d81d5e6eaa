#![no_main]
//! Every registered protocol at once: the first input byte picks a protocol of the
//! registry (`mizuban_protocols::registry::PROTOCOLS`), the second how the rest is cut
//! into segments, and the rest goes to that protocol's probes and to its parser, as a
//! TCP stream and as datagrams. A protocol added to the registry is fuzzed here without
//! a target of its own (the protocol checklist test relies on this).

use libfuzzer_sys::fuzz_target;
use mizuban_capture::{Timestamp, VlanTags};
use mizuban_protocols::engine::EngineStats;
use mizuban_protocols::event::FlowTuple;
use mizuban_protocols::parser::{Direction, ParseCtx};
use mizuban_protocols::registry::{PROTOCOLS, ProtocolsConfig};

fuzz_target!(|data: &[u8]| {
    let (Some(&pick), Some(&cut)) = (data.first(), data.get(1)) else {
        return;
    };
    let Some(spec) = PROTOCOLS.get(usize::from(pick) % PROTOCOLS.len()) else {
        return;
    };
    let body = data.get(2..).unwrap_or(&[]);
    for on in [spec.tcp, spec.udp] {
        if let Some(probe) = on.probe {
            let _ = probe(body, Direction::ToServer);
            let _ = probe(body, Direction::ToClient);
        }
    }
    let Some(new) = spec.parser else {
        return;
    };
    let flow = FlowTuple {
        client: "10.0.0.1:40000".parse().unwrap(),
        server: "10.0.0.2:1000".parse().unwrap(),
        proto: 6,
        vlan: VlanTags::default(),
    };
    let cfg = ProtocolsConfig::default();
    let size = usize::from(cut % 64) + 1;
    for stream in [true, false] {
        let mut parser = new(&cfg);
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
        for (i, chunk) in body.chunks(size).enumerate() {
            let dir = if (cut >> (i % 8)) & 1 == 0 {
                Direction::ToServer
            } else {
                Direction::ToClient
            };
            if stream {
                parser.on_data(&mut ctx, dir, chunk);
            } else {
                parser.on_datagram(&mut ctx, dir, chunk);
            }
            parser.on_tick(&mut ctx, stream);
        }
        parser.on_close(&mut ctx, stream);
    }
});
