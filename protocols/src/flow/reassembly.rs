//! TCP stream reassembly, one [`HalfStream`] per direction of a flow.
//!
//! Bytes reach the parser in sequence order, each piece tagged with the frame that carried
//! it. The in-order path delivers straight from the packet slice (no copy, no allocation);
//! only out-of-order data is copied into a buffer, created on first need and freed when it
//! drains.
//!
//! Rules, following RFC 9293 section 3.10.7.4 (segment acceptance) as a receiver would:
//! - Sequence numbers compare with wrapping arithmetic (RFC 9293 section 3.4): a segment is
//!   "behind" when `seq - next` is negative as an `i32`.
//! - Retransmitted bytes (behind `next`) are dropped and counted.
//! - Overlaps: the first copy wins, as in most stacks (Linux, BSD): bytes already buffered
//!   or delivered are kept and the new copy of them is dropped and counted.
//! - Out-of-order segments are buffered up to [`ReassemblyConfig::max_buffered_per_direction`]
//!   per direction and [`ReassemblyConfig::max_buffered_total`] per engine. Over a cap, the
//!   stream stops waiting for the hole: the parser is told about a gap and the buffered
//!   data is delivered.
//! - Lost segments: a hole the peer has acknowledged was received by the peer and missed by
//!   the monitor, so it will never be seen: gap at once. A hole not (yet) acknowledged is
//!   waited for, because a SPAN port can show an ACK before the data it acknowledges.
//! - Pickup with no handshake starts the stream at the first segment seen.
//! - Capture loss, as Zeek's `capture_loss` estimates it: bytes the peer acknowledged that
//!   the monitor never saw ([`EngineStats::missed_bytes`]) over all bytes acknowledged
//!   ([`EngineStats::acked_bytes`]).

use crate::engine::EngineStats;
use mizuban_capture::DropReason;
use serde::Deserialize;
use std::collections::VecDeque;

/// `[reassembly]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReassemblyConfig {
    /// Out-of-order bytes buffered per flow direction before skipping over the hole.
    pub max_buffered_per_direction: usize,
    /// Out-of-order bytes buffered by one worker across all flows.
    pub max_buffered_total: usize,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        ReassemblyConfig {
            max_buffered_per_direction: 256 * 1024,
            max_buffered_total: 256 * 1024 * 1024,
        }
    }
}

/// Bookkeeping cost charged per buffered segment on top of its bytes, so a flood of
/// one-byte segments cannot hold more memory than the caps say (a `Vec` header plus the
/// segment's seq and frame, rounded up).
pub const SEGMENT_OVERHEAD: u64 = 64;

/// A segment or acknowledgement further than this from the next expected byte is out of
/// window: random, forged or garbled (a hostile packet can claim any sequence number; a
/// real stream between two segments we saw cannot have moved 16 MiB: that is more than
/// the receive windows of the networks we watch hold in flight). It is neither delivered
/// nor taken as capture loss, only counted (issue 14: a flood of random sequence numbers
/// once made the summary claim 240 GB missed).
pub const MAX_SEQ_JUMP: u32 = 16 << 20;

/// Where reassembled bytes go: the engine's identification + parser dispatch, or a test
/// recorder. Counters are passed in rather than held so the reassembler can update them
/// between calls.
pub trait StreamSink {
    /// In-order bytes carried by frame `frame`.
    fn data(&mut self, stats: &mut EngineStats, frame: u64, data: &[u8]);
    /// `len` bytes of the stream will never be delivered.
    fn gap(&mut self, stats: &mut EngineStats, len: u64);
}

/// One TCP segment as the reassembler needs it.
#[derive(Copy, Clone, Debug)]
pub struct Segment<'a> {
    pub seq: u32,
    pub syn: bool,
    pub fin: bool,
    /// Captured payload.
    pub data: &'a [u8],
    /// Payload bytes on the wire past the captured ones (snaplen); they follow `data` in
    /// sequence space and are signalled as a gap.
    pub missing_tail: u32,
    /// Frame number of the packet (1-based in its file).
    pub frame: u64,
}

/// Out-of-order data of one direction, kept sorted by distance from `next` and never
/// overlapping.
#[derive(Debug, Default)]
struct Ooo {
    segs: VecDeque<Buffered>,
    /// Bytes charged to the caps (data + [`SEGMENT_OVERHEAD`] per segment).
    charged: u64,
}

