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

#[derive(Debug)]
struct Slot {
    flow: Option<Flow>,
    /// Towards the most recently seen end.
    prev: u32,
    /// Towards the least recently seen end.
    next: u32,
}

/// Flows of one engine, capped at `cap`.
pub struct FlowTable {
    index: HashMap<FlowKey, u32, ahash::RandomState>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// Most recently seen.
    head: u32,
    /// Least recently seen: the next to evict.
    tail: u32,
    cap: usize,
}

impl FlowTable {
    /// A table holding at most `cap` flows (at least 1, at most `u32::MAX - 1`). Nothing
    /// is preallocated: the slab grows with the flows.
    pub fn new(cap: usize) -> FlowTable {
        let cap = cap.clamp(1, usize::try_from(NIL - 1).unwrap_or(usize::MAX));
        FlowTable {
            // ahash's RandomState draws its keys at run time: a crafted set of flow keys
            // cannot be made to collide in every run.
            index: HashMap::with_hasher(ahash::RandomState::new()),
            slots: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            cap,
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.index.len() >= self.cap
    }

    pub fn capacity(&self) -> usize {
        self.cap
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

    /// The least recently seen flow.
    pub fn lru(&self) -> Option<FlowId> {
        (self.tail != NIL).then_some(FlowId(self.tail))
    }

    /// Inserts a flow as the most recently seen. Returns `None` (and drops nothing) when
    /// the table is full or the key is present: the caller evicts or looks up first.
    pub fn insert(&mut self, flow: Flow) -> Option<FlowId> {
        if self.is_full() || self.index.contains_key(&flow.key) {
            return None;
        }
        let key = flow.key;
        let slot = Slot {
            flow: Some(flow),
            prev: NIL,
            next: NIL,
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
        self.link_front(i);
        Some(FlowId(i))
    }

    /// Marks a flow as just seen.
    #[inline]
    pub fn touch(&mut self, id: FlowId) {
        if self.head == id.0 {
            return;
        }
        self.unlink(id.0);
        self.link_front(id.0);
    }

    pub fn remove(&mut self, id: FlowId) -> Option<Flow> {
        let flow = self.slots.get_mut(idx(id.0))?.flow.take()?;
        self.index.remove(&flow.key);
        self.unlink(id.0);
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
        let old_head = self.head;
        if let Some(s) = self.slots.get_mut(idx(i)) {
            s.prev = NIL;
            s.next = old_head;
        }
        if let Some(h) = self.slots.get_mut(idx(old_head)) {
            h.prev = i;
        }
        self.head = i;
        if self.tail == NIL {
            self.tail = i;
        }
    }

    fn unlink(&mut self, i: u32) {
        let Some(s) = self.slots.get(idx(i)) else {
            return;
        };
        let (prev, next) = (s.prev, s.next);
        match self.slots.get_mut(idx(prev)) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.slots.get_mut(idx(next)) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
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
}
