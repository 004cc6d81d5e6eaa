//! Per-flow state: reassembly of ADUs split across segments, resynchronisation after a
//! gap or garbage, pending requests and their pairing with responses by transaction id
//! (Messaging Implementation Guide V1.0b, section 3.1.3: the transaction id pairs a
//! response with its request; a client may have several outstanding, section 4.2).

use super::event::{Transaction, WrittenValues};
use super::frame::{self, Adu, FrameError, MAX_ADU_LEN};
use super::pdu::{self, Data, Message, RequestInfo};
use super::types::{self, Anomaly};
use super::{ModbusConfig, Stats, control};
use crate::event::{AppProtocol, EventKind, ParseError};
use crate::facts::ControlAction;
use crate::parser::{Direction, ParseCtx, StreamParser};
use mizuban_capture::{DropReason, Timestamp};
use std::collections::VecDeque;
use std::time::Duration;

/// Hard ceiling on outstanding requests per flow, whatever the config says.
pub const MAX_PENDING_PER_FLOW: usize = 1024;

/// A request waiting for its response.
#[derive(Clone, Debug)]
struct Pending {
    trans_id: u16,
    unit_id: u8,
    frame: u64,
    ts: Timestamp,
    function: u8,
    subfunction: Option<u16>,
    address: Option<u16>,
    quantity: Option<u16>,
    write_address: Option<u16>,
    written: Option<WrittenValues>,
}

/// One direction's reassembly state.
#[derive(Debug, Default)]
struct DirState {
    /// A partial ADU carried over from earlier segments; never over [`MAX_ADU_LEN`].
    buf: Vec<u8>,
    /// Framing was lost (gap or garbage): look for a plausible header before parsing.
    syncing: bool,
}

/// The Modbus/TCP stream parser of one flow.
#[derive(Debug)]
pub struct Parser {
    timeout: Duration,
    max_pending: usize,
    to_server: DirState,
    to_client: DirState,
    pending: VecDeque<Pending>,
}

/// Outcome of completing a buffered ADU.
enum Fill {
    NeedMore,
    Done,
    Garbage(FrameError),
}