#[derive(Debug)]
struct Buffered {
    seq: u32,
    frame: u64,
    data: Vec<u8>,
}

impl Buffered {
    fn len32(&self) -> u32 {
        u32::try_from(self.data.len()).unwrap_or(u32::MAX)
    }
    fn cost(&self) -> u64 {
        u64::try_from(self.data.len())
            .unwrap_or(u64::MAX)
            .saturating_add(SEGMENT_OVERHEAD)
    }
}

const F_INIT: u8 = 1;
const F_FIN_SEEN: u8 = 2;
const F_DONE: u8 = 4;
/// A byte was delivered or skipped: the stream start is fixed.
const F_DATA: u8 = 8;
/// Out-of-window segments outweighed the in-window ones: the stream cannot be followed.
const F_UNFOLLOWABLE: u8 = 16;

/// Backstop on the rounds of [`HalfStream::accept`] (see there why it ends sooner).
const MAX_ACCEPT_ROUNDS: usize = 1 << 20;

/// Reassembly state of one direction. 32 bytes while nothing is buffered.
#[derive(Debug, Default)]
pub struct HalfStream {
    /// Next sequence number expected (everything before it was delivered or skipped).
    next: u32,
    /// Highest acknowledgement the peer sent for this direction's bytes.
    max_ack: u32,
    /// Sequence number of the FIN, when `F_FIN_SEEN`.
    fin_seq: u32,
    flags: u8,
    /// Out-of-window score: +1 per out-of-window segment, -1 per in-window one.
    oow: u16,
    /// Acknowledged bytes this direction's stream never showed the monitor.
    missed: u64,
    ooo: Option<Box<Ooo>>,
}

/// Signed distance from `from` to `to` in sequence space (RFC 9293 section 3.4).
#[inline]
fn dist(from: u32, to: u32) -> i32 {
    // Reinterpreting the wrapped difference as i32 is the standard modular comparison.
    i32::from_ne_bytes(to.wrapping_sub(from).to_ne_bytes())
}

#[inline]
fn len_u32(data: &[u8]) -> u32 {
    u32::try_from(data.len()).unwrap_or(u32::MAX)
}

impl HalfStream {
    /// Whether a segment (or SYN) has been seen in this direction.
    pub fn is_init(&self) -> bool {
        self.flags & F_INIT != 0
    }

    /// The FIN was reached in order: nothing more will be delivered.
    pub fn is_done(&self) -> bool {
        self.flags & F_DONE != 0
    }

    pub fn fin_seen(&self) -> bool {
        self.flags & F_FIN_SEEN != 0
    }

    /// Out-of-window segments outweighed the in-window ones at some point.
    pub fn is_unfollowable(&self) -> bool {
        self.flags & F_UNFOLLOWABLE != 0
    }

    /// Acknowledged bytes never seen in this direction.
    pub fn missed_bytes(&self) -> u64 {
        self.missed
    }

    /// Out-of-order bytes held (with overhead), as charged to the caps.
    pub fn buffered(&self) -> u64 {
        self.ooo.as_ref().map_or(0, |o| o.charged)
    }

    /// Next sequence number expected.
    pub fn next_seq(&self) -> u32 {
        self.next
    }

    fn init(&mut self, next: u32) {
        self.next = next;
        self.max_ack = next;
        self.flags |= F_INIT;
    }

