//! Decoding of hand-built frames: every field of `PacketInfo` checked against the bytes
//! the test put there (etherparse's PacketBuilder or a byte array annotated per field).
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::cast_possible_truncation
)]

use etherparse::{PacketBuilder, VlanId};
use mizuban_capture::packet::{DecodeStop, FragmentInfo, Layer};
use mizuban_capture::{
    IpInfo, LinkType, MacAddr, Net, PacketInfo, TcpFlags, TcpInfo, Transport, VlanTags, decode,
    decode_transport,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const SRC_MAC: [u8; 6] = [0x00, 0x1d, 0x9c, 0x01, 0x02, 0x03];
const DST_MAC: [u8; 6] = [0x00, 0x0e, 0x8c, 0x0a, 0x0b, 0x0c];
const SRC4: [u8; 4] = [10, 1, 2, 3];
const DST4: [u8; 4] = [192, 168, 7, 20];
const PAYLOAD: &[u8] = b"\x00\x01\x00\x00\x00\x06\x01\x03\x00\x00\x00\x0a";

fn build(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut v = Vec::new();
    f(&mut v);
    v
}

fn full(link: LinkType, data: &[u8]) -> PacketInfo {
    decode(link, data, data.len() as u32)
}

fn eth_ipv4_tcp() -> Vec<u8> {
    build(|v| {
        PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
            .ipv4(SRC4, DST4, 64)
            .tcp(49152, 502, 0x1122_3344, 8192)
            .ack(0x5566_7788)
            .psh()
            .write_to_vec(v, PAYLOAD)
            .unwrap()
    })
}

fn ipv4_tcp() -> Vec<u8> {
    build(|v| {
        PacketBuilder::ipv4(SRC4, DST4, 64)
            .tcp(49152, 502, 0x1122_3344, 8192)
            .ack(0x5566_7788)
            .psh()
            .write_to_vec(v, PAYLOAD)
            .unwrap()
    })
}

fn expected_tcp() -> Transport {
    Transport::Tcp(TcpInfo {
        src_port: 49152,
        dst_port: 502,
        seq: 0x1122_3344,
        ack: 0x5566_7788,
        flags: TcpFlags(TcpFlags::ACK | TcpFlags::PSH),
        window: 8192,
    })
}

fn ipv4_info(header_offset: u32, proto: u8, payload_len: u32) -> IpInfo {
    IpInfo {
        src: IpAddr::V4(Ipv4Addr::from(SRC4)),
        dst: IpAddr::V4(Ipv4Addr::from(DST4)),
        proto,
        ttl: 64,
        header_offset,
        payload_offset: header_offset + 20,
        payload_len,
        fragment: None,
    }
}

/// The IPv4/TCP packet behind a link header of `link_len` bytes, fully decoded.
fn assert_ipv4_tcp_at(info: &PacketInfo, link_len: u32) {
    assert_eq!(info.net, Net::Ip(ipv4_info(link_len, 6, 20 + 12)));
    assert_eq!(info.transport, expected_tcp());
    assert_eq!(info.payload_offset, link_len + 40);
    assert_eq!(info.payload_len, PAYLOAD.len() as u32);
    assert_eq!(info.stop, None);
    assert!(!info.snaplen_truncated);
}

#[test]
fn ethernet_ipv4_tcp_every_field() {
    let frame = eth_ipv4_tcp();
    let info = full(LinkType::Ethernet, &frame);
    assert_eq!(info.src_mac, Some(MacAddr(SRC_MAC)));
    assert_eq!(info.dst_mac, Some(MacAddr(DST_MAC)));
    assert_eq!(info.vlan, VlanTags::default());
    assert_ipv4_tcp_at(&info, 14);
    assert_eq!(
        &frame[info.payload_offset as usize..][..info.payload_len as usize],
        PAYLOAD
    );
}

#[test]
fn tcp_flags_syn_fin_rst_as_on_the_wire() {
    let frame = build(|v| {
        PacketBuilder::ipv4(SRC4, DST4, 1)
            .tcp(1, 2, 3, 4)
            .syn()
            .fin()
            .rst()
            .write_to_vec(v, &[])
            .unwrap()
    });
    let info = full(LinkType::Raw, &frame);
    let Transport::Tcp(t) = info.transport else {
        panic!("{info:?}")
    };
    // FIN 0x01 | SYN 0x02 | RST 0x04 (RFC 9293 section 3.1).
    assert_eq!(t.flags, TcpFlags(0x07));
    assert!(t.flags.syn() && t.flags.fin() && t.flags.rst() && !t.flags.ack());
    assert_eq!(info.payload_len, 0);
    assert_eq!(info.payload_offset, 40);
}

#[test]
fn ethernet_padding_is_not_payload() {
    let mut frame = build(|v| {
        PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
            .ipv4(SRC4, DST4, 64)
            .udp(5353, 53)
            .write_to_vec(v, b"abcd")
            .unwrap()
    });
    // 14 + 20 + 8 + 4 = 46 bytes: pad to the 60-byte Ethernet minimum.
    frame.resize(60, 0);
    let info = full(LinkType::Ethernet, &frame);
    assert_eq!(info.net, Net::Ip(ipv4_info(14, 17, 12)));
    assert_eq!(
        info.transport,
        Transport::Udp {
            src_port: 5353,
            dst_port: 53
        }
    );
    assert_eq!((info.payload_offset, info.payload_len), (42, 4));
    assert_eq!(info.stop, None);
}

#[test]
fn vlan_single_tag() {
    let frame = build(|v| {
        PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
            .single_vlan(VlanId::try_new(4093).unwrap())
            .ipv4(SRC4, DST4, 64)
            .tcp(49152, 502, 0x1122_3344, 8192)
            .ack(0x5566_7788)
            .psh()
            .write_to_vec(v, PAYLOAD)
            .unwrap()
    });
    let info = full(LinkType::Ethernet, &frame);
    assert_eq!(
        info.vlan,
        VlanTags {
            outer: Some(4093),
            inner: None
        }
    );
    assert_ipv4_tcp_at(&info, 18);
}

#[test]
fn vlan_qinq_outer_then_inner() {
    let frame = build(|v| {
        PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
            .double_vlan(VlanId::try_new(100).unwrap(), VlanId::try_new(7).unwrap())
            .ipv4(SRC4, DST4, 64)
            .tcp(49152, 502, 0x1122_3344, 8192)
            .ack(0x5566_7788)
            .psh()
            .write_to_vec(v, PAYLOAD)
            .unwrap()
    });
    // PacketBuilder writes 802.1ad (0x88a8) outside 802.1Q (0x8100).
    assert_eq!(&frame[12..14], &[0x88, 0xa8]);
    let info = full(LinkType::Ethernet, &frame);
    assert_eq!(
        info.vlan,
        VlanTags {
            outer: Some(100),
            inner: Some(7)
        }
    );
    assert_ipv4_tcp_at(&info, 22);
}

/// Ethernet header with `ether_type`, then `tags` as (TPID, VID) pairs.
fn eth_with_tags(tags: &[(u16, u16)], inner_type: u16) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&DST_MAC);
    f.extend_from_slice(&SRC_MAC);
    for (tpid, vid) in tags {
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&vid.to_be_bytes()); // PCP 0, DEI 0, VID
    }
    f.extend_from_slice(&inner_type.to_be_bytes());
    f
}

