//! TCP reassembly of one direction ([`HalfStream`]), driven segment by segment.
//!
//! Expected values come from the byte stream the test builds: whatever the segments'
//! order, duplication or overlap, the parser must see that stream, and a hole exactly as
//! long as the bytes never delivered.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use mizuban_capture::DropReason;
use mizuban_protocols::EngineStats;
use mizuban_protocols::flow::{HalfStream, ReassemblyConfig, Segment, StreamSink};
use proptest::prelude::*;

/// What a parser would see: bytes at their stream offsets, gaps, and the frame of each
/// delivery.
#[derive(Default, Debug)]
struct Recorder {
    /// Stream offset of the next byte (delivered bytes plus gaps).
    pos: u64,
    bytes: Vec<u8>,
    /// (offset, len) of each gap.
    gaps: Vec<(u64, u64)>,
    /// (frame, len) of each delivery.
    deliveries: Vec<(u64, usize)>,
}

impl StreamSink for Recorder {
    fn data(&mut self, _stats: &mut EngineStats, frame: u64, data: &[u8]) {
        assert!(!data.is_empty(), "empty delivery");
        self.bytes.extend_from_slice(data);
        self.pos += data.len() as u64;
        self.deliveries.push((frame, data.len()));
    }
    fn gap(&mut self, _stats: &mut EngineStats, len: u64) {
        assert!(len > 0, "empty gap");
        self.gaps.push((self.pos, len));
        // Mark gap bytes so the stream comparison sees where they were.
        self.bytes
            .extend(std::iter::repeat_n(GAP_MARK, usize::try_from(len).unwrap()));
        self.pos += len;
    }
}

/// Fill for gap positions in [`Recorder::bytes`]; test streams never contain it at a
/// position that matters because comparisons skip gap ranges.
const GAP_MARK: u8 = 0xEE;

struct Harness {
    cfg: ReassemblyConfig,
    stats: EngineStats,
    half: HalfStream,
    rec: Recorder,
}

impl Harness {
    fn new() -> Harness {
        Harness::with_cfg(ReassemblyConfig::default())
    }
    fn with_cfg(cfg: ReassemblyConfig) -> Harness {
        Harness {
            cfg,
            stats: EngineStats::default(),
            half: HalfStream::default(),
            rec: Recorder::default(),
        }
    }
    fn syn(&mut self, isn: u32) {
        self.seg_flags(isn, &[], 0, true, false);
    }
    fn seg(&mut self, seq: u32, data: &[u8], frame: u64) {
        self.seg_flags(seq, data, frame, false, false);
    }
    fn seg_flags(&mut self, seq: u32, data: &[u8], frame: u64, syn: bool, fin: bool) {
        let s = Segment {
            seq,
            syn,
            fin,
            data,
            missing_tail: 0,
            frame,
        };
        self.half
            .on_segment(&self.cfg, &mut self.stats, &s, &mut self.rec);
    }
    fn ack(&mut self, ack: u32) {
        self.half.on_peer_ack(&mut self.stats, ack, &mut self.rec);
    }
    fn flush(&mut self) {
        self.half.flush(&mut self.stats, &mut self.rec);
        self.half.release(&mut self.stats);
    }
}

