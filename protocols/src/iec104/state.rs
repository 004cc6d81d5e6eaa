//! Per-connection state: APDU framing over the TCP stream (an APDU split across
//! segments, several in one; garbage skipped to the next 0x68 as tshark does), send and
//! receive sequence numbers per direction (IEC 60870-5-104 section 5.1: N(S) counts I
//! frames modulo 32768, N(R) acknowledges the peer's), and commands waiting for their
//! activation confirmation.

use super::apci::{self, Control, FrameError, MAX_APDU_LEN};
use super::asdu;
use super::event::Apdu;
use super::types::{self, Anomaly};
use super::{Iec104Config, Stats, control};
use crate::event::{AppProtocol, EventKind, ParseError};
use crate::facts::{Action, ControlAction, ControlValues, Outcome, Target};
use crate::parser::{Direction, ParseCtx, StreamParser};
use mizuban_capture::{DropReason, Timestamp};
use std::collections::VecDeque;
use std::time::Duration;

/// Hard ceiling on commands waiting for confirmation per connection.
pub const MAX_PENDING_PER_FLOW: usize = 256;
/// Sequence numbers are 15 bits.
const SEQ_MOD: u16 = 0x8000;

#[derive(Clone, Debug)]
struct Pending {
    frame: u64,
    ts: Timestamp,
    reversed: bool,
    type_id: u8,
    common_address: u16,
    ioa: Option<u32>,
    action: Action,
    target: Target,
    values: Option<ControlValues>,
}

#[derive(Debug, Default)]
struct DirState {
    /// A partial APDU; never over [`MAX_APDU_LEN`].
    buf: Vec<u8>,
    /// Framing lost: skip to the next start octet.
    syncing: bool,
    /// The N(S) this side's next I frame should carry.
    next_send: Option<u16>,
}

/// The IEC 104 parser of one connection.
#[derive(Debug)]
pub struct Parser {
    timeout: Duration,
    max_pending: usize,
    dirs: [DirState; 2],
    pending: VecDeque<Pending>,
}

impl Parser {
    pub fn new(cfg: &Iec104Config) -> Parser {
        Parser {
            timeout: cfg.command_timeout,
            max_pending: cfg.max_pending_per_flow.clamp(1, MAX_PENDING_PER_FLOW),
            dirs: [DirState::default(), DirState::default()],
            pending: VecDeque::new(),
        }
    }

    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    fn stats<'c>(ctx: &'c mut ParseCtx<'_>) -> &'c mut Stats {
        &mut ctx.stats.iec104
    }

    fn parse_error(ctx: &mut ParseCtx<'_>, a: Anomaly) {
        Self::stats(ctx).count_parse_error(a);
        ctx.emit(EventKind::ParseError(ParseError {
            protocol: AppProtocol::Iec104,
            reason: a.as_str(),
        }));
    }

    fn dir(&mut self, dir: Direction) -> &mut DirState {
        match dir {
            Direction::ToServer => &mut self.dirs[0],
            Direction::ToClient => &mut self.dirs[1],
        }
    }

    /// Sequence checks: this side's N(S), and its N(R) against what the peer sent.
    fn sequence(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, c: Control) {
        let (send, recv) = match c {
            Control::I { send, recv } => (Some(send), Some(recv)),
            Control::S { recv } => (None, Some(recv)),
            Control::U { .. } => (None, None),
        };
        if let Some(s) = send {
            let d = self.dir(dir);
            let gap = d.next_send.is_some_and(|e| e != s);
            d.next_send = Some(s.wrapping_add(1) % SEQ_MOD);
            if gap {
                let st = Self::stats(ctx);
                st.sequence_gaps = st.sequence_gaps.saturating_add(1);
                Self::parse_error(ctx, Anomaly::SequenceGap);
            }
        }
        if let Some(r) = recv
            && let Some(peer_next) = self.dir(dir.reverse()).next_send
        {
            // Ahead of what the peer has sent (by less than half the space): it
            // acknowledges frames that were never sent.
            let ahead = r.wrapping_sub(peer_next) % SEQ_MOD;
            if ahead != 0 && ahead < SEQ_MOD / 2 {
                let st = Self::stats(ctx);
                st.ack_out_of_window = st.ack_out_of_window.saturating_add(1);
                Self::parse_error(ctx, Anomaly::AckOutOfWindow);
            }
        }
    }