#[test]
fn vlan_old_qinq_tpid_and_triple_stack_keep_outer_two() {
    let mut frame = eth_with_tags(&[(0x9100, 10), (0x8100, 20), (0x8100, 30)], 0x0800);
    frame.extend_from_slice(&ipv4_tcp());
    let info = full(LinkType::Ethernet, &frame);
    assert_eq!(
        info.vlan,
        VlanTags {
            outer: Some(10),
            inner: Some(20)
        }
    );
    assert_ipv4_tcp_at(&info, 26);
}

#[test]
fn vlan_id_masks_priority_bits() {
    // TCI 0xe00c: PCP 7, DEI 0, VID 12.
    let mut frame = eth_with_tags(&[(0x8100, 0xe00c)], 0x0800);
    frame.extend_from_slice(&ipv4_tcp());
    let info = full(LinkType::Ethernet, &frame);
    assert_eq!(info.vlan.outer, Some(12));
}

#[test]
fn mpls_label_stack_before_ipv4() {
    let mut frame = eth_with_tags(&[], 0x8847);
    frame.extend_from_slice(&[
        0x00, 0x01, 0x00, 0x40, // label 16, TC 0, S 0, TTL 64
        0x00, 0x02, 0x01, 0x40, // label 32, TC 0, S 1 (bottom), TTL 64
    ]);
    frame.extend_from_slice(&ipv4_tcp());
    let info = full(LinkType::Ethernet, &frame);
    assert_eq!(info.vlan, VlanTags::default());
    assert_ipv4_tcp_at(&info, 22);
}

