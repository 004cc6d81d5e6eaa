//! DNS over UDP and TCP (RFC 1035). STUB: to be implemented (issue 4).

use serde::Serialize;
use std::net::IpAddr;

/// One answer record we keep: addresses (A/AAAA) and names (CNAME/PTR).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DnsAnswer {
    pub name: String,
    pub rtype: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub ttl: u32,
}

/// A DNS query or response. Names are capped at 255 bytes, answers at 16.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DnsMessage {
    pub trans_id: u16,
    pub response: bool,
    pub opcode: u8,
    pub rcode: u8,
    pub query: Option<String>,
    pub qtype: u16,
    pub answers: Vec<DnsAnswer>,
}
