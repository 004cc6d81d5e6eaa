//! IPv4 fragment reassembly (RFC 791 section 3.2, RFC 815 for the hole bookkeeping):
//! bounded buffers, packet-time timeouts, overlap handling. Every fragment that does not
//! end up in a datagram is counted in [`Defragmenter::drops`].
//!
//! Bounds: at most [`DefragConfig::max_sets`] sets (the oldest is evicted), at most
//! [`DefragConfig::max_bytes`] of fragment data held in total, at most
//! [`MAX_DATAGRAM_LEN`] bytes per datagram. Overlaps keep the first copy (as Linux and
//! most targets do for the bytes already queued) and are counted; an overlap whose bytes
//! differ is the classic IDS evasion (Ptacek and Newsham, 1998) and is also counted as
//! [`DropReason::FragmentConflict`].
//!
//! IPv6 fragments are not reassembled: they are counted as [`DropReason::Ipv6Fragment`].

use crate::decode::decode_transport;
use crate::drop::{DropCounters, DropReason};
use crate::packet::{DecodeStop, FragmentInfo, PacketInfo, Transport, VlanTags};
use crate::time::Timestamp;
use serde::Deserialize;
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// Largest IPv4 datagram, header included (RFC 791 total length is 16 bits).
pub const MAX_DATAGRAM_LEN: usize = 65535;
/// Fragment offsets count 8-byte blocks (RFC 791 section 3.1).
const BLOCK_LEN: usize = 8;
/// Blocks in the largest datagram payload, rounded up to whole bitmap words.
const MAX_BLOCKS: usize = MAX_DATAGRAM_LEN.div_ceil(BLOCK_LEN);
const BITMAP_WORDS: usize = MAX_BLOCKS.div_ceil(64);
/// Capacity a freed set keeps for reuse; larger buffers are shrunk so idle slots stay
/// small (a common MTU-sized datagram fits).
const RETAINED_CAPACITY: usize = 4096;
/// The insertion queue is compacted when stale entries make it this many times longer
/// than the table.
const ORDER_SLACK: usize = 2;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DefragConfig {
    /// Fragment sets held at once; the oldest is evicted beyond this.
    pub max_sets: usize,
    /// A set incomplete after this much packet time is dropped.
    #[serde(with = "crate::time_serde")]
    pub timeout: Duration,
    /// Fragment bytes held over all sets; the oldest sets are evicted beyond this.
    /// Never less than one maximum-size datagram.
    pub max_bytes: usize,
}

impl Default for DefragConfig {
    fn default() -> Self {
        DefragConfig {
            max_sets: 4096,
            timeout: Duration::from_secs(30),
            max_bytes: 32 << 20,
        }
    }
}

/// A complete datagram, borrowed from the defragmenter until the next call.
#[derive(Debug)]
pub struct Reassembled<'a> {
    pub transport: Transport,
    /// The transport payload (after the transport header).
    pub payload: &'a [u8],
    /// The whole reassembled IP payload (transport header included).
    pub ip_payload: &'a [u8],
    /// Set when the transport header of the reassembled datagram does not decode.
    pub stop: Option<DecodeStop>,
}

/// What identifies the fragments of one datagram (RFC 791 section 3.2: source,
/// destination, protocol, identification), plus the VLAN, since plants reuse
/// addresses across VLANs.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
struct SetKey {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: u8,
    id: u16,
    vlan: VlanTags,
}

/// One datagram being reassembled.
struct FragSet {
    key: SetKey,
    generation: u64,
    first_seen: Timestamp,
    /// IP payload bytes received so far, at their offsets; gaps hold zeros.
    buf: Vec<u8>,
    /// One bit per 8-byte block received.
    blocks: Box<[u64; BITMAP_WORDS]>,
    received_blocks: usize,
    /// Payload length, known once the last fragment (MF clear) arrived.
    total_len: Option<usize>,
}