#[test]
fn mpls_inside_vlan_before_ipv6() {
    let mut frame = eth_with_tags(&[(0x8100, 5)], 0x8847);
    frame.extend_from_slice(&[0x00, 0x01, 0x01, 0x40]); // label 16, S 1, TTL 64
    let ip6 = build(|v| {
        PacketBuilder::ipv6([1; 16], [2; 16], 9)
            .udp(1000, 2000)
            .write_to_vec(v, b"xy")
            .unwrap()
    });
    frame.extend_from_slice(&ip6);
    let info = full(LinkType::Ethernet, &frame);
    assert_eq!(info.vlan.outer, Some(5));
    let ip = info.ip().unwrap();
    assert_eq!(ip.header_offset, 22);
    assert_eq!(ip.src, IpAddr::V6(Ipv6Addr::from([1; 16])));
    assert_eq!(
        info.transport,
        Transport::Udp {
            src_port: 1000,
            dst_port: 2000
        }
    );
    assert_eq!((info.payload_offset, info.payload_len), (22 + 48, 2));
}

#[test]
fn mpls_pseudowire_control_word_is_not_ip() {
    let mut frame = eth_with_tags(&[], 0x8847);
    frame.extend_from_slice(&[0x00, 0x01, 0x01, 0x40]); // bottom of stack
    frame.extend_from_slice(&[0x00, 0x00, 0x00, 0x00]); // PW control word: nibble 0
    let info = full(LinkType::Ethernet, &frame);
    assert_eq!(info.stop, Some(DecodeStop::NotIp));
    assert_eq!(info.net, Net::None);
}

#[test]
fn mpls_stack_without_bottom_is_bounded() {
    let mut frame = eth_with_tags(&[], 0x8847);
    for _ in 0..64 {
        frame.extend_from_slice(&[0x00, 0x01, 0x00, 0x40]); // S 0 forever
    }
    let info = full(LinkType::Ethernet, &frame);
    assert_eq!(info.stop, Some(DecodeStop::Malformed(Layer::Vlan)));
}

#[test]
fn arp_request() {
    let mut frame = eth_with_tags(&[], 0x0806);
    frame.extend_from_slice(&[
        0x00, 0x01, // hardware type: Ethernet
        0x08, 0x00, // protocol type: IPv4
        6, 4, // address lengths
        0x00, 0x01, // operation: request
    ]);
    frame.extend_from_slice(&SRC_MAC); // sender MAC
    frame.extend_from_slice(&SRC4); // sender IP
    frame.extend_from_slice(&[0; 6]); // target MAC (unknown)
    frame.extend_from_slice(&DST4); // target IP
    let info = full(LinkType::Ethernet, &frame);
    let Net::Arp(arp) = info.net else {
        panic!("{info:?}")
    };
    assert_eq!(arp.operation, 1);
    assert_eq!(arp.sender_mac, MacAddr(SRC_MAC));
    assert_eq!(arp.sender_ip, Ipv4Addr::from(SRC4));
    assert_eq!(arp.target_mac, MacAddr([0; 6]));
    assert_eq!(arp.target_ip, Ipv4Addr::from(DST4));
    assert_eq!(info.transport, Transport::None);
    assert_eq!(info.stop, None);
}

