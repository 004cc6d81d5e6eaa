//! Tunnels: GRE (RFC 2784 with the key and sequence extensions of RFC 2890), ERSPAN
//! types I, II and III inside GRE, VXLAN (RFC 7348) and PPPoE sessions (RFC 2516).
//! Each hands its inner packet back to the link or network layer, so the rest of the
//! pipeline sees the inner packet as its own flow; the outer addresses and the tunnel id
//! are kept in [`PacketInfo::encap`](crate::packet::PacketInfo).
//!
//! Layouts (network byte order):
//!
//! | header | bytes | fields |
//! | --- | --- | --- |
//! | GRE | 4 (+4 C, +4 K, +4 S) | C R K S flags, version (0), protocol type; checksum, key, sequence |
//! | ERSPAN II | 8 | version 1 (4 bits), VLAN (12), COS, EN, T, session id (10); index (20) |
//! | ERSPAN III | 12 (+8 if O) | version 2, VLAN, COS, BSO, T, session id (10); timestamp (32); SGT, P, FT, HW id, D, Gra, O |
//! | VXLAN | 8 | flags (I = 0x08), reserved; VNI (24), reserved |
//! | PPPoE | 6 + 2 | version/type 0x11, code 0, session id, length; PPP protocol |
//!
//! ERSPAN I has no header of its own: it is GRE protocol 0x88BE without the sequence
//! number (the sequence bit is how Wireshark tells type I from type II).

use super::{Decoder, ip, link};
use crate::encap::{EncapKind, Tunnel};
use crate::packet::{DecodeStop, Layer, Net, Transport};

/// Tunnels peeled before giving up: a packet nested deeper is hostile, and is
/// processed as the tunnel packet it is.
pub(crate) const MAX_TUNNELS: usize = 3;

pub(crate) const PROTO_GRE: u8 = 47;
/// IANA: VXLAN's registered UDP port.
pub(crate) const VXLAN_PORT: u16 = 4789;

const GRE_C: u8 = 0x80;
const GRE_R: u8 = 0x40;
const GRE_K: u8 = 0x20;
const GRE_S: u8 = 0x10;
const GRE_VERSION_MASK: u8 = 0x07;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
/// Transparent Ethernet bridging (GRE carrying whole frames).
const ETHERTYPE_TEB: u16 = 0x6558;
const ETHERTYPE_ERSPAN_I_II: u16 = 0x88be;
const ETHERTYPE_ERSPAN_III: u16 = 0x22eb;

const ERSPAN_II_LEN: usize = 8;
const ERSPAN_III_LEN: usize = 12;
/// The optional platform-specific subheader of ERSPAN III (O bit).
const ERSPAN_III_SUBHEADER_LEN: usize = 8;
const VXLAN_LEN: usize = 8;
const VXLAN_FLAG_I: u8 = 0x08;
const PPPOE_LEN: usize = 6;
const PPP_IPV4: u16 = 0x0021;
const PPP_IPV6: u16 = 0x0057;

/// Whether the decoder may open one more tunnel.
fn may_enter(d: &Decoder<'_>) -> bool {
    d.tunnels < MAX_TUNNELS
}

/// Records the tunnel whose outer IP header is in `d.info.net`, and clears what the
/// inner packet will fill in again.
fn enter(d: &mut Decoder<'_>, kind: EncapKind, id: Option<u32>) {
    let (outer_src, outer_dst) = match &d.info.net {
        Net::Ip(ip) => (Some(ip.src), Some(ip.dst)),
        _ => (None, None),
    };
    d.info.encap.record(Tunnel {
        kind,
        outer_src,
        outer_dst,
        id,
    });
    d.tunnels = d.tunnels.saturating_add(1);
    d.info.transport = Transport::None;
}

