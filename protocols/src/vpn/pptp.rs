//! PPTP control connection on TCP 1723 (RFC 2637 section 2). Every control message
//! starts: Length(2) PPTP Message Type(2) = 1 Magic Cookie(4) = 0x1A2B3C4D Control
//! Message Type(2). Start-Control-Connection-Request/Reply carry the protocol version
//! (0x0100) at offset 12.

use super::Emitter;
use crate::common::{ErrorBudget, Framer, be16_at, be32_at};
use crate::event::AppProtocol;
use crate::parser::{Direction, ParseCtx, Probe, StreamParser};
use crate::registry::{ANY_PORT, Category, On, ProtocolSpec, StreamOnly};

pub const MAGIC_COOKIE: u32 = 0x1A2B_3C4D;
/// Smallest control message (Echo-Request, 16 bytes) and the largest defined
/// (Start-Control-Connection-Request/Reply and the call requests, 156-220 bytes).
const MIN_MESSAGE_LEN: usize = 12;
const MAX_MESSAGE_LEN: usize = 512;

/// Control message type names (RFC 2637 section 2).
pub fn message_name(t: u16) -> &'static str {
    match t {
        1 => "start_control_connection_request",
        2 => "start_control_connection_reply",
        3 => "stop_control_connection_request",
        4 => "stop_control_connection_reply",
        5 => "echo_request",
        6 => "echo_reply",
        7 => "outgoing_call_request",
        8 => "outgoing_call_reply",
        9 => "incoming_call_request",
        10 => "incoming_call_reply",
        11 => "incoming_call_connected",
        12 => "call_clear_request",
        13 => "call_disconnect_notify",
        14 => "wan_error_notify",
        15 => "set_link_info",
        _ => "control",
    }
}

/// Is `data` a PPTP control message?
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    if data.len() < 8 {
        return Probe::NeedMore;
    }
    let len = be16_at(data, 0).map_or(0, usize::from);
    if be32_at(data, 4) == Some(MAGIC_COOKIE)
        && be16_at(data, 2) == Some(1)
        && (MIN_MESSAGE_LEN..=MAX_MESSAGE_LEN).contains(&len)
    {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}

/// Per-flow PPTP state.
#[derive(Debug, Default)]
pub struct Parser {
    framers: [Framer; 2],
    out: Emitter,
    errors: ErrorBudget,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }
}

fn unit_len(hdr: &[u8]) -> Option<usize> {
    let len = usize::from(be16_at(hdr, 0)?);
    (MIN_MESSAGE_LEN..=MAX_MESSAGE_LEN)
        .contains(&len)
        .then_some(len)
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        if self.errors.exhausted() {
            return;
        }
        let mut seen: Vec<(Option<u8>, &'static str)> = Vec::new();
        let mut bad_magic = false;
        let Some(framer) = self.framers.get_mut(dir.index()) else {
            return;
        };
        let r = framer.feed(data, 2, MAX_MESSAGE_LEN, unit_len, |m, _| {
            if be32_at(m, 4) != Some(MAGIC_COOKIE) {
                bad_magic = true;
                return;
            }
            let t = be16_at(m, 8).unwrap_or(0);
            // Echoes are keepalives: not worth an event each.
            if t == 5 || t == 6 {
                return;
            }
            let version = if t == 1 || t == 2 {
                m.get(12).copied()
            } else {
                None
            };
            seen.push((version, message_name(t)));
        });
        if r.is_err() {
            framer.reset();
            self.errors.report(ctx, AppProtocol::Pptp, "bad_length");
        }
        if bad_magic {
            self.errors
                .report(ctx, AppProtocol::Pptp, "bad_magic_cookie");
        }
        for (v, m) in seen {
            self.out.emit(ctx, AppProtocol::Pptp, v, m);
        }
    }

    fn on_gap(&mut self, _ctx: &mut ParseCtx<'_>, dir: Direction, _len: u64) {
        if let Some(f) = self.framers.get_mut(dir.index()) {
            f.reset();
        }
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Vpn,
    tcp: On::ports(&[1723]).probe(probe, ANY_PORT),
    parser: Some(|_| Box::new(StreamOnly(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::Pptp, "pptp")
};
