//! FTP control connection (RFC 959 sections 4.1.1, 4.2): `USER name` is a cleartext
//! login attempt; replies 230 (logged in) and 530 (not logged in) give the outcome.
//! The argument of `PASS` is never read. After `AUTH TLS` is accepted (234, RFC 4217)
//! the channel is encrypted and the parser stops.

use super::{AuthEvent, AuthOutcome};
use crate::common::{StreamBuf, capped, find_lf, starts_with_ci};
use crate::event::{AppProtocol, EventKind};
use crate::parser::{Direction, ParseCtx, Probe, StreamParser};
use crate::registry::{Category, On, PORT_ONLY, ProtocolSpec, StreamOnly};

/// User names kept, in bytes.
pub const MAX_USER_LEN: usize = 64;
/// Longest command or reply line buffered; longer ones are skipped to their end.
pub const MAX_LINE_LEN: usize = 512;
/// Login events per flow (a brute force on one connection is still visible by count).
const MAX_AUTH_EVENTS_PER_FLOW: u32 = 64;

/// Client commands the probe recognises at the start of a session.
const COMMANDS: &[&[u8]] = &[b"USER ", b"AUTH ", b"FEAT", b"SYST", b"OPTS "];

/// Is `data` an FTP greeting (220, to client) or a first command (to server)?
pub fn probe(data: &[u8], dir: Direction) -> Probe {
    match dir {
        Direction::ToClient => match (data.get(..3), data.get(3)) {
            (Some(b"220"), Some(b' ' | b'-')) => Probe::Match,
            (Some(_), Some(_)) => Probe::NoMatch,
            _ if b"220".starts_with(data.get(..3).unwrap_or(data)) => Probe::NeedMore,
            _ => Probe::NoMatch,
        },
        Direction::ToServer => {
            if COMMANDS.iter().any(|c| starts_with_ci(data, c)) {
                Probe::Match
            } else if COMMANDS
                .iter()
                .any(|c| data.len() < c.len() && starts_with_ci(c, data))
            {
                Probe::NeedMore
            } else {
                Probe::NoMatch
            }
        }
    }
}

#[derive(Debug, Default)]
struct Side {
    line: StreamBuf,
    /// Skipping the rest of an over-long line.
    overflow: bool,
}

