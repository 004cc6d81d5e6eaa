//! HTTP/1.x request and response heads (RFC 9112): method, target, Host, User-Agent,
//! the user name of `Authorization: Basic` (RFC 7617; the password is decoded in a
//! scratch buffer, never kept), status and Server.
//!
//! Bodies are skipped by `Content-Length`; a chunked or close-delimited body is skipped by
//! resynchronising on the next line that starts a head (RFC 9112 section 2.2 lets a
//! recipient skip to the next message start the same way).

mod basic;
mod head;

pub use head::{MAX_FIELD_LEN, MAX_HEAD_LEN, parse_request_head, parse_response_head};

use crate::auth::{AuthEvent, AuthOutcome};
use crate::common::{ErrorBudget, StreamBuf, find_lf};
use crate::event::{AppProtocol, EventKind};
use crate::parser::{Direction, ParseCtx, Probe, StreamParser};
use crate::registry::{ANY_PORT, Category, On, ProtocolSpec, StreamOnly};
use serde::Serialize;

/// A request head. Text fields capped at 256 bytes; the Basic password is never kept.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HttpRequest {
    pub method: String,
    pub uri: String,
    pub host: Option<String>,
    pub user_agent: Option<String>,
    /// User name from an `Authorization: Basic` header.
    pub basic_auth_user: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HttpResponse {
    pub status: u16,
    pub server: Option<String>,
}

/// Request methods the probe recognises (RFC 9110 section 9, plus WebDAV ones seen on
/// embedded web servers).
pub(crate) const METHODS: &[&[u8]] = &[
    b"GET ",
    b"POST ",
    b"HEAD ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"CONNECT ",
    b"TRACE ",
    b"PATCH ",
    b"PROPFIND ",
    b"PROPPATCH ",
    b"MKCOL ",
    b"COPY ",
    b"MOVE ",
    b"LOCK ",
    b"UNLOCK ",
    b"SUBSCRIBE ",
    b"NOTIFY ",
    b"M-SEARCH ",
];
const RESPONSE_PREFIX: &[u8] = b"HTTP/1.";

/// Does `data` start an HTTP/1.x request (to server) or response (to client)?
pub fn probe(data: &[u8], dir: Direction) -> Probe {
    match dir {
        Direction::ToServer => probe_any(data, METHODS),
        Direction::ToClient => probe_any(data, &[RESPONSE_PREFIX]),
    }
}

fn probe_any(data: &[u8], prefixes: &[&[u8]]) -> Probe {
    let mut need_more = false;
    for p in prefixes {
        if data.starts_with(p) {
            return Probe::Match;
        }
        if data.len() < p.len() && p.starts_with(data) {
            need_more = true;
        }
    }
    if need_more {
        Probe::NeedMore
    } else {
        Probe::NoMatch
    }
}

/// Where one direction of the stream stands.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Gathering a head.
    #[default]
    Head,
    /// Skipping this many body bytes.
    Body(u64),
    /// Body of unknown length: skipping to the next line that starts a head.
    Resync,
}

#[derive(Debug, Default)]
struct Side {
    phase: Phase,
    buf: StreamBuf,
    /// In `Resync`: whether the next byte starts a line.
    at_line_start: bool,
}

/// Per-flow HTTP state.
#[derive(Debug, Default)]
pub struct Parser {
    sides: [Side; 2],
    /// User of the last request that carried Basic credentials, so the response can
    /// say whether they worked. Cleared by each request.
    pending_basic_user: Option<String>,
    /// Requests with method HEAD not yet answered: their responses have no body.
    pending_head_requests: u32,
    errors: ErrorBudget,
}

