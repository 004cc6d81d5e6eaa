//! Property tests of the IEC 104 analyzer (STYLE.md section 8): random valid APDUs (I
//! frames of every fixed-size type, S and U frames) parse back to what was encoded,
//! whatever TCP segmentation cuts them; arbitrary bytes never panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use mizuban_capture::{Timestamp, VlanTags};
use mizuban_protocols::engine::EngineStats;
use mizuban_protocols::event::{Event, EventKind, FlowTuple};
use mizuban_protocols::iec104::apci::{self, Control};
use mizuban_protocols::iec104::{Iec104Config, Parser, asdu};
use mizuban_protocols::parser::{Direction, ParseCtx, StreamParser};
use proptest::prelude::*;

/// What an APDU decodes to: apci, type id, cot, IOAs.
type Seen = (&'static str, Option<u8>, Option<u8>, Vec<u32>);
/// APDU bytes and what they must decode to.
type Unit = (Vec<u8>, Seen);

fn unit() -> impl Strategy<Value = Unit> {
    let types: Vec<u8> = (1u8..=127)
        .filter(|&t| asdu::element_len(t).is_some())
        .collect();
    prop_oneof![
        (
            prop::sample::select(types),
            1u8..64,
            prop::collection::vec(0u32..0x00FF_FFFF, 1..8),
            0u16..0x7FFF
        )
            .prop_map(|(t, cot, ioas, seq)| {
                let n = asdu::element_len(t).unwrap();
                let e = vec![0x01u8; n];
                let objs: Vec<(u32, &[u8])> = ioas.iter().map(|&i| (i, e.as_slice())).collect();
                let bytes = apci::encode(
                    Control::I {
                        send: seq,
                        recv: seq,
                    },
                    &asdu::encode(t, cot, 9, &objs),
                );
                (bytes, ("I", Some(t), Some(cot), ioas))
            }),
        (0u16..0x7FFF).prop_map(|r| (
            apci::encode(Control::S { recv: r }, &[]),
            ("S", None, None, vec![])
        )),
        prop::sample::select(vec![1u8, 2, 4, 8, 16, 32]).prop_map(|f| (
            apci::encode(Control::U { function: f }, &[]),
            ("U", None, None, vec![])
        )),
    ]
}

fn run(parts: &[&[u8]]) -> Vec<Seen> {
    let flow = FlowTuple {
        client: "10.0.0.1:40000".parse().unwrap(),
        server: "10.0.0.2:2404".parse().unwrap(),
        proto: 6,
        vlan: VlanTags::default(),
    };
    let mut p = Parser::new(&Iec104Config::default());
    let mut stats = EngineStats::default();
    let mut events: Vec<Event> = Vec::new();
    let mut sub = 0;
    for (i, part) in parts.iter().enumerate() {
        let mut ctx = ParseCtx::new(
            Timestamp::from_nanos(1),
            i as u64,
            0,
            i as u64 + 1,
            flow,
            &mut stats,
            &mut events,
            &mut sub,
        );
        p.on_data(&mut ctx, Direction::ToServer, part);
    }
    let mut ctx = ParseCtx::new(
        Timestamp::from_nanos(2),
        99,
        0,
        0,
        flow,
        &mut stats,
        &mut events,
        &mut sub,
    );
    p.on_close(&mut ctx);
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Iec104(a) => Some((a.apci, a.type_id, a.cot, a.ioas.clone())),
            _ => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn apdus_cut_anywhere_parse_back(units in prop::collection::vec(unit(), 1..10), cuts in prop::collection::vec(1usize..60, 0..20)) {
        let stream: Vec<u8> = units.iter().flat_map(|(b, _)| b.clone()).collect();
        let want: Vec<_> = units.iter().map(|(_, w)| w.clone()).collect();
        let whole = run(&[stream.as_slice()]);
        prop_assert_eq!(&whole, &want);
        let mut parts = Vec::new();
        let mut rest = stream.as_slice();
        for c in cuts {
            if rest.is_empty() { break; }
            let (a, b) = rest.split_at(c.min(rest.len()));
            parts.push(a);
            rest = b;
        }
        parts.push(rest);
        prop_assert_eq!(run(&parts), want);
    }

    #[test]
    fn arbitrary_bytes_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..8)) {
        let parts: Vec<&[u8]> = chunks.iter().map(|c| c.as_slice()).collect();
        let _ = run(&parts);
        for c in &chunks {
            let a = asdu::decode(c);
            prop_assert!(a.objects.len() <= asdu::MAX_OBJECTS);
        }
    }
}
