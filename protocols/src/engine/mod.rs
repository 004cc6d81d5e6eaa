//! One worker's share of the packet path: flows, reassembly, identification, parsers.
//!
//! Determinism: the pipeline shards packets by IP pair, so a flow always lands on the same
//! engine, and merges events by [`Event::sort_key`]. For the merged output to be the same
//! whatever the worker count, everything here depends only on the flow's own packets and
//! on the ticks (which every engine receives at the same points of the run):
//! - time is packet time; idle expiry happens only in [`Engine::tick`] and
//!   [`Engine::finish`], where a flow expires when its own deadline has passed;
//! - expired flows are closed in flow-key order;
//! - events carry the sequence number of the packet or tick being processed, and `sub`
//!   counts from 0 for each flow within that packet or tick.
//!
//! The one exception is eviction from a full table, which depends on what else the shard
//! holds: the cap is per engine (`max_flows / shards`), and evictions are counted.

mod stats;
mod tcp;

pub use stats::EngineStats;

use crate::event::{Arp, Event, EventKind, FlowEnd, FlowEndReason, FlowStart, FlowTuple, TcpState};
use crate::flow::health::{self, EvictClass};
use crate::flow::orient;
use crate::flow::table::{PROTO_TCP, PROTO_UDP};
use crate::flow::{Flow, FlowConfig, FlowId, FlowTable, ReassemblyConfig, Worth};
use crate::identify;
use crate::parser::{Direction, ParseCtx};
use crate::registry::ProtocolsConfig;
use mizuban_capture::budget::{MemoryBudget, Table};
use mizuban_capture::defrag::{DefragConfig, Defragmenter};
use mizuban_capture::{
    ArpInfo, DropCounters, DropReason, FlowKey, IpInfo, Net, PacketInfo, PacketMeta, TcpInfo,
    Timestamp, Transport,
};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};

/// The engine's sections of the config file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    pub flows: FlowConfig,
    pub reassembly: ReassemblyConfig,
    pub defrag: DefragConfig,
    pub protocols: ProtocolsConfig,
    /// The process's memory budget (`[limits]`): the engine takes its shares of it.
    #[serde(skip)]
    pub budget: MemoryBudget,
}

/// Where a packet or tick sits in the run: the envelope of the events it causes.
#[derive(Copy, Clone, Debug)]
struct Stamp {
    ts: Timestamp,
    seq: u64,
    file: u16,
    frame: u64,
}

impl Stamp {
    /// A parse context whose events carry this stamp, pointing at `frame`.
    fn ctx<'a>(
        &self,
        frame: u64,
        tuple: FlowTuple,
        stats: &'a mut EngineStats,
        events: &'a mut Vec<Event>,
        sub: &'a mut u32,
    ) -> ParseCtx<'a> {
        ParseCtx::new(
            self.ts, self.seq, self.file, frame, tuple, stats, events, sub,
        )
    }
}

pub struct Engine {
    cfg: EngineConfig,
    table: FlowTable,
    defrag: Defragmenter,
    /// Defragmenter drop counts already folded into `stats.drops`.
    defrag_seen: DropCounters,
    stats: EngineStats,
    /// No flow's deadline is earlier than this: ticks before it need not scan.
    next_scan: Timestamp,
    /// Reused buffers: a reassembled datagram, and flows expiring in a tick.
    scratch: Vec<u8>,
    expired: Vec<(FlowKey, FlowId)>,
    /// The table is near its share: cheap flows get the short emergency timeout.
    emergency: bool,
}

/// Bookkeeping charged per fragment set on top of its bytes.
const DEFRAG_SET_BYTES: usize = 128;

/// Bytes charged for a flow's parser and its pending transactions on top of
/// [`crate::flow::table::FLOW_BASE_BYTES`]: measured as the resident growth per flow of a
/// flood of one-request Modbus flows (about 1.5 KB per flow in all).
pub const PARSER_BYTES: u32 = 1024;

/// Cheap flows idle this long are expired while in emergency mode (Suricata's
/// emergency timeouts are of this order), instead of the hour a TCP flow may idle.
pub const EMERGENCY_IDLE: std::time::Duration = std::time::Duration::from_secs(5);

/// Duplicate frames are the same segment again within this much packet time.
const DUPLICATE_WINDOW_NS: u64 = 1_000_000;