/// Bytes of a possible head start kept across calls while resynchronising.
const RESYNC_CARRY: usize = 16;
/// Pending HEAD requests tracked (pipelining depth).
const MAX_PENDING_HEAD: u32 = 64;

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }

    /// Handles one complete head; returns the phase for the body that follows.
    fn on_head(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, head: &[u8]) -> Phase {
        match dir {
            Direction::ToServer => match parse_request_head(head) {
                Ok((req, body)) => {
                    self.pending_basic_user = req.basic_auth_user.clone();
                    if req.method == "HEAD" {
                        self.pending_head_requests = self
                            .pending_head_requests
                            .saturating_add(1)
                            .min(MAX_PENDING_HEAD);
                    }
                    if let Some(user) = &req.basic_auth_user {
                        ctx.emit(EventKind::Auth(AuthEvent {
                            protocol: AppProtocol::Http,
                            outcome: AuthOutcome::Attempt,
                            cleartext: true,
                            user: Some(user.clone()),
                            status: None,
                        }));
                    }
                    ctx.emit(EventKind::HttpRequest(req));
                    // A request without Content-Length or chunked coding has no body
                    // (RFC 9112 section 6.3, rule 7).
                    body.map_or(Phase::Head, |b| b.phase())
                }
                Err(reason) => {
                    self.errors.report(ctx, AppProtocol::Http, reason);
                    Phase::Resync
                }
            },
            Direction::ToClient => match parse_response_head(head) {
                Ok((resp, body)) => {
                    let status = resp.status;
                    ctx.emit(EventKind::HttpResponse(resp));
                    let informational = (100..200).contains(&status);
                    if !informational {
                        self.auth_outcome(ctx, status);
                    }
                    let answered_head = !informational && self.pending_head_requests > 0;
                    if answered_head {
                        self.pending_head_requests = self.pending_head_requests.saturating_sub(1);
                    }
                    // No body: 1xx, 204, 304, answers to HEAD (RFC 9112 section 6.3, rule 1).
                    if informational || status == 204 || status == 304 || answered_head {
                        Phase::Head
                    } else {
                        body.map_or(Phase::Resync, |b| b.phase())
                    }
                }
                Err(reason) => {
                    self.errors.report(ctx, AppProtocol::Http, reason);
                    Phase::Resync
                }
            },
        }
    }

    /// 401 is a failed login (RFC 9110 section 15.5.2); a success after Basic
    /// credentials tells policy they worked.
    fn auth_outcome(&mut self, ctx: &mut ParseCtx<'_>, status: u16) {
        let user = self.pending_basic_user.take();
        let outcome = if status == 401 {
            AuthOutcome::Failure
        } else if user.is_some() && (200..400).contains(&status) {
            AuthOutcome::Success
        } else {
            return;
        };
        ctx.emit(EventKind::Auth(AuthEvent {
            protocol: AppProtocol::Http,
            outcome,
            cleartext: user.is_some(),
            user,
            status: Some(u32::from(status)),
        }));
    }
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, mut data: &[u8]) {
        let i = dir.index();
        // Bounded: every pass consumes bytes of `data` or changes phase to one that will.
        let mut passes = 0usize;
        while !data.is_empty() && !self.errors.exhausted() && passes <= data.len().saturating_add(4)
        {
            passes = passes.saturating_add(1);
            let Some(side) = self.sides.get_mut(i) else {
                return;
            };
            match side.phase {
                Phase::Body(left) => {
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
                    data = data.get(n..).unwrap_or(&[]);
                    let left = left.saturating_sub(n as u64);
                    side.phase = if left == 0 {
                        Phase::Head
                    } else {
                        Phase::Body(left)
                    };
                }
                Phase::Resync => {
                    match resync(data, side.at_line_start, dir) {
                        Resync::Found(at) => {
                            data = data.get(at..).unwrap_or(&[]);
                            side.phase = Phase::Head;
                        }
                        Resync::Carry(at) => {
                            // A possible head start cut by the segment end: keep it.
                            side.buf.clear();
                            side.buf.push(data.get(at..).unwrap_or(&[]), RESYNC_CARRY);
                            side.phase = Phase::Head;
                            return;
                        }
                        Resync::NotFound { ends_with_lf } => {
                            side.at_line_start = ends_with_lf;
                            return;
                        }
                    }
                }
                Phase::Head => {
                    // A head must start with a method or status line; anything else is a
                    // body we did not expect: resync.
                    let start: &[u8] = if side.buf.is_empty() {
                        data
                    } else {
                        side.buf.bytes()
                    };
                    if start.len() < 16 || side.buf.is_empty() {
                        let mut probe_bytes = side.buf.bytes().to_vec();
                        probe_bytes.extend_from_slice(data.get(..16).unwrap_or(data));
                        if probe(&probe_bytes, dir) == Probe::NoMatch {
                            side.buf.clear();
                            side.phase = Phase::Resync;
                            side.at_line_start = false;
                            continue;
                        }
                    }
                    let before = side.buf.len();
                    let left_out = side.buf.push(data, MAX_HEAD_LEN);
                    match find_head_end(side.buf.bytes(), before) {
                        Some(end) => {
                            let head = side.buf.bytes().get(..end).unwrap_or(&[]).to_vec();
                            let used = end.saturating_sub(before);
                            data = data.get(used..).unwrap_or(&[]);
                            side.buf.clear();
                            let phase = self.on_head(ctx, dir, &head);
                            if let Some(side) = self.sides.get_mut(i) {
                                side.phase = phase;
                                side.at_line_start = true;
                            }
                        }
                        None if left_out > 0 => {
                            side.buf.clear();
                            side.phase = Phase::Resync;
                            side.at_line_start = false;
                            data = data
                                .get(data.len().saturating_sub(left_out)..)
                                .unwrap_or(&[]);
                            self.errors.report(ctx, AppProtocol::Http, "head_too_long");
                        }
                        None => return,
                    }
                }
            }
        }
    }

    fn on_gap(&mut self, _ctx: &mut ParseCtx<'_>, dir: Direction, len: u64) {
        if let Some(side) = self.sides.get_mut(dir.index()) {
            side.buf.clear();
            side.phase = match side.phase {
                // A gap inside a body of known length just shortens it.
                Phase::Body(left) if left > len => Phase::Body(left.saturating_sub(len)),
                _ => Phase::Resync,
            };
            side.at_line_start = false;
        }
    }
}

