//! TLS ClientHello (RFC 8446 section 4.1.2): SNI, versions, ALPN. STUB (issue 4).

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientHello {
    /// server_name extension, capped at 255 bytes.
    pub sni: Option<String>,
    /// legacy_version of the hello (0x0303 for TLS 1.2 and 1.3).
    pub version: u16,
    /// ALPN protocols, at most 8.
    pub alpn: Vec<String>,
}
