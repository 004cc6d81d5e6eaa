//! The plumbing between the flow engine and the protocol parsers.
//!
//! The engine owns flows and reassembly; each parser module offers a probe and a state
//! type implementing [`StreamParser`] (TCP, reassembled bytes) or [`DatagramParser`]
//! (UDP, one payload at a time). Parsers push events through [`ParseCtx::emit`].

use crate::engine::EngineStats;
use crate::event::{Event, EventKind, EventOrder, FlowTuple};
use mizuban_capture::Timestamp;

/// Which way the bytes flow, relative to the flow's orientation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    ToServer,
    ToClient,
}

impl Direction {
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }
    /// Index for per-direction arrays: 0 to server, 1 to client.
    pub fn index(self) -> usize {
        match self {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }
}

/// A payload probe's answer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// The bytes are this protocol.
    Match,
    /// The bytes are not this protocol.
    NoMatch,
    /// Too few bytes to tell; ask again with more.
    NeedMore,
}

/// What a parser sees of the packet being processed, and where its events go.
pub struct ParseCtx<'a> {
    /// Packet time of the packet (or tick) driving this call.
    pub ts: Timestamp,
    pub seq: u64,
    pub file: u16,
    /// Frame number of the segment whose bytes are being delivered (0 on ticks).
    pub frame: u64,
    pub flow: FlowTuple,
    pub stats: &'a mut EngineStats,
    events: &'a mut Vec<Event>,
    sub: &'a mut u32,
}

impl<'a> ParseCtx<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ts: Timestamp,
        seq: u64,
        file: u16,
        frame: u64,
        flow: FlowTuple,
        stats: &'a mut EngineStats,
        events: &'a mut Vec<Event>,
        sub: &'a mut u32,
    ) -> ParseCtx<'a> {
        ParseCtx {
            ts,
            seq,
            file,
            frame,
            flow,
            stats,
            events,
            sub,
        }
    }

    /// Pushes an event stamped with the current packet.
    pub fn emit(&mut self, kind: EventKind) {
        let frame = self.frame;
        self.emit_at(frame, kind);
    }

    /// Pushes an event whose envelope names another frame of the same file (e.g. a
    /// Modbus transaction names its request frame when the response never came).
    pub fn emit_at(&mut self, frame: u64, kind: EventKind) {
        let order = EventOrder {
            seq: self.seq,
            sub: *self.sub,
        };
        *self.sub = self.sub.saturating_add(1);
        self.stats.events = self.stats.events.saturating_add(1);
        self.events.push(Event {
            order,
            ts: self.ts,
            file: self.file,
            frame,
            flow: self.flow,
            kind,
        });
    }
}

