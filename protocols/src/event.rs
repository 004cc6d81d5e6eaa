//! The events that leave this crate: owned, small, serde. One envelope, one kind enum.
//!
//! JSON shape (written by `mizuban-exporter`): the envelope's fields, then the kind's
//! fields flattened, with `type` naming the kind in snake_case.

use mizuban_capture::{MacAddr, Timestamp, VlanTags};
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};

/// Total order of events in a run, identical whatever the worker count: by packet (or
/// tick) sequence number, then flow, then emission order within that flow and packet.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventOrder {
    pub seq: u64,
    pub sub: u32,
}

/// IP transport protocol of a flow, named where we know it.
pub fn transport_name(proto: u8) -> &'static str {
    match proto {
        1 => "icmp",
        6 => "tcp",
        17 => "udp",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "icmpv6",
        115 => "l2tp",
        132 => "sctp",
        _ => "other",
    }
}

/// The two ends of a flow, oriented: `client` opened it (sent the SYN, the first
/// datagram, or — picked up mid-stream — is the side on the non-service port).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowTuple {
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// IP protocol number.
    pub proto: u8,
    pub vlan: VlanTags,
}

impl FlowTuple {
    pub fn client_ip(&self) -> IpAddr {
        self.client.ip()
    }
    pub fn server_ip(&self) -> IpAddr {
        self.server.ip()
    }
    pub fn transport(&self) -> &'static str {
        transport_name(self.proto)
    }
    /// The flow's Community ID v1 with seed 0 (`None` for ICMP and ARP: see
    /// [`mizuban_capture::community_id`]).
    pub fn community_id(&self) -> Option<String> {
        mizuban_capture::community_id::v1_string(self.client, self.server, self.proto, 0)
    }
}

impl Serialize for FlowTuple {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("client", &self.client)?;
        m.serialize_entry("server", &self.server)?;
        m.serialize_entry("transport", self.transport())?;
        if !self.vlan.is_empty() {
            m.serialize_entry("vlan", &self.vlan)?;
        }
        if let Some(id) = self.community_id() {
            m.serialize_entry("community_id", &id)?;
        }
        m.end()
    }
}

/// Application protocols we identify. A closed set: it labels metrics. Each variant's
/// name, category, ports and parser are in its spec (see [`crate::registry`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppProtocol {
    Unknown,
    Modbus,
    Dnp3,
    Enip,
    S7comm,
    Iec104,
    Bacnet,
    OpcUa,
    Dns,
    Tls,
    Http,
    Ssh,
    Rdp,
    Vnc,
    Telnet,
    Ftp,
    Smb,
    Dhcp,
    Ntp,
    IkeIpsec,
    Esp,
    Ah,
    L2tp,
    Pptp,
    Gre,
    OpenVpn,
    WireGuard,
    TeamViewer,
    AnyDesk,
    Nbns,
    NetbiosDgm,
    Mdns,
    Llmnr,
    Ssdp,
}

/// How a flow's protocol was recognised: by the payload probe or only by port.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectedBy {
    Probe,
    Port,
}

/// Per-direction flow counters.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DirectionStats {
    pub packets: u64,
    pub bytes: u64,
    /// Transport payload bytes.
    pub payload_bytes: u64,
}

/// TCP connection state as far as the monitor saw it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TcpState {
    /// Not TCP.
    #[default]
    None,
    /// SYN seen, no SYN-ACK: an attempt that got no answer.
    SynSent,
    /// The server answered the SYN.
    SynReceived,
    Established,
    /// Picked up mid-stream: no handshake seen.
    Midstream,
    /// Refused or reset.
    Reset,
    Closed,
}

/// Why a flow record was emitted.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowEndReason {
    /// FIN/RST seen on both sides, or RST.
    Closed,
    /// Idle past the timeout (packet time).
    Idle,
    /// Evicted from a full table.
    Evicted,
    /// End of the capture, or shutdown.
    EndOfCapture,
}

/// First packet of a flow.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowStart {
    pub client_mac: Option<MacAddr>,
    pub server_mac: Option<MacAddr>,
    /// TCP: whether the first packet was a bare SYN (a proper start, not a pickup).
    pub syn: bool,
    /// The tunnel the flow's first packet came through (ERSPAN, GRE, VXLAN, PPPoE):
    /// outer addresses and session id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encap: Option<mizuban_capture::encap::Tunnel>,
}

/// A flow's record when it ends.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowEnd {
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub reason: FlowEndReason,
    pub tcp_state: TcpState,
    pub app: AppProtocol,
    pub to_server: DirectionStats,
    pub to_client: DirectionStats,
    /// Bytes acknowledged by the peer that the monitor never saw (capture loss).
    pub missed_bytes: u64,
    pub client_mac: Option<MacAddr>,
    pub server_mac: Option<MacAddr>,
}

/// The first time a flow's application protocol is identified.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProtocolDetected {
    pub protocol: AppProtocol,
    pub by: DetectedBy,
    pub server_port: u16,
}

/// A unit a parser could not decode. `reason` is a closed, snake_case name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParseError {
    pub protocol: AppProtocol,
    pub reason: &'static str,
}

/// ARP traffic: who claims which address (feeds the inventory).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Arp {
    pub operation: u16,
    pub sender_mac: MacAddr,
    pub sender_ip: std::net::Ipv4Addr,
    pub target_ip: std::net::Ipv4Addr,
}