impl Engine {
    /// `shards` is the worker count: table caps are split across them.
    pub fn new(cfg: &EngineConfig, shards: usize) -> Engine {
        let cap = cfg.flows.max_flows.checked_div(shards.max(1)).unwrap_or(1);
        let mut cfg = cfg.clone();
        let share =
            |t: Table| usize::try_from(cfg.budget.share_per_shard(t, shards)).unwrap_or(usize::MAX);
        cfg.reassembly.max_buffered_total = cfg
            .reassembly
            .max_buffered_total
            .min(share(Table::Reassembly));
        // Half the share for fragment bytes, half for the sets' bookkeeping.
        let defrag = share(Table::Defrag);
        let half = defrag.checked_div(2).unwrap_or(0);
        cfg.defrag.max_bytes = cfg.defrag.max_bytes.min(half);
        cfg.defrag.max_sets = cfg
            .defrag
            .max_sets
            .min(half.checked_div(DEFRAG_SET_BYTES).unwrap_or(1))
            .max(1);
        let flow_bytes = cfg.budget.share_per_shard(Table::Flows, shards);
        Engine {
            table: FlowTable::with_budget(cap, flow_bytes),
            defrag: Defragmenter::new(&cfg.defrag),
            cfg,
            defrag_seen: DropCounters::default(),
            stats: EngineStats::default(),
            next_scan: Timestamp::MAX,
            scratch: Vec::new(),
            expired: Vec::new(),
            emergency: false,
        }
    }

    /// Processes one packet; `frame` is the captured frame `meta.info` describes.
    pub fn process(&mut self, meta: &PacketMeta, frame: &[u8], out: &mut Vec<Event>) {
        self.stats.packets = self.stats.packets.saturating_add(1);
        self.stats.bytes = self.stats.bytes.saturating_add(u64::from(meta.wire_len));
        let stamp = Stamp {
            ts: meta.ts,
            seq: meta.seq,
            file: meta.file,
            frame: meta.frame,
        };
        match &meta.info.net {
            Net::Arp(arp) => self.arp(stamp, &meta.info, arp, out),
            Net::Ip(ip) if ip.fragment.is_some() => self.fragment(meta, stamp, ip, frame, out),
            Net::Ip(ip) => {
                let payload = payload_of(&meta.info, frame);
                let wire = wire_payload_len(&meta.info, ip);
                self.packet(stamp, meta, &meta.info, ip, payload, wire, out);
            }
            Net::None => {}
        }
    }

    /// Packet time advanced to `now` (sent to every worker at the same point of the run,
    /// with sequence number `seq`): expire idle flows, fragments and transactions.
    pub fn tick(&mut self, now: Timestamp, seq: u64, out: &mut Vec<Event>) {
        self.defrag.expire(now);
        self.sync_defrag_drops();
        let stamp = Stamp {
            ts: now,
            seq,
            file: 0,
            frame: 0,
        };
        if now >= self.next_scan {
            self.expire(now, stamp, out);
        }
        if self.emergency {
            self.expire_cheap(now, stamp, out);
        }
        self.refresh_memory();
        let Engine { table, stats, .. } = self;
        for (_, flow) in table.flows_mut() {
            if flow.parser.is_none() {
                continue;
            }
            let mut sub = 0;
            let tuple = flow.tuple();
            let mut ctx = stamp.ctx(stamp.frame, tuple, stats, out, &mut sub);
            flow.parser.on_tick(&mut ctx, flow.key.proto == PROTO_TCP);
        }
    }