    fn handle_apdu(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, a: apci::Apdu<'_>) {
        self.sequence(ctx, dir, a.control);
        let from_controlling = controlling(ctx, dir);
        let mut ev = Apdu {
            apci: a.control.letter(),
            u_function: None,
            u_code: None,
            send_seq: None,
            recv_seq: None,
            type_id: None,
            type_name: None,
            sq: false,
            num_objects: 0,
            cot: None,
            cot_name: None,
            negative: false,
            test: false,
            originator: None,
            common_address: None,
            ioas: Vec::new(),
            ioa_total: 0,
            objects: Vec::new(),
            from_controlling,
            from_client: dir == Direction::ToServer,
        };
        let mut decoded = None;
        match a.control {
            Control::U { function } => {
                let name = apci::u_name(function);
                ev.u_function = Some(name);
                ev.u_code = Some(function);
                if name == "invalid" || !a.asdu.is_empty() {
                    Self::parse_error(ctx, Anomaly::BadControl);
                }
                Self::stats(ctx).count_u(function);
            }
            Control::S { recv } => {
                ev.recv_seq = Some(recv);
                if !a.asdu.is_empty() {
                    Self::parse_error(ctx, Anomaly::BadControl);
                }
                Self::stats(ctx).s_frames = Self::stats(ctx).s_frames.saturating_add(1);
            }
            Control::I { send, recv } => {
                ev.send_seq = Some(send);
                ev.recv_seq = Some(recv);
                let d = asdu::decode(a.asdu);
                ev.type_id = d.type_id;
                ev.type_name = d.type_id.map(types::type_name);
                ev.sq = d.sq;
                ev.num_objects = d.num_objects;
                ev.cot = d.cot;
                ev.cot_name = d.cot.map(types::cot_name);
                ev.negative = d.negative;
                ev.test = d.test;
                ev.originator = d.originator;
                ev.common_address = d.common_address;
                ev.ioas = d.objects.iter().map(|o| o.ioa).collect();
                ev.ioa_total = d.ioa_total;
                ev.objects = d.objects.clone();
                if let Some(x) = d.anomaly {
                    Self::parse_error(ctx, x);
                }
                Self::stats(ctx).count_type(d.type_id);
                let over = d
                    .ioa_total
                    .saturating_sub(u32::try_from(d.objects.len()).unwrap_or(0));
                let st = Self::stats(ctx);
                st.objects_dropped = st.objects_dropped.saturating_add(u64::from(over));
                decoded = Some(d);
            }
        }
        ctx.emit(EventKind::Iec104(ev));
        if let Some(d) = decoded {
            self.control(ctx, dir, from_controlling, &d);
        }
    }

    /// Commands from the controlling station wait for their confirmation; a
    /// confirmation from the controlled station ends the matching command.
    fn control(
        &mut self,
        ctx: &mut ParseCtx<'_>,
        dir: Direction,
        from_controlling: bool,
        d: &asdu::Asdu,
    ) {
        self.expire(ctx);
        let (Some(t), Some(ca), Some(cot)) = (d.type_id, d.common_address, d.cot) else {
            return;
        };
        if from_controlling {
            let Some(action) = control::action(d) else {
                return;
            };
            if self.pending.len() >= self.max_pending {
                ctx.stats.drops.inc(DropReason::TxCap);
                let st = Self::stats(ctx);
                st.tx_cap = st.tx_cap.saturating_add(1);
                if let Some(p) = self.pending.pop_front() {
                    Self::emit_action(ctx, p, Outcome::Unanswered, None, None);
                }
            }
            self.pending.push_back(Pending {
                frame: ctx.frame,
                ts: ctx.ts,
                reversed: dir == Direction::ToClient,
                type_id: t,
                common_address: ca,
                ioa: d.objects.first().map(|o| o.ioa),
                action,
                target: control::target(d),
                values: control::values(d),
            });
            return;
        }
        if cot != types::cot::ACTIVATION_CON {
            return;
        }
        let ioa = d.objects.first().map(|o| o.ioa);
        let Some(i) = self
            .pending
            .iter()
            .position(|p| p.type_id == t && p.common_address == ca && p.ioa == ioa)
        else {
            return;
        };
        if let Some(p) = self.pending.remove(i) {
            let (outcome, code) = if d.negative {
                (Outcome::Exception, Some(u16::from(cot)))
            } else {
                (Outcome::Ok, None)
            };
            let frame = ctx.frame;
            Self::emit_action(ctx, p, outcome, code, Some(frame));
        }
    }

