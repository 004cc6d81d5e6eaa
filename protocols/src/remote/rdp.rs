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
use super::rdp_mcs;
use crate::common::{ErrorBudget, Framer, be16_at, capped};
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

/// TPKT units kept: the connection request is small, a client's Connect-Initial a few
/// hundred bytes (a longer unit is read from its first bytes).
const MAX_TPKT_KEPT: usize = 4096;
/// requestedProtocols / selectedProtocol 0: standard RDP security, the MCS layer in clear.
const PROTOCOL_RDP: u32 = 0;

/// Where a connection is in the sequence of MS-RDPBCGR 1.3.1.1.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
enum Stage {
    /// Waiting for the client's X.224 Connection Request.
    #[default]
    Request,
    /// Waiting for the server's Connection Confirm (which security it chose).
    Confirm,
    /// Standard RDP security: waiting for the client's MCS Connect-Initial.
    ConnectInitial,
    /// Nothing more to read in clear (TLS or CredSSP chosen, or all read).
    Done,
}

/// The TPKT length of a unit header (RFC 1006: version 3, reserved 0).
fn tpkt_len(hdr: &[u8]) -> Option<usize> {
    match hdr {
        [3, 0, ..] => be16_at(hdr, 2).map(usize::from),
        _ => None,
    }
}

