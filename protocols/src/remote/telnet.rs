//! Telnet (RFC 854, option negotiation RFC 855) and the cleartext login it carries.
//!
//! The parser strips IAC sequences, watches the server's text for a login prompt, and
//! takes the next line the client types as the user name. After a "Password:" prompt the
//! client's bytes are discarded unread until the line ends: the password is never kept.
//! The server's next words decide the outcome ("incorrect", "failed", "denied" ...).

use super::RemoteAccess;
use crate::auth::{AuthEvent, AuthOutcome};
use crate::common::capped;
use crate::event::{AppProtocol, EventKind};
use crate::parser::{Direction, ParseCtx, Probe, StreamParser};
use crate::registry::{Category, On, PORT_ONLY, ProtocolSpec, StreamOnly};

/// User names kept, in bytes.
pub const MAX_USER_LEN: usize = 64;
/// Server text remembered to match prompts split across segments.
const WINDOW_LEN: usize = 64;
/// Login attempts reported per flow.
const MAX_LOGINS_PER_FLOW: u32 = 32;

const IAC: u8 = 255;
const SB: u8 = 250;
const SE: u8 = 240;
const WILL: u8 = 251;
const DONT: u8 = 254;

/// Is `data` a Telnet option negotiation (IAC WILL/WONT/DO/DONT option)?
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    match (data.first(), data.get(1), data.get(2)) {
        (None, _, _) => Probe::NeedMore,
        (Some(&IAC), None, _) => Probe::NeedMore,
        (Some(&IAC), Some(&c), None) if (WILL..=DONT).contains(&c) || c == SB => Probe::NeedMore,
        (Some(&IAC), Some(&c), Some(_)) if (WILL..=DONT).contains(&c) || c == SB => Probe::Match,
        _ => Probe::NoMatch,
    }
}

/// Where the IAC decoder stands in one direction (sequences straddle segments).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
enum Decode {
    #[default]
    Data,
    /// Saw IAC.
    Command,
    /// Saw IAC WILL/WONT/DO/DONT: the option byte is next.
    Option,
    /// Inside IAC SB ... IAC SE.
    Sub,
    /// Saw IAC inside a subnegotiation.
    SubAfterIac,
}

/// Where the login dialogue stands.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
enum Login {
    #[default]
    Idle,
    /// A login prompt was shown: the client's next line is the user name.
    AwaitUser,
    /// A password prompt was shown: the client's next line is discarded.
    AwaitPassword,
    /// The password line ended: the server's answer decides.
    AwaitResult,
}