#[test]
fn lldp_is_not_ip_with_rest_as_payload() {
    let mut frame = eth_with_tags(&[], 0x88cc);
    frame.extend_from_slice(&[0x02, 0x07, 0x04, 1, 2, 3, 4, 5, 6]);
    let info = full(LinkType::Ethernet, &frame);
    assert_eq!(info.stop, Some(DecodeStop::NotIp));
    assert_eq!(info.src_mac, Some(MacAddr(SRC_MAC)));
    assert_eq!(info.net, Net::None);
    assert_eq!((info.payload_offset, info.payload_len), (14, 9));
}

#[test]
fn linux_sll_v1() {
    let mut frame = vec![
        0x00, 0x00, // packet type: to us
        0x00, 0x01, // ARPHRD_ETHER
        0x00, 0x06, // address length
    ];
    frame.extend_from_slice(&SRC_MAC); // sender address
    frame.extend_from_slice(&[0, 0]); // address padding to 8
    frame.extend_from_slice(&[0x08, 0x00]); // protocol: IPv4
    frame.extend_from_slice(&ipv4_tcp());
    let info = full(LinkType::LinuxSll, &frame);
    assert_eq!(info.src_mac, Some(MacAddr(SRC_MAC)));
    assert_eq!(info.dst_mac, None);
    assert_ipv4_tcp_at(&info, 16);
}

#[test]
fn linux_sll_v2() {
    let mut frame = vec![
        0x08, 0x00, // protocol: IPv4
        0x00, 0x00, // reserved
        0x00, 0x00, 0x00, 0x03, // interface index
        0x00, 0x01, // ARPHRD_ETHER
        0x04, // packet type: outgoing
        0x06, // address length
    ];
    frame.extend_from_slice(&SRC_MAC);
    frame.extend_from_slice(&[0, 0]);
    frame.extend_from_slice(&ipv4_tcp());
    let info = full(LinkType::LinuxSll2, &frame);
    assert_eq!(info.src_mac, Some(MacAddr(SRC_MAC)));
    assert_ipv4_tcp_at(&info, 20);
}

#[test]
fn linux_sll_non_ethernet_address_is_not_a_mac() {
    let mut frame = vec![
        0x00, 0x00, // packet type
        0x00, 0x0a, // ARPHRD 10: not Ethernet
        0x00, 0x06, // address length
        1, 2, 3, 4, 5, 6, 0, 0, // address
        0x08, 0x00, // IPv4
    ];
    frame.extend_from_slice(&ipv4_tcp());
    let info = full(LinkType::LinuxSll, &frame);
    assert_eq!(info.src_mac, None);
    assert_ipv4_tcp_at(&info, 16);
}

#[test]
fn null_loopback_both_byte_orders_and_all_inet6_values() {
    let v4 = ipv4_tcp();
    for af in [2u32.to_le_bytes(), 2u32.to_be_bytes()] {
        let mut frame = af.to_vec();
        frame.extend_from_slice(&v4);
        assert_ipv4_tcp_at(&full(LinkType::Null, &frame), 4);
    }
    let v6 = build(|v| {
        PacketBuilder::ipv6([1; 16], [2; 16], 9)
            .udp(1000, 2000)
            .write_to_vec(v, b"xyz")
            .unwrap()
    });
    for af in [24u32, 28, 30] {
        for bytes in [af.to_le_bytes(), af.to_be_bytes()] {
            let mut frame = bytes.to_vec();
            frame.extend_from_slice(&v6);
            let info = full(LinkType::Null, &frame);
            assert_eq!(info.ip().unwrap().header_offset, 4, "AF {af}");
            assert_eq!((info.payload_offset, info.payload_len), (52, 3));
        }
    }
    let mut frame = 7u32.to_le_bytes().to_vec(); // AF 7: not IP
    frame.extend_from_slice(&v4);
    assert_eq!(full(LinkType::Null, &frame).stop, Some(DecodeStop::NotIp));
}

