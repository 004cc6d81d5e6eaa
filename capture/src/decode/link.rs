//! Link layers and ether type dispatch: Ethernet II, 802.1Q/802.1ad VLAN tags, MPLS
//! label stacks, ARP, Linux cooked capture (SLL, SLL2), BSD loopback and raw IP.

use super::{Decoder, ip, tunnel};
use crate::encap::EncapKind;
use crate::link::LinkType;
use crate::packet::{ArpInfo, DecodeStop, Layer, MacAddr, Net};
use etherparse::{ArpPacketSlice, Ethernet2HeaderSlice, SingleVlanHeaderSlice};
use std::net::Ipv4Addr;

/// Ether types we act on (IEEE 802 numbers registry).
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_ARP: u16 = 0x0806;
const ETHERTYPE_IPV6: u16 = 0x86dd;
/// 802.1Q customer tag.
const ETHERTYPE_VLAN: u16 = 0x8100;
/// 802.1ad provider (service) tag, the outer tag of QinQ.
const ETHERTYPE_QINQ: u16 = 0x88a8;
/// The pre-standard QinQ outer tag some switches still send.
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
/// MPLS unicast and multicast (RFC 3032 section 5).
const ETHERTYPE_MPLS: u16 = 0x8847;
const ETHERTYPE_MPLS_MC: u16 = 0x8848;
/// PPPoE session stage (RFC 2516 section 4); the discovery stage (0x8863) is not IP.
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;

/// VLAN tags and MPLS label stacks followed before giving up: a frame nesting deeper
/// is hostile or exotic, and is reported as malformed at the VLAN layer.
pub(crate) const MAX_LINK_EXTS: usize = 8;
/// MPLS labels popped before giving up (real stacks are 1-4 deep).
pub(crate) const MAX_MPLS_LABELS: usize = 16;

/// Linux cooked capture v1 header length (LINKTYPE_LINUX_SLL): packet type (2),
/// ARPHRD type (2), link address length (2), link address (8), protocol (2).
const SLL_LEN: usize = 16;
/// Linux cooked capture v2 header length (LINKTYPE_LINUX_SLL2): protocol (2),
/// reserved (2), interface index (4), ARPHRD type (2), packet type (1), link address
/// length (1), link address (8).
const SLL2_LEN: usize = 20;
/// ARPHRD_ETHER: the cooked link address is a 6-byte MAC.
const ARPHRD_ETHER: u16 = 1;
/// Length of the BSD loopback address-family header (LINKTYPE_NULL, LINKTYPE_LOOP).
const NULL_LEN: usize = 4;
/// BSD address families: AF_INET is 2 everywhere, AF_INET6 differs by OS
/// (24 NetBSD/OpenBSD, 28 FreeBSD, 30 Darwin), per the tcpdump.org LINKTYPE_NULL page.
const AF_INET: u32 = 2;
const AF_INET6: [u32; 3] = [24, 28, 30];

pub(crate) fn decode_link(d: &mut Decoder<'_>, link: LinkType) {
    match link {
        LinkType::Ethernet => ethernet(d, 0),
        LinkType::LinuxSll => sll(d),
        LinkType::LinuxSll2 => sll2(d),
        LinkType::Null => null(d, false),
        LinkType::Loop => null(d, true),
        LinkType::Raw => raw_ip(d, 0),
        LinkType::Ipv4 => ip::ipv4(d, 0),
        LinkType::Ipv6 => ip::ipv6(d, 0),
        LinkType::Unknown(_) => d.stop(DecodeStop::NotIp, 0),
    }
}

pub(crate) fn ethernet(d: &mut Decoder<'_>, at: usize) {
    let eth = match Ethernet2HeaderSlice::from_slice(d.rest(at)) {
        Ok(eth) => eth,
        Err(_) => return d.stop_short(Layer::Link, at),
    };
    d.info.dst_mac = Some(MacAddr(eth.destination()));
    d.info.src_mac = Some(MacAddr(eth.source()));
    let next = at.saturating_add(eth.slice().len());
    ether_type(d, eth.ether_type().0, next);
}