/// End of the head (just past the blank line) in `buf`, searching from a little before
/// `from` so a terminator split across calls is found.
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from.saturating_sub(3);
    while let Some(lf) = buf.get(i..).and_then(find_lf) {
        let at = i.saturating_add(lf);
        let p1 = at.checked_sub(1).and_then(|j| buf.get(j));
        let p2 = at.checked_sub(2).and_then(|j| buf.get(j));
        if p1 == Some(&b'\n') || (p1 == Some(&b'\r') && p2 == Some(&b'\n')) {
            return Some(at.saturating_add(1));
        }
        i = at.saturating_add(1);
    }
    None
}

enum Resync {
    /// A head starts at this offset.
    Found(usize),
    /// The bytes from this offset may start a head; too few to tell.
    Carry(usize),
    NotFound {
        ends_with_lf: bool,
    },
}

fn resync(data: &[u8], at_line_start: bool, dir: Direction) -> Resync {
    let mut line_start = if at_line_start { Some(0) } else { None };
    let mut pos = 0usize;
    loop {
        if let Some(s) = line_start {
            match probe(data.get(s..).unwrap_or(&[]), dir) {
                Probe::Match => return Resync::Found(s),
                Probe::NeedMore if s < data.len() => return Resync::Carry(s),
                Probe::NeedMore => return Resync::NotFound { ends_with_lf: true },
                Probe::NoMatch => {}
            }
        }
        let Some(lf) = data.get(pos..).and_then(find_lf) else {
            return Resync::NotFound {
                ends_with_lf: false,
            };
        };
        pos = pos.saturating_add(lf).saturating_add(1);
        line_start = Some(pos);
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Other,
    tcp: On::ports(&[80, 8080, 8000]).probe(probe, ANY_PORT),
    parser: Some(|_| Box::new(StreamOnly(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::Http, "http")
};

#[cfg(test)]
mod tests;