#[test]
fn loop_is_network_order_only() {
    let mut frame = 2u32.to_be_bytes().to_vec();
    frame.extend_from_slice(&ipv4_tcp());
    assert_ipv4_tcp_at(&full(LinkType::Loop, &frame), 4);
    let mut frame = 2u32.to_le_bytes().to_vec();
    frame.extend_from_slice(&ipv4_tcp());
    assert_eq!(full(LinkType::Loop, &frame).stop, Some(DecodeStop::NotIp));
}

#[test]
fn raw_and_ip_link_types() {
    let v4 = ipv4_tcp();
    assert_ipv4_tcp_at(&full(LinkType::Raw, &v4), 0);
    assert_ipv4_tcp_at(&full(LinkType::Ipv4, &v4), 0);
    let v6 = build(|v| {
        PacketBuilder::ipv6([1; 16], [2; 16], 9)
            .tcp(1, 2, 3, 4)
            .write_to_vec(v, &[])
            .unwrap()
    });
    assert!(matches!(
        full(LinkType::Raw, &v6).transport,
        Transport::Tcp(_)
    ));
    assert!(matches!(
        full(LinkType::Ipv6, &v6).transport,
        Transport::Tcp(_)
    ));
    // The IPv6 link type does not accept an IPv4 packet.
    assert_eq!(
        full(LinkType::Ipv6, &v4).stop,
        Some(DecodeStop::Malformed(Layer::Ip))
    );
    // Version nibble 5 is neither.
    let mut bad = v4.clone();
    bad[0] = 0x55;
    assert_eq!(
        full(LinkType::Raw, &bad).stop,
        Some(DecodeStop::Malformed(Layer::Ip))
    );
}

#[test]
fn snaplen_cut_in_transport_keeps_ip() {
    let frame = eth_ipv4_tcp();
    let cut = &frame[..14 + 20 + 10];
    let info = decode(LinkType::Ethernet, cut, frame.len() as u32);
    assert!(info.snaplen_truncated);
    assert_eq!(info.stop, Some(DecodeStop::Truncated(Layer::Transport)));
    // The IP header is whole: its claimed payload length stays what the header says.
    assert_eq!(info.net, Net::Ip(ipv4_info(14, 6, 32)));
    assert_eq!(info.transport, Transport::None);
    assert_eq!(info.payload_len, 0);
}

#[test]
fn short_packet_without_snaplen_is_malformed() {
    let frame = eth_ipv4_tcp();
    let cut = &frame[..14 + 20 + 10];
    let info = full(LinkType::Ethernet, cut);
    assert!(!info.snaplen_truncated);
    assert_eq!(info.stop, Some(DecodeStop::Malformed(Layer::Transport)));
}

#[test]
fn snaplen_cut_in_payload_decodes_everything() {
    let frame = eth_ipv4_tcp();
    let cut = &frame[..frame.len() - 5];
    let info = decode(LinkType::Ethernet, cut, frame.len() as u32);
    assert!(info.snaplen_truncated);
    assert_eq!(info.stop, None);
    assert_eq!(info.transport, expected_tcp());
    assert_eq!(info.ip().unwrap().payload_len, 32);
    assert_eq!(
        (info.payload_offset, info.payload_len),
        (54, PAYLOAD.len() as u32 - 5)
    );
}

