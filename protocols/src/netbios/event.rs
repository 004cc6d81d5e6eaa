//! The owned events of the NetBIOS analyzers.

use super::name::NetbiosName;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr};

/// One NB_ADDRESS entry of an NB record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NbAddress {
    pub addr: Ipv4Addr,
    /// G bit: a group name (workgroup, domain) rather than a unique one.
    pub group: bool,
    pub node_type: &'static str,
}

/// An answer, authority or additional record. At most 8 addresses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NbRecord {
    pub name: NetbiosName,
    pub rtype: u16,
    pub ttl: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<NbAddress>,
}

/// A name from a node status (NBSTAT) response: a name the responder holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeName {
    #[serde(flatten)]
    pub name: NetbiosName,
    pub group: bool,
}

/// `nbns`: one name service message (query, registration, release, refresh, WACK),
/// with the first question and at most 8 records and 32 node-status names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NbnsMessage {
    /// Who sent this message (the flow side it came from): the host a registration or
    /// node status response speaks for.
    pub sender: IpAddr,
    pub trans_id: u16,
    pub response: bool,
    pub opcode: u8,
    /// `query`, `registration`, `release`, `wack`, `refresh`, `multihomed_registration`.
    pub operation: &'static str,
    pub rcode: u8,
    /// B flag: sent as a broadcast.
    pub broadcast: bool,
    pub query: Option<NetbiosName>,
    pub qtype: u16,
    pub records: Vec<NbRecord>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub node_names: Vec<NodeName>,
    /// Unit ID of a node status response (the responder's MAC address).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<[u8; 6]>,
}

/// `browser`: a Windows browser message (MS-BRWS) sent as a NetBIOS datagram. The
/// announcement fields are set for host (1), domain (12) and local master (15)
/// announcements. In a domain announcement `server` is the workgroup and `comment`
/// the master browser's name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BrowserAnnouncement {
    pub command: u8,
    pub command_name: &'static str,
    /// SOURCE_IP of the datagram header (the announcing host).
    pub source_ip: Option<Ipv4Addr>,
    pub source_name: Option<NetbiosName>,
    pub destination_name: Option<NetbiosName>,
    pub mailslot: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_major: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_minor: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_type: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub server_types: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser_version_major: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser_version_minor: Option<u8>,
    /// Capped at 48 bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}
