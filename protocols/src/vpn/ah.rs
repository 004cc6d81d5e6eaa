//! AH (RFC 4302), IP protocol 51: authenticated, not encrypted; that an AH flow exists is
//! the whole finding. One event per flow.

use super::Emitter;
use crate::event::AppProtocol;
use crate::parser::{DatagramParser, Direction, ParseCtx, Probe};
use crate::registry::{Category, DatagramOnly, ProtocolSpec};

/// AH needs no payload probe (the IP protocol says it); its payload length field counts
/// 32-bit words minus 2 and is at least 1 (RFC 4302 section 2.2).
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    match data.get(1) {
        None => Probe::NoMatch,
        Some(0) => Probe::NoMatch,
        Some(_) => Probe::Match,
    }
}

/// Per-flow AH state.
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
    fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, _dir: Direction, _data: &[u8]) {
        if self.out.is_empty() {
            self.out.emit(ctx, AppProtocol::Ah, None, "ah");
        }
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Vpn,
    ip_proto: Some(51),
    parser: Some(|_| Box::new(DatagramOnly(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::Ah, "ah")
};
