//! ESP (RFC 4303), IP protocol 50: the payload is encrypted; that an ESP flow exists is
//! the whole finding. One event per flow.

use super::Emitter;
use crate::event::AppProtocol;
use crate::parser::{DatagramParser, Direction, ParseCtx, Probe};
use crate::registry::{Category, DatagramOnly, ProtocolSpec};

/// ESP needs no payload probe (the IP protocol says it); an SPI of zero is invalid
/// (RFC 4303 section 2.1).
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    match data.get(..4) {
        None => Probe::NoMatch,
        Some([0, 0, 0, 0]) => Probe::NoMatch,
        Some(_) => Probe::Match,
    }
}

/// Per-flow ESP state.
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
            self.out.emit(ctx, AppProtocol::Esp, None, "esp");
        }
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Vpn,
    ip_proto: Some(50),
    parser: Some(|_| Box::new(DatagramOnly(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::Esp, "esp")
};
