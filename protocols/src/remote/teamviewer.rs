//! TeamViewer on TCP/UDP 5938. Its packets start with a 2-byte magic: 0x17 0x24 (the
//! common framing) or 0x11 0x30 (older versions), as observed in captures and used by
//! open signatures (e.g. nDPI's teamviewer dissector). One `RemoteAccess` per flow.

use super::emit_once;
use crate::event::AppProtocol;
use crate::parser::{DatagramParser, Direction, ParseCtx, Probe, StreamParser};
use crate::registry::{ANY_PORT, Both, Category, On, PORT_ONLY, ProtocolSpec};

/// Known header magics.
const MAGICS: [[u8; 2]; 2] = [[0x17, 0x24], [0x11, 0x30]];

/// Does `data` start with a TeamViewer header magic?
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    match data.get(..2) {
        Some(m) if MAGICS.iter().any(|x| x == m) => Probe::Match,
        Some(_) => Probe::NoMatch,
        None if data.is_empty() || MAGICS.iter().any(|x| x.first() == data.first()) => {
            Probe::NeedMore
        }
        None => Probe::NoMatch,
    }
}

/// Per-flow state: whether the flow's event was emitted.
#[derive(Debug, Default)]
pub struct Parser {
    emitted: bool,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }

    fn once(&mut self, ctx: &mut ParseCtx<'_>) {
        emit_once(&mut self.emitted, ctx, AppProtocol::TeamViewer);
    }
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, _dir: Direction, _data: &[u8]) {
        self.once(ctx);
    }
    fn on_gap(&mut self, _ctx: &mut ParseCtx<'_>, _dir: Direction, _len: u64) {}
}

impl DatagramParser for Parser {
    fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, _dir: Direction, _data: &[u8]) {
        self.once(ctx);
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Remote,
    tcp: On::ports(&[5938]).probe(probe, ANY_PORT),
    udp: On::ports(&[5938]).probe(probe, PORT_ONLY),
    parser: Some(|_| Box::new(Both(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::TeamViewer, "teamviewer")
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::testutil::datagrams;
    use Direction::ToServer;

    #[test]
    fn probe_and_one_event_per_flow() {
        assert_eq!(probe(&[0x17, 0x24, 0x0a, 0x00], ToServer), Probe::Match);
        assert_eq!(probe(&[0x11, 0x30, 0x00], ToServer), Probe::Match);
        assert_eq!(probe(&[0x17], ToServer), Probe::NeedMore);
        assert_eq!(probe(&[0x16, 0x03, 0x01], ToServer), Probe::NoMatch);
        let mut p = Parser::new();
        let ev = datagrams(
            &mut p,
            &[(ToServer, &[0x17, 0x24]), (ToServer, &[0x17, 0x24])],
        );
        assert_eq!(ev.len(), 1);
    }
}
