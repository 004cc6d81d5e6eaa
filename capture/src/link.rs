//! Link-layer types we decode, from the tcpdump.org LINKTYPE registry.

use serde::Serialize;

/// A capture's link type. Unknown values are kept so the error can name them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkType {
    /// LINKTYPE_ETHERNET (1).
    Ethernet,
    /// LINKTYPE_NULL (0): BSD loopback, 4-byte address family in the writer's byte order.
    Null,
    /// LINKTYPE_LOOP (108): OpenBSD loopback, address family in network byte order.
    Loop,
    /// LINKTYPE_RAW (101, also DLT 12/14 on some systems): raw IPv4 or IPv6.
    Raw,
    /// LINKTYPE_IPV4 (228).
    Ipv4,
    /// LINKTYPE_IPV6 (229).
    Ipv6,
    /// LINKTYPE_LINUX_SLL (113).
    LinuxSll,
    /// LINKTYPE_LINUX_SLL2 (276).
    LinuxSll2,
    /// Anything else: the file reader refuses it with a clear error.
    Unknown(u32),
}

impl LinkType {
    pub fn from_linktype(v: u32) -> LinkType {
        match v {
            1 => LinkType::Ethernet,
            0 => LinkType::Null,
            108 => LinkType::Loop,
            101 | 12 | 14 => LinkType::Raw,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            other => LinkType::Unknown(other),
        }
    }

    pub fn to_linktype(self) -> u32 {
        match self {
            LinkType::Ethernet => 1,
            LinkType::Null => 0,
            LinkType::Loop => 108,
            LinkType::Raw => 101,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
            LinkType::LinuxSll => 113,
            LinkType::LinuxSll2 => 276,
            LinkType::Unknown(v) => v,
        }
    }

    /// Whether `v` is in the tcpdump.org LINKTYPE registry (values as listed at
    /// tcpdump.org/linktypes.html). A registered type we do not decode (IEEE 802.15.4,
    /// Bluetooth, ...) is read and counted, not refused; an unregistered value means the
    /// file is damaged or not what it claims, and is an error.
    pub fn is_registered(v: u32) -> bool {
        matches!(v, 0 | 1 | 3 | 6 | 8 | 9 | 10 | 50 | 51 | 100..=101 | 104..=105 | 107..=108 | 113..=114
            | 117 | 119 | 122..=123 | 127 | 129 | 138..=300)
    }

    pub fn is_supported(self) -> bool {
        !matches!(self, LinkType::Unknown(_))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LinkType::Ethernet => "ethernet",
            LinkType::Null => "null",
            LinkType::Loop => "loop",
            LinkType::Raw => "raw",
            LinkType::Ipv4 => "ipv4",
            LinkType::Ipv6 => "ipv6",
            LinkType::LinuxSll => "linux_sll",
            LinkType::LinuxSll2 => "linux_sll2",
            LinkType::Unknown(_) => "unknown",
        }
    }
}
