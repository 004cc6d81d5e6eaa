//! OpenVPN: the opcode byte of its packets (OpenVPN `ssl_pkt.h` / the protocol notes in
//! `ssl.h`): high 5 bits the opcode, low 3 bits the key id. A session starts with
//! P_CONTROL_HARD_RESET_CLIENT_V2 (7) or _V3 (10, tls-crypt-v2) with key id 0. Over TCP
//! each packet has a 2-byte length prefix.
//!
//! HARD_RESET_CLIENT_V2 sizes: opcode(1) session id(8) [HMAC(16/20/32/64) packet id(4)
//! net time(4) if tls-auth] ack count(1)=0 packet id(4), plus 6 bytes of early-negotiation
//! TLV from 2.6 on; tls-crypt puts a 32-byte tag before the encrypted part. The probe
//! accepts exactly those sizes, so an arbitrary UDP payload rarely passes.

use super::Emitter;
use crate::common::{ErrorBudget, Framer, be16_at, be32_at};
use crate::event::AppProtocol;
use crate::parser::{DatagramParser, Direction, ParseCtx, Probe, StreamParser};
use crate::registry::{Both, Category, On, PORT_ONLY, ProtocolSpec};

const HARD_RESET_CLIENT_V1: u8 = 1;
const HARD_RESET_SERVER_V1: u8 = 2;
const HARD_RESET_CLIENT_V2: u8 = 7;
const HARD_RESET_SERVER_V2: u8 = 8;
const HARD_RESET_CLIENT_V3: u8 = 10;
/// Sizes of a HARD_RESET_CLIENT_V2 (see the module doc).
const CLIENT_V2_SIZES: &[usize] = &[14, 20, 38, 42, 44, 48, 54, 60, 86, 92];
/// tls-crypt-v2 appends the wrapped client key (a few hundred bytes).
const CLIENT_V3_SIZES: std::ops::RangeInclusive<usize> = 60..=1400;
/// HARD_RESET_SERVER_V2: the V2 sizes plus the acknowledgement (4) and the remote
/// session id (8).
const SERVER_V2_MIN: usize = 26;
const SERVER_V2_MAX: usize = 112;
/// Largest OpenVPN packet we keep from a TCP stream.
const MAX_PACKET_KEEP: usize = 2048;

/// The hard-reset message a packet is (without the TCP length prefix).
pub fn classify(p: &[u8]) -> Option<(u8, &'static str)> {
    let b = *p.first()?;
    let (opcode, key_id) = (b >> 3, b & 0x07);
    if key_id != 0 {
        return None;
    }
    let len = p.len();
    match opcode {
        HARD_RESET_CLIENT_V2 if CLIENT_V2_SIZES.contains(&len) => {
            // Without tls-auth/tls-crypt the ack count and packet id are both zero.
            if (len == 14 || len == 20) && (p.get(9) != Some(&0) || be32_at(p, 10) != Some(0)) {
                return None;
            }
            Some((2, "hard_reset_client_v2"))
        }
        HARD_RESET_CLIENT_V3 if CLIENT_V3_SIZES.contains(&len) => Some((3, "hard_reset_client_v3")),
        HARD_RESET_SERVER_V2 if (SERVER_V2_MIN..=SERVER_V2_MAX).contains(&len) => {
            Some((2, "hard_reset_server_v2"))
        }
        HARD_RESET_CLIENT_V1 if CLIENT_V2_SIZES.contains(&len) => Some((1, "hard_reset_client_v1")),
        HARD_RESET_SERVER_V1 if (SERVER_V2_MIN..=SERVER_V2_MAX).contains(&len) => {
            Some((1, "hard_reset_server_v1"))
        }
        _ => None,
    }
}

fn probe_packet(p: &[u8], dir: Direction) -> Probe {
    match (classify(p), dir) {
        (Some((_, m)), Direction::ToServer) if m.starts_with("hard_reset_client") => Probe::Match,
        (Some((_, m)), Direction::ToClient) if m.starts_with("hard_reset_server") => Probe::Match,
        _ => Probe::NoMatch,
    }
}

/// Probe for one UDP datagram or the first bytes of a TCP stream: a bare packet, or one
/// behind the TCP length prefix (a hard reset's first byte, 0x38/0x50, is never the
/// high byte of a plausible length, so the two forms cannot be confused).
pub fn probe(data: &[u8], dir: Direction) -> Probe {
    match probe_packet(data, dir) {
        Probe::Match => Probe::Match,
        _ => probe_tcp(data, dir),
    }
}

/// Probe for the first bytes of a TCP stream: length prefix, then a hard reset.
pub fn probe_tcp(data: &[u8], dir: Direction) -> Probe {
    let Some(len) = be16_at(data, 0).map(usize::from) else {
        return Probe::NeedMore;
    };
    if len < CLIENT_V2_SIZES.first().copied().unwrap_or(0) || len > *CLIENT_V3_SIZES.end() {
        return Probe::NoMatch;
    }
    match data.get(2..len.saturating_add(2)) {
        Some(p) => probe_packet(p, dir),
        None => Probe::NeedMore,
    }
}

/// Per-flow OpenVPN state (UDP or TCP).
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

impl DatagramParser for Parser {
    fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, _dir: Direction, data: &[u8]) {
        if let Some((v, m)) = classify(data) {
            self.out.emit(ctx, AppProtocol::OpenVpn, Some(v), m);
        }
    }
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        if self.errors.exhausted() {
            return;
        }
        let mut seen = Vec::new();
        let Some(framer) = self.framers.get_mut(dir.index()) else {
            return;
        };
        let unit_len = |h: &[u8]| be16_at(h, 0).map(|l| usize::from(l).saturating_add(2));
        let r = framer.feed(data, 2, MAX_PACKET_KEEP, unit_len, |u, total| {
            // Only whole packets: a hard reset is never longer than the keep size.
            if total <= MAX_PACKET_KEEP
                && let Some(x) = classify(u.get(2..).unwrap_or(&[]))
            {
                seen.push(x);
            }
        });
        if r.is_err() {
            framer.reset();
            self.errors.report(ctx, AppProtocol::OpenVpn, "bad_length");
        }
        for (v, m) in seen {
            self.out.emit(ctx, AppProtocol::OpenVpn, Some(v), m);
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
    tcp: On::ports(&[1194]).probe(probe, PORT_ONLY),
    udp: On::ports(&[1194]).probe(probe, PORT_ONLY),
    parser: Some(|_| Box::new(Both(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::OpenVpn, "openvpn")
};
