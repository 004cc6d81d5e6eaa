//! Property tests of the DNP3 analyzer (STYLE.md section 8): random valid fragments
//! (object headers of every qualifier form, with data of fixed, packed, attribute and
//! size-prefixed objects) decode back to exactly what was encoded; random fragments are
//! split into transport segments and link frames and then cut into random TCP segments,
//! and parse to the same events whatever the cuts; arbitrary bytes never panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use mizuban_capture::{Timestamp, VlanTags};
use mizuban_protocols::dnp3::{Dnp3Config, Parser, app, link, transport};
use mizuban_protocols::engine::EngineStats;
use mizuban_protocols::event::{Event, EventKind, FlowTuple};
use mizuban_protocols::parser::{Direction, ParseCtx, StreamParser};
use proptest::prelude::*;

/// One object header with its objects, and what decoding it must give.
#[derive(Clone, Debug)]
struct Obj {
    bytes: Vec<u8>,
    header: (u8, u8, u8, u32),
    crob: Vec<(u32, u8, u32, u32)>,
}

fn crob(index: u16, code: u8, on: u32, off: u32) -> Vec<u8> {
    let mut v = index.to_le_bytes().to_vec();
    v.extend_from_slice(&[code, 1]);
    v.extend_from_slice(&on.to_le_bytes());
    v.extend_from_slice(&off.to_le_bytes());
    v.push(0);
    v
}

fn obj() -> impl Strategy<Value = Obj> {
    prop_oneof![
        // g12v1 CROBs, qualifier 0x28 (2-octet index, 16-bit count).
        prop::collection::vec((any::<u16>(), 0u8..5, any::<u32>(), any::<u32>()), 1..5).prop_map(
            |items| {
                let mut b = vec![12, 1, 0x28];
                b.extend_from_slice(&(items.len() as u16).to_le_bytes());
                for &(i, c, on, off) in &items {
                    b.extend(crob(i, c, on, off));
                }
                Obj {
                    bytes: b,
                    header: (12, 1, 0x28, items.len() as u32),
                    crob: items
                        .iter()
                        .map(|&(i, c, on, off)| (u32::from(i), c, on, off))
                        .collect(),
                }
            }
        ),
        // g30 analog inputs over an 8- or 16-bit start/stop range.
        (
            prop::sample::select(vec![(1u8, 5usize), (2, 3), (3, 4), (4, 2), (5, 5), (6, 9)]),
            0u16..200,
            0u16..20,
            any::<bool>()
        )
            .prop_map(|((v, size), start, n, wide)| {
                let stop = start + n;
                let mut b = vec![30, v, u8::from(wide)];
                if wide {
                    b.extend_from_slice(&start.to_le_bytes());
                    b.extend_from_slice(&stop.to_le_bytes());
                } else {
                    b.extend_from_slice(&[start as u8, stop as u8]);
                }
                let count = u32::from(n) + 1;
                b.extend(std::iter::repeat_n(0x5A, size * count as usize));
                Obj {
                    bytes: b,
                    header: (30, v, u8::from(wide), count),
                    crob: vec![],
                }
            }),
        // g1v1 packed binary inputs, 8-bit range.
        (0u8..100, 0u8..100).prop_map(|(start, n)| {
            let mut b = vec![1, 1, 0x00, start, start + n];
            b.extend(std::iter::repeat_n(0xFF, (usize::from(n) + 1).div_ceil(8)));
            Obj {
                bytes: b,
                header: (1, 1, 0, u32::from(n) + 1),
                crob: vec![],
            }
        }),
        // g0 device attributes (data type, length, value).
        (
            prop::sample::select(vec![242u8, 243, 248, 250, 252]),
            "[a-zA-Z0-9 .-]{0,40}"
        )
            .prop_map(|(v, s)| {
                let mut b = vec![0, v, 0x00, 0, 0, 1, s.len() as u8];
                b.extend_from_slice(s.as_bytes());
                Obj {
                    bytes: b,
                    header: (0, v, 0, 1),
                    crob: vec![],
                }
            }),
        // g70v8 / g120v9 free-format objects with a 2-octet size prefix.
        (
            prop::sample::select(vec![(70u8, 8u8), (120, 9), (120, 1)]),
            prop::collection::vec(any::<u8>(), 0..60)
        )
            .prop_map(|((g, v), data)| {
                let mut b = vec![g, v, 0x5B, 1];
                b.extend_from_slice(&(data.len() as u16).to_le_bytes());
                b.extend_from_slice(&data);
                Obj {
                    bytes: b,
                    header: (g, v, 0x5B, 1),
                    crob: vec![],
                }
            }),
        // g50v1 time, 8-bit count.
        any::<[u8; 6]>().prop_map(|t| {
            let mut b = vec![50, 1, 0x07, 1];
            b.extend_from_slice(&t);
            Obj {
                bytes: b,
                header: (50, 1, 0x07, 1),
                crob: vec![],
            }
        }),
    ]
}

