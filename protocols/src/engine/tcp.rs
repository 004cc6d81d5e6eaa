//! TCP in the engine: connection state, acknowledgements, and the reassembled bytes on
//! their way to identification and the flow's parser.

use super::{EngineStats, PacketCtx};
use crate::event::TcpState;
use crate::flow::Flow;
use crate::flow::reassembly::{Segment, StreamSink};
use crate::identify::{self, Ident};
use crate::parser::{AppParser, Direction};
use mizuban_capture::TcpInfo;

/// Reassembled bytes of one direction, on their way to identification and the parser.
pub(super) struct FlowSink<'p, 'a> {
    pub(super) pkt: &'p mut PacketCtx<'a>,
    pub(super) ident: &'p mut Ident,
    pub(super) parser: &'p mut AppParser,
}

impl StreamSink for FlowSink<'_, '_> {
    #[inline]
    fn data(&mut self, stats: &mut EngineStats, frame: u64, data: &[u8]) {
        let dir = self.pkt.dir;
        let (cfg, proto, server_port) = (self.pkt.cfg, self.pkt.proto, self.pkt.server_port);
        let mut ctx = self.pkt.ctx(stats, frame);
        if self.ident.probing() {
            identify::on_payload(
                self.ident,
                self.parser,
                &mut ctx,
                &cfg.protocols,
                proto,
                server_port,
                dir,
                data,
            );
        }
        self.parser.on_data(&mut ctx, dir, data);
    }

    fn gap(&mut self, stats: &mut EngineStats, len: u64) {
        let dir = self.pkt.dir;
        let frame = self.pkt.stamp.frame;
        let mut ctx = self.pkt.ctx(stats, frame);
        self.parser.on_gap(&mut ctx, dir, len);
    }
}

/// TCP: connection state, acknowledgements, then the segment's bytes.
pub(super) fn tcp_packet(
    flow: &mut Flow,
    stats: &mut EngineStats,
    pkt: &mut PacketCtx<'_>,
    t: &TcpInfo,
    payload: &[u8],
    missing_tail: u32,
) {
    let dir = pkt.dir;
    let flags = t.flags;
    flow.tcp_state = match (flow.tcp_state, dir) {
        (_, _) if flags.rst() => TcpState::Reset,
        (TcpState::SynSent, Direction::ToClient) if flags.syn() && flags.ack() => {
            TcpState::SynReceived
        }
        (TcpState::SynReceived, Direction::ToServer) if flags.ack() && !flags.syn() => {
            TcpState::Established
        }
        (TcpState::SynSent | TcpState::SynReceived, _) if !payload.is_empty() => {
            TcpState::Established
        }
        (s, _) => s,
    };
    let rev = dir.reverse();
    let Flow {
        tcp, ident, parser, ..
    } = flow;
    let cfg = pkt.cfg;
    if flags.ack() {
        // The acknowledgement is about the other direction's bytes.
        pkt.dir = rev;
        if let Some(half) = tcp.half.get_mut(rev.index()) {
            let mut sink = FlowSink {
                pkt: &mut *pkt,
                ident: &mut *ident,
                parser: &mut *parser,
            };
            half.on_peer_ack(stats, t.ack, &mut sink);
        }
        pkt.dir = dir;
    }
    if !flags.rst() {
        let seg = Segment {
            seq: t.seq,
            syn: flags.syn(),
            fin: flags.fin(),
            data: payload,
            missing_tail,
            frame: pkt.stamp.frame,
        };
        if let Some(half) = tcp.half.get_mut(dir.index()) {
            let mut sink = FlowSink {
                pkt: &mut *pkt,
                ident: &mut *ident,
                parser: &mut *parser,
            };
            half.on_segment(&cfg.reassembly, stats, &seg, &mut sink);
        }
    }
    let [a, b] = &tcp.half;
    if flow.tcp_state != TcpState::Reset && a.fin_seen() && b.fin_seen() {
        flow.tcp_state = TcpState::Closed;
    }
}