/// A parser of a reassembled TCP byte stream, one instance per flow.
pub trait StreamParser {
    /// In-order bytes in one direction. May be any split of the stream: a unit can
    /// straddle calls, and one call can hold many units.
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]);
    /// `len` bytes in this direction were never seen (capture loss, or the stream was
    /// picked up mid-way): drop partial units and resynchronise.
    fn on_gap(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, len: u64);
    /// Packet time advanced: expire pending transactions.
    fn on_tick(&mut self, _ctx: &mut ParseCtx<'_>) {}
    /// The flow ended: emit what is still pending.
    fn on_close(&mut self, _ctx: &mut ParseCtx<'_>) {}
}

/// A parser of UDP payloads (and other datagram transports), one instance per flow.
pub trait DatagramParser {
    fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]);
    fn on_tick(&mut self, _ctx: &mut ParseCtx<'_>) {}
    fn on_close(&mut self, _ctx: &mut ParseCtx<'_>) {}
}

/// A flow's parser as the engine drives it, whatever its transport: the engine calls the
/// stream half for TCP flows and the datagram half for the others. Parsers implement
/// [`StreamParser`] and/or [`DatagramParser`]; the [`StreamOnly`], [`DatagramOnly`] and [`Both`]
/// wrappers turn them into one of these (see `registry.rs`).
pub trait FlowParser: std::fmt::Debug + Send {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]);
    fn on_gap(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, len: u64);
    fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]);
    /// `stream` says which half the flow uses (a few parsers implement both).
    fn on_tick(&mut self, ctx: &mut ParseCtx<'_>, stream: bool);
    fn on_close(&mut self, ctx: &mut ParseCtx<'_>, stream: bool);
}

/// A [`StreamParser`] only: datagrams are ignored.
#[derive(Debug, Default)]
pub struct StreamOnly<P>(pub P);

/// A [`DatagramParser`] only: stream bytes are ignored.
#[derive(Debug, Default)]
pub struct DatagramOnly<P>(pub P);

/// A parser of both TCP streams and datagrams (DNS, OpenVPN, TeamViewer, AnyDesk).
#[derive(Debug, Default)]
pub struct Both<P>(pub P);

impl<P: StreamParser + std::fmt::Debug + Send> FlowParser for StreamOnly<P> {
    #[inline]
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        self.0.on_data(ctx, dir, data);
    }
    fn on_gap(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, len: u64) {
        self.0.on_gap(ctx, dir, len);
    }
    fn on_datagram(&mut self, _: &mut ParseCtx<'_>, _: Direction, _: &[u8]) {}
    fn on_tick(&mut self, ctx: &mut ParseCtx<'_>, stream: bool) {
        if stream {
            self.0.on_tick(ctx);
        }
    }
    fn on_close(&mut self, ctx: &mut ParseCtx<'_>, stream: bool) {
        if stream {
            self.0.on_close(ctx);
        }
    }
}

impl<P: DatagramParser + std::fmt::Debug + Send> FlowParser for DatagramOnly<P> {
    fn on_data(&mut self, _: &mut ParseCtx<'_>, _: Direction, _: &[u8]) {}
    fn on_gap(&mut self, _: &mut ParseCtx<'_>, _: Direction, _: u64) {}
    #[inline]
    fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        self.0.on_datagram(ctx, dir, data);
    }
    fn on_tick(&mut self, ctx: &mut ParseCtx<'_>, stream: bool) {
        if !stream {
            self.0.on_tick(ctx);
        }
    }
    fn on_close(&mut self, ctx: &mut ParseCtx<'_>, stream: bool) {
        if !stream {
            self.0.on_close(ctx);
        }
    }
}

impl<P: StreamParser + DatagramParser + std::fmt::Debug + Send> FlowParser for Both<P> {
    #[inline]
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        StreamParser::on_data(&mut self.0, ctx, dir, data);
    }
    fn on_gap(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, len: u64) {
        StreamParser::on_gap(&mut self.0, ctx, dir, len);
    }
    #[inline]
    fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        DatagramParser::on_datagram(&mut self.0, ctx, dir, data);
    }
    fn on_tick(&mut self, ctx: &mut ParseCtx<'_>, stream: bool) {
        if stream {
            StreamParser::on_tick(&mut self.0, ctx);
        } else {
            DatagramParser::on_tick(&mut self.0, ctx);
        }
    }
    fn on_close(&mut self, ctx: &mut ParseCtx<'_>, stream: bool) {
        if stream {
            StreamParser::on_close(&mut self.0, ctx);
        } else {
            DatagramParser::on_close(&mut self.0, ctx);
        }
    }
}

/// The parser of a flow: created when the flow is identified, so an unidentified flow,
/// or one whose protocol has no parser (the ICS probes, NTP), carries nothing (16 bytes).
#[derive(Debug, Default)]
pub struct AppParser(Option<Box<dyn FlowParser>>);

impl AppParser {
    pub fn new(parser: Box<dyn FlowParser>) -> AppParser {
        AppParser(Some(parser))
    }

    pub fn is_none(&self) -> bool {
        self.0.is_none()
    }

    #[inline]
    pub fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        if let Some(p) = &mut self.0 {
            p.on_data(ctx, dir, data);
        }
    }

    pub fn on_gap(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, len: u64) {
        if let Some(p) = &mut self.0 {
            p.on_gap(ctx, dir, len);
        }
    }

    #[inline]
    pub fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        if let Some(p) = &mut self.0 {
            p.on_datagram(ctx, dir, data);
        }
    }

    pub fn on_tick(&mut self, ctx: &mut ParseCtx<'_>, stream: bool) {
        if let Some(p) = &mut self.0 {
            p.on_tick(ctx, stream);
        }
    }

    pub fn on_close(&mut self, ctx: &mut ParseCtx<'_>, stream: bool) {
        if let Some(p) = &mut self.0 {
            p.on_close(ctx, stream);
        }
    }
}
