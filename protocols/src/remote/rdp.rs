//! RDP connection request (MS-RDPBCGR 2.2.1.1): TPKT (RFC 1006) + X.224 Connection
//! Request (ITU-T X.224 13.3) + optional routing token or "Cookie: mstshash=USER\r\n" +
//! optional RDP_NEG_REQ.
//!
//! | field | offset | size |
//! | --- | --- | --- |
//! | TPKT version 3, reserved 0, length | 0 | 4 |
//! | X.224 length indicator, CR code 0xE0, dst-ref, src-ref, class | 4 | 7 |
//! | cookie / routing token, CR LF terminated | 11 | .. |
//! | RDP_NEG_REQ: type 1, flags, length 8, requestedProtocols | .. | 8 |
//!
//! S7comm and MMS also open with TPKT + X.224 CR on TCP 102, but with TSAP parameters
//! (0xC0/0xC1/0xC2) after the fixed part; RDP has a cookie, a neg request, or nothing.

use super::RemoteAccess;
use crate::common::{StreamBuf, be16_at, capped};
use crate::event::{AppProtocol, EventKind};
use crate::parser::{Direction, ParseCtx, Probe, StreamParser};
use crate::registry::{ANY_PORT, Category, On, ProtocolSpec, StreamOnly};

/// User names kept, in bytes (the cookie carries at most 9 chars for old clients).
pub const MAX_USER_LEN: usize = 64;
/// The connection request is small; more than this is not an RDP CR.
const MAX_CR_LEN: usize = 1024;
const TPKT_HEADER_LEN: usize = 4;
const X224_CR_FIXED_LEN: usize = 7;
const X224_CR: u8 = 0xE0;
const X224_CC: u8 = 0xD0;
const COOKIE: &[u8] = b"Cookie: mstshash=";

/// Is `data` a TPKT + X.224 CR (to server) or CC (to client) of RDP's shape?
pub fn probe(data: &[u8], dir: Direction) -> Probe {
    if data.len() < TPKT_HEADER_LEN.saturating_add(X224_CR_FIXED_LEN) {
        let tpkt_ok = data.first().is_none_or(|&b| b == 3) && data.get(1).is_none_or(|&b| b == 0);
        return if tpkt_ok {
            Probe::NeedMore
        } else {
            Probe::NoMatch
        };
    }
    let want = match dir {
        Direction::ToServer => X224_CR,
        Direction::ToClient => X224_CC,
    };
    let (Some(&v), Some(&r), Some(len), Some(&li), Some(&code)) = (
        data.first(),
        data.get(1),
        be16_at(data, 2),
        data.get(4),
        data.get(5),
    ) else {
        return Probe::NeedMore;
    };
    let len = usize::from(len);
    if v != 3
        || r != 0
        || code & 0xF0 != want
        || len > MAX_CR_LEN
        || usize::from(li).saturating_add(5) != len
    {
        return Probe::NoMatch;
    }
    let rest = data.get(11..len.min(data.len())).unwrap_or(&[]);
    match rest.first() {
        None => Probe::Match,
        // RDP_NEG_REQ / RDP_NEG_RSP / RDP_NEG_FAILURE.
        Some(1..=3) if rest.get(2) == Some(&8) => Probe::Match,
        Some(b'C') if rest.starts_with(COOKIE) || rest.starts_with(b"Cookie: msts=") => {
            Probe::Match
        }
        _ => Probe::NoMatch,
    }
}

/// The user of a "Cookie: mstshash=USER\r\n" at the start of `rest`.
fn cookie_user(rest: &[u8]) -> Option<String> {
    let v = rest.strip_prefix(COOKIE)?;
    let end = v.windows(2).position(|w| w == b"\r\n").unwrap_or(v.len());
    Some(capped(v.get(..end)?, MAX_USER_LEN))
}

