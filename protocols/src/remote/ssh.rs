//! SSH identification strings (RFC 4253 section 4.2): "SSH-protoversion-softwareversion
//! SP comments CR LF", at most 255 bytes. The server may send other lines first.
//!
//! One `RemoteAccess` per flow, when both banners are in (or at close with what came).

use super::banner::Banners;
use crate::common::{capped, find_lf};
use crate::event::AppProtocol;
use crate::parser::{Direction, ParseCtx, Probe, StreamParser};
use crate::registry::{ANY_PORT, Category, On, ProtocolSpec, StreamOnly};

/// Banner length limit of RFC 4253 section 4.2 (including CR LF).
pub const MAX_BANNER_LEN: usize = 255;
/// Banner text kept in the event.
pub const MAX_SOFTWARE_LEN: usize = 128;
/// Lines the server may send before its banner that we skip.
const MAX_PRE_BANNER_LINES: usize = 16;

/// Does `data` start with "SSH-"?
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    const PREFIX: &[u8] = b"SSH-";
    if data.starts_with(PREFIX) {
        Probe::Match
    } else if PREFIX.starts_with(data) {
        Probe::NeedMore
    } else {
        Probe::NoMatch
    }
}

/// Per-flow SSH state.
#[derive(Debug, Default)]
pub struct Parser {
    banners: Banners,
    /// Lines skipped before the banner, per direction.
    lines: [usize; 2],
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, mut data: &[u8]) {
        let (Some(side), Some(lines)) =
            (self.banners.side_mut(dir), self.lines.get_mut(dir.index()))
        else {
            return;
        };
        // Bounded by MAX_PRE_BANNER_LINES and the consumed bytes.
        while !side.done && !data.is_empty() {
            let before = side.buf.len();
            let left_out = side.buf.push(data, MAX_BANNER_LEN);
            let Some(lf) = find_lf(side.buf.bytes()) else {
                if left_out > 0 {
                    // No line end within 255 bytes: not an identification string.
                    side.done = true;
                }
                break;
            };
            let line = side.buf.bytes().get(..lf).unwrap_or(&[]);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.starts_with(b"SSH-") {
                side.banner = Some(capped(line, MAX_SOFTWARE_LEN));
                side.done = true;
            } else {
                *lines = lines.saturating_add(1);
                side.done = *lines >= MAX_PRE_BANNER_LINES;
            }
            data = data
                .get(lf.saturating_add(1).saturating_sub(before)..)
                .unwrap_or(&[]);
            side.buf.clear();
        }
        self.banners.emit_if_done(ctx, AppProtocol::Ssh);
    }

    fn on_gap(&mut self, _ctx: &mut ParseCtx<'_>, dir: Direction, _len: u64) {
        self.banners.on_gap(dir);
    }

    fn on_close(&mut self, ctx: &mut ParseCtx<'_>) {
        self.banners.emit(ctx, AppProtocol::Ssh);
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Remote,
    tcp: On::ports(&[22]).probe(probe, ANY_PORT),
    parser: Some(|_| Box::new(StreamOnly(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::Ssh, "ssh")
};

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::common::testutil::stream;
    use crate::event::EventKind;
    use Direction::{ToClient, ToServer};

    #[test]
    fn both_banners_in_one_event() {
        let mut p = Parser::new();
        let ev = stream(
            &mut p,
            &[
                (ToClient, b"SSH-2.0-OpenSSH_9.6\r\n\x00\x00\x01"),
                (ToServer, b"SSH-2.0-Pu"),
                (ToServer, b"TTY_Release_0.80\r\n"),
            ],
        );
        assert_eq!(ev.len(), 1);
        let EventKind::RemoteAccess(r) = &ev[0] else {
            panic!()
        };
        assert_eq!(r.protocol, AppProtocol::Ssh);
        assert_eq!(
            r.client_software.as_deref(),
            Some("SSH-2.0-PuTTY_Release_0.80")
        );
        assert_eq!(r.server_software.as_deref(), Some("SSH-2.0-OpenSSH_9.6"));
    }

    #[test]
    fn server_lines_before_banner_are_skipped() {
        let mut p = Parser::new();
        let ev = stream(&mut p, &[(ToClient, b"Welcome\r\nSSH-1.99-Cisco-1.25\r\n")]);
        let EventKind::RemoteAccess(r) = &ev[0] else {
            panic!()
        };
        assert_eq!(r.server_software.as_deref(), Some("SSH-1.99-Cisco-1.25"));
        assert_eq!(r.client_software, None);
    }

    #[test]
    fn endless_line_gives_up() {
        let mut p = Parser::new();
        let ev = stream(&mut p, &[(ToClient, &[b'a'; 1000])]);
        assert!(ev.is_empty());
    }

    #[test]
    fn probe_cases() {
        assert_eq!(probe(b"SSH-2.0-x", ToServer), Probe::Match);
        assert_eq!(probe(b"SS", ToServer), Probe::NeedMore);
        assert_eq!(probe(b"GET /", ToServer), Probe::NoMatch);
    }
}