    /// End of input: flush every flow and pending transaction.
    pub fn finish(&mut self, now: Timestamp, seq: u64, out: &mut Vec<Event>) {
        let stamp = Stamp {
            ts: now,
            seq,
            file: 0,
            frame: 0,
        };
        let mut all: Vec<(FlowKey, FlowId)> = self
            .table
            .ids()
            .filter_map(|id| self.table.get(id).map(|f| (f.key, id)))
            .collect();
        all.sort_unstable();
        for (_, id) in all {
            if let Some(flow) = self.table.remove(id) {
                let mut sub = 0;
                self.end_flow(flow, FlowEndReason::EndOfCapture, stamp, &mut sub, out);
            }
        }
        self.next_scan = Timestamp::MAX;
        self.refresh_memory();
    }

    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }

    /// The bytes each of this engine's tables accounts, into the stats.
    fn refresh_memory(&mut self) {
        let h = &mut self.stats.health;
        h.set_memory(Table::Flows, self.table.bytes());
        h.set_memory(Table::Reassembly, self.stats.reassembly_buffered_bytes);
        let defrag = self
            .defrag
            .held_bytes()
            .saturating_add(self.defrag.held_sets().saturating_mul(DEFRAG_SET_BYTES));
        h.set_memory(Table::Defrag, u64::try_from(defrag).unwrap_or(u64::MAX));
        h.emergency_active = u64::from(self.emergency);
    }

    /// Emergency mode: the table is at 90 % of its share. It ends when the table is
    /// back under 70 %.
    fn update_emergency(&mut self) {
        if !self.emergency && self.table.near_full() {
            self.emergency = true;
            self.stats.health.emergency_entered =
                self.stats.health.emergency_entered.saturating_add(1);
        } else if self.emergency {
            let len = self.table.len().saturating_mul(10);
            let bytes = self.table.bytes().saturating_mul(10);
            if len < self.table.capacity().saturating_mul(7)
                && bytes < self.table.max_bytes().saturating_mul(7)
            {
                self.emergency = false;
            }
        }
    }

    /// In emergency mode: expires cheap flows idle for [`EMERGENCY_IDLE`], oldest first.
    /// Only the flows expired are visited, so the cost does not grow with the table.
    fn expire_cheap(&mut self, now: Timestamp, stamp: Stamp, out: &mut Vec<Event>) {
        while let Some(id) = self.table.lru_of(Worth::Cheap) {
            let idle = self
                .table
                .get(id)
                .is_some_and(|f| f.last_seen.saturating_add(EMERGENCY_IDLE) <= now);
            if !idle {
                break;
            }
            let Some(flow) = self.table.remove(id) else {
                break;
            };
            self.stats.health.emergency_expired =
                self.stats.health.emergency_expired.saturating_add(1);
            let mut sub = 0;
            self.end_flow(flow, FlowEndReason::Idle, stamp, &mut sub, out);
        }
        self.update_emergency();
    }

    /// Flows held right now.
    pub fn flow_count(&self) -> usize {
        self.table.len()
    }

    /// Closes every flow whose deadline is at or before `now`, in key order.
    fn expire(&mut self, now: Timestamp, stamp: Stamp, out: &mut Vec<Event>) {
        let mut next = Timestamp::MAX;
        let mut expired = std::mem::take(&mut self.expired);
        expired.clear();
        for (id, flow) in self.table.flows_mut() {
            let deadline = self.cfg.flows.deadline_of(flow);
            if deadline <= now {
                expired.push((flow.key, id));
            } else {
                next = next.min(deadline);
            }
        }
        self.next_scan = next;
        expired.sort_unstable();
        for (_, id) in &expired {
            if let Some(flow) = self.table.remove(*id) {
                let reason = match flow.tcp_state {
                    TcpState::Closed | TcpState::Reset => FlowEndReason::Closed,
                    _ => FlowEndReason::Idle,
                };
                let mut sub = 0;
                self.end_flow(flow, reason, stamp, &mut sub, out);
            }
        }
        self.expired = expired;
    }

    fn arp(&mut self, stamp: Stamp, info: &PacketInfo, arp: &ArpInfo, out: &mut Vec<Event>) {
        let tuple = FlowTuple {
            client: SocketAddr::new(IpAddr::V4(arp.sender_ip), 0),
            server: SocketAddr::new(IpAddr::V4(arp.target_ip), 0),
            proto: 0,
            vlan: info.vlan,
        };
        let mut sub = 0;
        let mut ctx = stamp.ctx(stamp.frame, tuple, &mut self.stats, out, &mut sub);
        ctx.emit(EventKind::Arp(Arp {
            operation: arp.operation,
            sender_mac: arp.sender_mac,
            sender_ip: arp.sender_ip,
            target_ip: arp.target_ip,
        }));
    }

    /// Feeds an IPv4 fragment to the defragmenter; a completed datagram is processed
    /// as a packet of its own, stamped with the frame that completed it.
    fn fragment(
        &mut self,
        meta: &PacketMeta,
        stamp: Stamp,
        ip: &IpInfo,
        frame: &[u8],
        out: &mut Vec<Event>,
    ) {
        let transport = match self.defrag.push(meta.ts, &meta.info, frame) {
            Some(r) => {
                self.scratch.clear();
                self.scratch.extend_from_slice(r.payload);
                Some(r.transport)
            }
            None => None,
        };
        self.sync_defrag_drops();
        let Some(transport) = transport else {
            return;
        };
        let mut info = meta.info;
        info.transport = transport;
        let mut ip = *ip;
        ip.fragment = None;
        info.net = Net::Ip(ip);
        let payload = std::mem::take(&mut self.scratch);
        let wire = u32::try_from(payload.len()).unwrap_or(u32::MAX);
        info.payload_offset = 0;
        info.payload_len = wire;
        self.packet(stamp, meta, &info, &ip, &payload, wire, out);
        self.scratch = payload;
    }

    fn sync_defrag_drops(&mut self) {
        let now = self.defrag.drops();
        for (reason, n) in now.iter() {
            let delta = n.saturating_sub(self.defrag_seen.get(reason));
            if delta > 0 {
                self.stats.drops.add(reason, delta);
                self.defrag_seen.add(reason, delta);
            }
        }
    }

    /// One IP packet (or reassembled datagram) with its transport payload.
    #[allow(clippy::too_many_arguments)]
    fn packet(
        &mut self,
        stamp: Stamp,
        meta: &PacketMeta,
        info: &PacketInfo,
        ip: &IpInfo,
        payload: &[u8],
        wire_payload: u32,
        out: &mut Vec<Event>,
    ) {
        if matches!(ip.proto, PROTO_TCP | PROTO_UDP) && info.transport == Transport::None {
            // The transport header was cut off or malformed: the decoder counted it, and
            // without ports there is no flow to put it in.
            return;
        }
        let (sp, dp) = info.transport.ports();
        let (key, src_is_lo) = FlowKey::new((ip.src, sp), (ip.dst, dp), ip.proto, info.vlan);
        let mut sub = 0u32;
        let id = match self.table.find(&key) {
            Some(id) if self.is_reused(id, info) => {
                // A new connection on the 4-tuple of a closed one (RFC 9293 section
                // 3.10.7.4 TIME-WAIT reuse): end the old flow first.
                if let Some(old) = self.table.remove(id) {
                    self.end_flow(old, FlowEndReason::Closed, stamp, &mut sub, out);
                }
                self.create(stamp, info, key, src_is_lo, &mut sub, out)
            }
            Some(id) => Some(id),
            None => self.create(stamp, info, key, src_is_lo, &mut sub, out),
        };
        let Some(id) = id else {
            return;
        };
        self.table.touch(id);
        let Engine {
            table,
            stats,
            cfg,
            next_scan,
            ..
        } = self;
        let Some(flow) = table.get_mut(id) else {
            return;
        };
        let dir = flow.direction(src_is_lo);
        let side = dir.index();
        if let Transport::Tcp(t) = &info.transport {
            let sig = segment_sig(dir, t, wire_payload);
            let seen = flow.stats.iter().any(|s| s.packets > 0);
            let soon = stamp.ts.since(flow.last_seen).as_nanos() <= DUPLICATE_WINDOW_NS.into();
            let dup = seen && sig == flow.last_sig && soon;
            flow.last_sig = sig;
            if dup {
                // The same frame mirrored twice: counted, and processed once.
                stats.health.duplicate_frames = stats.health.duplicate_frames.saturating_add(1);
                return;
            }
        }
        let had_parser = !flow.parser.is_none();
        if flow.last_seen < stamp.ts {
            flow.last_seen = stamp.ts;
        }
        if let Some(s) = flow.stats.get_mut(side) {
            s.packets = s.packets.saturating_add(1);
            s.bytes = s.bytes.saturating_add(u64::from(meta.wire_len));
            s.payload_bytes = s.payload_bytes.saturating_add(u64::from(wire_payload));
        }
        learn_macs(flow, dir, info);
        let mut pkt = PacketCtx {
            stamp,
            cfg,
            events: out,
            sub: &mut sub,
            tuple: flow.tuple(),
            server_port: flow.server_port(),
            proto: flow.key.proto,
            dir,
        };
        match info.transport {
            Transport::Tcp(t) => {
                let missing =
                    wire_payload.saturating_sub(u32::try_from(payload.len()).unwrap_or(0));
                tcp::tcp_packet(flow, stats, &mut pkt, &t, payload, missing);
            }
            _ if !payload.is_empty() => {
                let server_port = pkt.server_port;
                let mut ctx = pkt.ctx(stats, stamp.frame);
                if flow.ident.probing() {
                    identify::on_payload(
                        &mut flow.ident,
                        &mut flow.parser,
                        &mut ctx,
                        &cfg.protocols,
                        flow.key.proto,
                        server_port,
                        dir,
                        payload,
                    );
                }
                flow.parser.on_datagram(&mut ctx, dir, payload);
            }
            _ => {}
        }
        let deadline = cfg.flows.deadline_of(flow);
        if deadline < *next_scan {
            *next_scan = deadline;
        }
        let grew = !had_parser && !flow.parser.is_none();
        let keep = health::deserves_keeping(flow);
        if grew {
            table.add_charge(id, PARSER_BYTES);
        }
        if keep {
            table.promote(id);
        }
    }

    /// Whether `info` (a bare SYN) opens a new connection on a closed flow's tuple.
    fn is_reused(&self, id: FlowId, info: &PacketInfo) -> bool {
        let Transport::Tcp(t) = info.transport else {
            return false;
        };
        orient::is_bare_syn(t.flags)
            && self
                .table
                .get(id)
                .is_some_and(|f| matches!(f.tcp_state, TcpState::Closed | TcpState::Reset))
    }

    /// Creates the flow of a packet, evicting the least recently seen flow when full.
    fn create(
        &mut self,
        stamp: Stamp,
        info: &PacketInfo,
        key: FlowKey,
        src_is_lo: bool,
        sub: &mut u32,
        out: &mut Vec<Event>,
    ) -> Option<FlowId> {
        self.update_emergency();
        // A flow with a parser may need its bytes on top: evict until one more fits. Each
        // round removes a flow, so this ends within the table's length.
        while self.table.is_full() {
            let victim = self.table.lru().and_then(|id| self.table.remove(id));
            let Some(victim) = victim else {
                break;
            };
            self.stats.flows_evicted = self.stats.flows_evicted.saturating_add(1);
            self.stats.drops.inc(DropReason::FlowTableFull);
            self.stats.health.count_eviction(EvictClass::of(&victim));
            let mut vsub = 0;
            self.end_flow(victim, FlowEndReason::Evicted, stamp, &mut vsub, out);
        }
        let (src_client, syn) = orient::source_is_client(info);
        let client_is_lo = src_client == src_is_lo;
        let mut flow = Flow::new(key, client_is_lo, stamp.ts);
        flow.syn = syn;
        if let Transport::Tcp(t) = info.transport {
            flow.tcp_state = if orient::is_bare_syn(t.flags) {
                TcpState::SynSent
            } else if orient::is_syn_ack(t.flags) {
                TcpState::SynReceived
            } else {
                TcpState::Midstream
            };
        }
        let (src_mac, dst_mac) = (info.src_mac, info.dst_mac);
        let (client_mac, server_mac) = if src_client {
            (src_mac, dst_mac)
        } else {
            (dst_mac, src_mac)
        };
        flow.macs = [client_mac, server_mac];
        let tuple = flow.tuple();
        let (server_port, client_port) = (flow.server_port(), flow.client_port());
        let mut ctx = stamp.ctx(stamp.frame, tuple, &mut self.stats, out, sub);
        ctx.emit(EventKind::FlowStart(FlowStart {
            client_mac,
            server_mac,
            syn,
            encap: info.encap.tunnel,
        }));
        identify::on_flow_start(
            &mut flow.ident,
            &mut flow.parser,
            &mut ctx,
            &self.cfg.protocols,
            key.proto,
            server_port,
            client_port,
        );
        let has_parser = !flow.parser.is_none();
        let id = self.table.insert(flow)?;
        if has_parser {
            self.table.add_charge(id, PARSER_BYTES);
        }
        self.stats.flows_created = self.stats.flows_created.saturating_add(1);
        self.stats.flows_active = self.stats.flows_active.saturating_add(1);
        Some(id)
    }

    /// Flushes a flow removed from the table and emits its record.
    fn end_flow(
        &mut self,
        mut flow: Flow,
        reason: FlowEndReason,
        stamp: Stamp,
        sub: &mut u32,
        out: &mut Vec<Event>,
    ) {
        let stream = flow.key.proto == PROTO_TCP;
        let mut pkt = PacketCtx {
            stamp,
            cfg: &self.cfg,
            events: out,
            sub,
            tuple: flow.tuple(),
            server_port: flow.server_port(),
            proto: flow.key.proto,
            dir: Direction::ToServer,
        };
        if stream {
            for dir in [Direction::ToServer, Direction::ToClient] {
                pkt.dir = dir;
                let Flow {
                    tcp, ident, parser, ..
                } = &mut flow;
                if let Some(half) = tcp.half.get_mut(dir.index()) {
                    let mut sink = tcp::FlowSink {
                        pkt: &mut pkt,
                        ident,
                        parser,
                    };
                    half.flush(&mut self.stats, &mut sink);
                    half.release(&mut self.stats);
                }
            }
        }
        self.stats.health.on_flow_end(&flow, flow.is_unfollowable());
        let mut ctx = pkt.ctx(&mut self.stats, stamp.frame);
        flow.parser.on_close(&mut ctx, stream);
        let [to_server, to_client] = flow.stats;
        ctx.emit(EventKind::FlowEnd(FlowEnd {
            first_seen: flow.first_seen,
            last_seen: flow.last_seen,
            reason,
            tcp_state: flow.tcp_state,
            app: flow.app(),
            to_server,
            to_client,
            missed_bytes: flow.missed_bytes(),
            client_mac: flow.macs[0],
            server_mac: flow.macs[1],
        }));
        self.stats.flows_active = self.stats.flows_active.saturating_sub(1);
    }
}