#[test]
fn snaplen_cut_in_each_header() {
    let mut frame = eth_with_tags(&[(0x8100, 3)], 0x0800);
    frame.extend_from_slice(&ipv4_tcp());
    let wire = frame.len() as u32;
    let cases = [
        (10, Layer::Link),
        (16, Layer::Vlan),
        (18 + 12, Layer::Ip),
        (18 + 20 + 19, Layer::Transport),
    ];
    for (len, layer) in cases {
        let info = decode(LinkType::Ethernet, &frame[..len], wire);
        assert_eq!(
            info.stop,
            Some(DecodeStop::Truncated(layer)),
            "cut at {len}"
        );
    }
}

#[test]
fn tcp_data_offset_below_five_is_malformed() {
    let mut frame = ipv4_tcp();
    frame[20 + 12] = 0x40; // data offset 4 words
    let info = full(LinkType::Raw, &frame);
    assert_eq!(info.stop, Some(DecodeStop::Malformed(Layer::Transport)));
    assert!(info.ip().is_some());
}

#[test]
fn icmp_and_icmpv6() {
    let frame = build(|v| {
        PacketBuilder::ipv4(SRC4, DST4, 64)
            .icmpv4_echo_request(0x1234, 1)
            .write_to_vec(v, b"ping")
            .unwrap()
    });
    let info = full(LinkType::Raw, &frame);
    assert_eq!(
        info.transport,
        Transport::Icmp {
            icmp_type: 8,
            code: 0
        }
    );
    assert_eq!((info.payload_offset, info.payload_len), (28, 4));

    let frame = build(|v| {
        PacketBuilder::ipv6([1; 16], [2; 16], 64)
            .icmpv6_echo_request(0x1234, 1)
            .write_to_vec(v, b"ping")
            .unwrap()
    });
    let info = full(LinkType::Raw, &frame);
    assert_eq!(
        info.transport,
        Transport::Icmpv6 {
            icmp_type: 128,
            code: 0
        }
    );
    assert_eq!(info.ip().unwrap().proto, 58);
    assert_eq!((info.payload_offset, info.payload_len), (48, 4));
}

/// An IPv4 header by hand (no options): RFC 791 section 3.1.
fn ipv4_header(proto: u8, payload_len: u16, id: u16, flags_frag: u16) -> Vec<u8> {
    let total = 20 + payload_len;
    let mut h = vec![0x45, 0x00];
    h.extend_from_slice(&total.to_be_bytes()); // total length
    h.extend_from_slice(&id.to_be_bytes()); // identification
    h.extend_from_slice(&flags_frag.to_be_bytes()); // flags (MF = 0x2000) + offset/8
    h.push(64); // TTL
    h.push(proto); // protocol
    h.extend_from_slice(&[0, 0]); // checksum (not verified)
    h.extend_from_slice(&SRC4);
    h.extend_from_slice(&DST4);
    h
}

#[test]
fn other_ip_protocols_are_other_with_proto() {
    for proto in [47u8, 50, 51, 132] {
        let mut frame = ipv4_header(proto, 8, 1, 0);
        frame.extend_from_slice(&[0xaa; 8]);
        let info = full(LinkType::Raw, &frame);
        assert_eq!(info.transport, Transport::Other, "proto {proto}");
        assert_eq!(info.ip().unwrap().proto, proto);
        assert_eq!((info.payload_offset, info.payload_len), (20, 8));
        assert_eq!(info.stop, None);
    }
}

