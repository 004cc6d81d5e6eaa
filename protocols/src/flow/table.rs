//! The bounded flow table of one engine: a hash index over a slab of flows, with an
//! intrusive least-recently-seen list for eviction.
//!
//! Every operation on the packet path is O(1): a hash lookup, and moving the flow to the
//! front of the list. Eviction takes the back of the list. Idle expiry is not done here:
//! the engine scans on packet-time ticks (see `engine.rs`) so that it is identical for
//! any number of workers.

use super::reassembly::HalfStream;
use crate::event::{AppProtocol, DirectionStats, FlowTuple, TcpState};
use crate::identify::Ident;
use crate::parser::AppParser;
use crate::parser::Direction;
use mizuban_capture::{FlowKey, MacAddr, Timestamp};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

/// `[flows]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlowConfig {
    /// Flows held per run (split evenly across workers); the least recently seen flow is
    /// evicted beyond it.
    pub max_flows: usize,
    #[serde(with = "mizuban_capture::time_serde")]
    pub tcp_idle_timeout: Duration,
    /// After FIN/RST: how long to keep the flow for late packets.
    #[serde(with = "mizuban_capture::time_serde")]
    pub tcp_closed_timeout: Duration,
    #[serde(with = "mizuban_capture::time_serde")]
    pub udp_idle_timeout: Duration,
    #[serde(with = "mizuban_capture::time_serde")]
    pub other_idle_timeout: Duration,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            max_flows: 1_000_000,
            tcp_idle_timeout: Duration::from_secs(3600),
            tcp_closed_timeout: Duration::from_secs(10),
            udp_idle_timeout: Duration::from_secs(120),
            other_idle_timeout: Duration::from_secs(120),
        }
    }
}

impl FlowConfig {
    /// How long `flow` may stay silent before it is expired.
    pub fn timeout_of(&self, flow: &Flow) -> Duration {
        match flow.key.proto {
            PROTO_TCP => match flow.tcp_state {
                TcpState::Closed | TcpState::Reset => self.tcp_closed_timeout,
                _ => self.tcp_idle_timeout,
            },
            PROTO_UDP => self.udp_idle_timeout,
            _ => self.other_idle_timeout,
        }
    }

    /// Packet time at which `flow` expires if nothing more is seen.
    pub fn deadline_of(&self, flow: &Flow) -> Timestamp {
        flow.last_seen.saturating_add(self.timeout_of(flow))
    }
}

pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;

/// TCP per-flow state: one reassembly half per direction (index [`Direction::index`]).
#[derive(Debug, Default)]
pub struct TcpConn {
    pub half: [HalfStream; 2],
}

/// One flow.
///
/// Memory per idle flow: `size_of::<Flow>()` is 216 bytes on x86_64, at most
/// [`FLOW_SIZE_MAX`] (checked by a test); plus 8 bytes of list links in its slot; plus
/// the hash index entry (a [`FlowKey`] and a `u32`: 56 bytes, and a control byte, with up
/// to 1/8 of the table empty): about 290 bytes in all. Nothing else is allocated until there is
/// out-of-order data (a boxed buffer per direction) or a parser (boxed, created when the
/// protocol is identified).
#[derive(Debug)]
pub struct Flow {
    pub key: FlowKey,
    /// Whether the client is the key's `lo` endpoint.
    pub client_is_lo: bool,
    pub tcp_state: TcpState,
    /// A bare SYN started the flow.
    pub syn: bool,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Per direction, indexed by [`Direction::index`].
    pub stats: [DirectionStats; 2],
    /// Source MAC of each side: `[client, server]`.
    pub macs: [Option<MacAddr>; 2],
    pub ident: Ident,
    pub tcp: TcpConn,
    pub parser: AppParser,
    /// Fingerprint of the last TCP segment (direction, sequence and acknowledgement
    /// numbers, flags, window, length): the same segment again within a millisecond is a
    /// frame mirrored twice, not a retransmission.
    pub last_sig: u32,
}

/// Upper bound on `size_of::<Flow>()` promised by the doc comment above.
pub const FLOW_SIZE_MAX: usize = 224;

impl Flow {
    pub fn new(key: FlowKey, client_is_lo: bool, ts: Timestamp) -> Flow {
        Flow {
            key,
            client_is_lo,
            tcp_state: TcpState::None,
            syn: false,
            first_seen: ts,
            last_seen: ts,
            stats: [DirectionStats::default(); 2],
            macs: [None; 2],
            ident: Ident::default(),
            tcp: TcpConn::default(),
            parser: AppParser::default(),
            last_sig: 0,
        }
    }

    /// Direction of a packet whose source is (`src_is_lo`) the key's `lo` endpoint.
    #[inline]
    pub fn direction(&self, src_is_lo: bool) -> Direction {
        if src_is_lo == self.client_is_lo {
            Direction::ToServer
        } else {
            Direction::ToClient
        }
    }

