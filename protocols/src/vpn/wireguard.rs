//! WireGuard handshake messages (WireGuard whitepaper section 5.4): a type byte, three
//! zero bytes, and a fixed size per type. Data messages (type 4) are not reported.
//!
//! | type | message | size |
//! | --- | --- | --- |
//! | 1 | handshake initiation | 148 |
//! | 2 | handshake response | 92 |
//! | 3 | cookie reply | 64 |

use super::Emitter;
use crate::event::AppProtocol;
use crate::parser::{DatagramParser, Direction, ParseCtx, Probe};
use crate::registry::{ANY_PORT, Category, DatagramOnly, On, ProtocolSpec};

/// The handshake message a datagram is, by type and exact size.
pub fn classify(data: &[u8]) -> Option<&'static str> {
    if data.get(1..4) != Some(&[0, 0, 0]) {
        return None;
    }
    match (data.first(), data.len()) {
        (Some(1), 148) => Some("handshake_initiation"),
        (Some(2), 92) => Some("handshake_response"),
        (Some(3), 64) => Some("cookie_reply"),
        _ => None,
    }
}

/// Is this datagram a WireGuard handshake initiation or response? (Cookie replies and
/// data messages are too generic to identify a flow on their own.)
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    match classify(data) {
        Some("handshake_initiation" | "handshake_response") => Probe::Match,
        _ => Probe::NoMatch,
    }
}

/// Per-flow WireGuard state.
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
        if let Some(m) = classify(data) {
            self.out.emit(ctx, AppProtocol::WireGuard, None, m);
        }
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Vpn,
    udp: On::ports(&[51820]).probe(probe, ANY_PORT),
    parser: Some(|_| Box::new(DatagramOnly(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::WireGuard, "wireguard")
};