/// Per-flow FTP state.
#[derive(Debug, Default)]
pub struct Parser {
    sides: [Side; 2],
    user: Option<String>,
    auth_tls_requested: bool,
    encrypted: bool,
    events: u32,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }

    fn auth(&mut self, ctx: &mut ParseCtx<'_>, outcome: AuthOutcome, status: Option<u32>) {
        if self.events >= MAX_AUTH_EVENTS_PER_FLOW {
            return;
        }
        self.events = self.events.saturating_add(1);
        ctx.emit(EventKind::Auth(AuthEvent {
            protocol: AppProtocol::Ftp,
            outcome,
            cleartext: true,
            user: self.user.clone(),
            status,
        }));
    }

    fn on_line(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, line: &[u8]) {
        match dir {
            Direction::ToServer => {
                if starts_with_ci(line, b"USER ") {
                    let name = line.get(5..).unwrap_or(&[]).trim_ascii();
                    self.user = Some(capped(name, MAX_USER_LEN));
                    self.auth(ctx, AuthOutcome::Attempt, None);
                } else if starts_with_ci(line, b"AUTH ") {
                    self.auth_tls_requested = true;
                }
                // PASS and everything else: not read.
            }
            Direction::ToClient => {
                // Only the last line of a reply ("NNN " not "NNN-") carries the outcome.
                let code = line
                    .get(..3)
                    .filter(|_| line.get(3).is_none_or(|&c| c == b' '))
                    .and_then(|c| std::str::from_utf8(c).ok())
                    .and_then(|c| c.parse::<u32>().ok());
                match code {
                    Some(230) => self.auth(ctx, AuthOutcome::Success, Some(230)),
                    Some(530) => self.auth(ctx, AuthOutcome::Failure, Some(530)),
                    Some(234) if self.auth_tls_requested => self.encrypted = true,
                    _ => {}
                }
            }
        }
    }
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, mut data: &[u8]) {
        // Bounded: each pass consumes through a line end, or all of `data`.
        while !data.is_empty() && !self.encrypted {
            let Some(side) = self.sides.get_mut(dir.index()) else {
                return;
            };
            let Some(lf) = find_lf(data) else {
                if side.line.push(data, MAX_LINE_LEN) > 0 {
                    side.overflow = true;
                }
                return;
            };
            let (part, rest) = data
                .split_at_checked(lf.saturating_add(1))
                .unwrap_or((data, &[]));
            data = rest;
            if side.line.push(part, MAX_LINE_LEN) > 0 || side.overflow {
                side.overflow = false;
                side.line.clear();
                continue;
            }
            let line = side.line.bytes().trim_ascii_end().to_vec();
            side.line.clear();
            self.on_line(ctx, dir, &line);
        }
    }

    fn on_gap(&mut self, _ctx: &mut ParseCtx<'_>, dir: Direction, _len: u64) {
        if let Some(side) = self.sides.get_mut(dir.index()) {
            side.line.clear();
            // The next line start is unknown: skip to the next line end.
            side.overflow = true;
        }
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Auth,
    tcp: On::ports(&[21]).probe(probe, PORT_ONLY),
    parser: Some(|_| Box::new(StreamOnly(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::Ftp, "ftp")
};

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::common::testutil::stream;
    use Direction::{ToClient, ToServer};

    fn auths(ev: &[EventKind]) -> Vec<(AuthOutcome, Option<&str>, Option<u32>)> {
        ev.iter()
            .filter_map(|e| match e {
                EventKind::Auth(a) => {
                    assert!(a.cleartext);
                    Some((a.outcome, a.user.as_deref(), a.status))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn failed_then_successful_login() {
        let mut p = Parser::new();
        let ev = stream(
            &mut p,
            &[
                (ToClient, b"220 ProFTPD Server\r\n"),
                (ToServer, b"USER ftp"),
                (ToServer, b"user\r\n"),
                (ToClient, b"331 Password required\r\n"),
                (ToServer, b"PASS wrongpass\r\n"),
                (ToClient, b"530-Login incorrect.\r\n530 Try again\r\n"),
                (ToServer, b"USER ftpuser\r\nPASS rightpass\r\n"),
                (ToClient, b"230 User ftpuser logged in\r\n"),
            ],
        );
        assert_eq!(
            auths(&ev),
            [
                (AuthOutcome::Attempt, Some("ftpuser"), None),
                (AuthOutcome::Failure, Some("ftpuser"), Some(530)),
                (AuthOutcome::Attempt, Some("ftpuser"), None),
                (AuthOutcome::Success, Some("ftpuser"), Some(230)),
            ]
        );
        let dump = format!("{ev:?}");
        assert!(!dump.contains("wrongpass") && !dump.contains("rightpass"));
    }

    #[test]
    fn auth_tls_stops_parsing() {
        let mut p = Parser::new();
        let ev = stream(
            &mut p,
            &[
                (ToServer, b"AUTH TLS\r\n"),
                (ToClient, b"234 AUTH TLS successful\r\n"),
                (ToServer, b"USER x\r\n"),
            ],
        );
        assert!(auths(&ev).is_empty());
    }

    #[test]
    fn over_long_line_is_skipped() {
        let mut long = b"USER ".to_vec();
        long.resize(MAX_LINE_LEN + 10, b'a');
        long.extend_from_slice(b"\r\nUSER bob\r\n");
        let mut p = Parser::new();
        let ev = stream(&mut p, &[(ToServer, &long)]);
        assert_eq!(auths(&ev), [(AuthOutcome::Attempt, Some("bob"), None)]);
    }

    #[test]
    fn probe_cases() {
        assert_eq!(probe(b"220 ready\r\n", ToClient), Probe::Match);
        assert_eq!(probe(b"22", ToClient), Probe::NeedMore);
        assert_eq!(probe(b"SSH-2.0", ToClient), Probe::NoMatch);
        assert_eq!(probe(b"user anonymous\r\n", ToServer), Probe::Match);
        assert_eq!(probe(b"GET /", ToServer), Probe::NoMatch);
    }
}