impl FragSet {
    fn new() -> FragSet {
        FragSet {
            key: SetKey {
                src: Ipv4Addr::UNSPECIFIED,
                dst: Ipv4Addr::UNSPECIFIED,
                proto: 0,
                id: 0,
                vlan: VlanTags::default(),
            },
            generation: 0,
            first_seen: Timestamp::ZERO,
            buf: Vec::new(),
            blocks: Box::new([0; BITMAP_WORDS]),
            received_blocks: 0,
            total_len: None,
        }
    }

    fn reset(&mut self, key: SetKey, generation: u64, now: Timestamp) {
        self.key = key;
        self.generation = generation;
        self.first_seen = now;
        self.buf.clear();
        self.blocks.fill(0);
        self.received_blocks = 0;
        self.total_len = None;
    }

    fn has_block(&self, b: usize) -> bool {
        self.blocks
            .get(b / 64)
            .is_some_and(|w| w & (1u64 << (b % 64)) != 0)
    }

    fn set_block(&mut self, b: usize) {
        if let Some(w) = self.blocks.get_mut(b / 64) {
            *w |= 1u64 << (b % 64);
        }
    }

    /// Whether any block at or after `from` was received.
    fn any_block_from(&self, from: usize) -> bool {
        (from..MAX_BLOCKS).any(|b| self.has_block(b))
    }

    fn is_complete(&self) -> bool {
        self.total_len
            .is_some_and(|t| self.received_blocks == t.div_ceil(BLOCK_LEN))
    }
}

/// How one fragment's bytes related to what was held.
#[derive(Default)]
struct Merge {
    overlap: bool,
    conflict: bool,
}

pub struct Defragmenter {
    max_sets: usize,
    timeout: Duration,
    max_bytes: usize,
    slots: Vec<FragSet>,
    free: Vec<usize>,
    index: HashMap<SetKey, usize, ahash::RandomState>,
    /// Sets in creation order, (slot, generation); entries of sets already gone are
    /// skipped when they reach the front.
    order: VecDeque<(usize, u64)>,
    next_generation: u64,
    held_bytes: usize,
    /// The last reassembled datagram, swapped out of its set's buffer.
    out: Vec<u8>,
    reassembled: u64,
    drops: DropCounters,
}

impl Default for Defragmenter {
    fn default() -> Self {
        Defragmenter::new(&DefragConfig::default())
    }
}

impl Defragmenter {
    pub fn new(cfg: &DefragConfig) -> Defragmenter {
        Defragmenter {
            max_sets: cfg.max_sets.max(1),
            timeout: cfg.timeout,
            max_bytes: cfg.max_bytes.max(MAX_DATAGRAM_LEN),
            slots: Vec::new(),
            free: Vec::new(),
            index: HashMap::default(),
            order: VecDeque::new(),
            next_generation: 0,
            held_bytes: 0,
            out: Vec::new(),
            reassembled: 0,
            drops: DropCounters::default(),
        }
    }