    /// The oriented tuple events carry.
    pub fn tuple(&self) -> FlowTuple {
        let lo = SocketAddr::new(self.key.lo.0, self.key.lo.1);
        let hi = SocketAddr::new(self.key.hi.0, self.key.hi.1);
        let (client, server) = if self.client_is_lo {
            (lo, hi)
        } else {
            (hi, lo)
        };
        FlowTuple {
            client,
            server,
            proto: self.key.proto,
            vlan: self.key.vlan,
        }
    }

    pub fn server_port(&self) -> u16 {
        if self.client_is_lo {
            self.key.hi.1
        } else {
            self.key.lo.1
        }
    }

    pub fn client_port(&self) -> u16 {
        if self.client_is_lo {
            self.key.lo.1
        } else {
            self.key.hi.1
        }
    }

    pub fn app(&self) -> AppProtocol {
        self.ident.app()
    }

    /// A direction's sequence numbers could not be followed (see `reassembly`).
    pub fn is_unfollowable(&self) -> bool {
        self.tcp.half.iter().any(HalfStream::is_unfollowable)
    }

    /// Acknowledged bytes this flow never showed the monitor (both directions).
    pub fn missed_bytes(&self) -> u64 {
        let [a, b] = &self.tcp.half;
        a.missed_bytes().saturating_add(b.missed_bytes())
    }
}

/// Index of a flow in the table's slab.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowId(u32);

const NIL: u32 = u32::MAX;

/// How much a flow is worth keeping when the table must make room (issue 14): flows of
/// the `Cheap` class (one-sided, handshake-less or payload-less: what floods and scans
/// create) are evicted before any `Kept` flow (an established session that carried data
/// both ways), as Suricata's flow emergency mode prefers.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Worth {
    Cheap = 0,
    Kept = 1,
}

/// Bytes charged per flow to the table's share of the memory budget: the flow, its slot
/// and its hash index entry (see [`Flow`]), rounded up for the allocator.
pub const FLOW_BASE_BYTES: u32 = 320;

#[derive(Debug)]
struct Slot {
    flow: Option<Flow>,
    /// Towards the most recently seen end of its list.
    prev: u32,
    /// Towards the least recently seen end of its list.
    next: u32,
    worth: Worth,
    /// Bytes charged to the budget for this flow.
    charge: u32,
}

/// Both ends of one recency list.
#[derive(Copy, Clone, Debug)]
struct Ends {
    /// Most recently seen.
    head: u32,
    /// Least recently seen: the next to evict.
    tail: u32,
}

const EMPTY: Ends = Ends {
    head: NIL,
    tail: NIL,
};

/// Flows of one engine, capped at `cap` flows and `max_bytes` charged bytes.
pub struct FlowTable {
    index: HashMap<FlowKey, u32, ahash::RandomState>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// One recency list per [`Worth`].
    lists: [Ends; 2],
    cap: usize,
    bytes: u64,
    max_bytes: u64,
}

impl FlowTable {
    /// A table holding at most `cap` flows (at least 1, at most `u32::MAX - 1`). Nothing
    /// is preallocated: the slab grows with the flows.
    pub fn new(cap: usize) -> FlowTable {
        FlowTable::with_budget(cap, u64::MAX)
    }

