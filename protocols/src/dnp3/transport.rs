//! Transport function: reassemble application fragments from link-frame segments.
//!
//! Each link frame's user data starts with one transport header octet (IEEE 1815-2012
//! section 8.2.1): FIN (0x80) marks the last segment of a fragment, FIR (0x40) the first,
//! and the low six bits are a sequence number that increments, modulo 64, from one
//! segment to the next of the same fragment. Section 8.2.1.2's receiver rules are
//! followed: a FIR segment discards any fragment in progress and starts a new one; a
//! non-FIR segment whose sequence is not the previous one plus 1, or that arrives with
//! no fragment in progress, is discarded (with the fragment in progress).
//!
//! Segments are reassembled per (source, destination) link address pair, since one TCP
//! connection or UDP flow may carry several (a multi-drop line behind a gateway).
//! Everything is bounded: the fragment size (`max_fragment_len`, never above
//! [`MAX_FRAGMENT_LEN`]) and the pairs in progress per flow ([`MAX_REASSEMBLIES`]).

/// Transport header bits.
pub const TH_FIN: u8 = 0x80;
pub const TH_FIR: u8 = 0x40;
pub const TH_SEQ: u8 = 0x3F;

/// Hard ceiling on a reassembled fragment, whatever the config says. The standard lets a
/// device choose its fragment size (section 4.3.2.2 "at least 249 octets"; 2048 is the
/// common default), and zeek_dnp3_udp_read.pcap carries a 2,241-byte response.
pub const MAX_FRAGMENT_LEN: usize = 65_536;
/// Link address pairs with a fragment in progress per flow; one more evicts the oldest.
pub const MAX_REASSEMBLIES: usize = 8;

/// The transport header octet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub fin: bool,
    pub fir: bool,
    pub seq: u8,
}

impl Header {
    pub fn parse(b: u8) -> Header {
        Header {
            fin: b & TH_FIN != 0,
            fir: b & TH_FIR != 0,
            seq: b & TH_SEQ,
        }
    }
}

/// What one segment did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// A fragment is complete: borrowed from the segment itself (FIR and FIN on one
    /// segment, the common case: no copy) or from the reassembly buffer.
    Complete(&'a [u8]),
    /// Taken; more segments are needed.
    Pending,
    /// The segment was discarded, and with it any fragment in progress for the pair.
    Dropped(Drop),
}

/// Why a segment (and its fragment) was discarded. Each has a counter.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Drop {
    /// A segment with no transport header (empty user data).
    Empty,
    /// A non-FIR segment with no fragment in progress.
    NoFirst,
    /// A non-FIR segment whose sequence is not the previous plus one.
    OutOfSequence,
    /// The fragment grew past the size bound.
    TooLong,
}

/// A FIR segment arrived while a fragment was in progress: the old one is lost.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Abandoned(pub bool);

#[derive(Debug)]
struct InProgress {
    key: (u16, u16),
    last_seq: u8,
    buf: Vec<u8>,
    /// Arrival order, to evict the oldest.
    stamp: u64,
}

/// Per-flow reassembly state.
#[derive(Debug)]
pub struct Reassembler {
    max_len: usize,
    slots: Vec<InProgress>,
    clock: u64,
    /// The last completed multi-segment fragment, borrowed by [`Outcome::Complete`].
    done: Vec<u8>,
}

/// Counts of what the reassembler gave up, read by the caller after each segment.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Losses {
    /// Fragments abandoned because a FIR segment restarted the pair.
    pub restarted: u64,
    /// Fragments in progress evicted because [`MAX_REASSEMBLIES`] pairs were active.
    pub evicted: u64,
}

impl Reassembler {
    pub fn new(max_fragment_len: usize) -> Reassembler {
        Reassembler {
            max_len: max_fragment_len.clamp(crate::dnp3::link::MAX_USER_DATA, MAX_FRAGMENT_LEN),
            slots: Vec::new(),
            clock: 0,
            done: Vec::new(),
        }
    }

