//! TLS ClientHello (RFC 8446 section 4.1.2; RFC 5246 section 7.4.1.2): SNI, legacy
//! version, ALPN. Only the client's first flight is read; the rest of the flow is opaque.
//!
//! The hello may be split across TCP segments and, rarely, across records (large
//! post-quantum key shares do both): handshake bytes are gathered from consecutive
//! handshake records into a buffer capped at [`MAX_HELLO_LEN`].

mod hello;

pub use hello::{MAX_ALPN, MAX_SNI_LEN, TlsError, parse_client_hello};

use crate::common::{ErrorBudget, StreamBuf};
use crate::event::{AppProtocol, EventKind};
use crate::parser::{Direction, ParseCtx, Probe, StreamParser};
use crate::registry::{ANY_PORT, Category, On, ProtocolSpec, StreamOnly};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientHello {
    /// server_name extension, capped at 255 bytes.
    pub sni: Option<String>,
    /// legacy_version of the hello (0x0303 for TLS 1.2 and 1.3).
    pub version: u16,
    /// ALPN protocols, at most 8.
    pub alpn: Vec<String>,
    /// The ICS protocol this session secures, named by its TLS port (IEC 62351-3:
    /// IEC 104 on 19998, DNP3 on 19999): the session is recognised, not decrypted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secures: Option<AppProtocol>,
}

/// Record header: type(1) version(2) length(2) (RFC 8446 section 5.1).
pub const RECORD_HEADER_LEN: usize = 5;
/// Content type of handshake records.
pub const CONTENT_HANDSHAKE: u8 = 22;
/// Largest record fragment allowed for a TLSPlaintext (2^14, RFC 8446 section 5.1).
pub const MAX_RECORD_LEN: usize = 1 << 14;
/// Largest ClientHello we reassemble. Real ones are under 2 KiB (or ~1.8 KiB with an
/// ML-KEM key share); anything larger is reported and left unparsed.
pub const MAX_HELLO_LEN: usize = 16 * 1024;
/// Raw record bytes buffered while the hello is incomplete.
const MAX_RAW_BUFFER: usize = MAX_HELLO_LEN + 4 * RECORD_HEADER_LEN;

/// Handshake types (RFC 8446 section 4).
const HS_CLIENT_HELLO: u8 = 1;
const HS_SERVER_HELLO: u8 = 2;

/// Does `data` start with a TLS (or SSL 3.0) handshake record carrying a ClientHello
/// (to server) or ServerHello (to client)?
pub fn probe(data: &[u8], dir: Direction) -> Probe {
    let (Some(&ct), Some(&major), Some(&minor)) = (data.first(), data.get(1), data.get(2)) else {
        return if data.first().is_some_and(|&b| b != CONTENT_HANDSHAKE) {
            Probe::NoMatch
        } else {
            Probe::NeedMore
        };
    };
    if ct != CONTENT_HANDSHAKE || major != 3 || minor > 4 {
        return Probe::NoMatch;
    }
    let Some(len) = crate::common::be16_at(data, 3) else {
        return Probe::NeedMore;
    };
    if len == 0 || usize::from(len) > MAX_RECORD_LEN.saturating_add(2048) {
        return Probe::NoMatch;
    }
    let want = match dir {
        Direction::ToServer => HS_CLIENT_HELLO,
        Direction::ToClient => HS_SERVER_HELLO,
    };
    match data.get(RECORD_HEADER_LEN) {
        None => Probe::NeedMore,
        Some(&t) if t == want => Probe::Match,
        Some(_) => Probe::NoMatch,
    }
}

/// Where the client's first flight stands.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
enum State {
    #[default]
    Gathering,
    /// Hello emitted, or the flow is not one we read: ignore the rest.
    Done,
}