    /// Processes one segment of this direction.
    pub fn on_segment(
        &mut self,
        cfg: &ReassemblyConfig,
        stats: &mut EngineStats,
        seg: &Segment<'_>,
        sink: &mut dyn StreamSink,
    ) {
        let mut seq = seg.seq;
        if seg.syn {
            // The SYN occupies one sequence number; its data (if any) follows it.
            seq = seq.wrapping_add(1);
            if !self.is_init() || (self.next != seq && self.nothing_delivered()) {
                self.reset_to(stats, seq);
            }
        } else if !self.is_init() {
            // Mid-stream pickup: start where the first segment starts.
            self.init(seq);
        }
        stats.health.tcp_payload_bytes = stats
            .health
            .tcp_payload_bytes
            .saturating_add(u64::try_from(seg.data.len()).unwrap_or(u64::MAX));
        if !seg.data.is_empty() && !self.in_window(seq) {
            self.out_of_window(stats, seg);
            return;
        }
        if !seg.data.is_empty() {
            self.oow = self.oow.saturating_sub(1);
        }
        if seg.fin && !self.fin_seen() {
            let end = seq
                .wrapping_add(len_u32(seg.data))
                .wrapping_add(seg.missing_tail);
            self.fin_seq = end;
            self.flags |= F_FIN_SEEN;
        }
        self.accept(cfg, stats, seq, seg.data, seg.frame, sink);
        if seg.missing_tail > 0 && !self.is_done() {
            let tail_seq = seq.wrapping_add(len_u32(seg.data));
            if self.next == tail_seq {
                // Snaplen cut the segment: the rest is on the wire but not in the capture.
                let n = seg.missing_tail;
                self.skip(stats, n, DropReason::ReassemblyGap, sink);
                self.drain(stats, sink);
            }
        }
        self.check_fin();
    }

    /// Whether `seq` lies within [`MAX_SEQ_JUMP`] of the next expected byte, either way.
    fn in_window(&self, seq: u32) -> bool {
        dist(self.next, seq).unsigned_abs() <= MAX_SEQ_JUMP
    }

    /// Counts a segment whose bytes are not part of the stream as far as we can tell.
    fn out_of_window(&mut self, stats: &mut EngineStats, seg: &Segment<'_>) {
        let len = u64::try_from(seg.data.len())
            .unwrap_or(u64::MAX)
            .saturating_add(u64::from(seg.missing_tail));
        stats.drops.add(DropReason::SeqOutOfWindow, len);
        stats.health.out_of_window_bytes = stats.health.out_of_window_bytes.saturating_add(len);
        self.oow = self.oow.saturating_add(1);
        if self.oow >= crate::flow::health::GARBAGE_MIN_SEGMENTS && !self.is_unfollowable() {
            self.flags |= F_UNFOLLOWABLE;
            // What this stream "missed" so far was measured against sequence numbers
            // that meant nothing: take it back out of the capture-loss estimate.
            stats.missed_bytes = stats.missed_bytes.saturating_sub(self.missed);
            self.missed = 0;
        }
    }

    /// True while no byte has been delivered since the stream start: a SYN retransmitted
    /// with a new ISN may then restart it.
    fn nothing_delivered(&self) -> bool {
        self.ooo.is_none() && self.flags & F_DATA == 0
    }

    fn reset_to(&mut self, stats: &mut EngineStats, next: u32) {
        self.release(stats);
        self.flags &= !(F_FIN_SEEN | F_DONE);
        self.init(next);
    }

    fn check_fin(&mut self) {
        if self.fin_seen() && !self.is_done() && self.next == self.fin_seq {
            // The FIN occupies one sequence number too (RFC 9293 section 3.4).
            self.next = self.next.wrapping_add(1);
            self.flags |= F_DONE;
        }
    }