/// Follows VLAN tags and MPLS labels to the network layer, filling the VLAN ids.
fn ether_type(d: &mut Decoder<'_>, mut et: u16, mut at: usize) {
    for _ in 0..MAX_LINK_EXTS {
        match et {
            ETHERTYPE_IPV4 => return ip::ipv4(d, at),
            ETHERTYPE_IPV6 => return ip::ipv6(d, at),
            ETHERTYPE_ARP => return arp(d, at),
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD => {
                let tag = match SingleVlanHeaderSlice::from_slice(d.rest(at)) {
                    Ok(tag) => tag,
                    Err(_) => return d.stop_short(Layer::Vlan, at),
                };
                let vid = tag.vlan_identifier().value();
                if et != ETHERTYPE_VLAN {
                    d.info.encap.seen.insert(EncapKind::Qinq);
                }
                // Outermost first; a third tag and beyond are stepped over (packet.rs).
                if d.info.vlan.outer.is_none() {
                    d.info.vlan.outer = Some(vid);
                } else if d.info.vlan.inner.is_none() {
                    d.info.vlan.inner = Some(vid);
                }
                et = tag.ether_type().0;
                at = at.saturating_add(tag.slice().len());
            }
            ETHERTYPE_MPLS | ETHERTYPE_MPLS_MC => return mpls(d, at),
            ETHERTYPE_PPPOE_SESSION => return tunnel::pppoe(d, at),
            _ => {
                // LLDP, STP (802.3 length field), LACP, PROFINET, GOOSE, ...: not ours.
                d.stop(DecodeStop::NotIp, at);
                d.set_payload(at, d.data.len());
                return;
            }
        }
    }
    d.stop(DecodeStop::Malformed(Layer::Vlan), at);
}

/// Pops an MPLS label stack (RFC 3032 section 2.1: 20-bit label, 3-bit TC, S bit,
/// TTL) and guesses the payload from its first nibble, as the stack does not say what
/// it carries (RFC 4928 section 2: IP starts with 4 or 6; a pseudowire control word
/// starts with 0 and is not decoded).
fn mpls(d: &mut Decoder<'_>, mut at: usize) {
    d.info.encap.seen.insert(EncapKind::Mpls);
    for _ in 0..MAX_MPLS_LABELS {
        let Some(entry) = d.data.get(at..at.saturating_add(4)) else {
            return d.stop_short(Layer::Vlan, at);
        };
        let bottom = entry.get(2).is_some_and(|b| b & 0x01 != 0);
        at = at.saturating_add(4);
        if bottom {
            return match d.data.get(at).map(|b| b >> 4) {
                Some(4) => ip::ipv4(d, at),
                Some(6) => ip::ipv6(d, at),
                Some(_) => {
                    d.stop(DecodeStop::NotIp, at);
                    d.set_payload(at, d.data.len());
                }
                None => d.stop_short(Layer::Ip, at),
            };
        }
    }
    d.stop(DecodeStop::Malformed(Layer::Vlan), at);
}

/// ARP over Ethernet for IPv4 (RFC 826); other hardware or protocol pairs are not IP.
fn arp(d: &mut Decoder<'_>, at: usize) {
    let pkt = match ArpPacketSlice::from_slice(d.rest(at)) {
        Ok(pkt) => pkt,
        // ARP is the network layer here; Layer has no ARP of its own.
        Err(_) => return d.stop_short(Layer::Ip, at),
    };
    let end = at.saturating_add(pkt.slice().len());
    let (Ok(sender_mac), Ok(sender_ip), Ok(target_mac), Ok(target_ip)) = (
        <[u8; 6]>::try_from(pkt.sender_hw_addr()),
        <[u8; 4]>::try_from(pkt.sender_protocol_addr()),
        <[u8; 6]>::try_from(pkt.target_hw_addr()),
        <[u8; 4]>::try_from(pkt.target_protocol_addr()),
    ) else {
        d.stop(DecodeStop::NotIp, at);
        return;
    };
    if pkt.proto_addr_type().0 != ETHERTYPE_IPV4 {
        d.stop(DecodeStop::NotIp, at);
        return;
    }
    d.info.net = Net::Arp(ArpInfo {
        operation: pkt.operation().0,
        sender_mac: MacAddr(sender_mac),
        sender_ip: Ipv4Addr::from(sender_ip),
        target_mac: MacAddr(target_mac),
        target_ip: Ipv4Addr::from(target_ip),
    });
    d.set_payload(end, end);
}