impl Parser {
    pub fn new(cfg: &ModbusConfig) -> Parser {
        Parser {
            timeout: cfg.transaction_timeout,
            max_pending: cfg.max_pending_per_flow.clamp(1, MAX_PENDING_PER_FLOW),
            to_server: DirState::default(),
            to_client: DirState::default(),
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
        &mut ctx.stats.modbus
    }

    fn parse_error(ctx: &mut ParseCtx<'_>, a: Anomaly) {
        Self::stats(ctx).count_parse_error(a);
        // Exported as mizuban_drops_total{reason="parse_error"}, like every parser's.
        ctx.stats.drops.inc(mizuban_capture::DropReason::ParseError);
        ctx.emit(EventKind::ParseError(ParseError {
            protocol: AppProtocol::Modbus,
            reason: a.as_str(),
        }));
    }

    fn frame_anomaly(e: FrameError) -> Option<Anomaly> {
        match e {
            FrameError::ProtocolIdNotZero(_) => Some(Anomaly::ProtocolIdNotZero),
            FrameError::LengthOutOfRange(_) => Some(Anomaly::LengthOutOfRange),
            _ => None,
        }
    }

    /// Completes the buffered partial ADU of `dir` from `input` (advanced past what
    /// was taken).
    fn fill(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, input: &mut &[u8]) -> Fill {
        let mut buf = std::mem::take(&mut self.dir(dir).buf);
        let take = |buf: &mut Vec<u8>, want: usize, input: &mut &[u8]| {
            let n = want.saturating_sub(buf.len()).min(input.len());
            let (head, tail) = input.split_at_checked(n).unwrap_or((input, &[]));
            buf.extend_from_slice(head);
            *input = tail;
        };
        take(&mut buf, frame::MBAP_PREFIX_LEN, input);
        let outcome = match frame::check_prefix(&buf) {
            Err(FrameError::Incomplete { .. }) => Fill::NeedMore,
            Err(e) => Fill::Garbage(e),
            Ok(length) => {
                let total = frame::MBAP_PREFIX_LEN.saturating_add(usize::from(length));
                take(&mut buf, total, input);
                match frame::parse_adu(&buf) {
                    Ok((adu, _)) => {
                        self.handle_adu(ctx, dir, adu);
                        Fill::Done
                    }
                    Err(FrameError::Incomplete { .. }) => Fill::NeedMore,
                    Err(e) => Fill::Garbage(e),
                }
            }
        };
        match outcome {
            Fill::NeedMore => {}
            Fill::Done => buf.clear(),
            Fill::Garbage(_) => {
                Self::stats(ctx).add_skipped(buf.len());
                buf.clear();
            }
        }
        self.dir(dir).buf = buf;
        outcome
    }

    /// Decodes one framed ADU and updates the transaction table.
    fn handle_adu(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, adu: Adu<'_>) {
        let h = adu.header;
        match dir {
            Direction::ToServer => {
                if adu.is_oversized() {
                    Self::parse_error(ctx, Anomaly::LengthOutOfRange);
                }
                let m = pdu::decode_request(adu.pdu);
                self.add_request(ctx, h.trans_id, h.unit_id, &m);
                if let Some(a) = m.anomaly {
                    Self::parse_error(ctx, a);
                }
            }
            Direction::ToClient => {
                if adu.is_oversized() {
                    Self::parse_error(ctx, Anomaly::LengthOutOfRange);
                }
                let function = adu.function_byte() & !types::fc::EXCEPTION_BIT;
                let same_key = |p: &Pending| p.trans_id == h.trans_id && p.unit_id == h.unit_id;
                let matched = self
                    .pending
                    .iter()
                    .position(|p| same_key(p) && p.function == function);
                let other = matched.is_none() && self.pending.iter().any(same_key);
                let req = matched.and_then(|i| self.pending.remove(i));
                let info = req.as_ref().map(|p| RequestInfo {
                    function: p.function,
                    quantity: p.quantity,
                });
                let m = pdu::decode_response(adu.pdu, info);
                let frame = ctx.frame;
                match req {
                    Some(p) => self.emit_paired(ctx, p, &m, h.trans_id, h.unit_id),
                    None => {
                        let s = Self::stats(ctx);
                        s.responses_without_request = s.responses_without_request.saturating_add(1);
                        let tx = transaction(h.trans_id, h.unit_id, None, Some(frame), &m);
                        Self::emit_tx(ctx, frame, tx);
                    }
                }
                if other {
                    Self::parse_error(ctx, Anomaly::UnexpectedResponse);
                }
                if let Some(a) = m.anomaly {
                    Self::parse_error(ctx, a);
                }
            }
        }
    }

    fn add_request(&mut self, ctx: &mut ParseCtx<'_>, trans_id: u16, unit_id: u8, m: &Message<'_>) {
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
            trans_id,
            unit_id,
            frame: ctx.frame,
            ts: ctx.ts,
            function: m.function,
            subfunction: m.subfunction,
            address: m.address,
            quantity: m.quantity,
            write_address: m.write_address,
            written: pdu::written_values(m),
        });
    }

    fn emit_paired(
        &mut self,
        ctx: &mut ParseCtx<'_>,
        p: Pending,
        m: &Message<'_>,
        trans_id: u16,
        unit_id: u8,
    ) {
        let rt = ctx.ts.since(p.ts);
        let rt_us = u64::try_from(rt.as_micros()).unwrap_or(u64::MAX);
        let frame = ctx.frame;
        let subfunction = p.subfunction.or(m.subfunction);
        let tx = Transaction {
            request_frame: Some(p.frame),
            response_frame: Some(frame),
            trans_id,
            unit_id,
            function: p.function,
            function_name: types::function_name(p.function, subfunction),
            class: types::classify(p.function),
            subfunction,
            address: p.address.or(m.address),
            quantity: p.quantity.or(m.quantity),
            write_address: p.write_address,
            exception: m.exception,
            response_time_us: Some(rt_us),
            written: p.written,
            device_identity: device_identity(m),
        };
        let server = ctx.flow.server.ip();
        Self::stats(ctx).record_response_time(server, rt_us);
        let ca = control::from_transaction(&tx, m.umas_status);
        Self::emit_tx(ctx, frame, tx);
        if let Some(ca) = ca {
            Self::emit_control(ctx, p.frame, ca);
        }
    }

    fn emit_unanswered(ctx: &mut ParseCtx<'_>, p: Pending) {
        let s = Self::stats(ctx);
        s.unanswered = s.unanswered.saturating_add(1);
        let tx = Transaction {
            request_frame: Some(p.frame),
            response_frame: None,
            trans_id: p.trans_id,
            unit_id: p.unit_id,
            function: p.function,
            function_name: types::function_name(p.function, p.subfunction),
            class: types::classify(p.function),
            subfunction: p.subfunction,
            address: p.address,
            quantity: p.quantity,
            write_address: p.write_address,
            exception: None,
            response_time_us: None,
            written: p.written,
            device_identity: None,
        };
        let ca = control::from_transaction(&tx, None);
        Self::emit_tx(ctx, p.frame, tx);
        if let Some(ca) = ca {
            Self::emit_control(ctx, p.frame, ca);
        }
    }

    /// Emits a control action after its transaction, with the request's frame, and the
    /// envelope oriented from the Modbus client to the server (see [`role`]): the
    /// envelope's `client` is who acted, whoever opened the connection.
    fn emit_control(ctx: &mut ParseCtx<'_>, request_frame: u64, ca: ControlAction) {
        let flow = ctx.flow;
        if reversed(&flow) {
            ctx.flow.client = flow.server;
            ctx.flow.server = flow.client;
        }
        ctx.emit_at(request_frame, EventKind::ControlAction(ca));
        ctx.flow = flow;
    }

    fn emit_tx(ctx: &mut ParseCtx<'_>, frame: u64, tx: Transaction) {
        Self::stats(ctx).count_transaction(tx.function, tx.exception);
        ctx.emit_at(frame, EventKind::Modbus(tx));
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

    /// In resync mode, positions `input` at a plausible ADU start or consumes it all.
    fn resync(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, input: &mut &[u8]) {
        let to_server = dir == Direction::ToServer;
        // A segment boundary is the likeliest ADU start: there, an ADU that continues
        // in later segments, or is followed by a short tail, is accepted; elsewhere a
        // complete ADU needs a following header as evidence.
        let off = if frame::plausible_at_segment_start(input, to_server) {
            Some(0)
        } else {
            frame::find_resync(input, 1, to_server)
        };
        match off {
            Some(off) => {
                Self::stats(ctx).add_skipped(off);
                *input = input.get(off..).unwrap_or_default();
                self.dir(dir).syncing = false;
            }
            None => {
                Self::stats(ctx).add_skipped(input.len());
                *input = &[];
            }
        }
    }
}