/// Per-flow RDP state: TPKT framing of both directions until the client data is read
/// or encryption starts.
#[derive(Debug, Default)]
pub struct Parser {
    client: Framer,
    server: Framer,
    stage: Stage,
    emitted: bool,
    errors: ErrorBudget,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }

    fn emit_session(&mut self, ctx: &mut ParseCtx<'_>, user: Option<String>) {
        if !self.emitted {
            self.emitted = true;
            ctx.emit(EventKind::RemoteAccess(RemoteAccess {
                protocol: AppProtocol::Rdp,
                client_software: None,
                server_software: None,
                user,
            }));
        }
    }

    fn on_client_unit(&mut self, ctx: &mut ParseCtx<'_>, unit: &[u8]) {
        match self.stage {
            Stage::Request => {
                let user = if probe(unit, Direction::ToServer) == Probe::Match {
                    let len = tpkt_len(unit).unwrap_or(0);
                    unit.get(11..len.min(unit.len())).and_then(cookie_user)
                } else {
                    None
                };
                self.emit_session(ctx, user);
                self.stage = Stage::Confirm;
            }
            Stage::ConnectInitial => {
                self.stage = Stage::Done;
                match rdp_mcs::client_info(unit) {
                    Ok(info) => ctx.emit(EventKind::RdpClient(info)),
                    Err(e) => self.errors.report(ctx, AppProtocol::Rdp, e.reason()),
                }
            }
            Stage::Confirm | Stage::Done => {}
        }
    }

    fn on_server_unit(&mut self, unit: &[u8]) {
        if self.stage != Stage::Confirm {
            return;
        }
        if unit.get(5).map(|c| c & 0xF0) != Some(X224_CC) {
            self.stage = Stage::Done;
            return;
        }
        // RDP_NEG_RSP (type 2) names the protocol; no negotiation data means standard
        // security (pre-RDP 5.2 servers); RDP_NEG_FAILURE (type 3) ends the connection.
        let selected = match unit.get(11) {
            None => Some(PROTOCOL_RDP),
            Some(2) => crate::common::le32_at(unit, 15),
            Some(_) => None,
        };
        self.stage = if selected == Some(PROTOCOL_RDP) {
            Stage::ConnectInitial
        } else {
            Stage::Done
        };
    }
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        if self.stage == Stage::Done {
            return;
        }
        let slot = match dir {
            Direction::ToServer => &mut self.client,
            Direction::ToClient => &mut self.server,
        };
        // Out of `self` while it feeds, so the unit handlers may borrow `self`.
        let mut framer = std::mem::take(slot);
        let lost = framer
            .feed(
                data,
                TPKT_HEADER_LEN,
                MAX_TPKT_KEPT,
                tpkt_len,
                |u, _| match dir {
                    Direction::ToServer => self.on_client_unit(ctx, u),
                    Direction::ToClient => self.on_server_unit(u),
                },
            )
            .is_err();
        match dir {
            Direction::ToServer => self.client = framer,
            Direction::ToClient => self.server = framer,
        }
        if lost {
            // Not TPKT (or no longer): the session is still reported, nothing more read.
            self.emit_session(ctx, None);
            self.stage = Stage::Done;
        }
    }

    fn on_gap(&mut self, _ctx: &mut ParseCtx<'_>, dir: Direction, _len: u64) {
        match dir {
            Direction::ToServer => self.client.reset(),
            Direction::ToClient => self.server.reset(),
        }
    }

    fn on_close(&mut self, ctx: &mut ParseCtx<'_>) {
        // The flow was identified as RDP (e.g. by port) but no CR came: still a session.
        self.emit_session(ctx, None);
        self.stage = Stage::Done;
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

    /// X.224 CC with RDP_NEG_RSP selecting `protocol` (0: standard RDP security).
    fn cc(protocol: u32) -> Vec<u8> {
        let mut v = vec![0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0, 0, 0x12, 0x34, 0x00];
        v.extend_from_slice(&[0x02, 0x00, 0x08, 0x00]);
        v.extend_from_slice(&protocol.to_le_bytes());
        v
    }

    fn client_infos(ev: &[EventKind]) -> Vec<&rdp_mcs::RdpClientInfo> {
        ev.iter()
            .filter_map(|e| match e {
                EventKind::RdpClient(i) => Some(i),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn standard_security_shows_the_client_core_data() {
        let ci = rdp_mcs::tests::connect_initial(&rdp_mcs::tests::core(7601, "ENG-WIN7"));
        let mut p = Parser::new();
        // The Connect-Initial split across segments, as TCP may deliver it.
        let ev = stream(
            &mut p,
            &[
                (ToServer, &cr()),
                (ToClient, &cc(0)),
                (ToServer, &ci[..20]),
                (ToServer, &ci[20..]),
            ],
        );
        assert_eq!(ev.len(), 2, "{ev:?}");
        let infos = client_infos(&ev);
        assert_eq!(infos.len(), 1);
        assert_eq!(infos[0].client_build, 7601);
        assert_eq!(infos[0].client_name, "ENG-WIN7");
    }

    #[test]
    fn tls_or_credssp_hides_it() {
        let ci = rdp_mcs::tests::connect_initial(&rdp_mcs::tests::core(7601, "ENG-WIN7"));
        for protocol in [1, 2, 8] {
            let mut p = Parser::new();
            let ev = stream(
                &mut p,
                &[
                    (ToServer, &cr()),
                    (ToClient, &cc(protocol)),
                    (ToServer, &ci),
                ],
            );
            assert!(client_infos(&ev).is_empty(), "protocol {protocol}");
            assert_eq!(ev.len(), 1);
        }
    }

    #[test]
    fn a_malformed_connect_initial_is_reported_once() {
        let mut bad = rdp_mcs::tests::connect_initial(&rdp_mcs::tests::core(7601, "X"));
        bad[7] = 0x30; // not [APPLICATION 101]
        let mut p = Parser::new();
        let ev = stream(
            &mut p,
            &[(ToServer, &cr()), (ToClient, &cc(0)), (ToServer, &bad)],
        );
        let errors: Vec<_> = ev
            .iter()
            .filter_map(|e| match e {
                EventKind::ParseError(pe) => Some(pe.reason),
                _ => None,
            })
            .collect();
        assert_eq!(errors, ["rdp_not_connect_initial"]);
    }

    #[test]
    fn a_flow_without_tpkt_is_still_one_session() {
        let mut p = Parser::new();
        let ev = stream(&mut p, &[(ToServer, b"\x16\x03\x01\x00\x05hello")]);
        assert_eq!(ev.len(), 1);
        assert!(matches!(&ev[0], EventKind::RemoteAccess(r) if r.user.is_none()));
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