    /// Pairs with a fragment in progress.
    pub fn in_progress(&self) -> usize {
        self.slots.len()
    }

    /// Bytes held in partial fragments.
    pub fn buffered(&self) -> usize {
        self.slots.iter().map(|s| s.buf.len()).sum()
    }

    fn remove(&mut self, key: (u16, u16)) -> bool {
        match self.slots.iter().position(|s| s.key == key) {
            Some(i) => {
                self.slots.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// Feeds one segment (a link frame's user data) from `source` to `destination`.
    pub fn push<'a>(
        &'a mut self,
        source: u16,
        destination: u16,
        segment: &'a [u8],
        losses: &mut Losses,
    ) -> Outcome<'a> {
        let key = (source, destination);
        let Some((&th, payload)) = segment.split_first() else {
            return Outcome::Dropped(Drop::Empty);
        };
        let h = Header::parse(th);
        self.clock = self.clock.saturating_add(1);
        if h.fir {
            if self.remove(key) {
                losses.restarted = losses.restarted.saturating_add(1);
            }
            if h.fin {
                return Outcome::Complete(payload);
            }
            if payload.len() > self.max_len {
                return Outcome::Dropped(Drop::TooLong);
            }
            if self.slots.len() >= MAX_REASSEMBLIES
                && let Some(oldest) = self
                    .slots
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, s)| s.stamp)
                    .map(|(i, _)| i)
            {
                self.slots.swap_remove(oldest);
                losses.evicted = losses.evicted.saturating_add(1);
            }
            self.slots.push(InProgress {
                key,
                last_seq: h.seq,
                buf: payload.to_vec(),
                stamp: self.clock,
            });
            return Outcome::Pending;
        }
        let Some(i) = self.slots.iter().position(|s| s.key == key) else {
            return Outcome::Dropped(Drop::NoFirst);
        };
        let max_len = self.max_len;
        let clock = self.clock;
        let Some(slot) = self.slots.get_mut(i) else {
            return Outcome::Dropped(Drop::NoFirst);
        };
        if h.seq != slot.last_seq.wrapping_add(1) & TH_SEQ {
            self.slots.swap_remove(i);
            return Outcome::Dropped(Drop::OutOfSequence);
        }
        if slot.buf.len().saturating_add(payload.len()) > max_len {
            self.slots.swap_remove(i);
            return Outcome::Dropped(Drop::TooLong);
        }
        slot.buf.extend_from_slice(payload);
        slot.last_seq = h.seq;
        slot.stamp = clock;
        if !h.fin {
            return Outcome::Pending;
        }
        let done = self.slots.swap_remove(i);
        self.done = done.buf;
        Outcome::Complete(&self.done)
    }

    /// Drops every fragment in progress (a gap in the stream); returns how many.
    pub fn clear(&mut self) -> usize {
        let n = self.slots.len();
        self.slots.clear();
        self.done = Vec::new();
        n
    }
}

/// Splits an application fragment into transport segments of at most `max_payload`
/// bytes (1..=249) each with its header, sequence numbers starting at `seq` (for tests,
/// benches and fuzz seeds).
pub fn segment(fragment: &[u8], max_payload: usize, seq: u8) -> Vec<Vec<u8>> {
    let max_payload = max_payload.clamp(1, crate::dnp3::link::MAX_USER_DATA - 1);
    let chunks: Vec<&[u8]> = if fragment.is_empty() {
        vec![&[][..]]
    } else {
        fragment.chunks(max_payload).collect()
    };
    let last = chunks.len().saturating_sub(1);
    let mut seq = seq & TH_SEQ;
    let mut out = Vec::with_capacity(chunks.len());
    for (i, c) in chunks.into_iter().enumerate() {
        let mut th = seq;
        if i == 0 {
            th |= TH_FIR;
        }
        if i == last {
            th |= TH_FIN;
        }
        let mut s = Vec::with_capacity(c.len().saturating_add(1));
        s.push(th);
        s.extend_from_slice(c);
        out.push(s);
        seq = seq.wrapping_add(1) & TH_SEQ;
    }
    out
}
