//! VNC / RFB ProtocolVersion handshake (RFC 6143 section 7.1.1): the server, then the
//! client, send 12 bytes "RFB xxx.yyy\n". One `RemoteAccess` per flow carrying both.

use super::banner::Banners;
use crate::common::capped;
use crate::event::AppProtocol;
use crate::parser::{Direction, ParseCtx, Probe, StreamParser};
use crate::registry::{ANY_PORT, Category, On, ProtocolSpec, StreamOnly};

/// Length of a ProtocolVersion message.
pub const VERSION_LEN: usize = 12;

fn is_version(b: &[u8]) -> bool {
    b.len() == VERSION_LEN
        && b.starts_with(b"RFB ")
        && b.get(4..7)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        && b.get(7) == Some(&b'.')
        && b.get(8..11)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        && b.get(11) == Some(&b'\n')
}

/// Is `data` an RFB ProtocolVersion message (either direction)?
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    match data.get(..VERSION_LEN) {
        Some(v) if is_version(v) => Probe::Match,
        Some(_) => Probe::NoMatch,
        None if b"RFB ".starts_with(data.get(..4).unwrap_or(data)) => Probe::NeedMore,
        None => Probe::NoMatch,
    }
}

/// Per-flow VNC state.
#[derive(Debug, Default)]
pub struct Parser {
    banners: Banners,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        let Some(side) = self.banners.side_mut(dir) else {
            return;
        };
        if side.done {
            return;
        }
        side.buf.push(data, VERSION_LEN);
        if side.buf.len() < VERSION_LEN {
            return;
        }
        side.done = true;
        if is_version(side.buf.bytes()) {
            // Without the trailing newline.
            side.banner = Some(capped(
                side.buf.bytes().get(..11).unwrap_or(&[]),
                VERSION_LEN,
            ));
        }
        side.buf.clear();
        self.banners.emit_if_done(ctx, AppProtocol::Vnc);
    }

    fn on_gap(&mut self, _ctx: &mut ParseCtx<'_>, dir: Direction, _len: u64) {
        self.banners.on_gap(dir);
    }

    fn on_close(&mut self, ctx: &mut ParseCtx<'_>) {
        self.banners.emit(ctx, AppProtocol::Vnc);
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Remote,
    tcp: On::ports(&[5900, 5901, 5902, 5903]).probe(probe, ANY_PORT),
    parser: Some(|_| Box::new(StreamOnly(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::Vnc, "vnc")
};

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::common::testutil::stream;
    use crate::event::EventKind;
    use Direction::{ToClient, ToServer};

    #[test]
    fn both_versions() {
        let mut p = Parser::new();
        let ev = stream(
            &mut p,
            &[
                (ToClient, b"RFB 003.008\n"),
                (ToServer, b"RFB 003.0"),
                (ToServer, b"07\n\x01"),
            ],
        );
        assert_eq!(ev.len(), 1);
        let EventKind::RemoteAccess(r) = &ev[0] else {
            panic!()
        };
        assert_eq!(r.protocol, AppProtocol::Vnc);
        assert_eq!(r.server_software.as_deref(), Some("RFB 003.008"));
        assert_eq!(r.client_software.as_deref(), Some("RFB 003.007"));
    }

    #[test]
    fn probe_cases() {
        assert_eq!(probe(b"RFB 003.008\n", ToClient), Probe::Match);
        assert_eq!(probe(b"RFB 0", ToClient), Probe::NeedMore);
        assert_eq!(probe(b"RFB 003.00x\n", ToClient), Probe::NoMatch);
        assert_eq!(probe(b"SSH-2.0-", ToClient), Probe::NoMatch);
    }
}