/// Per-flow state: the raw bytes of the client's first records until the ClientHello
/// is complete.
#[derive(Debug, Default)]
pub struct Parser {
    raw: StreamBuf,
    state: State,
    errors: ErrorBudget,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }

    /// Feeds client bytes; returns the hello once complete. Used by AnyDesk too.
    pub(crate) fn gather(&mut self, data: &[u8]) -> Gathered {
        if self.state == State::Done {
            return Gathered::Done;
        }
        if self.raw.is_empty() {
            // Fast path: the whole hello in one segment, nothing buffered.
            match extract_handshake(data) {
                Extract::Complete(hs) => {
                    self.state = State::Done;
                    return Gathered::Hello(parse_client_hello(&hs));
                }
                Extract::Failed(e) => {
                    self.state = State::Done;
                    return Gathered::Hello(Err(e));
                }
                Extract::Incomplete => {}
            }
        }
        if self.raw.push(data, MAX_RAW_BUFFER) > 0 {
            self.state = State::Done;
            self.raw.clear();
            return Gathered::Hello(Err(TlsError::HelloTooLong));
        }
        match extract_handshake(self.raw.bytes()) {
            Extract::Incomplete => Gathered::NeedMore,
            Extract::Complete(hs) => {
                self.state = State::Done;
                self.raw.clear();
                Gathered::Hello(parse_client_hello(&hs))
            }
            Extract::Failed(e) => {
                self.state = State::Done;
                self.raw.clear();
                Gathered::Hello(Err(e))
            }
        }
    }
}

/// Result of feeding bytes to [`Parser::gather`].
#[derive(Debug)]
pub(crate) enum Gathered {
    NeedMore,
    /// The hello is complete (parsed or not).
    Hello(Result<ClientHello, TlsError>),
    /// Nothing more to do on this flow.
    Done,
}

enum Extract {
    Incomplete,
    /// The ClientHello handshake body (after the 4-byte handshake header).
    Complete(Vec<u8>),
    Failed(TlsError),
}

/// Walks handshake records at the start of `raw`, concatenating their fragments until
/// the first handshake message is complete.
fn extract_handshake(raw: &[u8]) -> Extract {
    let mut hs: Vec<u8> = Vec::new();
    let mut pos = 0usize;
    // Bounded: each record consumes at least its 5-byte header.
    loop {
        let Some(hdr) = raw.get(pos..pos.saturating_add(RECORD_HEADER_LEN)) else {
            return Extract::Incomplete;
        };
        let (ct, major) = (hdr.first().copied(), hdr.get(1).copied());
        if ct != Some(CONTENT_HANDSHAKE) || major != Some(3) {
            return Extract::Failed(TlsError::NotHandshake);
        }
        let len = usize::from(crate::common::be16_at(hdr, 3).unwrap_or(0));
        if len == 0 || len > MAX_RECORD_LEN.saturating_add(2048) {
            return Extract::Failed(TlsError::BadRecordLength);
        }
        let start = pos.saturating_add(RECORD_HEADER_LEN);
        let end = start.saturating_add(len);
        let Some(fragment) = raw.get(start..end) else {
            return Extract::Incomplete;
        };
        hs.extend_from_slice(fragment);
        pos = end;
        if let Some(&t) = hs.first()
            && t != HS_CLIENT_HELLO
        {
            return Extract::Failed(TlsError::NotClientHello);
        }
        if let (Some(a), Some(b), Some(c)) = (hs.get(1), hs.get(2), hs.get(3)) {
            let body_len = usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c);
            if body_len > MAX_HELLO_LEN {
                return Extract::Failed(TlsError::HelloTooLong);
            }
            let total = body_len.saturating_add(4);
            if hs.len() >= total {
                hs.truncate(total);
                hs.drain(..4);
                return Extract::Complete(hs);
            }
        }
        if hs.len() > MAX_HELLO_LEN {
            return Extract::Failed(TlsError::HelloTooLong);
        }
    }
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        if dir != Direction::ToServer {
            return;
        }
        match self.gather(data) {
            Gathered::Hello(Ok(mut h)) => {
                h.secures = crate::registry::secured_by_tls(ctx.flow.server.port());
                ctx.emit(EventKind::TlsClientHello(h))
            }
            Gathered::Hello(Err(e)) => self.errors.report(ctx, AppProtocol::Tls, e.reason()),
            Gathered::NeedMore | Gathered::Done => {}
        }
    }

    fn on_gap(&mut self, _ctx: &mut ParseCtx<'_>, dir: Direction, _len: u64) {
        // A gap inside the first flight loses the hello: give up on this flow.
        if dir == Direction::ToServer && self.state == State::Gathering {
            self.state = State::Done;
            self.raw.clear();
        }
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Other,
    tcp: On::ports(&[443, 8443, 465, 636, 853, 993, 995]).probe(probe, ANY_PORT),
    parser: Some(|_| Box::new(StreamOnly(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::Tls, "tls")
};

#[cfg(test)]
mod tests;