/// The Modbus role of `dir`: requests flow to the side on port 502. The flow engine
/// orients a flow by who sent the SYN; when the port-502 side opened the connection
/// (suricata_modbus.pcap stream of frames 88-99), its bytes are still responses, as
/// tshark decides by port too. Otherwise the flow's orientation stands.
fn role(ctx: &ParseCtx<'_>, dir: Direction) -> Direction {
    if reversed(&ctx.flow) {
        dir.reverse()
    } else {
        dir
    }
}

/// The port-502 side opened the flow (see [`role`]).
fn reversed(flow: &crate::event::FlowTuple) -> bool {
    flow.client.port() == super::MODBUS_PORT && flow.server.port() != super::MODBUS_PORT
}

fn device_identity(m: &Message<'_>) -> Option<super::event::DeviceIdentity> {
    match m.data {
        Data::DeviceId { objects, count } => Some(pdu::device_identity(objects, count)),
        _ => None,
    }
}

/// A transaction built from one message alone (a response without its request).
fn transaction(
    trans_id: u16,
    unit_id: u8,
    request_frame: Option<u64>,
    response_frame: Option<u64>,
    m: &Message<'_>,
) -> Transaction {
    Transaction {
        request_frame,
        response_frame,
        trans_id,
        unit_id,
        function: m.function,
        function_name: types::function_name(m.function, m.subfunction),
        class: types::classify(m.function),
        subfunction: m.subfunction,
        address: m.address,
        quantity: m.quantity,
        write_address: m.write_address,
        exception: m.exception,
        response_time_us: None,
        written: None,
        device_identity: device_identity(m),
    }
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        let dir = role(ctx, dir);
        self.expire(ctx);
        let mut input = data;
        if !self.dir(dir).buf.is_empty() {
            match self.fill(ctx, dir, &mut input) {
                Fill::NeedMore => return,
                Fill::Done => {}
                Fill::Garbage(e) => {
                    if let Some(a) = Self::frame_anomaly(e) {
                        Self::parse_error(ctx, a);
                    }
                    self.dir(dir).syncing = true;
                }
            }
        }
        if self.dir(dir).syncing {
            self.resync(ctx, dir, &mut input);
        }
        // Each turn consumes at least one byte (an ADU, or garbage via resync), so the
        // loop is bounded by the input length.
        while !input.is_empty() {
            match frame::parse_adu(input) {
                Ok((adu, rest)) => {
                    self.handle_adu(ctx, dir, adu);
                    input = rest;
                }
                Err(FrameError::Incomplete { .. }) => {
                    // Shorter than its declared length (<= MAX_ADU_LEN): keep it.
                    let keep = input.get(..MAX_ADU_LEN).unwrap_or(input);
                    self.dir(dir).buf.extend_from_slice(keep);
                    break;
                }
                Err(e) => {
                    if let Some(a) = Self::frame_anomaly(e) {
                        Self::parse_error(ctx, a);
                    }
                    // Skip the bad header's first byte, then look for the next one.
                    Self::stats(ctx).add_skipped(1);
                    input = input.get(1..).unwrap_or_default();
                    self.dir(dir).syncing = true;
                    let to_server = dir == Direction::ToServer;
                    match frame::find_resync(input, 0, to_server) {
                        Some(off) => {
                            Self::stats(ctx).add_skipped(off);
                            input = input.get(off..).unwrap_or_default();
                            self.dir(dir).syncing = false;
                        }
                        None => {
                            Self::stats(ctx).add_skipped(input.len());
                            break;
                        }
                    }
                }
            }
        }
    }

    fn on_gap(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, _len: u64) {
        let dir = role(ctx, dir);
        let d = self.dir(dir);
        let lost = d.buf.len();
        d.buf.clear();
        d.syncing = true;
        Self::stats(ctx).add_skipped(lost);
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