/// Decapsulates the GRE packet at `data[at..end]` if it carries IP, Ethernet or
/// ERSPAN; returns false (nothing changed) for anything else (PPTP's enhanced GRE, PPP,
/// MPLS, routing), which stays a GRE flow for the VPN parsers.
pub(crate) fn gre(d: &mut Decoder<'_>, at: usize, end: usize) -> bool {
    if !may_enter(d) {
        return false;
    }
    let Some(h) = d.data.get(at..end.min(d.data.len())) else {
        return false;
    };
    let (Some(&flags), Some(&ver)) = (h.first(), h.get(1)) else {
        return false;
    };
    if ver & GRE_VERSION_MASK != 0 || flags & GRE_R != 0 {
        return false;
    }
    let proto = be16(h, 2);
    let mut len = 4usize;
    if flags & GRE_C != 0 {
        len = len.saturating_add(4);
    }
    let key = (flags & GRE_K != 0).then(|| be32(h, len));
    if key.is_some() {
        len = len.saturating_add(4);
    }
    let sequenced = flags & GRE_S != 0;
    if sequenced {
        len = len.saturating_add(4);
    }
    if h.len() < len {
        return false;
    }
    let inner = at.saturating_add(len);
    match proto {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 | ETHERTYPE_TEB => {
            enter(d, EncapKind::Gre, key);
            match proto {
                ETHERTYPE_IPV4 => ip::ipv4(d, inner),
                ETHERTYPE_IPV6 => ip::ipv6(d, inner),
                _ => inner_ethernet(d, inner),
            }
        }
        ETHERTYPE_ERSPAN_I_II if !sequenced => {
            enter(d, EncapKind::ErspanI, None);
            inner_ethernet(d, inner);
        }
        ETHERTYPE_ERSPAN_I_II => {
            let Some(e) = h.get(len..len.saturating_add(ERSPAN_II_LEN)) else {
                return false;
            };
            let session = u32::from(be16(e, 2) & 0x03ff);
            enter(d, EncapKind::ErspanII, Some(session));
            inner_ethernet(d, inner.saturating_add(ERSPAN_II_LEN));
        }
        ETHERTYPE_ERSPAN_III => {
            let Some(e) = h.get(len..len.saturating_add(ERSPAN_III_LEN)) else {
                return false;
            };
            let session = u32::from(be16(e, 2) & 0x03ff);
            let optional = e.get(11).is_some_and(|b| b & 0x01 != 0);
            let mut skip = ERSPAN_III_LEN;
            if optional {
                skip = skip.saturating_add(ERSPAN_III_SUBHEADER_LEN);
            }
            enter(d, EncapKind::ErspanIII, Some(session));
            inner_ethernet(d, inner.saturating_add(skip));
        }
        _ => return false,
    }
    true
}

/// Decapsulates VXLAN in the UDP payload at `data[at..end]` when its I flag says the
/// VNI is valid; returns false otherwise (the datagram stays UDP).
pub(crate) fn vxlan(d: &mut Decoder<'_>, at: usize, end: usize) -> bool {
    if !may_enter(d) {
        return false;
    }
    let Some(h) = d.data.get(at..at.saturating_add(VXLAN_LEN).min(end)) else {
        return false;
    };
    if h.len() < VXLAN_LEN || h.first().is_none_or(|f| f & VXLAN_FLAG_I == 0) {
        return false;
    }
    let vni = be32(h, 4) >> 8;
    enter(d, EncapKind::Vxlan, Some(vni));
    inner_ethernet(d, at.saturating_add(VXLAN_LEN));
    true
}

/// A PPPoE session frame at `at` (after the ether type): IP inside PPP is decoded,
/// anything else (LCP, IPCP, authentication) is not IP.
pub(crate) fn pppoe(d: &mut Decoder<'_>, at: usize) {
    let Some(h) = d.data.get(at..at.saturating_add(PPPOE_LEN + 2)) else {
        return d.stop_short(Layer::Link, at);
    };
    if h.first() != Some(&0x11) || h.get(1) != Some(&0) {
        return d.stop(DecodeStop::Malformed(Layer::Link), at);
    }
    let session = u32::from(be16(h, 2));
    let ppp = be16(h, PPPOE_LEN);
    let inner = at.saturating_add(PPPOE_LEN + 2);
    match ppp {
        PPP_IPV4 | PPP_IPV6 if may_enter(d) => {
            enter(d, EncapKind::Pppoe, Some(session));
            if ppp == PPP_IPV4 {
                ip::ipv4(d, inner)
            } else {
                ip::ipv6(d, inner)
            }
        }
        _ => {
            d.info.encap.seen.insert(EncapKind::Pppoe);
            d.stop(DecodeStop::NotIp, inner);
            d.set_payload(inner, d.data.len());
        }
    }
}

/// An Ethernet frame inside a tunnel: its own MACs and VLAN tags replace the outer ones.
fn inner_ethernet(d: &mut Decoder<'_>, at: usize) {
    d.info.src_mac = None;
    d.info.dst_mac = None;
    d.info.vlan = Default::default();
    d.info.net = Net::None;
    link::ethernet(d, at);
}

#[inline]
fn be16(h: &[u8], at: usize) -> u16 {
    h.get(at..at.saturating_add(2))
        .and_then(|b| <[u8; 2]>::try_from(b).ok())
        .map_or(0, u16::from_be_bytes)
}

