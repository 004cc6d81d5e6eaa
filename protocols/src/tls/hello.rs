//! ClientHello body decoding (RFC 8446 section 4.1.2).
//!
//! | field | size |
//! | --- | --- |
//! | legacy_version | 2 |
//! | random | 32 |
//! | legacy_session_id | 1 + 0..32 |
//! | cipher_suites | 2 + n |
//! | legacy_compression_methods | 1 + n |
//! | extensions | 2 + n: type(2) length(2) data |
//!
//! server_name (RFC 6066 section 3): list length(2), name_type(1) = 0 host_name,
//! length(2), name. ALPN (RFC 7301 section 3.1): list length(2), then length(1) + name.

use super::ClientHello;
use crate::common::{Reader, capped};

/// Longest SNI kept (RFC 6066 allows 2^16-1; DNS names are at most 255).
pub const MAX_SNI_LEN: usize = 255;
/// ALPN protocol names kept.
pub const MAX_ALPN: usize = 8;
/// Longest ALPN name kept (RFC 7301: 1..=255 bytes).
const MAX_ALPN_NAME_LEN: usize = 64;
/// Extensions walked per hello; real hellos carry under 30.
const MAX_EXTENSIONS: usize = 128;

const EXT_SERVER_NAME: u16 = 0;
const EXT_ALPN: u16 = 16;

/// Why a ClientHello could not be read.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsError {
    /// The first record is not a TLS handshake record.
    NotHandshake,
    /// A record length of zero or above 2^14 + 2048.
    BadRecordLength,
    /// The first handshake message is not a ClientHello.
    NotClientHello,
    /// The hello declares more than `MAX_HELLO_LEN` bytes.
    HelloTooLong,
    /// A field runs past the end of the hello.
    Truncated,
}

impl TlsError {
    pub fn reason(self) -> &'static str {
        match self {
            TlsError::NotHandshake => "not_handshake",
            TlsError::BadRecordLength => "bad_record_length",
            TlsError::NotClientHello => "not_client_hello",
            TlsError::HelloTooLong => "hello_too_long",
            TlsError::Truncated => "truncated",
        }
    }
}

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for TlsError {}

/// Decodes a ClientHello body (the bytes after the 4-byte handshake header). A hello
/// without extensions (SSL 3.0 style) is valid and has no SNI.
pub fn parse_client_hello(body: &[u8]) -> Result<ClientHello, TlsError> {
    let mut r = Reader::new(body);
    let version = r.be16().ok_or(TlsError::Truncated)?;
    r.take(32).ok_or(TlsError::Truncated)?;
    let sid_len = r.u8().ok_or(TlsError::Truncated)?;
    r.take(usize::from(sid_len)).ok_or(TlsError::Truncated)?;
    let cs_len = r.be16().ok_or(TlsError::Truncated)?;
    r.take(usize::from(cs_len)).ok_or(TlsError::Truncated)?;
    let comp_len = r.u8().ok_or(TlsError::Truncated)?;
    r.take(usize::from(comp_len)).ok_or(TlsError::Truncated)?;
    let mut hello = ClientHello {
        sni: None,
        version,
        alpn: Vec::new(),
        secures: None,
    };
    let Some(ext_len) = r.be16() else {
        return Ok(hello);
    };
    let exts = r.take(usize::from(ext_len)).ok_or(TlsError::Truncated)?;
    let mut e = Reader::new(exts);
    for _ in 0..MAX_EXTENSIONS {
        let (Some(typ), Some(len)) = (e.be16(), e.be16()) else {
            break;
        };
        let data = e.take(usize::from(len)).ok_or(TlsError::Truncated)?;
        match typ {
            EXT_SERVER_NAME => hello.sni = server_name(data),
            EXT_ALPN => hello.alpn = alpn(data),
            _ => {}
        }
    }
    Ok(hello)
}

fn server_name(data: &[u8]) -> Option<String> {
    let mut r = Reader::new(data);
    let list = r.be16().and_then(|n| r.take(usize::from(n)))?;
    let mut l = Reader::new(list);
    // Only host_name (0) is defined; take the first.
    while let Some(kind) = l.u8() {
        let name = l.be16().and_then(|n| l.take(usize::from(n)))?;
        if kind == 0 {
            return Some(capped(name, MAX_SNI_LEN));
        }
    }
    None
}

fn alpn(data: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut r = Reader::new(data);
    let Some(list) = r.be16().and_then(|n| r.take(usize::from(n))) else {
        return out;
    };
    let mut l = Reader::new(list);
    while out.len() < MAX_ALPN {
        let Some(name) = l.u8().and_then(|n| l.take(usize::from(n))) else {
            break;
        };
        out.push(capped(name, MAX_ALPN_NAME_LEN));
    }
    out
}