/// Linux cooked capture v1 (tcpdump.org LINKTYPE_LINUX_SLL). Only the sender's address
/// is recorded, so there is no destination MAC.
fn sll(d: &mut Decoder<'_>) {
    let Some(h) = d.data.get(..SLL_LEN) else {
        return d.stop_short(Layer::Link, 0);
    };
    let arphrd = be16(h, 2);
    let addr_len = be16(h, 4);
    if arphrd == ARPHRD_ETHER && addr_len == 6 {
        d.info.src_mac = mac_at(h, 6);
    }
    let proto = be16(h, 14);
    ether_type(d, proto, SLL_LEN);
}

/// Linux cooked capture v2 (tcpdump.org LINKTYPE_LINUX_SLL2).
fn sll2(d: &mut Decoder<'_>) {
    let Some(h) = d.data.get(..SLL2_LEN) else {
        return d.stop_short(Layer::Link, 0);
    };
    let proto = be16(h, 0);
    let arphrd = be16(h, 8);
    let addr_len = h.get(11).copied().unwrap_or(0);
    if arphrd == ARPHRD_ETHER && addr_len == 6 {
        d.info.src_mac = mac_at(h, 12);
    }
    ether_type(d, proto, SLL2_LEN);
}

/// BSD loopback: a 4-byte address family, in the writing host's byte order for
/// LINKTYPE_NULL (so both orders are accepted) and in network order for LINKTYPE_LOOP.
fn null(d: &mut Decoder<'_>, network_order: bool) {
    let Some(h) = d.data.get(..NULL_LEN) else {
        return d.stop_short(Layer::Link, 0);
    };
    let Ok(b) = <[u8; 4]>::try_from(h) else {
        return d.stop_short(Layer::Link, 0);
    };
    let be = u32::from_be_bytes(b);
    let le = u32::from_le_bytes(b);
    let is = |af: u32| be == af || (!network_order && le == af);
    if is(AF_INET) {
        ip::ipv4(d, NULL_LEN)
    } else if AF_INET6.iter().any(|af| is(*af)) {
        ip::ipv6(d, NULL_LEN)
    } else {
        d.stop(DecodeStop::NotIp, NULL_LEN);
        d.set_payload(NULL_LEN, d.data.len());
    }
}

/// Raw IP (LINKTYPE_RAW): the version nibble says which.
fn raw_ip(d: &mut Decoder<'_>, at: usize) {
    match d.data.get(at).map(|b| b >> 4) {
        Some(4) => ip::ipv4(d, at),
        Some(6) => ip::ipv6(d, at),
        Some(_) => d.stop(DecodeStop::Malformed(Layer::Ip), at),
        None => d.stop_short(Layer::Ip, at),
    }
}

/// Big-endian u16 at `at` in a header whose length the caller checked; 0 otherwise.
#[inline]
fn be16(h: &[u8], at: usize) -> u16 {
    h.get(at..at.saturating_add(2))
        .and_then(|b| <[u8; 2]>::try_from(b).ok())
        .map_or(0, u16::from_be_bytes)
}

#[inline]
fn mac_at(h: &[u8], at: usize) -> Option<MacAddr> {
    h.get(at..at.saturating_add(6))
        .and_then(|b| <[u8; 6]>::try_from(b).ok())
        .map(MacAddr)
}
