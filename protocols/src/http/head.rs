//! Request and response head decoding (RFC 9112 sections 3, 4, 5).
//!
//! request-line = method SP request-target SP HTTP-version CRLF
//! status-line  = HTTP-version SP status-code SP [ reason-phrase ] CRLF
//! field-line   = field-name ":" OWS field-value OWS CRLF

use super::basic::basic_user;
use super::{HttpRequest, HttpResponse};
use crate::common::{capped, starts_with_ci};

/// Longest head buffered (request line + fields). Servers commonly refuse beyond 8 KiB.
pub const MAX_HEAD_LEN: usize = 8 * 1024;
/// Text fields (method, target, Host, User-Agent, Server) are capped at this many bytes.
pub const MAX_FIELD_LEN: usize = 256;
/// User names are capped at this many bytes.
pub const MAX_USER_LEN: usize = 64;
/// Field lines read per head.
const MAX_FIELDS: usize = 128;

/// How the body after a head is delimited (RFC 9112 section 6.3).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Length(u64),
    /// Chunked or otherwise unknown: skipped by resynchronising.
    Unknown,
}

impl Body {
    pub(crate) fn phase(self) -> super::Phase {
        match self {
            Body::Length(0) => super::Phase::Head,
            Body::Length(n) => super::Phase::Body(n),
            Body::Unknown => super::Phase::Resync,
        }
    }
}

struct Fields<'a> {
    host: Option<&'a [u8]>,
    user_agent: Option<&'a [u8]>,
    server: Option<&'a [u8]>,
    authorization: Option<&'a [u8]>,
    body: Option<Body>,
}

fn lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    head.split(|&c| c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

fn read_fields<'a>(lines: impl Iterator<Item = &'a [u8]>) -> Fields<'a> {
    let mut f = Fields {
        host: None,
        user_agent: None,
        server: None,
        authorization: None,
        body: None,
    };
    for line in lines.take(MAX_FIELDS) {
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            continue;
        };
        let (Some(name), Some(value)) = (line.get(..colon), line.get(colon.saturating_add(1)..))
        else {
            continue;
        };
        let value = value.trim_ascii();
        if name.eq_ignore_ascii_case(b"host") {
            f.host.get_or_insert(value);
        } else if name.eq_ignore_ascii_case(b"user-agent") {
            f.user_agent.get_or_insert(value);
        } else if name.eq_ignore_ascii_case(b"server") {
            f.server.get_or_insert(value);
        } else if name.eq_ignore_ascii_case(b"authorization") {
            f.authorization.get_or_insert(value);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            // Transfer-Encoding overrides Content-Length (RFC 9112 section 6.3 rule 3).
            f.body = Some(Body::Unknown);
        } else if name.eq_ignore_ascii_case(b"content-length") && f.body.is_none() {
            f.body = Some(
                std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok())
                    .map_or(Body::Unknown, Body::Length),
            );
        }
    }
    f
}

/// Decodes a request head. Returns the request and how its body is delimited (`None`:
/// no body). The error is a closed reason name.
pub fn parse_request_head(head: &[u8]) -> Result<(HttpRequest, Option<Body>), &'static str> {
    let mut it = lines(head);
    let first = it.next().unwrap_or(&[]);
    let mut parts = first.split(|&c| c == b' ').filter(|p| !p.is_empty());
    let (Some(method), Some(uri)) = (parts.next(), parts.next()) else {
        return Err("bad_request_line");
    };
    // No version: an HTTP/0.9 simple request ("GET /"), still seen from old clients
    // and embedded devices (RFC 1945 section 4.1).
    let version = parts.next().unwrap_or(b"HTTP/0.9");
    if !version.starts_with(b"HTTP/") || !method.iter().all(|c| c.is_ascii_graphic()) {
        return Err("bad_request_line");
    }
    let f = read_fields(it);
    let basic_auth_user = f
        .authorization
        .filter(|v| starts_with_ci(v, b"basic "))
        .and_then(|v| v.get(6..))
        .and_then(|cred| basic_user(cred, MAX_USER_LEN));
    Ok((
        HttpRequest {
            method: capped(method, MAX_FIELD_LEN),
            uri: capped(uri, MAX_FIELD_LEN),
            host: f.host.map(|v| capped(v, MAX_FIELD_LEN)),
            user_agent: f.user_agent.map(|v| capped(v, MAX_FIELD_LEN)),
            basic_auth_user,
        },
        f.body,
    ))
}

/// Decodes a response head. Returns the response and how its body is delimited (`None`:
/// until the connection closes).
pub fn parse_response_head(head: &[u8]) -> Result<(HttpResponse, Option<Body>), &'static str> {
    let mut it = lines(head);
    let first = it.next().unwrap_or(&[]);
    if !first.starts_with(b"HTTP/") {
        return Err("bad_status_line");
    }
    let status = first
        .get(
            first
                .iter()
                .position(|&c| c == b' ')
                .ok_or("bad_status_line")?
                .saturating_add(1)..,
        )
        .and_then(|s| s.get(..3))
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..=999).contains(s))
        .ok_or("bad_status_line")?;
    let f = read_fields(it);
    Ok((
        HttpResponse {
            status,
            server: f.server.map(|v| capped(v, MAX_FIELD_LEN)),
        },
        f.body,
    ))
}
