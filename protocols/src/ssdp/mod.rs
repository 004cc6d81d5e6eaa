//! SSDP (UPnP Device Architecture 2.0 section 1): HTTP-formatted datagrams on UDP
//! 1900. `M-SEARCH` asks, `NOTIFY` announces, a `HTTP/1.1 200 OK` unicast response
//! answers a search. `SERVER` ("OS/version UPnP/2.0 product/version") names the
//! device's OS and model; `NT`/`ST` its type, `USN` its unique id.
//!
//! Each datagram is one message: a start line and `Name: value` header lines ending
//! in CRLF (RFC 9112 section 2.1), no body.

use crate::common::{ErrorBudget, capped};
use crate::event::{AppProtocol, EventKind};
use crate::parser::{DatagramParser, Direction, ParseCtx, Probe};
use crate::registry::{Category, DatagramOnly, On, PORT_ONLY, ProtocolSpec};
use serde::Serialize;

/// The IANA SSDP port.
pub const SSDP_PORT: u16 = 1900;
/// Bytes kept of each header value.
pub const MAX_VALUE_LEN: usize = 256;
/// Header lines read per message.
pub const MAX_HEADERS: usize = 32;

/// `ssdp`: one message with the headers that identify a device (each capped at 256
/// bytes).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SsdpMessage {
    /// The host that sent it (the flow side it came from).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<std::net::IpAddr>,
    /// `M-SEARCH` or `NOTIFY`; `None` for a response.
    pub method: Option<String>,
    pub response: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub st: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// Why a datagram is not an SSDP message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SsdpError {
    /// The first line is not `M-SEARCH * HTTP/1.1`, `NOTIFY * HTTP/1.1` or a status line.
    BadStartLine,
}

impl SsdpError {
    pub fn reason(self) -> &'static str {
        match self {
            SsdpError::BadStartLine => "bad_start_line",
        }
    }
}

impl std::fmt::Display for SsdpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for SsdpError {}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i.saturating_add(1));
    b.get(start..end).unwrap_or(&[])
}

/// Decodes one SSDP datagram.
pub fn parse_message(d: &[u8]) -> Result<SsdpMessage, SsdpError> {
    let mut lines = d.split(|&c| c == b'\n').map(trim);
    let start = lines.next().unwrap_or(&[]);
    let mut m = SsdpMessage::default();
    if let Some(rest) = start.strip_prefix(b"HTTP/1.") {
        m.response = true;
        m.status = rest
            .get(2..5)
            .and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| s.parse().ok());
    } else {
        let method = start.split(|&c| c == b' ').next().unwrap_or(&[]);
        let is_method =
            method.eq_ignore_ascii_case(b"M-SEARCH") || method.eq_ignore_ascii_case(b"NOTIFY");
        if !is_method || !start.ends_with(b"HTTP/1.1") {
            return Err(SsdpError::BadStartLine);
        }
        m.method = Some(capped(method, 16).to_ascii_uppercase());
    }
    for line in lines.take(MAX_HEADERS) {
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            continue;
        };
        let (name, value) = line.split_at(colon);
        let value = capped(trim(value.get(1..).unwrap_or(&[])), MAX_VALUE_LEN);
        let slot = match trim(name).to_ascii_uppercase().as_slice() {
            b"SERVER" => &mut m.server,
            b"USER-AGENT" => &mut m.user_agent,
            b"NT" => &mut m.nt,
            b"NTS" => &mut m.nts,
            b"ST" => &mut m.st,
            b"USN" => &mut m.usn,
            b"LOCATION" => &mut m.location,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value);
        }
    }
    Ok(m)
}

/// An SSDP start line: a search, an announcement, or an HTTP status line.
pub fn probe(d: &[u8], _dir: Direction) -> Probe {
    let ok = d.starts_with(b"M-SEARCH * HTTP/1.1")
        || d.starts_with(b"NOTIFY * HTTP/1.1")
        || (d.starts_with(b"HTTP/1.1 200")
            && d.windows(4).any(|w| w.eq_ignore_ascii_case(b"USN:")));
    if ok { Probe::Match } else { Probe::NoMatch }
}

/// Per-flow state: the error budget.
#[derive(Debug, Default)]
pub struct Parser {
    errors: ErrorBudget,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }
}

impl DatagramParser for Parser {
    fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        if self.errors.exhausted() {
            return;
        }
        match parse_message(data) {
            Ok(mut m) => {
                m.sender = Some(match dir {
                    Direction::ToServer => ctx.flow.client.ip(),
                    Direction::ToClient => ctx.flow.server.ip(),
                });
                ctx.emit(EventKind::Ssdp(m));
            }
            Err(e) => self.errors.report(ctx, AppProtocol::Ssdp, e.reason()),
        }
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Naming,
    udp: On::ports(&[1900]).probe(probe, PORT_ONLY),
    parser: Some(|_| Box::new(DatagramOnly(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::Ssdp, "ssdp")
};

#[cfg(test)]
mod tests;