    /// Feeds one fragment (`frame` is the whole captured frame `info` describes).
    /// Returns the datagram when this fragment completes it. Packets that are not
    /// fragments are ignored; IPv6 fragments are counted and ignored (the caller keeps
    /// the first one, whose transport header `decode` already read).
    pub fn push(
        &mut self,
        now: Timestamp,
        info: &PacketInfo,
        frame: &[u8],
    ) -> Option<Reassembled<'_>> {
        self.expire(now);
        let ip = info.ip()?;
        let frag = ip.fragment?;
        let (IpAddr::V4(src), IpAddr::V4(dst)) = (ip.src, ip.dst) else {
            self.drops.inc(DropReason::Ipv6Fragment);
            return None;
        };
        let start = usize::try_from(ip.payload_offset).ok()?;
        let len = usize::try_from(ip.payload_len).ok()?;
        let Some(data) = frame.get(start..start.saturating_add(len)) else {
            // The capture cut this fragment: its set can never be completed from it.
            self.drops.inc(DropReason::Truncated);
            return None;
        };
        let key = SetKey {
            src,
            dst,
            proto: ip.proto,
            id: u16::try_from(frag.id).unwrap_or(u16::MAX),
            vlan: info.vlan,
        };
        let header_len = usize::try_from(ip.payload_offset.saturating_sub(ip.header_offset))
            .unwrap_or(usize::MAX);
        self.add_fragment(now, key, frag, header_len, data)
    }

    fn add_fragment(
        &mut self,
        now: Timestamp,
        key: SetKey,
        frag: FragmentInfo,
        header_len: usize,
        data: &[u8],
    ) -> Option<Reassembled<'_>> {
        let offset = usize::try_from(frag.offset).unwrap_or(usize::MAX);
        let end = offset.saturating_add(data.len());
        if header_len.saturating_add(end) > MAX_DATAGRAM_LEN {
            // Ping of death: no legal datagram reaches past 65535 bytes. Drop the set.
            self.drops.inc(DropReason::FragmentTooLarge);
            if let Some(slot) = self.index.get(&key).copied() {
                self.release(slot);
            }
            return None;
        }
        // Every fragment but the last carries a multiple of 8 bytes (RFC 791 3.2).
        if data.is_empty() || (frag.more_fragments && !data.len().is_multiple_of(BLOCK_LEN)) {
            self.drops.inc(DropReason::Malformed);
            return None;
        }
        let slot = match self.index.get(&key).copied() {
            Some(slot) => slot,
            None => self.create(now, key)?,
        };
        let grow = end.saturating_sub(self.slots.get(slot).map_or(0, |s| s.buf.len()));
        if self.held_bytes.saturating_add(grow) > self.max_bytes {
            self.evict_for(grow, slot);
        }
        let set = self.slots.get_mut(slot)?;
        if !consistent_end(set, frag.more_fragments, end) {
            self.drops.inc(DropReason::Malformed);
            return None;
        }
        if !frag.more_fragments {
            set.total_len = Some(end);
        }
        let before = set.buf.len();
        let merge = merge_blocks(set, offset, data);
        self.held_bytes = self
            .held_bytes
            .saturating_add(set.buf.len().saturating_sub(before));
        if merge.overlap {
            self.drops.inc(DropReason::FragmentOverlap);
        }
        if merge.conflict {
            self.drops.inc(DropReason::FragmentConflict);
        }
        if !set.is_complete() {
            return None;
        }
        self.complete(slot, key.proto)
    }

    /// Takes a free slot for a new set, evicting the oldest set when the table is full.
    fn create(&mut self, now: Timestamp, key: SetKey) -> Option<usize> {
        if self.index.len() >= self.max_sets {
            self.evict_oldest(usize::MAX);
        }
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(FragSet::new());
                self.slots.len().checked_sub(1)?
            }
        };
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1);
        self.slots.get_mut(slot)?.reset(key, generation, now);
        self.index.insert(key, slot);
        self.order.push_back((slot, generation));
        if self.order.len() > self.max_sets.saturating_mul(ORDER_SLACK).saturating_add(16) {
            self.compact_order();
        }
        Some(slot)
    }

    /// Evicts oldest sets (never `keep`) until `grow` more bytes fit the byte budget.
    fn evict_for(&mut self, grow: usize, keep: usize) {
        while self.held_bytes.saturating_add(grow) > self.max_bytes {
            if !self.evict_oldest(keep) {
                break;
            }
        }
    }

    /// Evicts the oldest live set other than `keep`; false when there is none.
    fn evict_oldest(&mut self, keep: usize) -> bool {
        let mut skipped = None;
        let mut evicted = false;
        while let Some((slot, generation)) = self.order.pop_front() {
            if !self.is_live(slot, generation) {
                continue;
            }
            if slot == keep {
                skipped = Some((slot, generation));
                continue;
            }
            self.drops.inc(DropReason::FragmentTableFull);
            self.release(slot);
            evicted = true;
            break;
        }
        if let Some(entry) = skipped {
            self.order.push_front(entry);
        }
        evicted
    }

    fn is_live(&self, slot: usize, generation: u64) -> bool {
        self.slots
            .get(slot)
            .is_some_and(|s| s.generation == generation && self.index.get(&s.key) == Some(&slot))
    }

    fn compact_order(&mut self) {
        let order = std::mem::take(&mut self.order);
        self.order = order
            .into_iter()
            .filter(|(slot, generation)| self.is_live(*slot, *generation))
            .collect();
    }

    /// Frees a set's slot and its bytes.
    fn release(&mut self, slot: usize) {
        let Some(set) = self.slots.get_mut(slot) else {
            return;
        };
        self.index.remove(&set.key);
        self.held_bytes = self.held_bytes.saturating_sub(set.buf.len());
        set.buf.clear();
        if set.buf.capacity() > RETAINED_CAPACITY {
            set.buf.shrink_to(RETAINED_CAPACITY);
        }
        self.free.push(slot);
    }

    /// Moves a complete datagram into the output buffer and decodes its transport.
    fn complete(&mut self, slot: usize, proto: u8) -> Option<Reassembled<'_>> {
        let set = self.slots.get_mut(slot)?;
        let total = set.total_len?;
        std::mem::swap(&mut self.out, &mut set.buf);
        // The set's buffer is now the old output buffer: account for what left.
        self.held_bytes = self.held_bytes.saturating_sub(self.out.len());
        set.buf.clear();
        self.release(slot);
        self.out.truncate(total);
        self.reassembled = self.reassembled.saturating_add(1);
        let ip_payload = self.out.as_slice();
        let (transport, off, len, stop) = decode_transport(proto, ip_payload);
        let off = usize::try_from(off).unwrap_or(usize::MAX);
        let len = usize::try_from(len).unwrap_or(0);
        let payload = ip_payload.get(off..off.saturating_add(len)).unwrap_or(&[]);
        Some(Reassembled {
            transport,
            payload,
            ip_payload,
            stop,
        })
    }

    /// Drops sets whose first fragment is older than the timeout, counting each as
    /// [`DropReason::FragmentTimeout`]. Called by [`Defragmenter::push`] too.
    pub fn expire(&mut self, now: Timestamp) {
        while let Some(&(slot, generation)) = self.order.front() {
            if !self.is_live(slot, generation) {
                self.order.pop_front();
                continue;
            }
            let first_seen = self.slots.get(slot).map_or(now, |s| s.first_seen);
            if now <= first_seen.saturating_add(self.timeout) {
                break;
            }
            self.order.pop_front();
            self.drops.inc(DropReason::FragmentTimeout);
            self.release(slot);
        }
    }

    pub fn drops(&self) -> &DropCounters {
        &self.drops
    }

    /// Fragment sets currently held (incomplete datagrams).
    pub fn held_sets(&self) -> usize {
        self.index.len()
    }

    /// Fragment payload bytes currently held over all sets.
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// Datagrams completed so far.
    pub fn reassembled(&self) -> u64 {
        self.reassembled
    }
}

