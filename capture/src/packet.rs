//! The decoded view of one packet: fixed size, `Copy`, no heap. The source thread fills
//! it once; workers route and parse on it without touching the link layer again.

use crate::time::Timestamp;
use serde::{Serialize, Serializer};
use std::fmt;
use std::net::IpAddr;

/// An Ethernet MAC address.
#[derive(Copy, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    pub fn is_broadcast(self) -> bool {
        self.0 == [0xff; 6]
    }
    pub fn is_multicast(self) -> bool {
        self.0[0] & 1 == 1
    }
    /// The 24-bit OUI, for vendor lookup.
    pub fn oui(self) -> u32 {
        let [a, b, c, ..] = self.0;
        u32::from_be_bytes([0, a, b, c])
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl fmt::Debug for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for MacAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Up to two 802.1Q VLAN ids, outermost first (QinQ). Deeper stacks keep the outer two
/// and count the packet as decoded.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VlanTags {
    pub outer: Option<u16>,
    pub inner: Option<u16>,
}

impl VlanTags {
    pub fn is_empty(&self) -> bool {
        self.outer.is_none()
    }
    /// The VLAN that zones are matched on: the innermost tag present.
    pub fn innermost(&self) -> Option<u16> {
        self.inner.or(self.outer)
    }
}

impl Serialize for VlanTags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let n = [self.outer, self.inner].iter().flatten().count();
        let mut seq = s.serialize_seq(Some(n))?;
        if let Some(v) = self.outer {
            seq.serialize_element(&v)?;
        }
        if let Some(v) = self.inner {
            seq.serialize_element(&v)?;
        }
        seq.end()
    }
}

/// TCP flag bits as on the wire (FIN=0x01 ... CWR=0x80).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub fn fin(self) -> bool {
        self.0 & Self::FIN != 0
    }
    pub fn syn(self) -> bool {
        self.0 & Self::SYN != 0
    }
    pub fn rst(self) -> bool {
        self.0 & Self::RST != 0
    }
    pub fn ack(self) -> bool {
        self.0 & Self::ACK != 0
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TcpInfo {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
}

/// The transport layer as far as it could be decoded.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Transport {
    /// No transport header: non-IP, a non-first fragment, or truncated before it.
    #[default]
    None,
    Tcp(TcpInfo),
    Udp {
        src_port: u16,
        dst_port: u16,
    },
    Icmp {
        icmp_type: u8,
        code: u8,
    },
    Icmpv6 {
        icmp_type: u8,
        code: u8,
    },
    /// Another IP protocol (ESP, AH, GRE, ...); its number is in [`IpInfo::proto`].
    Other,
}

impl Transport {
    /// (source port, destination port); zeros for port-less protocols.
    pub fn ports(&self) -> (u16, u16) {
        match *self {
            Transport::Tcp(t) => (t.src_port, t.dst_port),
            Transport::Udp { src_port, dst_port } => (src_port, dst_port),
            _ => (0, 0),
        }
    }
}

/// IPv4 fragment identity, present when the packet is a fragment (MF set or offset > 0).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FragmentInfo {
    pub id: u32,
    /// Offset of this fragment's payload in bytes.
    pub offset: u32,
    pub more_fragments: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct IpInfo {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IP protocol number (IPv6: the upper-layer protocol after extension headers).
    pub proto: u8,
    pub ttl: u8,
    /// Byte offset of the IP header within the frame.
    pub header_offset: u32,
    /// Byte offset of the IP payload (after options / extension headers).
    pub payload_offset: u32,
    /// IP payload length claimed by the header (may exceed what was captured).
    pub payload_len: u32,
    pub fragment: Option<FragmentInfo>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ArpInfo {
    /// 1 = request, 2 = reply.
    pub operation: u16,
    pub sender_mac: MacAddr,
    pub sender_ip: std::net::Ipv4Addr,
    pub target_mac: MacAddr,
    pub target_ip: std::net::Ipv4Addr,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Net {
    #[default]
    None,
    Arp(ArpInfo),
    Ip(IpInfo),
}

/// Which layer decoding stopped at, when it stopped early.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    Link,
    Vlan,
    Ip,
    IpExtension,
    Transport,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Link => "link",
            Layer::Vlan => "vlan",
            Layer::Ip => "ip",
            Layer::IpExtension => "ip_extension",
            Layer::Transport => "transport",
        }
    }
}

/// Why decoding stopped before the payload.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DecodeStop {
    /// The capture cut the packet (snaplen) inside this layer.
    Truncated(Layer),
    /// The bytes at this layer are not a valid header.
    Malformed(Layer),
    /// A link or ether type we do not decode (e.g. LLDP, STP): not an error.
    NotIp,
}

/// Everything the pipeline needs to route and parse one packet.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct PacketInfo {
    pub src_mac: Option<MacAddr>,
    pub dst_mac: Option<MacAddr>,
    pub vlan: VlanTags,
    pub net: Net,
    pub transport: Transport,
    /// Application payload: offset and length within the captured frame bytes.
    pub payload_offset: u32,
    pub payload_len: u32,
    /// Set when the decoder stopped before reaching the payload.
    pub stop: Option<DecodeStop>,
    /// The captured length is shorter than the length on the wire.
    pub snaplen_truncated: bool,
    /// Tunnels and stacks peeled off to reach the packet above (issue 15).
    pub encap: crate::encap::Encap,
}

impl PacketInfo {
    pub fn ip(&self) -> Option<&IpInfo> {
        match &self.net {
            Net::Ip(ip) => Some(ip),
            _ => None,
        }
    }
}

/// Where a packet came from and where it sits in the run: the envelope every event and
/// alert inherits.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct PacketMeta {
    /// Global position in the run (all files merged by time), assigned by the source.
    pub seq: u64,
    /// Index of the capture file (or interface) in the run.
    pub file: u16,
    /// 1-based frame number within that file, as tshark counts.
    pub frame: u64,
    pub ts: Timestamp,
    pub wire_len: u32,
    pub cap_len: u32,
    pub info: PacketInfo,
}