    /// Accepts bytes starting at `seq`. Each round either delivers, buffers, or moves
    /// `next` forward to the segment or past one buffered segment, so the loop ends within
    /// (buffered segments + 2) rounds; [`MAX_ACCEPT_ROUNDS`] backs that up.
    fn accept(
        &mut self,
        cfg: &ReassemblyConfig,
        stats: &mut EngineStats,
        seq: u32,
        data: &[u8],
        frame: u64,
        sink: &mut dyn StreamSink,
    ) {
        let mut seq = seq;
        let mut data = data;
        for _ in 0..MAX_ACCEPT_ROUNDS {
            if data.is_empty() || self.is_done() {
                return;
            }
            let d = dist(self.next, seq);
            if d < 0 {
                // Retransmission of bytes already delivered (or skipped): drop them.
                let old = usize::try_from(d.unsigned_abs())
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                stats.reassembly_duplicate_bytes = stats
                    .reassembly_duplicate_bytes
                    .saturating_add(u64::try_from(old).unwrap_or(u64::MAX));
                data = data.get(old..).unwrap_or_default();
                seq = seq.wrapping_add(u32::try_from(old).unwrap_or(u32::MAX));
                continue;
            }
            // Bytes past the FIN are not part of the stream.
            if self.fin_seen() {
                let room = usize::try_from(dist(seq, self.fin_seq).max(0).unsigned_abs())
                    .unwrap_or(usize::MAX);
                data = data.get(..room.min(data.len())).unwrap_or_default();
                if data.is_empty() {
                    return;
                }
            }
            if d == 0 {
                self.deliver_in_order(stats, data, frame, sink);
                return;
            }
            // Ahead of `next`: a hole before it. If the peer acknowledged past the start
            // of this segment, the hole reached the peer and we missed it: it will not
            // come, so skip it at once.
            let reason = if self.acked_past(seq) {
                DropReason::ReassemblyGap
            } else {
                match self.over_cap(cfg, stats, data.len()) {
                    None => {
                        self.insert(stats, seq, data, frame);
                        return;
                    }
                    // Over a cap: stop waiting for the first hole.
                    Some(reason) => reason,
                }
            };
            // Skip to whichever comes first, buffered data or this segment, and deliver
            // what became contiguous; then look at this segment again.
            let target = self.first_target(seq);
            let hole = dist(self.next, target).max(0).unsigned_abs();
            self.skip(stats, hole, reason, sink);
            self.drain(stats, sink);
        }
        // Unreachable by the argument above; count rather than loop on.
        stats.drops.add(
            DropReason::ReassemblyGap,
            u64::try_from(data.len()).unwrap_or(u64::MAX),
        );
    }

    /// The cap a new out-of-order segment of `len` bytes would exceed, if any.
    fn over_cap(
        &self,
        cfg: &ReassemblyConfig,
        stats: &EngineStats,
        len: usize,
    ) -> Option<DropReason> {
        let cost = u64::try_from(len)
            .unwrap_or(u64::MAX)
            .saturating_add(SEGMENT_OVERHEAD);
        let per_dir = u64::try_from(cfg.max_buffered_per_direction).unwrap_or(u64::MAX);
        let total = u64::try_from(cfg.max_buffered_total).unwrap_or(u64::MAX);
        if self.buffered().saturating_add(cost) > per_dir {
            Some(DropReason::ReassemblyFlowCap)
        } else if stats.reassembly_buffered_bytes.saturating_add(cost) > total {
            Some(DropReason::ReassemblyGlobalCap)
        } else {
            None
        }
    }

    /// The first buffered segment's seq if it lies before `seq`, else `seq`.
    fn first_target(&self, seq: u32) -> u32 {
        match self
            .ooo
            .as_ref()
            .and_then(|o| o.segs.front())
            .map(|b| b.seq)
        {
            Some(b) if dist(b, seq) > 0 => b,
            _ => seq,
        }
    }

    /// `seq` is ahead of `next` and at or below the peer's highest acknowledgement.
    fn acked_past(&self, seq: u32) -> bool {
        dist(self.next, self.max_ack) > 0 && dist(seq, self.max_ack) >= 0
    }

    /// Delivers bytes starting exactly at `next`.
    fn deliver_in_order(
        &mut self,
        stats: &mut EngineStats,
        data: &[u8],
        frame: u64,
        sink: &mut dyn StreamSink,
    ) {
        self.flags |= F_DATA;
        let first_buffered = self
            .ooo
            .as_ref()
            .and_then(|o| o.segs.front())
            .map(|b| b.seq);
        match first_buffered {
            None => {
                // The hot path: straight from the packet slice.
                sink.data(stats, frame, data);
                self.next = self.next.wrapping_add(len_u32(data));
            }
            Some(b) => {
                let room =
                    usize::try_from(dist(self.next, b).max(0).unsigned_abs()).unwrap_or(usize::MAX);
                let (head, rest) = data.split_at(room.min(data.len()));
                if !head.is_empty() {
                    sink.data(stats, frame, head);
                    self.next = self.next.wrapping_add(len_u32(head));
                }
                if !rest.is_empty() {
                    // Overlaps buffered data: first copy wins; keep the new bytes only
                    // where nothing is buffered, then deliver what is contiguous. This
                    // may hold up to one segment beyond the cap, briefly.
                    let seq = self.next;
                    self.insert(stats, seq, rest, frame);
                }
                self.drain(stats, sink);
            }
        }
    }