fn stream(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn in_order_segments_are_delivered_with_their_frames() {
    let mut h = Harness::new();
    h.syn(999);
    h.seg(1000, b"abc", 2);
    h.seg(1003, b"defg", 3);
    assert_eq!(h.rec.bytes, b"abcdefg");
    assert_eq!(h.rec.deliveries, vec![(2, 3), (3, 4)]);
    assert_eq!(h.stats.reassembly_buffered_bytes, 0);
}

#[test]
fn retransmission_is_dropped_and_counted() {
    let mut h = Harness::new();
    h.syn(0);
    h.seg(1, b"hello", 2);
    h.seg(1, b"hello", 3);
    // Partial retransmission: "lo" (offsets 3..5) again plus 3 new bytes.
    h.seg(4, b"lo wo", 4);
    assert_eq!(h.rec.bytes, b"hello wo");
    assert_eq!(h.stats.reassembly_duplicate_bytes, 5 + 2);
    assert_eq!(h.rec.deliveries, vec![(2, 5), (4, 3)]);
}

#[test]
fn out_of_order_is_buffered_then_delivered_with_original_frames() {
    let mut h = Harness::new();
    h.syn(0);
    h.seg(6, b"world", 7);
    assert!(h.rec.bytes.is_empty());
    assert!(h.stats.reassembly_buffered_bytes > 0);
    h.seg(1, b"hello", 8);
    assert_eq!(h.rec.bytes, b"helloworld");
    assert_eq!(h.rec.deliveries, vec![(8, 5), (7, 5)]);
    assert_eq!(h.stats.reassembly_buffered_bytes, 0);
    assert!(h.rec.gaps.is_empty());
}

#[test]
fn overlap_keeps_the_first_copy() {
    let mut h = Harness::new();
    h.syn(0);
    // Buffered first: stream offsets 10..20 as 'A'.
    h.seg(11, &[b'A'; 10], 2);
    // Then offsets 0..25 as 'B', arriving in order: the buffered 'A's win.
    h.seg(1, &[b'B'; 25], 3);
    let mut want = vec![b'B'; 10];
    want.extend([b'A'; 10]);
    want.extend([b'B'; 5]);
    assert_eq!(h.rec.bytes, want);
    assert_eq!(h.stats.reassembly_overlap_bytes, 10);
    // Out-of-order overlap among buffered segments: 30..40 'C' then 35..45 'D'.
    h.seg(31, &[b'C'; 10], 4);
    h.seg(36, &[b'D'; 10], 5);
    h.seg(26, &[b'E'; 5], 6);
    let tail = &h.rec.bytes[25..];
    let mut want = vec![b'E'; 5];
    want.extend([b'C'; 10]);
    want.extend([b'D'; 5]);
    assert_eq!(tail, &want[..]);
    assert_eq!(h.stats.reassembly_overlap_bytes, 15);
}

#[test]
fn hole_acked_by_peer_is_a_gap_at_once() {
    let mut h = Harness::new();
    h.syn(0);
    h.seg(1, &[1; 10], 2);
    // Segment 11..21 lost. The peer acknowledges through 31 (it got everything).
    h.ack(31);
    assert!(h.rec.gaps.is_empty(), "no data past the hole yet: wait");
    h.seg(21, &[3; 10], 4);
    assert_eq!(h.rec.gaps, vec![(10, 10)]);
    assert_eq!(&h.rec.bytes[20..], &[3; 10]);
    assert_eq!(h.stats.missed_bytes, 10);
    assert_eq!(h.half.missed_bytes(), 10);
    assert_eq!(h.stats.acked_bytes, 30);
    assert_eq!(h.stats.reassembly_gaps, 1);
    assert_eq!(h.stats.drops.get(DropReason::ReassemblyGap), 10);
}

#[test]
fn ack_past_buffered_data_skips_the_hole() {
    let mut h = Harness::new();
    h.syn(0);
    h.seg(1, &[1; 10], 2);
    h.seg(21, &[3; 10], 4);
    assert!(h.rec.gaps.is_empty());
    h.ack(31);
    assert_eq!(h.rec.gaps, vec![(10, 10)]);
    assert_eq!(h.rec.pos, 30);
    assert_eq!(h.stats.missed_bytes, 10);
    assert_eq!(h.stats.reassembly_buffered_bytes, 0);
}

#[test]
fn ack_before_data_on_a_span_port_does_not_lose_the_data() {
    // Mirrored ports can show the ACK before the segment it acknowledges.
    let mut h = Harness::new();
    h.syn(0);
    h.seg(1, &[1; 10], 2);
    h.ack(21);
    h.seg(11, &[2; 10], 3);
    assert!(h.rec.gaps.is_empty());
    assert_eq!(h.rec.pos, 20);
    assert_eq!(h.stats.missed_bytes, 0);
}

#[test]
fn midstream_pickup_starts_at_first_segment() {
    let mut h = Harness::new();
    h.seg(123_456, b"mid", 1);
    h.seg(123_459, b"stream", 2);
    assert_eq!(h.rec.bytes, b"midstream");
    assert!(h.rec.gaps.is_empty());
}

#[test]
fn sequence_numbers_wrap() {
    let mut h = Harness::new();
    let isn = u32::MAX - 5;
    h.syn(isn);
    let data = stream(20);
    // Bytes at seq MAX-4 .. MAX and then 0.. : send the part after the wrap first.
    let first = isn.wrapping_add(1);
    h.seg(first.wrapping_add(8), &data[8..], 3);
    h.seg(first, &data[..8], 2);
    assert_eq!(h.rec.bytes, data);
    h.ack(first.wrapping_add(20));
    assert_eq!(h.stats.acked_bytes, 20);
    h.flush();
    assert!(h.rec.gaps.is_empty());
}

#[test]
fn syn_data_is_delivered() {
    let mut h = Harness::new();
    h.seg_flags(41, b"fastopen", 1, true, false);
    h.seg(50, b"!", 2);
    assert_eq!(h.rec.bytes, b"fastopen!");
}

#[test]
fn bytes_after_fin_are_ignored_and_fin_is_acked_without_a_gap() {
    let mut h = Harness::new();
    h.syn(0);
    h.seg_flags(1, b"bye", 2, false, true);
    assert!(h.half.is_done());
    h.seg(4, b"junk", 3);
    assert_eq!(h.rec.bytes, b"bye");
    // The peer acknowledges the 3 bytes and the FIN.
    h.ack(5);
    h.flush();
    assert!(h.rec.gaps.is_empty());
    assert_eq!(h.stats.missed_bytes, 0);
}

#[test]
fn per_direction_cap_skips_the_hole_and_counts() {
    let cfg = ReassemblyConfig {
        max_buffered_per_direction: 200,
        max_buffered_total: 1 << 20,
    };
    let mut h = Harness::with_cfg(cfg);
    h.syn(0);
    h.seg(1, &[1; 10], 1);
    // Hole at 10..20; 100 bytes buffered (plus overhead) fit, the next 100 do not.
    h.seg(21, &[2; 100], 2);
    assert!(h.rec.gaps.is_empty());
    h.seg(121, &[3; 100], 3);
    assert_eq!(h.rec.gaps, vec![(10, 10)]);
    assert_eq!(h.rec.pos, 220);
    assert_eq!(h.stats.drops.get(DropReason::ReassemblyFlowCap), 10);
    assert_eq!(h.stats.reassembly_gaps, 1);
    assert_eq!(h.stats.reassembly_buffered_bytes, 0);
    // The late hole data is now old and dropped as a retransmission.
    h.seg(11, &[9; 10], 4);
    assert_eq!(h.rec.pos, 220);
}

#[test]
fn global_cap_is_shared_across_streams() {
    let cfg = ReassemblyConfig {
        max_buffered_per_direction: 1 << 20,
        max_buffered_total: 300,
    };
    let mut stats = EngineStats::default();
    let mut a = HalfStream::default();
    let mut b = HalfStream::default();
    let mut ra = Recorder::default();
    let mut rb = Recorder::default();
    let seg = |seq, data: &'static [u8], syn| Segment {
        seq,
        syn,
        fin: false,
        data,
        missing_tail: 0,
        frame: 1,
    };
    a.on_segment(&cfg, &mut stats, &seg(0, b"", true), &mut ra);
    b.on_segment(&cfg, &mut stats, &seg(0, b"", true), &mut rb);
    a.on_segment(&cfg, &mut stats, &seg(11, &[1; 150], false), &mut ra);
    assert_eq!(stats.reassembly_buffered_bytes, 150 + 64);
    // Stream b's out-of-order segment does not fit beside a's.
    b.on_segment(&cfg, &mut stats, &seg(11, &[2; 150], false), &mut rb);
    assert_eq!(stats.drops.get(DropReason::ReassemblyGlobalCap), 10);
    assert_eq!(rb.gaps, vec![(0, 10)]);
    assert_eq!(rb.pos, 160);
    assert!(ra.gaps.is_empty());
    a.release(&mut stats);
    assert_eq!(stats.reassembly_buffered_bytes, 0);
}