#[inline]
fn be32(h: &[u8], at: usize) -> u32 {
    h.get(at..at.saturating_add(4))
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_be_bytes)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use crate::encap::EncapKind;
    use crate::packet::{DecodeStop, Net, Transport};
    use crate::{LinkType, decode};

    /// Ethernet + IPv4 (10.0.0.1 -> 10.0.0.2, protocol `proto`) around `payload`.
    fn outer(proto: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00];
        let total = u16::try_from(20 + payload.len()).unwrap();
        f.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0]);
        f[16..18].copy_from_slice(&total.to_be_bytes());
        f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
        f.extend_from_slice(payload);
        f
    }

    /// IPv4 192.168.0.1 -> 192.168.0.2 carrying UDP 1000 -> 53 with 4 payload bytes.
    fn inner_ip() -> Vec<u8> {
        let mut p = vec![0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0];
        p.extend_from_slice(&[192, 168, 0, 1, 192, 168, 0, 2]);
        p.extend_from_slice(&[0x03, 0xe8, 0, 53, 0, 12, 0, 0, 1, 2, 3, 4]);
        p
    }

    fn decode_eth(f: &[u8]) -> crate::PacketInfo {
        decode(LinkType::Ethernet, f, u32::try_from(f.len()).unwrap())
    }

    #[test]
    fn gre_inner_ip_is_the_packet_and_the_outer_is_recorded() {
        let mut g = vec![0x20, 0, 0x08, 0x00, 0, 0, 0, 9];
        g.extend(inner_ip());
        let info = decode_eth(&outer(47, &g));
        let Net::Ip(ip) = info.net else {
            panic!("{info:?}")
        };
        assert_eq!(ip.src.to_string(), "192.168.0.1");
        assert!(matches!(
            info.transport,
            Transport::Udp { dst_port: 53, .. }
        ));
        let t = info.encap.tunnel.unwrap();
        assert_eq!((t.kind, t.id), (EncapKind::Gre, Some(9)));
        assert_eq!(t.outer_src.unwrap().to_string(), "10.0.0.1");
    }

    #[test]
    fn gre_that_is_not_a_tunnel_we_open_stays_gre() {
        // Version 1 (PPTP's enhanced GRE) and PPP inside version 0.
        for g in [
            vec![0x30, 0x81, 0x88, 0x0b, 0, 0, 0, 0],
            vec![0, 0, 0x88, 0x0b],
        ] {
            let info = decode_eth(&outer(47, &g));
            assert!(info.encap.tunnel.is_none(), "{g:?}");
            assert_eq!(info.transport, Transport::Other);
        }
    }

    #[test]
    fn short_tunnel_headers_are_left_as_they_are() {
        // GRE cut inside its key; ERSPAN II cut inside its header; VXLAN without I.
        let gre_cut = outer(47, &[0x20, 0, 0x08, 0x00, 0, 0]);
        assert!(decode_eth(&gre_cut).encap.tunnel.is_none());
        let erspan_cut = outer(47, &[0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x10]);
        assert!(decode_eth(&erspan_cut).encap.tunnel.is_none());
        let mut udp = vec![0xc0, 0, 0x12, 0xb5, 0, 16, 0, 0];
        udp.extend_from_slice(&[0, 0, 0, 0, 0, 0, 1, 0]);
        let info = decode_eth(&outer(17, &udp));
        assert!(info.encap.tunnel.is_none());
        assert!(matches!(
            info.transport,
            Transport::Udp { dst_port: 4789, .. }
        ));
    }

    #[test]
    fn nesting_stops_at_the_limit() {
        // GRE in GRE in GRE in GRE: three are opened, the fourth stays a GRE packet.
        let mut p = inner_ip();
        for _ in 0..4 {
            let mut g = vec![0, 0, 0x08, 0x00];
            let mut ip = vec![
                0x45, 0, 0, 0, 0, 0, 0, 0, 64, 47, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
            ];
            let total = u16::try_from(20 + 4 + p.len()).unwrap();
            ip[2..4].copy_from_slice(&total.to_be_bytes());
            g.extend(p);
            ip.extend(g);
            p = ip;
        }
        let mut f = vec![0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00];
        f.extend(p);
        let info = decode_eth(&f);
        assert_eq!(info.transport, Transport::Other);
        assert!(info.encap.seen.contains(EncapKind::Gre));
    }

    #[test]
    fn pppoe_control_traffic_is_not_ip() {
        let mut f = vec![0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x88, 0x64];
        f.extend_from_slice(&[0x11, 0, 0x12, 0x34, 0, 6, 0xc0, 0x21, 1, 1, 0, 4]);
        let info = decode_eth(&f);
        assert_eq!(info.stop, Some(DecodeStop::NotIp));
        assert!(info.encap.seen.contains(EncapKind::Pppoe));
    }
}