    /// A table capped at `cap` flows and `max_bytes` bytes charged (see
    /// [`FLOW_BASE_BYTES`] and [`FlowTable::add_charge`]).
    pub fn with_budget(cap: usize, max_bytes: u64) -> FlowTable {
        let cap = cap.clamp(1, usize::try_from(NIL - 1).unwrap_or(usize::MAX));
        FlowTable {
            // ahash's RandomState draws its keys at run time: a crafted set of flow keys
            // cannot be made to collide in every run.
            index: HashMap::with_hasher(ahash::RandomState::new()),
            slots: Vec::new(),
            free: Vec::new(),
            lists: [EMPTY; 2],
            cap,
            bytes: 0,
            max_bytes: max_bytes.max(u64::from(FLOW_BASE_BYTES)),
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// No room for one more flow: by count or by bytes.
    pub fn is_full(&self) -> bool {
        self.index.len() >= self.cap
            || self.bytes.saturating_add(u64::from(FLOW_BASE_BYTES)) > self.max_bytes
    }

    /// At 90 % of the count or the bytes: time for emergency measures.
    pub fn near_full(&self) -> bool {
        let len = u64::try_from(self.index.len()).unwrap_or(u64::MAX);
        let cap = u64::try_from(self.cap).unwrap_or(u64::MAX);
        len.saturating_mul(10) >= cap.saturating_mul(9)
            || self.bytes.saturating_mul(10) >= self.max_bytes.saturating_mul(9)
    }

    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Bytes charged by the flows held.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    #[inline]
    pub fn find(&self, key: &FlowKey) -> Option<FlowId> {
        self.index.get(key).map(|i| FlowId(*i))
    }

    #[inline]
    pub fn get(&self, id: FlowId) -> Option<&Flow> {
        self.slots.get(idx(id.0))?.flow.as_ref()
    }

    #[inline]
    pub fn get_mut(&mut self, id: FlowId) -> Option<&mut Flow> {
        self.slots.get_mut(idx(id.0))?.flow.as_mut()
    }

    /// The next flow to evict: the least recently seen cheap flow, else the least
    /// recently seen kept one.
    pub fn lru(&self) -> Option<FlowId> {
        self.lru_of(Worth::Cheap)
            .or_else(|| self.lru_of(Worth::Kept))
    }

    /// The least recently seen flow of one class.
    pub fn lru_of(&self, worth: Worth) -> Option<FlowId> {
        let tail = self.lists.get(worth as usize)?.tail;
        (tail != NIL).then_some(FlowId(tail))
    }

    pub fn worth(&self, id: FlowId) -> Option<Worth> {
        self.slots.get(idx(id.0)).map(|s| s.worth)
    }

    /// Inserts a flow as the most recently seen cheap flow. Returns `None` (and drops
    /// nothing) when the table is full or the key is present: the caller evicts or looks
    /// up first.
    pub fn insert(&mut self, flow: Flow) -> Option<FlowId> {
        if self.is_full() || self.index.contains_key(&flow.key) {
            return None;
        }
        let key = flow.key;
        let slot = Slot {
            flow: Some(flow),
            prev: NIL,
            next: NIL,
            worth: Worth::Cheap,
            charge: FLOW_BASE_BYTES,
        };
        let i = match self.free.pop() {
            Some(i) => {
                *self.slots.get_mut(idx(i))? = slot;
                i
            }
            None => {
                let i = u32::try_from(self.slots.len()).ok().filter(|i| *i != NIL)?;
                self.slots.push(slot);
                i
            }
        };
        self.index.insert(key, i);
        self.bytes = self.bytes.saturating_add(u64::from(FLOW_BASE_BYTES));
        self.link_front(i);
        Some(FlowId(i))
    }

    /// Marks a flow as just seen.
    #[inline]
    pub fn touch(&mut self, id: FlowId) {
        let Some(worth) = self.worth(id) else {
            return;
        };
        if self
            .lists
            .get(worth as usize)
            .is_some_and(|l| l.head == id.0)
        {
            return;
        }
        self.unlink(id.0);
        self.link_front(id.0);
    }

    /// Moves a flow to the kept class (it stays the most recently seen).
    pub fn promote(&mut self, id: FlowId) {
        if self.worth(id) != Some(Worth::Cheap) {
            return;
        }
        self.unlink(id.0);
        if let Some(s) = self.slots.get_mut(idx(id.0)) {
            s.worth = Worth::Kept;
        }
        self.link_front(id.0);
    }

    /// Charges `n` more bytes for a flow (a parser was created for it).
    pub fn add_charge(&mut self, id: FlowId, n: u32) {
        if let Some(s) = self.slots.get_mut(idx(id.0))
            && s.flow.is_some()
        {
            s.charge = s.charge.saturating_add(n);
            self.bytes = self.bytes.saturating_add(u64::from(n));
        }
    }

    pub fn remove(&mut self, id: FlowId) -> Option<Flow> {
        let slot = self.slots.get_mut(idx(id.0))?;
        let flow = slot.flow.take()?;
        let charge = std::mem::replace(&mut slot.charge, 0);
        self.bytes = self.bytes.saturating_sub(u64::from(charge));
        self.index.remove(&flow.key);
        self.unlink(id.0);
        if let Some(s) = self.slots.get_mut(idx(id.0)) {
            s.worth = Worth::Cheap;
        }
        self.free.push(id.0);
        Some(flow)
    }

    /// Ids of all flows, in slab order (deterministic for a given input).
    pub fn ids(&self) -> impl Iterator<Item = FlowId> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.flow.is_some())
            .filter_map(|(i, _)| u32::try_from(i).ok().map(FlowId))
    }