    /// Inserts `data` at `seq` (ahead of or at `next`) into the buffer, keeping only the
    /// bytes no buffered segment holds already (first copy wins).
    fn insert(&mut self, stats: &mut EngineStats, seq: u32, data: &[u8], frame: u64) {
        let next = self.next;
        let ooo = self.ooo.get_or_insert_with(Box::default);
        let mut cur = seq;
        let mut rest = data;
        // Segments are sorted by distance from `next` and disjoint; walk them once.
        let mut i = ooo
            .segs
            .partition_point(|b| dist(next, b.seq) < dist(next, cur));
        // The segment before `i` may overlap our start.
        if let Some(prev) = i.checked_sub(1).and_then(|p| ooo.segs.get(p)) {
            let prev_end = prev.seq.wrapping_add(prev.len32());
            let covered = dist(cur, prev_end);
            if covered > 0 {
                let n = usize::try_from(covered.unsigned_abs())
                    .unwrap_or(usize::MAX)
                    .min(rest.len());
                count_overlap(stats, n);
                rest = rest.get(n..).unwrap_or_default();
                cur = cur.wrapping_add(u32::try_from(n).unwrap_or(u32::MAX));
            }
        }
        while !rest.is_empty() {
            let Some(b) = ooo.segs.get(i) else {
                // Past every buffered segment: keep the rest whole.
                let piece = Buffered {
                    seq: cur,
                    frame,
                    data: rest.to_vec(),
                };
                charge(stats, ooo, piece.cost());
                ooo.segs.push_back(piece);
                break;
            };
            let (bseq, blen) = (b.seq, b.len32());
            let gap_before = dist(cur, bseq);
            if gap_before > 0 {
                let n = usize::try_from(gap_before.unsigned_abs())
                    .unwrap_or(usize::MAX)
                    .min(rest.len());
                let (piece, tail) = rest.split_at(n);
                let piece = Buffered {
                    seq: cur,
                    frame,
                    data: piece.to_vec(),
                };
                charge(stats, ooo, piece.cost());
                ooo.segs.insert(i, piece);
                i = i.saturating_add(1);
                rest = tail;
                cur = cur.wrapping_add(u32::try_from(n).unwrap_or(u32::MAX));
                continue;
            }
            // `cur` is inside segment `i`: those bytes are already held.
            let covered = dist(cur, bseq.wrapping_add(blen));
            let n = usize::try_from(covered.max(0).unsigned_abs())
                .unwrap_or(usize::MAX)
                .min(rest.len());
            count_overlap(stats, n);
            rest = rest.get(n..).unwrap_or_default();
            cur = cur.wrapping_add(u32::try_from(n).unwrap_or(u32::MAX));
            i = i.saturating_add(1);
        }
    }

    /// Delivers buffered segments that became contiguous with `next`.
    fn drain(&mut self, stats: &mut EngineStats, sink: &mut dyn StreamSink) {
        loop {
            let Some(ooo) = self.ooo.as_mut() else {
                return;
            };
            let Some(front) = ooo.segs.front() else {
                self.release(stats);
                return;
            };
            let d = dist(self.next, front.seq);
            if d > 0 {
                return;
            }
            let Some(b) = ooo.segs.pop_front() else {
                return;
            };
            let cost = b.cost();
            ooo.charged = ooo.charged.saturating_sub(cost);
            stats.reassembly_buffered_bytes = stats.reassembly_buffered_bytes.saturating_sub(cost);
            // Skip the part `next` already passed (a gap was declared over it).
            let behind = usize::try_from(d.unsigned_abs()).unwrap_or(usize::MAX);
            if let Some(fresh) = b.data.get(behind..).filter(|f| !f.is_empty()) {
                let fresh = self.clip_to_fin(fresh);
                if !fresh.is_empty() {
                    sink.data(stats, b.frame, fresh);
                    self.next = self.next.wrapping_add(len_u32(fresh));
                }
            }
        }
    }