/// What happened. Each protocol owns its payload type in its module.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    FlowStart(FlowStart),
    FlowEnd(FlowEnd),
    ProtocolDetected(ProtocolDetected),
    /// Traffic on a port of `protocol` that failed its validation (e.g. non-Modbus
    /// bytes on TCP 502): reported instead of being misparsed.
    NotProtocol(ProtocolDetected),
    ParseError(ParseError),
    Arp(Arp),
    Modbus(crate::modbus::Transaction),
    /// One DNP3 application fragment (issue 11).
    Dnp3(crate::dnp3::Fragment),
    /// One IEC 60870-5-104 APDU (issue 11).
    Iec104(crate::iec104::Apdu),
    Dns(crate::dns::DnsMessage),
    TlsClientHello(crate::tls::ClientHello),
    HttpRequest(crate::http::HttpRequest),
    HttpResponse(crate::http::HttpResponse),
    Dhcp(crate::dhcp::DhcpMessage),
    Vpn(crate::vpn::VpnEvent),
    RemoteAccess(crate::remote::RemoteAccess),
    Auth(crate::auth::AuthEvent),
    /// A state-changing ICS request with its outcome (see [`crate::facts`]).
    ControlAction(crate::facts::ControlAction),
    /// NetBIOS name service (issue 19).
    Nbns(crate::netbios::NbnsMessage),
    /// Windows browser announcement in a NetBIOS datagram.
    Browser(crate::netbios::BrowserAnnouncement),
    /// Multicast DNS (RFC 6762): DNS messages on 5353, kept apart from `dns`.
    Mdns(crate::dns::DnsMessage),
    /// LLMNR (RFC 4795): DNS-format messages on 5355, kept apart from `dns`.
    Llmnr(crate::dns::DnsMessage),
    /// SMB negotiate / session setup details: dialects, signing, OS strings, NTLMSSP.
    Smb(crate::auth::smb::SmbInfo),
    /// SSDP search, announcement or response (UPnP discovery).
    Ssdp(crate::ssdp::SsdpMessage),
    /// RDP client core data (computer name, build), seen with standard RDP security.
    RdpClient(crate::remote::rdp_mcs::RdpClientInfo),
}

impl EventKind {
    /// The `type` string of the JSON line; also the metrics label for events.
    pub fn type_name(&self) -> &'static str {
        match self {
            EventKind::FlowStart(_) => "flow_start",
            EventKind::FlowEnd(_) => "flow_end",
            EventKind::ProtocolDetected(_) => "protocol_detected",
            EventKind::NotProtocol(_) => "not_protocol",
            EventKind::ParseError(_) => "parse_error",
            EventKind::Arp(_) => "arp",
            EventKind::Modbus(_) => "modbus",
            EventKind::Dnp3(_) => "dnp3",
            EventKind::Iec104(_) => "iec104",
            EventKind::Dns(_) => "dns",
            EventKind::TlsClientHello(_) => "tls_client_hello",
            EventKind::HttpRequest(_) => "http_request",
            EventKind::HttpResponse(_) => "http_response",
            EventKind::Dhcp(_) => "dhcp",
            EventKind::Vpn(_) => "vpn",
            EventKind::RemoteAccess(_) => "remote_access",
            EventKind::Auth(_) => "auth",
            EventKind::ControlAction(_) => "control_action",
            EventKind::Nbns(_) => "nbns",
            EventKind::Browser(_) => "browser",
            EventKind::Mdns(_) => "mdns",
            EventKind::Llmnr(_) => "llmnr",
            EventKind::Smb(_) => "smb",
            EventKind::Ssdp(_) => "ssdp",
            EventKind::RdpClient(_) => "rdp_client",
        }
    }

    /// The protocol a protocol event belongs to, for the events-by-protocol metric (flow
    /// bookkeeping events, and kinds not yet counted there, have none).
    pub fn protocol(&self) -> Option<AppProtocol> {
        Some(match self {
            EventKind::Modbus(_) => AppProtocol::Modbus,
            EventKind::Dns(_) => AppProtocol::Dns,
            EventKind::TlsClientHello(_) => AppProtocol::Tls,
            EventKind::HttpRequest(_) | EventKind::HttpResponse(_) => AppProtocol::Http,
            EventKind::Dhcp(_) => AppProtocol::Dhcp,
            EventKind::Vpn(v) => v.protocol,
            EventKind::RemoteAccess(r) => r.protocol,
            EventKind::Auth(a) => a.protocol,
            EventKind::ParseError(p) => p.protocol,
            _ => return None,
        })
    }
}

/// One event with its envelope.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub order: EventOrder,
    /// Packet time of the packet (or tick) that produced it.
    pub ts: Timestamp,
    /// Capture file index in the run; the writer turns it into the file name.
    pub file: u16,
    /// 1-based frame number of the packet that produced it (0 for tick-driven events).
    pub frame: u64,
    pub flow: FlowTuple,
    pub kind: EventKind,
}

impl Event {
    /// The key the detector merges worker outputs on (see [`EventOrder`]).
    pub fn sort_key(&self) -> (u64, FlowTuple, u32) {
        (self.order.seq, self.flow, self.order.sub)
    }
}
