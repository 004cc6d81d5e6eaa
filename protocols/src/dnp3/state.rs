//! Per-flow state: link framing over the TCP stream (frames split across segments,
//! resynchronisation after a gap or garbage), transport reassembly, and the pairing of
//! requests with responses by application sequence number (IEEE 1815-2012 section
//! 4.2.2.4.3: a solicited response carries its request's sequence number; unsolicited
//! responses have a sequence space of their own and are never paired).

use super::app;
use super::event::{self, Fragment};
use super::link::{self, FrameError, MAX_FRAME_LEN};
use super::transport::{self, Losses, Outcome, Reassembler};
use super::types::{self, Anomaly};
use super::{Dnp3Config, Stats, control};
use crate::event::{AppProtocol, EventKind, ParseError};
use crate::facts::ControlAction;
use crate::parser::{DatagramParser, Direction, ParseCtx, StreamParser};
use mizuban_capture::{DropReason, Timestamp};
use std::collections::VecDeque;
use std::time::Duration;

/// Hard ceiling on outstanding requests per flow, whatever the config says.
pub const MAX_PENDING_PER_FLOW: usize = 256;

/// A request waiting for its response.
#[derive(Clone, Debug)]
struct Pending {
    frame: u64,
    ts: Timestamp,
    /// The request came in the flow's to-client direction (the master accepted the
    /// connection).
    reversed: bool,
    event: Fragment,
}

/// One direction's link framing state.
#[derive(Debug, Default)]
struct DirState {
    /// A partial link frame carried over from earlier segments; never over
    /// [`MAX_FRAME_LEN`].
    buf: Vec<u8>,
    /// Framing was lost: look for a link header with a good CRC first.
    syncing: bool,
}

/// The DNP3 parser of one flow (TCP stream or UDP datagrams).
#[derive(Debug)]
pub struct Parser {
    timeout: Duration,
    max_pending: usize,
    to_server: DirState,
    to_client: DirState,
    transport: Reassembler,
    pending: VecDeque<Pending>,
}

impl Parser {
    pub fn new(cfg: &Dnp3Config) -> Parser {
        Parser {
            timeout: cfg.transaction_timeout,
            max_pending: cfg.max_pending_per_flow.clamp(1, MAX_PENDING_PER_FLOW),
            to_server: DirState::default(),
            to_client: DirState::default(),
            transport: Reassembler::new(cfg.max_fragment_len),
            pending: VecDeque::new(),
        }
    }