#[test]
fn flush_declares_holes_and_delivers_what_follows() {
    let mut h = Harness::new();
    h.syn(0);
    h.seg(1, &[1; 5], 1);
    h.seg(11, &[2; 5], 2);
    h.seg(21, &[3; 5], 3);
    // Never acknowledged: not capture loss, but still gaps to the parser.
    h.flush();
    assert_eq!(h.rec.gaps, vec![(5, 5), (15, 5)]);
    assert_eq!(h.rec.pos, 25);
    assert_eq!(h.stats.missed_bytes, 0);
    assert_eq!(h.stats.reassembly_buffered_bytes, 0);
}

#[test]
fn acked_tail_never_seen_is_capture_loss() {
    let mut h = Harness::new();
    h.syn(0);
    h.seg(1, &[1; 5], 1);
    h.ack(106);
    h.flush();
    assert_eq!(h.rec.gaps, vec![(5, 100)]);
    assert_eq!(h.stats.missed_bytes, 100);
    assert_eq!(h.stats.acked_bytes, 105);
}

#[test]
fn snaplen_cut_segment_signals_the_missing_tail() {
    let mut h = Harness::new();
    h.syn(0);
    let s = Segment {
        seq: 1,
        syn: false,
        fin: false,
        data: b"head",
        missing_tail: 96,
        frame: 2,
    };
    h.half.on_segment(&h.cfg, &mut h.stats, &s, &mut h.rec);
    h.seg(101, b"next", 3);
    assert_eq!(h.rec.gaps, vec![(4, 96)]);
    assert_eq!(&h.rec.bytes[100..], b"next");
}

