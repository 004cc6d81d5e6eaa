//! GRE (RFC 2784, key and sequence RFC 2890) and PPTP's enhanced GRE (RFC 2637 section
//! 4.1: version 1, protocol type 0x880B PPP), IP protocol 47. One event per flow naming
//! what the tunnel carries.
//!
//! | field | bits |
//! | --- | --- |
//! | C, R, K, S, s, Recur (v0) / C R K S s Recur A (v1) | first byte and bit 0 of the second |
//! | Flags, version (low 3 bits of the second byte) | |
//! | protocol type | 2 bytes |

use super::Emitter;
use crate::common::be16_at;
use crate::event::AppProtocol;
use crate::parser::{DatagramParser, Direction, ParseCtx, Probe};
use crate::registry::{Category, DatagramOnly, ProtocolSpec};

const PROTO_PPP: u16 = 0x880B;

/// What a GRE packet says about its tunnel.
pub fn describe(data: &[u8]) -> Option<(AppProtocol, u8, &'static str)> {
    let version = data.get(1)? & 0x07;
    let proto = be16_at(data, 2)?;
    match (version, proto) {
        (1, PROTO_PPP) => Some((AppProtocol::Pptp, 1, "pptp_gre")),
        (0, 0x0800) => Some((AppProtocol::Gre, 0, "gre_ipv4")),
        (0, 0x86DD) => Some((AppProtocol::Gre, 0, "gre_ipv6")),
        (0, 0x6558) => Some((AppProtocol::Gre, 0, "gre_ethernet")),
        (0, 0x88BE | 0x22EB) => Some((AppProtocol::Gre, 0, "gre_erspan")),
        (0, 0x8847) => Some((AppProtocol::Gre, 0, "gre_mpls")),
        (0, PROTO_PPP) => Some((AppProtocol::Gre, 0, "gre_ppp")),
        (0, _) => Some((AppProtocol::Gre, 0, "gre")),
        _ => None,
    }
}

/// Is `data` a GRE header of version 0 or 1?
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    if describe(data).is_some() {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}

/// Per-flow GRE state.
#[derive(Debug, Default)]
pub struct Parser {
    out: Emitter,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }
}

impl DatagramParser for Parser {
    fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, _dir: Direction, data: &[u8]) {
        if self.out.is_empty()
            && let Some((proto, version, message)) = describe(data)
        {
            self.out.emit(ctx, proto, Some(version), message);
        }
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Vpn,
    ip_proto: Some(47),
    parser: Some(|_| Box::new(DatagramOnly(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::Gre, "gre")
};
