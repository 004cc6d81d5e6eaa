//! DHCPv4 (RFC 2131/2132): host names and fingerprints for the inventory. STUB (issue 5).

use mizuban_capture::MacAddr;
use serde::Serialize;
use std::net::Ipv4Addr;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DhcpMessage {
    /// Option 53 (1 DISCOVER ... 8 INFORM); 0 if absent (BOOTP).
    pub message_type: u8,
    pub client_mac: MacAddr,
    /// Option 12, capped at 64 bytes.
    pub hostname: Option<String>,
    /// Option 60, capped at 64 bytes.
    pub vendor_class: Option<String>,
    /// Option 55, the parameter request list: the classic OS fingerprint.
    pub param_request_list: Vec<u8>,
    pub requested_ip: Option<Ipv4Addr>,
    pub your_ip: Option<Ipv4Addr>,
}