/// Whether a fragment ending at `end` agrees with what the set knows of the datagram's
/// length: nothing past the end of the last fragment, one last fragment only.
fn consistent_end(set: &FragSet, more_fragments: bool, end: usize) -> bool {
    match (set.total_len, more_fragments) {
        (Some(total), true) => end <= total,
        (Some(total), false) => end == total,
        (None, true) => true,
        (None, false) => !set.any_block_from(end.div_ceil(BLOCK_LEN)),
    }
}

/// Copies the blocks of `data` (at byte `offset`) that the set does not hold yet and
/// compares the ones it does (first copy wins).
fn merge_blocks(set: &mut FragSet, offset: usize, data: &[u8]) -> Merge {
    let mut merge = Merge::default();
    let end = offset.saturating_add(data.len());
    if set.buf.len() < end {
        set.buf.resize(end, 0);
    }
    // Offsets are multiples of 8 by construction (FragmentInfo::offset = 8 * field).
    let first = offset / BLOCK_LEN;
    for (i, chunk) in data.chunks(BLOCK_LEN).enumerate() {
        let b = first.saturating_add(i);
        let at = b.saturating_mul(BLOCK_LEN);
        let had = set.has_block(b);
        let Some(held) = set.buf.get_mut(at..at.saturating_add(chunk.len())) else {
            continue;
        };
        if had {
            merge.overlap = true;
            if held != chunk {
                merge.conflict = true;
            }
        } else {
            held.copy_from_slice(chunk);
            set.set_block(b);
            set.received_blocks = set.received_blocks.saturating_add(1);
        }
    }
    merge
}