/// Per-flow Telnet state.
#[derive(Debug, Default)]
pub struct Parser {
    iac: [Decode; 2],
    login: Login,
    /// Lower-cased tail of the server's text.
    window: Vec<u8>,
    user_line: Vec<u8>,
    user: Option<String>,
    logins: u32,
    emitted: bool,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }

    fn auth(&mut self, ctx: &mut ParseCtx<'_>, outcome: AuthOutcome) {
        if self.logins >= MAX_LOGINS_PER_FLOW {
            return;
        }
        self.logins = self.logins.saturating_add(1);
        ctx.emit(EventKind::Auth(AuthEvent {
            protocol: AppProtocol::Telnet,
            outcome,
            cleartext: true,
            user: self.user.clone(),
            status: None,
        }));
    }

    fn window_has(&self, words: &[&[u8]]) -> bool {
        words
            .iter()
            .any(|w| self.window.windows(w.len()).any(|x| x == *w))
    }

    fn on_server_text(&mut self, ctx: &mut ParseCtx<'_>, c: u8) {
        self.window.push(c.to_ascii_lowercase());
        if self.window.len() > WINDOW_LEN {
            self.window.remove(0);
        }
        if self.login == Login::AwaitResult {
            if self.window_has(&[b"incorrect", b"failed", b"denied", b"invalid"]) {
                self.auth(ctx, AuthOutcome::Failure);
                self.login = Login::Idle;
                self.window.clear();
                return;
            }
            if self.window_has(&[b"last login", b"welcome"])
                || self.window.ends_with(b"$ ")
                || self.window.ends_with(b"# ")
            {
                self.auth(ctx, AuthOutcome::Success);
                self.login = Login::Idle;
                self.window.clear();
                return;
            }
        }
        if self.window.ends_with(b"password:") || self.window.ends_with(b"password: ") {
            self.login = Login::AwaitPassword;
            self.window.clear();
        } else if self.window.ends_with(b"login:")
            || self.window.ends_with(b"login: ")
            || self.window.ends_with(b"username:")
            || self.window.ends_with(b"username: ")
        {
            self.login = Login::AwaitUser;
            self.user_line.clear();
            self.window.clear();
        }
    }

    fn on_client_text(&mut self, ctx: &mut ParseCtx<'_>, c: u8) {
        let eol = c == b'\r' || c == b'\n' || c == 0;
        match self.login {
            Login::AwaitUser if eol && !self.user_line.is_empty() => {
                self.user = Some(capped(&self.user_line, MAX_USER_LEN));
                self.user_line.clear();
                self.auth(ctx, AuthOutcome::Attempt);
                self.login = Login::Idle;
            }
            // An empty line (or the NUL after CR) before any name: keep waiting.
            Login::AwaitUser if eol => {}
            Login::AwaitUser => {
                // Backspace / DEL edit the line as the user sees it.
                if c == 8 || c == 127 {
                    self.user_line.pop();
                } else if self.user_line.len() < MAX_USER_LEN {
                    self.user_line.push(c);
                }
            }
            // The password: look only for the end of the line, keep nothing.
            Login::AwaitPassword if eol => {
                self.login = Login::AwaitResult;
                self.window.clear();
            }
            _ => {}
        }
    }
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        if !self.emitted {
            self.emitted = true;
            ctx.emit(EventKind::RemoteAccess(RemoteAccess {
                protocol: AppProtocol::Telnet,
                client_software: None,
                server_software: None,
                user: None,
            }));
        }
        let i = dir.index();
        for &c in data {
            let Some(state) = self.iac.get_mut(i) else {
                return;
            };
            let (next, text) = match (*state, c) {
                (Decode::Data, IAC) => (Decode::Command, None),
                (Decode::Data, c) => (Decode::Data, Some(c)),
                (Decode::Command, IAC) => (Decode::Data, Some(IAC)),
                (Decode::Command, SB) => (Decode::Sub, None),
                (Decode::Command, c) if (WILL..=DONT).contains(&c) => (Decode::Option, None),
                (Decode::Command, _) => (Decode::Data, None),
                (Decode::Option, _) => (Decode::Data, None),
                (Decode::Sub, IAC) => (Decode::SubAfterIac, None),
                (Decode::Sub, _) => (Decode::Sub, None),
                (Decode::SubAfterIac, SE) => (Decode::Data, None),
                (Decode::SubAfterIac, _) => (Decode::Sub, None),
            };
            *state = next;
            if let Some(t) = text {
                match dir {
                    Direction::ToClient => self.on_server_text(ctx, t),
                    Direction::ToServer => self.on_client_text(ctx, t),
                }
            }
        }
    }

    fn on_gap(&mut self, _ctx: &mut ParseCtx<'_>, dir: Direction, _len: u64) {
        if let Some(s) = self.iac.get_mut(dir.index()) {
            *s = Decode::Data;
        }
        self.window.clear();
        self.user_line.clear();
        if self.login == Login::AwaitUser {
            self.login = Login::Idle;
        }
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Remote,
    tcp: On::ports(&[23]).probe(probe, PORT_ONLY),
    parser: Some(|_| Box::new(StreamOnly(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::Telnet, "telnet")
};

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::common::testutil::stream;
    use Direction::{ToClient, ToServer};

    fn auths(ev: &[EventKind]) -> Vec<(AuthOutcome, Option<&str>)> {
        ev.iter()
            .filter_map(|e| match e {
                EventKind::Auth(a) => Some((a.outcome, a.user.as_deref())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn login_with_echoed_characters_and_failed_password() {
        let mut p = Parser::new();
        let ev = stream(
            &mut p,
            &[
                (ToClient, &[IAC, 253, 24, IAC, 253, 32]), // DO TERMINAL-TYPE, DO TSPEED
                (ToServer, &[IAC, 252, 24, IAC, 252, 32]), // WONT ...
                (ToClient, b"\r\nPLC-GW login: "),
                (ToServer, b"a"),
                (ToClient, b"a"),
                (ToServer, b"dm"),
                (ToClient, b"dm"),
                (ToServer, b"in\r\x00"),
                (ToClient, b"\r\nPassword: "),
                (ToServer, b"hunter2\r\n"),
                (ToClient, b"\r\nLogin incorrect\r\n"),
            ],
        );
        assert_eq!(ev[0].type_name(), "remote_access");
        assert_eq!(
            auths(&ev),
            [
                (AuthOutcome::Attempt, Some("admin")),
                (AuthOutcome::Failure, Some("admin"))
            ]
        );
        assert!(!format!("{ev:?}").contains("hunter2"));
    }

    #[test]
    fn successful_login() {
        let mut p = Parser::new();
        let ev = stream(
            &mut p,
            &[
                (ToClient, b"Username: "),
                (ToServer, b"oper\r\n"),
                (ToClient, b"Password:"),
                (ToServer, b"secret\r\n"),
                (ToClient, b"\r\nLast login: Mon\r\n$ "),
            ],
        );
        assert_eq!(
            auths(&ev),
            [
                (AuthOutcome::Attempt, Some("oper")),
                (AuthOutcome::Success, Some("oper"))
            ]
        );
        assert!(!format!("{ev:?}").contains("secret"));
    }

    #[test]
    fn subnegotiation_bytes_are_not_text() {
        let mut p = Parser::new();
        // IAC SB TERMINAL-TYPE IS "login:" IAC SE: must not look like a prompt.
        let mut sb = vec![IAC, SB, 24, 0];
        sb.extend_from_slice(b"login:");
        sb.extend_from_slice(&[IAC, SE]);
        let ev = stream(&mut p, &[(ToClient, &sb), (ToServer, b"x\r\n")]);
        assert!(auths(&ev).is_empty());
    }

    #[test]
    fn probe_cases() {
        assert_eq!(probe(&[IAC, 253, 24], ToClient), Probe::Match);
        assert_eq!(probe(&[IAC], ToClient), Probe::NeedMore);
        assert_eq!(probe(b"login:", ToClient), Probe::NoMatch);
    }
}