/// A fragment: control, function (a request carrying data, or a response), objects.
fn fragment() -> impl Strategy<Value = (u8, u8, Vec<Obj>)> {
    (
        0u8..16,
        prop::sample::select(vec![2u8, 3, 4, 5, 129, 130]),
        prop::collection::vec(obj(), 0..6),
    )
}

fn encode(seq: u8, function: u8, objs: &[Obj]) -> Vec<u8> {
    let body: Vec<u8> = objs.iter().flat_map(|o| o.bytes.clone()).collect();
    let iin = (function >= 129).then_some(0x0000);
    let uns = if function == 130 { 0x10 } else { 0 };
    app::encode(0xC0 | uns | seq, function, iin, &body)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_fragments_decode_back((seq, function, objs) in fragment()) {
        let bytes = encode(seq, function, &objs);
        let f = app::decode(&bytes);
        prop_assert_eq!(f.anomaly, None);
        let h = f.header.unwrap();
        prop_assert_eq!((h.seq(), h.function), (seq, function));
        let got: Vec<_> = f.objects.iter().map(|o| (o.group, o.variation, o.qualifier, o.count)).collect();
        let want: Vec<_> = objs.iter().map(|o| o.header).collect();
        prop_assert_eq!(got, want);
        let crobs: Vec<_> = f.decoded.crob.iter().map(|c| (c.index, c.op_type, c.on_time, c.off_time)).collect();
        let want_crobs: Vec<_> = objs.iter().flat_map(|o| o.crob.clone()).take(app::MAX_DECODED).collect();
        prop_assert_eq!(crobs, want_crobs);
    }

    #[test]
    fn every_truncation_of_a_link_frame_is_incomplete(data in prop::collection::vec(any::<u8>(), 0..250)) {
        let frame = link::encode(0xC4, 7, 9, &data);
        for n in 0..frame.len() {
            let incomplete = matches!(link::parse_frame(&frame[..n]), Err(link::FrameError::Incomplete { .. }));
            prop_assert!(incomplete || n < 2, "{}", n);
        }
        let (f, rest) = link::parse_frame(&frame).unwrap();
        prop_assert!(rest.is_empty());
        prop_assert_eq!(f.data.bytes(), &data[..]);
    }

    #[test]
    fn fragments_over_segments_and_tcp_cuts_parse_the_same(
        frags in prop::collection::vec(fragment(), 1..6),
        seg_size in 1usize..250,
        cuts in prop::collection::vec(1usize..400, 0..30),
        tseq in 0u8..64,
    ) {
        let mut stream = Vec::new();
        let mut want = Vec::new();
        let mut s = tseq;
        for (seq, function, objs) in &frags {
            let bytes = encode(*seq, *function, objs);
            let segs = transport::segment(&bytes, seg_size, s);
            s = s.wrapping_add(segs.len() as u8) & 0x3F;
            for seg in segs {
                stream.extend(link::encode(0xC4, 4, 3, &seg));
            }
            want.push((*function, *seq, objs.len()));
        }
        let whole = run(&[stream.as_slice()]);
        let mut parts = Vec::new();
        let mut rest = stream.as_slice();
        for c in cuts {
            if rest.is_empty() { break; }
            let (a, b) = rest.split_at(c.min(rest.len()));
            parts.push(a);
            rest = b;
        }
        parts.push(rest);
        let split = run(&parts);
        prop_assert_eq!(&whole, &split);
        let got: Vec<_> = whole.iter().map(|(_, f, s, n)| (*f, *s, *n)).collect();
        prop_assert_eq!(sorted(got), sorted(want));
    }

    #[test]
    fn arbitrary_bytes_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..8)) {
        let parts: Vec<&[u8]> = chunks.iter().map(|c| c.as_slice()).collect();
        let _ = run(&parts);
        for c in &chunks {
            let _ = app::decode(c);
        }
    }
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// Feeds `parts` as consecutive segments of the to-server direction, closes, and
/// returns (frame-independent) the fragments: (frame count index, function, seq,
/// objects).
fn run(parts: &[&[u8]]) -> Vec<(usize, u8, u8, usize)> {
    let flow = FlowTuple {
        client: "10.0.0.1:40000".parse().unwrap(),
        server: "10.0.0.2:20000".parse().unwrap(),
        proto: 6,
        vlan: VlanTags::default(),
    };
    let mut p = Parser::new(&Dnp3Config::default());
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
            EventKind::Dnp3(f) => Some((f.objects.len(), f.function, f.app_seq, f.objects.len())),
            _ => None,
        })
        .collect()
}