    fn clip_to_fin<'d>(&self, data: &'d [u8]) -> &'d [u8] {
        if !self.fin_seen() {
            return data;
        }
        let room = dist(self.next, self.fin_seq).max(0).unsigned_abs();
        let room = usize::try_from(room).unwrap_or(usize::MAX);
        data.get(..room.min(data.len())).unwrap_or_default()
    }

    /// Declares `len` bytes at `next` lost and moves past them.
    fn skip(
        &mut self,
        stats: &mut EngineStats,
        len: u32,
        reason: DropReason,
        sink: &mut dyn StreamSink,
    ) {
        if len == 0 {
            return;
        }
        // The part of the hole the peer acknowledged is capture loss.
        let acked_ahead = dist(self.next, self.max_ack).max(0).unsigned_abs();
        // An unfollowable stream's holes are not capture loss (see `out_of_window`).
        let missed = if self.is_unfollowable() {
            0
        } else {
            u64::from(len.min(acked_ahead))
        };
        self.missed = self.missed.saturating_add(missed);
        stats.missed_bytes = stats.missed_bytes.saturating_add(missed);
        stats.reassembly_gaps = stats.reassembly_gaps.saturating_add(1);
        stats.drops.add(reason, u64::from(len));
        self.next = self.next.wrapping_add(len);
        self.flags |= F_DATA;
        sink.gap(stats, u64::from(len));
    }

    /// The peer acknowledged up to `ack` (exclusive) of this direction's bytes.
    pub fn on_peer_ack(&mut self, stats: &mut EngineStats, ack: u32, sink: &mut dyn StreamSink) {
        if !self.is_init() {
            return;
        }
        let advance = dist(self.max_ack, ack);
        if advance <= 0
            || self.is_unfollowable()
            || dist(self.next, ack) > i32::try_from(MAX_SEQ_JUMP).unwrap_or(i32::MAX)
        {
            return;
        }
        stats.acked_bytes = stats
            .acked_bytes
            .saturating_add(u64::from(advance.unsigned_abs()));
        self.max_ack = ack;
        // Buffered data behind a hole the peer has acknowledged: the hole is lost.
        while let Some(first) = self
            .ooo
            .as_ref()
            .and_then(|o| o.segs.front())
            .map(|b| b.seq)
        {
            if !self.acked_past(first) {
                break;
            }
            let hole = dist(self.next, first).max(0).unsigned_abs();
            if hole == 0 {
                self.drain(stats, sink);
                continue;
            }
            self.skip(stats, hole, DropReason::ReassemblyGap, sink);
            self.drain(stats, sink);
        }
        self.check_fin();
    }

    /// End of the flow: holes before buffered data are lost; deliver the rest; an
    /// acknowledged tail never seen is capture loss.
    pub fn flush(&mut self, stats: &mut EngineStats, sink: &mut dyn StreamSink) {
        if !self.is_init() {
            return;
        }
        while let Some(first) = self
            .ooo
            .as_ref()
            .and_then(|o| o.segs.front())
            .map(|b| b.seq)
        {
            let hole = dist(self.next, first).max(0).unsigned_abs();
            self.skip(stats, hole, DropReason::ReassemblyGap, sink);
            self.drain(stats, sink);
        }
        self.release(stats);
        self.check_fin();
        let mut tail = dist(self.next, self.max_ack).max(0).unsigned_abs();
        if self.fin_seen() && !self.is_done() && self.max_ack == self.fin_seq.wrapping_add(1) {
            // The FIN's own sequence number is acknowledged, not a byte.
            tail = tail.saturating_sub(1);
        }
        if tail > 0 && !self.is_done() {
            self.skip(stats, tail, DropReason::ReassemblyGap, sink);
        }
    }

    /// Frees the out-of-order buffer and returns its bytes to the engine budget.
    pub fn release(&mut self, stats: &mut EngineStats) {
        if let Some(o) = self.ooo.take() {
            stats.reassembly_buffered_bytes =
                stats.reassembly_buffered_bytes.saturating_sub(o.charged);
        }
    }
}

fn charge(stats: &mut EngineStats, ooo: &mut Ooo, cost: u64) {
    ooo.charged = ooo.charged.saturating_add(cost);
    stats.reassembly_buffered_bytes = stats.reassembly_buffered_bytes.saturating_add(cost);
}

fn count_overlap(stats: &mut EngineStats, n: usize) {
    stats.reassembly_overlap_bytes = stats
        .reassembly_overlap_bytes
        .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
}