    fn emit_action(
        ctx: &mut ParseCtx<'_>,
        p: Pending,
        outcome: Outcome,
        exception: Option<u16>,
        response_frame: Option<u64>,
    ) {
        if outcome == Outcome::Unanswered {
            let st = Self::stats(ctx);
            st.unanswered = st.unanswered.saturating_add(1);
        }
        let ca = ControlAction {
            protocol: AppProtocol::Iec104,
            action: p.action,
            function: u16::from(p.type_id),
            function_name: types::type_name(p.type_id),
            subfunction: None,
            unit: Some(u32::from(p.common_address)),
            target: p.target,
            values: p.values,
            outcome,
            exception,
            response_frame,
            password_used: false,
        };
        let flow = ctx.flow;
        if p.reversed {
            ctx.flow.client = flow.server;
            ctx.flow.server = flow.client;
        }
        ctx.emit_at(p.frame, EventKind::ControlAction(ca));
        ctx.flow = flow;
    }

    fn expire(&mut self, ctx: &mut ParseCtx<'_>) {
        while let Some(p) = self.pending.front() {
            if ctx.ts.since(p.ts) <= self.timeout {
                break;
            }
            if let Some(p) = self.pending.pop_front() {
                Self::emit_action(ctx, p, Outcome::Unanswered, None, None);
            }
        }
    }

    /// Frames every APDU of `input`; returns the unframed tail (a partial APDU).
    fn apdus<'a>(
        &mut self,
        ctx: &mut ParseCtx<'_>,
        dir: Direction,
        mut input: &'a [u8],
    ) -> &'a [u8] {
        // Each turn consumes at least one byte, so the loop is bounded by the input.
        while !input.is_empty() {
            if self.dir(dir).syncing || input.first() != Some(&apci::START) {
                let off = input.iter().position(|&b| b == apci::START);
                let skip = off.unwrap_or(input.len());
                if skip > 0 {
                    Self::stats(ctx).add_skipped(skip);
                    Self::parse_error(ctx, Anomaly::NotIec104);
                }
                input = input.get(skip..).unwrap_or_default();
                self.dir(dir).syncing = false;
                continue;
            }
            match apci::parse_apdu(input) {
                Ok((a, rest)) => {
                    self.handle_apdu(ctx, dir, a);
                    input = rest;
                }
                Err(FrameError::Incomplete { .. }) => return input,
                Err(FrameError::LengthOutOfRange(len)) => {
                    Self::parse_error(ctx, Anomaly::LengthOutOfRange);
                    let n = 2usize.saturating_add(usize::from(len));
                    input = input.get(n..).unwrap_or_default();
                }
                Err(_) => {
                    self.dir(dir).syncing = true;
                }
            }
        }
        input
    }
}

/// Whether `dir` carries the controlling station's APDUs: the side that connected to
/// port 2404 (section 10.1: the controlled station listens), else the flow's client.
fn controlling(ctx: &ParseCtx<'_>, dir: Direction) -> bool {
    let reversed = ctx.flow.client.port() == super::IEC104_PORT
        && ctx.flow.server.port() != super::IEC104_PORT;
    (dir == Direction::ToServer) != reversed
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        self.expire(ctx);
        let mut input = data;
        let mut buf = std::mem::take(&mut self.dir(dir).buf);
        // Complete the buffered APDU: its length is known once two bytes are in.
        // Each turn takes input bytes or frames buffered ones, so it ends.
        while !buf.is_empty() {
            let want = buf
                .get(1)
                .map_or(2, |&l| 2usize.saturating_add(usize::from(l)));
            let n = want.saturating_sub(buf.len()).min(input.len());
            let (head, tail) = input.split_at_checked(n).unwrap_or((input, &[]));
            buf.extend_from_slice(head);
            input = tail;
            if buf.len() < want {
                self.dir(dir).buf = buf;
                return;
            }
            let left = self.apdus(ctx, dir, &buf).len();
            let used = buf.len().saturating_sub(left);
            buf.drain(..used);
        }
        self.dir(dir).buf = buf;
        let tail = self.apdus(ctx, dir, input);
        if !tail.is_empty() {
            let keep = tail.get(..MAX_APDU_LEN).unwrap_or(tail);
            self.dir(dir).buf.extend_from_slice(keep);
        }
    }

    fn on_gap(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, _len: u64) {
        let d = self.dir(dir);
        let lost = d.buf.len();
        d.buf.clear();
        d.syncing = true;
        // Frames were lost: the next N(S) cannot be predicted.
        d.next_send = None;
        Self::stats(ctx).add_skipped(lost);
    }

    fn on_tick(&mut self, ctx: &mut ParseCtx<'_>) {
        self.expire(ctx);
    }

    fn on_close(&mut self, ctx: &mut ParseCtx<'_>) {
        while let Some(p) = self.pending.pop_front() {
            Self::emit_action(ctx, p, Outcome::Unanswered, None, None);
        }
        for d in &mut self.dirs {
            let lost = d.buf.len();
            d.buf.clear();
            Self::stats(ctx).add_skipped(lost);
        }
    }
}
