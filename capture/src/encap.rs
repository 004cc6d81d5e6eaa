//! Encapsulations the decoder peels off: what a monitoring appliance receives when the
//! traffic reaches it through a remote SPAN session (ERSPAN, plain GRE), an overlay
//! (VXLAN) or a PPPoE uplink, besides the 802.1ad and MPLS stacks of the link layer.
//!
//! The inner packet is what the pipeline sees (its own flow); the outermost tunnel's
//! addresses and id travel with it in [`Encap::tunnel`], and every kind peeled is
//! counted from [`Encap::seen`].

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use std::net::IpAddr;

/// One kind of encapsulation. A closed set: it labels a metric.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EncapKind {
    /// 802.1ad (QinQ) service tag.
    Qinq,
    /// An MPLS label stack.
    Mpls,
    /// GRE (RFC 2784, RFC 2890) carrying IP or Ethernet.
    Gre,
    /// ERSPAN type I: GRE protocol 0x88BE without a sequence number, no ERSPAN header.
    ErspanI,
    /// ERSPAN type II: GRE 0x88BE with a sequence number and an 8-byte header.
    ErspanII,
    /// ERSPAN type III: GRE 0x22EB and a 12-byte header (+8 with the platform subheader).
    ErspanIII,
    /// VXLAN (RFC 7348) on UDP 4789.
    Vxlan,
    /// PPPoE session stage (RFC 2516), ether type 0x8864.
    Pppoe,
}

impl EncapKind {
    pub const ALL: [EncapKind; 8] = [
        EncapKind::Qinq,
        EncapKind::Mpls,
        EncapKind::Gre,
        EncapKind::ErspanI,
        EncapKind::ErspanII,
        EncapKind::ErspanIII,
        EncapKind::Vxlan,
        EncapKind::Pppoe,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EncapKind::Qinq => "qinq",
            EncapKind::Mpls => "mpls",
            EncapKind::Gre => "gre",
            EncapKind::ErspanI => "erspan_i",
            EncapKind::ErspanII => "erspan_ii",
            EncapKind::ErspanIII => "erspan_iii",
            EncapKind::Vxlan => "vxlan",
            EncapKind::Pppoe => "pppoe",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The name of the tunnel id in JSON: what the protocol calls it.
    fn id_name(self) -> &'static str {
        match self {
            EncapKind::Vxlan => "vni",
            EncapKind::Gre => "key",
            EncapKind::Mpls => "label",
            EncapKind::Qinq => "vlan",
            EncapKind::ErspanI | EncapKind::ErspanII | EncapKind::ErspanIII | EncapKind::Pppoe => {
                "session_id"
            }
        }
    }
}

/// A set of [`EncapKind`]s.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct EncapSet(u8);

impl EncapSet {
    pub fn insert(&mut self, k: EncapKind) {
        self.0 |= k.bit();
    }
    pub fn contains(self, k: EncapKind) -> bool {
        self.0 & k.bit() != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = EncapKind> {
        EncapKind::ALL
            .into_iter()
            .filter(move |k| self.contains(*k))
    }
}

/// The outermost tunnel a packet came through.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tunnel {
    pub kind: EncapKind,
    /// The outer IP header's addresses (none for PPPoE, which runs on Ethernet).
    pub outer_src: Option<IpAddr>,
    pub outer_dst: Option<IpAddr>,
    /// VXLAN network identifier, ERSPAN or PPPoE session id, GRE key.
    pub id: Option<u32>,
}

/// `{"type":"vxlan","outer_src":"..","outer_dst":"..","vni":42}`.
impl Serialize for Tunnel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", self.kind.as_str())?;
        if let Some(a) = &self.outer_src {
            m.serialize_entry("outer_src", a)?;
        }
        if let Some(a) = &self.outer_dst {
            m.serialize_entry("outer_dst", a)?;
        }
        if let Some(id) = &self.id {
            m.serialize_entry(self.kind.id_name(), id)?;
        }
        m.end()
    }
}

/// What the decoder peeled off one packet.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Encap {
    pub seen: EncapSet,
    pub tunnel: Option<Tunnel>,
}

impl Encap {
    /// Records a layer; the first tunnel (an IP- or PPPoE-level one) is the outermost.
    pub(crate) fn record(&mut self, t: Tunnel) {
        self.seen.insert(t.kind);
        if self.tunnel.is_none() && !matches!(t.kind, EncapKind::Qinq | EncapKind::Mpls) {
            self.tunnel = Some(t);
        }
    }
}

/// Packets seen per encapsulation kind (a packet inside two counts for both).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EncapCounters(pub [u64; 8]);

impl EncapCounters {
    pub fn add(&mut self, seen: EncapSet) {
        for k in seen.iter() {
            if let Some(c) = self.0.get_mut(k as usize) {
                *c = c.saturating_add(1);
            }
        }
    }
    pub fn get(&self, k: EncapKind) -> u64 {
        self.0.get(k as usize).copied().unwrap_or(0)
    }
    pub fn merge(&mut self, o: &EncapCounters) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a = a.saturating_add(b);
        }
    }
}