#[test]
fn ipv4_first_fragment_decodes_transport_later_ones_do_not() {
    let udp = [
        0x13, 0x88, // src port 5000
        0x00, 0x35, // dst port 53
        0x00, 0x20, // UDP length 32 (whole datagram, only 16 here)
        0x00, 0x00, // checksum
        1, 2, 3, 4, 5, 6, 7, 8, // first 8 payload bytes
    ];
    let mut first = ipv4_header(17, 16, 0xbeef, 0x2000);
    first.extend_from_slice(&udp);
    let info = full(LinkType::Raw, &first);
    assert_eq!(
        info.ip().unwrap().fragment,
        Some(FragmentInfo {
            id: 0xbeef,
            offset: 0,
            more_fragments: true
        })
    );
    assert_eq!(
        info.transport,
        Transport::Udp {
            src_port: 5000,
            dst_port: 53
        }
    );
    // The UDP length is longer than this fragment: the payload is what the fragment has.
    assert_eq!((info.payload_offset, info.payload_len), (28, 8));

    let mut last = ipv4_header(17, 16, 0xbeef, 2); // offset 2 blocks = 16 bytes
    last.extend_from_slice(&[9; 16]);
    let info = full(LinkType::Raw, &last);
    assert_eq!(
        info.ip().unwrap().fragment,
        Some(FragmentInfo {
            id: 0xbeef,
            offset: 16,
            more_fragments: false
        })
    );
    assert_eq!(info.transport, Transport::None);
    assert_eq!(info.stop, None);
    assert_eq!((info.payload_offset, info.payload_len), (20, 16));
}

#[test]
fn ipv4_dont_fragment_is_not_a_fragment() {
    let mut frame = ipv4_header(17, 8, 7, 0x4000); // DF only
    frame.extend_from_slice(&[0, 1, 0, 2, 0, 8, 0, 0]);
    assert_eq!(full(LinkType::Raw, &frame).ip().unwrap().fragment, None);
}

#[test]
fn ipv4_total_length_zero_falls_back_to_captured() {
    // TSO captures on the sending host show total length 0.
    let mut frame = ipv4_tcp();
    frame[2] = 0;
    frame[3] = 0;
    let info = full(LinkType::Raw, &frame);
    assert_eq!(info.transport, expected_tcp());
    assert_eq!(info.ip().unwrap().payload_len, 32);
    assert_eq!(info.payload_len, PAYLOAD.len() as u32);
}

/// IPv6 header by hand (RFC 8200 section 3).
fn ipv6_header(next: u8, payload_len: u16) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&payload_len.to_be_bytes());
    h.push(next);
    h.push(255); // hop limit
    h.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    h.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    h
}

