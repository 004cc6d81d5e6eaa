//! AnyDesk on TCP/UDP 7070. Its TCP sessions are TLS; the probe matches a ClientHello
//! whose SNI names anydesk (relays are `*.net.anydesk.com`). On port 7070 the engine may
//! route plain TLS here too: the parser reports the session and still emits the
//! ClientHello so the SNI is visible.

use super::emit_once;
use crate::event::{AppProtocol, EventKind};
use crate::parser::{DatagramParser, Direction, ParseCtx, Probe, StreamParser};
use crate::registry::{Both, Category, On, PORT_ONLY, ProtocolSpec};
use crate::tls::{self, Gathered};

/// Does this SNI name an AnyDesk service?
pub fn is_anydesk_sni(sni: &str) -> bool {
    let s = sni.trim_end_matches('.');
    s.len() >= 7
        && s.as_bytes()
            .windows(7)
            .any(|w| w.eq_ignore_ascii_case(b"anydesk"))
}

/// Matches a TLS ClientHello with an AnyDesk SNI.
pub fn probe(data: &[u8], dir: Direction) -> Probe {
    match tls::probe(data, dir) {
        Probe::Match if dir == Direction::ToServer => {}
        Probe::NeedMore => return Probe::NeedMore,
        _ => return Probe::NoMatch,
    }
    let mut p = tls::Parser::new();
    match p.gather(data) {
        Gathered::Hello(Ok(h)) if h.sni.as_deref().is_some_and(is_anydesk_sni) => Probe::Match,
        Gathered::NeedMore => Probe::NeedMore,
        _ => Probe::NoMatch,
    }
}

/// Per-flow AnyDesk state.
#[derive(Debug, Default)]
pub struct Parser {
    tls: tls::Parser,
    emitted: bool,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }

    fn once(&mut self, ctx: &mut ParseCtx<'_>) {
        emit_once(&mut self.emitted, ctx, AppProtocol::AnyDesk);
    }
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        if dir == Direction::ToServer
            && let Gathered::Hello(Ok(h)) = self.tls.gather(data)
        {
            self.once(ctx);
            ctx.emit(EventKind::TlsClientHello(h));
        }
    }
    fn on_gap(&mut self, _ctx: &mut ParseCtx<'_>, _dir: Direction, _len: u64) {}
    fn on_close(&mut self, ctx: &mut ParseCtx<'_>) {
        self.once(ctx);
    }
}

impl DatagramParser for Parser {
    fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, _dir: Direction, _data: &[u8]) {
        self.once(ctx);
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Remote,
    tcp: On::ports(&[7070]).probe(probe, PORT_ONLY),
    udp: On::ports(&[7070]).probe(probe, PORT_ONLY),
    parser: Some(|_| Box::new(Both(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::AnyDesk, "anydesk")
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sni_match() {
        assert!(is_anydesk_sni("relay-1a2b3c4d.net.anydesk.com"));
        assert!(is_anydesk_sni("BOOT.NET.ANYDESK.COM."));
        assert!(!is_anydesk_sni("example.com"));
        assert_eq!(probe(b"GET /", Direction::ToServer), Probe::NoMatch);
    }
}