    /// All flows, mutable, in slab order.
    pub fn flows_mut(&mut self) -> impl Iterator<Item = (FlowId, &mut Flow)> + '_ {
        self.slots.iter_mut().enumerate().filter_map(|(i, s)| {
            let id = FlowId(u32::try_from(i).ok()?);
            s.flow.as_mut().map(|f| (id, f))
        })
    }

    fn link_front(&mut self, i: u32) {
        let Some(worth) = self.slots.get(idx(i)).map(|s| s.worth) else {
            return;
        };
        let Some(ends) = self.lists.get(worth as usize).copied() else {
            return;
        };
        if let Some(s) = self.slots.get_mut(idx(i)) {
            s.prev = NIL;
            s.next = ends.head;
        }
        if let Some(h) = self.slots.get_mut(idx(ends.head)) {
            h.prev = i;
        }
        if let Some(l) = self.lists.get_mut(worth as usize) {
            l.head = i;
            if l.tail == NIL {
                l.tail = i;
            }
        }
    }

    fn unlink(&mut self, i: u32) {
        let Some(s) = self.slots.get(idx(i)) else {
            return;
        };
        let (prev, next, worth) = (s.prev, s.next, s.worth as usize);
        match self.slots.get_mut(idx(prev)) {
            Some(p) => p.next = next,
            None => {
                if let Some(l) = self.lists.get_mut(worth) {
                    l.head = next;
                }
            }
        }
        match self.slots.get_mut(idx(next)) {
            Some(n) => n.prev = prev,
            None => {
                if let Some(l) = self.lists.get_mut(worth) {
                    l.tail = prev;
                }
            }
        }
        if let Some(s) = self.slots.get_mut(idx(i)) {
            s.prev = NIL;
            s.next = NIL;
        }
    }
}

#[inline]
fn idx(i: u32) -> usize {
    // NIL maps to an index no slab reaches, so `get` returns None for it.
    usize::try_from(i).unwrap_or(usize::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use mizuban_capture::VlanTags;
    use std::net::{IpAddr, Ipv4Addr};

    fn key(n: u16) -> FlowKey {
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        FlowKey::new((a, n), (b, 502), 6, VlanTags::default()).0
    }

    #[test]
    fn idle_flow_stays_small() {
        let size = std::mem::size_of::<Flow>();
        assert!(size <= FLOW_SIZE_MAX, "Flow is {size} bytes");
    }

    #[test]
    fn lru_order_follows_touches() {
        let mut t = FlowTable::new(3);
        let a = t.insert(Flow::new(key(1), true, Timestamp(1))).unwrap();
        let b = t.insert(Flow::new(key(2), true, Timestamp(2))).unwrap();
        let c = t.insert(Flow::new(key(3), true, Timestamp(3))).unwrap();
        assert!(t.is_full());
        assert_eq!(t.lru(), Some(a));
        t.touch(a);
        assert_eq!(t.lru(), Some(b));
        assert!(t.insert(Flow::new(key(4), true, Timestamp(4))).is_none());
        t.remove(b).unwrap();
        assert_eq!(t.lru(), Some(c));
        let d = t.insert(Flow::new(key(4), true, Timestamp(4))).unwrap();
        // The freed slot is reused.
        assert_eq!(d, b);
        assert_eq!(t.find(&key(4)), Some(d));
        assert_eq!(t.find(&key(2)), None);
        t.remove(c).unwrap();
        t.remove(a).unwrap();
        assert_eq!(t.lru(), Some(d));
        t.remove(d).unwrap();
        assert_eq!(t.lru(), None);
        assert!(t.is_empty());
    }

    #[test]
    fn cheap_flows_go_before_kept_ones() {
        let mut t = FlowTable::new(3);
        let a = t.insert(Flow::new(key(1), true, Timestamp(1))).unwrap();
        let b = t.insert(Flow::new(key(2), true, Timestamp(2))).unwrap();
        let c = t.insert(Flow::new(key(3), true, Timestamp(3))).unwrap();
        t.promote(a);
        // `a` is the oldest, but kept: the oldest cheap flow goes first.
        assert_eq!(t.lru(), Some(b));
        t.remove(b).unwrap();
        assert_eq!(t.lru(), Some(c));
        t.remove(c).unwrap();
        assert_eq!(t.lru(), Some(a));
        assert_eq!(t.worth(a), Some(Worth::Kept));
        t.touch(a);
        t.remove(a).unwrap();
        assert_eq!(t.lru(), None);
        // A freed slot starts cheap again.
        let d = t.insert(Flow::new(key(4), true, Timestamp(4))).unwrap();
        assert_eq!(t.worth(d), Some(Worth::Cheap));
    }

    #[test]
    fn bytes_are_charged_and_capped() {
        let base = u64::from(FLOW_BASE_BYTES);
        let mut t = FlowTable::with_budget(100, 3 * base);
        let a = t.insert(Flow::new(key(1), true, Timestamp(1))).unwrap();
        t.insert(Flow::new(key(2), true, Timestamp(2))).unwrap();
        assert_eq!(t.bytes(), 2 * base);
        assert!(!t.is_full());
        t.add_charge(a, FLOW_BASE_BYTES);
        assert!(t.is_full(), "the parser's bytes count against the share");
        assert!(t.insert(Flow::new(key(3), true, Timestamp(3))).is_none());
        t.remove(a).unwrap();
        assert_eq!(t.bytes(), base);
        assert!(t.near_full() || t.len() == 1);
    }
}