#[test]
fn absurd_ack_is_ignored() {
    let mut h = Harness::new();
    h.syn(0);
    h.seg(1, &[1; 5], 1);
    h.ack(0x7000_0000);
    h.flush();
    assert!(h.rec.gaps.is_empty());
    assert_eq!(h.stats.acked_bytes, 0);
}

/// A stream cut into pieces, each piece possibly sent twice, plus extra overlapping
/// ranges, all shuffled.
fn scenario() -> impl Strategy<Value = (u32, Vec<u8>, Vec<(usize, usize)>)> {
    (any::<u32>(), 1usize..3000)
        .prop_flat_map(|(isn, len)| {
            let cuts = prop::collection::vec(0..len, 0..40);
            let extra = prop::collection::vec((0..len, 1usize..200), 0..10);
            let dup = prop::collection::vec(any::<bool>(), 41);
            (Just(isn), Just(len), cuts, extra, dup, any::<u64>())
        })
        .prop_map(|(isn, len, mut cuts, extra, dup, shuffle_seed)| {
            cuts.push(0);
            cuts.push(len);
            cuts.sort_unstable();
            cuts.dedup();
            let mut pieces: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
            for (i, d) in dup.iter().enumerate() {
                if *d && i < pieces.len() {
                    pieces.push(pieces[i]);
                }
            }
            for (start, n) in extra {
                pieces.push((start, (start + n).min(len)));
            }
            // Deterministic Fisher-Yates from the seed.
            let mut s = shuffle_seed | 1;
            for i in (1..pieces.len()).rev() {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let j = (s % (i as u64 + 1)) as usize;
                pieces.swap(i, j);
            }
            (isn, stream(len), pieces)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Reordered, duplicated, overlapping segments deliver the exact stream, once.
    #[test]
    fn reordered_duplicated_overlapping_segments_deliver_the_exact_stream(
        (isn, data, pieces) in scenario()
    ) {
        let mut h = Harness::new();
        h.syn(isn);
        let base = isn.wrapping_add(1);
        for (frame, (a, b)) in pieces.iter().enumerate() {
            h.seg(base.wrapping_add(*a as u32), &data[*a..*b], frame as u64);
        }
        h.flush();
        prop_assert!(h.rec.gaps.is_empty());
        prop_assert_eq!(&h.rec.bytes, &data);
        prop_assert_eq!(h.stats.reassembly_buffered_bytes, 0);
    }

    /// With pieces lost, every delivered byte sits at its true offset, gaps cover exactly
    /// the rest, and (with the final ACK) the stream ends at its true length.
    #[test]
    fn lost_segments_become_exact_gaps(
        (isn, data, pieces) in scenario(),
        lose in prop::collection::vec(any::<bool>(), 100),
        tiny_cap in any::<bool>(),
    ) {
        let cfg = ReassemblyConfig {
            max_buffered_per_direction: if tiny_cap { 300 } else { 1 << 20 },
            max_buffered_total: 1 << 20,
        };
        let mut h = Harness::with_cfg(cfg);
        h.syn(isn);
        let base = isn.wrapping_add(1);
        for (i, (a, b)) in pieces.iter().enumerate() {
            if lose.get(i).copied().unwrap_or(false) {
                continue;
            }
            h.seg(base.wrapping_add(*a as u32), &data[*a..*b], i as u64);
        }
        h.ack(base.wrapping_add(data.len() as u32));
        h.flush();
        prop_assert_eq!(h.rec.pos, data.len() as u64);
        prop_assert_eq!(h.rec.bytes.len(), data.len());
        let mut in_gap = vec![false; data.len()];
        for (off, len) in &h.rec.gaps {
            for flag in &mut in_gap[*off as usize..(*off + *len) as usize] {
                *flag = true;
            }
        }
        for (i, (got, want)) in h.rec.bytes.iter().zip(&data).enumerate() {
            if !in_gap[i] {
                prop_assert_eq!(got, want, "byte {} differs", i);
            }
        }
        let gap_total: u64 = h.rec.gaps.iter().map(|g| g.1).sum();
        prop_assert!(h.stats.missed_bytes <= gap_total);
        prop_assert_eq!(h.stats.reassembly_buffered_bytes, 0);
    }
}