#[test]
fn ipv6_extension_chain_to_udp() {
    let mut frame = ipv6_header(0, 8 + 16 + 8 + 12 + 8 + 3);
    frame.extend_from_slice(&[43, 0, 1, 4, 0, 0, 0, 0]); // hop-by-hop: next routing, len 0 (8 bytes), PadN
    frame.extend_from_slice(&[60, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // routing: next dest opts, len 1 (16 bytes)
    frame.extend_from_slice(&[51, 0, 1, 4, 0, 0, 0, 0]); // destination options: next AH, 8 bytes
    frame.extend_from_slice(&[17, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9]); // AH: next UDP, len 1 -> (1+2)*4 = 12 bytes
    frame.extend_from_slice(&[0x00, 0x10, 0x00, 0x20, 0x00, 0x0b, 0, 0]); // UDP 16 -> 32, length 11
    frame.extend_from_slice(b"abc");
    let info = full(LinkType::Raw, &frame);
    let ip = info.ip().unwrap();
    assert_eq!(ip.proto, 17);
    assert_eq!(ip.ttl, 255);
    assert_eq!(ip.payload_offset, 40 + 8 + 16 + 8 + 12);
    assert_eq!(ip.payload_len, 11);
    assert_eq!(ip.fragment, None);
    assert_eq!(
        info.transport,
        Transport::Udp {
            src_port: 16,
            dst_port: 32
        }
    );
    assert_eq!((info.payload_offset, info.payload_len), (92, 3));
}

#[test]
fn ipv6_extension_cut_by_snaplen() {
    let mut frame = ipv6_header(60, 16 + 8);
    frame.extend_from_slice(&[17, 1, 0, 0]); // destination options claiming 16 bytes, cut
    let info = decode(LinkType::Raw, &frame, 200);
    assert_eq!(info.stop, Some(DecodeStop::Truncated(Layer::IpExtension)));
    assert_eq!(info.ip().unwrap().proto, 60);
    assert_eq!(info.transport, Transport::None);
}

#[test]
fn ipv6_fragments_first_decodes_transport_later_ones_do_not() {
    let mut first = ipv6_header(44, 8 + 16);
    first.extend_from_slice(&[17, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef]); // frag: next UDP, offset 0, M=1, id
    first.extend_from_slice(&[0x00, 0x10, 0x00, 0x20, 0x00, 0x28, 0, 0]); // UDP, length 40
    first.extend_from_slice(&[7; 8]);
    let info = full(LinkType::Raw, &first);
    let ip = info.ip().unwrap();
    assert_eq!(
        ip.fragment,
        Some(FragmentInfo {
            id: 0xdead_beef,
            offset: 0,
            more_fragments: true
        })
    );
    assert_eq!(ip.proto, 17);
    assert_eq!(
        info.transport,
        Transport::Udp {
            src_port: 16,
            dst_port: 32
        }
    );

    let mut later = ipv6_header(44, 8 + 24);
    later.extend_from_slice(&[17, 0, 0x00, 0x10, 0xde, 0xad, 0xbe, 0xef]); // offset 2 blocks, M=0
    later.extend_from_slice(&[60, 1, 2, 3, 4, 5, 6, 7]); // data that looks like an ext header
    later.extend_from_slice(&[8; 16]);
    let info = full(LinkType::Raw, &later);
    let ip = info.ip().unwrap();
    assert_eq!(
        ip.fragment,
        Some(FragmentInfo {
            id: 0xdead_beef,
            offset: 16,
            more_fragments: false
        })
    );
    assert_eq!(info.transport, Transport::None);
    assert_eq!(ip.payload_offset, 48);
    assert_eq!((info.payload_offset, info.payload_len), (48, 24));
    assert_eq!(info.stop, None);
}

#[test]
fn ipv6_extension_loop_is_bounded() {
    let mut frame = ipv6_header(60, 8 * 40);
    for _ in 0..40 {
        frame.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]); // dest opts forever
    }
    let info = full(LinkType::Raw, &frame);
    assert_eq!(info.stop, Some(DecodeStop::Malformed(Layer::IpExtension)));
}

#[test]
fn decode_transport_of_a_reassembled_datagram() {
    let frame = ipv4_tcp();
    let (t, off, len, stop) = decode_transport(6, &frame[20..]);
    assert_eq!(t, expected_tcp());
    assert_eq!((off, len, stop), (20, PAYLOAD.len() as u32, None));
    let (t, off, len, stop) = decode_transport(6, &frame[20..30]);
    assert_eq!(t, Transport::None);
    assert_eq!(
        (off, len, stop),
        (0, 0, Some(DecodeStop::Malformed(Layer::Transport)))
    );
    let (t, off, len, stop) = decode_transport(47, &[1, 2, 3]);
    assert_eq!((t, off, len, stop), (Transport::Other, 0, 3, None));
}

#[test]
fn empty_and_unknown_inputs() {
    for link in [
        LinkType::Ethernet,
        LinkType::LinuxSll,
        LinkType::LinuxSll2,
        LinkType::Null,
        LinkType::Loop,
        LinkType::Raw,
        LinkType::Ipv4,
        LinkType::Ipv6,
    ] {
        let info = full(link, &[]);
        assert!(
            matches!(info.stop, Some(DecodeStop::Malformed(_))),
            "{link:?}"
        );
        assert_eq!(info.net, Net::None);
    }
    assert_eq!(
        full(LinkType::Unknown(147), &[1, 2, 3]).stop,
        Some(DecodeStop::NotIp)
    );
}