/// Per-flow RDP state: the client's first TPKT until complete.
#[derive(Debug, Default)]
pub struct Parser {
    buf: StreamBuf,
    done: bool,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        if self.done || dir != Direction::ToServer {
            return;
        }
        self.buf.push(data, MAX_CR_LEN);
        let b = self.buf.bytes();
        let Some(len) = be16_at(b, 2).map(usize::from) else {
            return;
        };
        if b.len() < len && len <= MAX_CR_LEN {
            return;
        }
        self.done = true;
        let user = if probe(b, dir) == Probe::Match {
            b.get(11..len.min(b.len())).and_then(cookie_user)
        } else {
            None
        };
        self.buf.clear();
        ctx.emit(EventKind::RemoteAccess(RemoteAccess {
            protocol: AppProtocol::Rdp,
            client_software: None,
            server_software: None,
            user,
        }));
    }

    fn on_gap(&mut self, _ctx: &mut ParseCtx<'_>, dir: Direction, _len: u64) {
        if dir == Direction::ToServer {
            self.buf.clear();
        }
    }

    fn on_close(&mut self, ctx: &mut ParseCtx<'_>) {
        // The flow was identified as RDP (e.g. by port) but no CR came: still a session.
        if !self.done {
            self.done = true;
            ctx.emit(EventKind::RemoteAccess(RemoteAccess {
                protocol: AppProtocol::Rdp,
                client_software: None,
                server_software: None,
                user: None,
            }));
        }
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Remote,
    tcp: On::ports(&[3389]).probe(probe, ANY_PORT),
    parser: Some(|_| Box::new(StreamOnly(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::Rdp, "rdp")
};

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::arithmetic_side_effects
    )]
    use super::*;
    use crate::common::testutil::stream;
    use Direction::{ToClient, ToServer};

    /// X.224 CR with cookie "mstshash=operator1" and RDP_NEG_REQ (TLS|CredSSP).
    fn cr() -> Vec<u8> {
        let mut v = vec![
            0x03, 0x00, 0x00, 0x00, // TPKT v3, reserved, length (fixed below)
            0x00, // X.224 LI (fixed below)
            0xE0, // CR CDT
            0x00, 0x00, // DST-REF
            0x00, 0x00, // SRC-REF
            0x00, // class 0
        ];
        v.extend_from_slice(b"Cookie: mstshash=operator1\r\n");
        v.extend_from_slice(&[0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00]); // RDP_NEG_REQ
        let len = v.len() as u16;
        v[2..4].copy_from_slice(&len.to_be_bytes());
        v[4] = (v.len() - 5) as u8;
        v
    }

    #[test]
    fn cookie_user_is_reported() {
        let wire = cr();
        assert_eq!(probe(&wire, ToServer), Probe::Match);
        let mut p = Parser::new();
        let ev = stream(&mut p, &[(ToServer, &wire[..7]), (ToServer, &wire[7..])]);
        assert_eq!(ev.len(), 1);
        let EventKind::RemoteAccess(r) = &ev[0] else {
            panic!()
        };
        assert_eq!(r.protocol, AppProtocol::Rdp);
        assert_eq!(r.user.as_deref(), Some("operator1"));
    }

    #[test]
    fn s7_connection_request_is_not_rdp() {
        // TPKT + COTP CR with TPDU-size (C0), src-TSAP (C1), dst-TSAP (C2) parameters.
        let s7 = [
            0x03, 0x00, 0x00, 0x16, 0x11, 0xE0, 0x00, 0x00, 0x00, 0x01, 0x00, 0xC0, 0x01, 0x0A,
            0xC1, 0x02, 0x01, 0x00, 0xC2, 0x02, 0x01, 0x02,
        ];
        assert_eq!(probe(&s7, ToServer), Probe::NoMatch);
    }

    #[test]
    fn probe_cases() {
        assert_eq!(probe(&[3, 0], ToServer), Probe::NeedMore);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", ToServer), Probe::NoMatch);
        assert_eq!(probe(&cr(), ToClient), Probe::NoMatch);
    }
}