    /// Requests still waiting for a response.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    fn dir(&mut self, dir: Direction) -> &mut DirState {
        match dir {
            Direction::ToServer => &mut self.to_server,
            Direction::ToClient => &mut self.to_client,
        }
    }

    fn stats<'c>(ctx: &'c mut ParseCtx<'_>) -> &'c mut Stats {
        &mut ctx.stats.dnp3
    }

    fn parse_error(ctx: &mut ParseCtx<'_>, a: Anomaly) {
        Self::stats(ctx).count_parse_error(a);
        ctx.emit(EventKind::ParseError(ParseError {
            protocol: AppProtocol::Dnp3,
            reason: a.as_str(),
        }));
    }

    /// Handles one framed link frame.
    fn handle_frame(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, f: &link::Frame) {
        let s = Self::stats(ctx);
        s.link_frames = s.link_frames.saturating_add(1);
        if f.bad_block.is_some() {
            s.crc_errors_data = s.crc_errors_data.saturating_add(1);
            // The block CRC failed: the data cannot be trusted (tshark discards it too).
            Self::parse_error(ctx, Anomaly::DataCrc);
            return;
        }
        if !f.header.carries_user_data() {
            return;
        }
        let h = f.header;
        let mut losses = Losses::default();
        let out = self
            .transport
            .push(h.source, h.destination, f.data.bytes(), &mut losses);
        let drop = match out {
            Outcome::Complete(bytes) => {
                let decoded = app::decode(bytes);
                let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
                Some((decoded, len))
            }
            Outcome::Pending => None,
            Outcome::Dropped(d) => {
                let a = match d {
                    transport::Drop::Empty => Anomaly::TruncatedHeader,
                    transport::Drop::NoFirst => Anomaly::TransportNoFirst,
                    transport::Drop::OutOfSequence => Anomaly::TransportSequence,
                    transport::Drop::TooLong => Anomaly::FragmentTooLong,
                };
                if d == transport::Drop::OutOfSequence {
                    let s = Self::stats(ctx);
                    s.sequence_gaps = s.sequence_gaps.saturating_add(1);
                }
                Self::parse_error(ctx, a);
                None
            }
        };
        if losses.restarted > 0 {
            Self::parse_error(ctx, Anomaly::FragmentRestarted);
        }
        if losses.evicted > 0 {
            let s = Self::stats(ctx);
            s.reassembly_evicted = s.reassembly_evicted.saturating_add(losses.evicted);
            ctx.stats.drops.inc(DropReason::TxCap);
        }
        if let Some((decoded, len)) = drop {
            self.handle_fragment(ctx, dir, h, decoded, len);
        }
    }

    fn handle_fragment(
        &mut self,
        ctx: &mut ParseCtx<'_>,
        dir: Direction,
        h: link::Header,
        d: app::Fragment,
        length: u32,
    ) {
        let Some(ah) = d.header else {
            Self::parse_error(ctx, d.anomaly.unwrap_or(Anomaly::TruncatedHeader));
            return;
        };
        let ev = Fragment {
            link_src: h.source,
            link_dst: h.destination,
            link_dir: h.from_master(),
            from_client: dir == Direction::ToServer,
            function: ah.function,
            function_name: types::function_name(ah.function),
            app_seq: ah.seq(),
            fir: ah.fir(),
            fin: ah.fin(),
            con: ah.con(),
            unsolicited: ah.uns(),
            objects: d.objects,
            objects_total: d.objects_total,
            iin: ah.iin,
            iin_flags: ah.iin.map(event::iin_flags).unwrap_or_default(),
            response_frame: None,
            request_frame: None,
            response_time_us: None,
            length,
            decoded: d.decoded,
        };
        {
            let s = Self::stats(ctx);
            s.count_fragment(ah.function);
            let over = ev
                .objects_total
                .saturating_sub(u32::try_from(ev.objects.len()).unwrap_or(0));
            s.objects_dropped = s.objects_dropped.saturating_add(u64::from(over));
            s.decoded_dropped = s
                .decoded_dropped
                .saturating_add(u64::from(ev.decoded.dropped));
        }
        if let Some(a) = d.anomaly {
            Self::parse_error(ctx, a);
        }
        // The DIR bit says who sent the frame; the function code says it too.
        if ev.link_dir == ev.is_response() {
            Self::parse_error(ctx, Anomaly::WrongDirection);
        }
        self.expire(ctx);
        match ah.function {
            types::fc::UNSOLICITED_RESPONSE => {
                let s = Self::stats(ctx);
                s.unsolicited = s.unsolicited.saturating_add(1);
                Self::emit(ctx, ctx.frame, ev);
            }
            types::fc::RESPONSE | types::fc::AUTHENTICATE_RESP => self.on_response(ctx, ev),
            f if types::expects_response(f) => self.add_request(ctx, dir, ev),
            _ => {
                // Confirms and the no-ack requests: never answered.
                let frame = ctx.frame;
                let ca = control::from_fragments(&ev, None, None);
                let reversed = dir == Direction::ToClient;
                Self::emit(ctx, frame, ev);
                if let Some(ca) = ca {
                    Self::emit_control(ctx, frame, reversed, ca);
                }
            }
        }
    }

    fn add_request(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, ev: Fragment) {
        if self.pending.len() >= self.max_pending {
            // Over the cap: the oldest request is given up as unanswered.
            ctx.stats.drops.inc(DropReason::TxCap);
            let s = Self::stats(ctx);
            s.tx_cap = s.tx_cap.saturating_add(1);
            if let Some(p) = self.pending.pop_front() {
                Self::emit_unanswered(ctx, p);
            }
        }
        self.pending.push_back(Pending {
            frame: ctx.frame,
            ts: ctx.ts,
            reversed: dir == Direction::ToClient,
            event: ev,
        });
    }

    fn on_response(&mut self, ctx: &mut ParseCtx<'_>, mut resp: Fragment) {
        let frame = ctx.frame;
        // The newest request of the association with the same sequence (a retry
        // repeats its sequence; the older copy stays unanswered).
        let matched = self.pending.iter().rposition(|p| {
            p.event.link_src == resp.link_dst
                && p.event.link_dst == resp.link_src
                && p.event.app_seq == resp.app_seq
        });
        let Some(i) = matched else {
            // A continuation fragment of a multi-fragment response (no FIR) follows a
            // response that was paired: it answers no request of its own.
            if resp.fir {
                let s = Self::stats(ctx);
                s.responses_without_request = s.responses_without_request.saturating_add(1);
            }
            Self::emit(ctx, frame, resp);
            return;
        };
        let Some(mut p) = self.pending.remove(i) else {
            return;
        };
        let rt = ctx.ts.since(p.ts);
        let rt_us = u64::try_from(rt.as_micros()).unwrap_or(u64::MAX);
        p.event.response_frame = Some(frame);
        p.event.response_time_us = Some(rt_us);
        resp.request_frame = Some(p.frame);
        resp.response_time_us = Some(rt_us);
        let ca = control::from_fragments(&p.event, Some(&resp), Some(frame));
        Self::emit(ctx, p.frame, p.event);
        if let Some(ca) = ca {
            Self::emit_control(ctx, p.frame, p.reversed, ca);
        }
        Self::emit(ctx, frame, resp);
    }

    fn emit_unanswered(ctx: &mut ParseCtx<'_>, p: Pending) {
        let s = Self::stats(ctx);
        s.unanswered = s.unanswered.saturating_add(1);
        let ca = control::from_fragments(&p.event, None, None);
        Self::emit(ctx, p.frame, p.event);
        if let Some(ca) = ca {
            Self::emit_control(ctx, p.frame, p.reversed, ca);
        }
    }

    /// Emits a control action with the request's frame and the envelope oriented from
    /// the master (who acted) to the outstation, whoever opened the connection.
    fn emit_control(ctx: &mut ParseCtx<'_>, request_frame: u64, reversed: bool, ca: ControlAction) {
        let flow = ctx.flow;
        if reversed {
            ctx.flow.client = flow.server;
            ctx.flow.server = flow.client;
        }
        let s = Self::stats(ctx);
        s.control_actions = s.control_actions.saturating_add(1);
        ctx.emit_at(request_frame, EventKind::ControlAction(ca));
        ctx.flow = flow;
    }

    fn emit(ctx: &mut ParseCtx<'_>, frame: u64, ev: Fragment) {
        ctx.emit_at(frame, EventKind::Dnp3(ev));
    }

    /// Emits requests older than the timeout (packet time) as unanswered. Pending
    /// requests are in arrival order, so only the front needs looking at.
    fn expire(&mut self, ctx: &mut ParseCtx<'_>) {
        while let Some(p) = self.pending.front() {
            if ctx.ts.since(p.ts) <= self.timeout {
                break;
            }
            if let Some(p) = self.pending.pop_front() {
                Self::emit_unanswered(ctx, p);
            }
        }
    }

    /// Frames every link frame of `input` (a datagram, or stream bytes with nothing
    /// buffered); returns the unframed tail (a partial frame) for a stream to keep.
    fn frames<'a>(
        &mut self,
        ctx: &mut ParseCtx<'_>,
        dir: Direction,
        mut input: &'a [u8],
    ) -> &'a [u8] {
        // Each turn consumes at least one byte (a frame, or garbage), so the loop is
        // bounded by the input length.
        while !input.is_empty() {
            if self.dir(dir).syncing {
                match link::find_resync(input, 0) {
                    Some(off) => {
                        Self::stats(ctx).add_skipped(off);
                        input = input.get(off..).unwrap_or_default();
                        self.dir(dir).syncing = false;
                    }
                    None => {
                        Self::stats(ctx).add_skipped(input.len());
                        return &[];
                    }
                }
            }
            match link::parse_frame(input) {
                Ok((f, rest)) => {
                    self.handle_frame(ctx, dir, &f);
                    input = rest;
                }
                Err(FrameError::Incomplete { .. }) => return input,
                Err(e) => {
                    let a = match e {
                        FrameError::HeaderCrc { .. } => {
                            let s = Self::stats(ctx);
                            s.crc_errors_header = s.crc_errors_header.saturating_add(1);
                            Anomaly::HeaderCrc
                        }
                        FrameError::LengthOutOfRange(_) => Anomaly::LengthOutOfRange,
                        _ => Anomaly::NotDnp3,
                    };
                    Self::parse_error(ctx, a);
                    // Skip the bad header's first byte, then look for the next one.
                    Self::stats(ctx).add_skipped(1);
                    input = input.get(1..).unwrap_or_default();
                    self.dir(dir).syncing = true;
                }
            }
        }
        input
    }
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        self.expire(ctx);
        let mut input = data;
        let mut buf = std::mem::take(&mut self.dir(dir).buf);
        // Complete the buffered partial frame from the input, taking only what it needs
        // (its header first, then its length), so the copy stays within MAX_FRAME_LEN.
        // Each turn takes input bytes or frames buffered ones, so it ends.
        while !buf.is_empty() {
            let want = match link::parse_header(&buf) {
                Ok(h) => link::wire_len(h.length),
                Err(FrameError::Incomplete { .. }) => link::HEADER_LEN,
                Err(_) => buf.len(),
            };
            let n = want.saturating_sub(buf.len()).min(input.len());
            let (head, tail) = input.split_at_checked(n).unwrap_or((input, &[]));
            buf.extend_from_slice(head);
            input = tail;
            if buf.len() < want {
                self.dir(dir).buf = buf;
                return;
            }
            let left = self.frames(ctx, dir, &buf).len();
            let used = buf.len().saturating_sub(left);
            buf.drain(..used);
        }
        self.dir(dir).buf = buf;
        let tail = self.frames(ctx, dir, input);
        if !tail.is_empty() {
            // A partial frame: at most one frame long (see `link::find_resync`).
            let keep = tail.get(..MAX_FRAME_LEN).unwrap_or(tail);
            self.dir(dir).buf.extend_from_slice(keep);
        }
    }

    fn on_gap(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, _len: u64) {
        let d = self.dir(dir);
        let lost = d.buf.len();
        d.buf.clear();
        d.syncing = true;
        Self::stats(ctx).add_skipped(lost);
        let n = self.transport.clear();
        let s = Self::stats(ctx);
        s.reassembly_evicted = s
            .reassembly_evicted
            .saturating_add(u64::try_from(n).unwrap_or(0));
    }

    fn on_tick(&mut self, ctx: &mut ParseCtx<'_>) {
        self.expire(ctx);
    }

    fn on_close(&mut self, ctx: &mut ParseCtx<'_>) {
        while let Some(p) = self.pending.pop_front() {
            Self::emit_unanswered(ctx, p);
        }
        for d in [&mut self.to_server, &mut self.to_client] {
            let lost = d.buf.len();
            d.buf.clear();
            Self::stats(ctx).add_skipped(lost);
        }
    }
}

impl DatagramParser for Parser {
    fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        self.expire(ctx);
        // Each datagram stands alone: framing restarts at its first byte.
        self.dir(dir).syncing = false;
        let tail = self.frames(ctx, dir, data);
        if !tail.is_empty() {
            Self::stats(ctx).add_skipped(tail.len());
            Self::parse_error(ctx, Anomaly::TruncatedFrame);
        }
    }

    fn on_tick(&mut self, ctx: &mut ParseCtx<'_>) {
        self.expire(ctx);
    }

    fn on_close(&mut self, ctx: &mut ParseCtx<'_>) {
        while let Some(p) = self.pending.pop_front() {
            Self::emit_unanswered(ctx, p);
        }
    }
}