/// What the event-emitting code of one packet (or tick) for one flow needs.
pub(super) struct PacketCtx<'a> {
    stamp: Stamp,
    cfg: &'a EngineConfig,
    events: &'a mut Vec<Event>,
    sub: &'a mut u32,
    tuple: FlowTuple,
    server_port: u16,
    proto: u8,
    pub(super) dir: Direction,
}

impl PacketCtx<'_> {
    pub(super) fn ctx<'c>(&'c mut self, stats: &'c mut EngineStats, frame: u64) -> ParseCtx<'c> {
        self.stamp
            .ctx(frame, self.tuple, stats, self.events, self.sub)
    }
}

/// Fingerprint of a TCP segment for duplicate detection (not a security boundary: a
/// collision only makes one frame count as a duplicate).
fn segment_sig(dir: Direction, t: &TcpInfo, payload: u32) -> u32 {
    let mut h = t.seq ^ t.ack.rotate_left(13) ^ payload.rotate_left(7);
    h ^= u32::from(t.window) << 16 | u32::from(t.flags.0) << 1 | dir.index() as u32;
    h.wrapping_mul(0x9e37_79b1) | 1
}

/// Records each side's MAC the first time it is seen.
fn learn_macs(flow: &mut Flow, dir: Direction, info: &PacketInfo) {
    let (sender, receiver) = match dir {
        Direction::ToServer => (0, 1),
        Direction::ToClient => (1, 0),
    };
    for (side, mac) in [(sender, info.src_mac), (receiver, info.dst_mac)] {
        if let Some(m) = flow.macs.get_mut(side)
            && m.is_none()
        {
            *m = mac;
        }
    }
}

/// The captured transport payload, clipped to what the IP header says it holds (so
/// Ethernet padding is never taken for payload).
fn payload_of<'f>(info: &PacketInfo, frame: &'f [u8]) -> &'f [u8] {
    let start = usize::try_from(info.payload_offset).unwrap_or(usize::MAX);
    let len = usize::try_from(info.payload_len).unwrap_or(0);
    let wire = info.ip().map_or(len, |ip| {
        usize::try_from(wire_payload_len(info, ip)).unwrap_or(len)
    });
    let end = start.saturating_add(len.min(wire));
    frame.get(start..end.min(frame.len())).unwrap_or_default()
}

/// Transport payload length on the wire: the IP payload length minus the transport
/// header (the bytes between the IP payload and the transport payload).
fn wire_payload_len(info: &PacketInfo, ip: &IpInfo) -> u32 {
    if info.payload_offset < ip.payload_offset {
        return info.payload_len;
    }
    let header = info.payload_offset.saturating_sub(ip.payload_offset);
    ip.payload_len.saturating_sub(header)
}
