#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use super::*;
use crate::common::testutil::{datagrams, stream};
use crate::parser::Direction::{ToClient, ToServer};
use crate::parser::Probe;

fn vpn(ev: &[EventKind]) -> Vec<(AppProtocol, Option<u8>, &'static str)> {
    ev.iter()
        .filter_map(|e| match e {
            EventKind::Vpn(v) => Some((v.protocol, v.version, v.message)),
            _ => None,
        })
        .collect()
}

/// IKEv2 IKE_SA_INIT request header (RFC 7296 section 3.1) + an empty payload area.
fn ike_sa_init() -> Vec<u8> {
    let mut m = vec![0x11; 8]; // initiator SPI
    m.extend_from_slice(&[0; 8]); // responder SPI: zero in the first request
    m.push(33); // next payload: SA
    m.push(0x20); // version 2.0
    m.push(34); // exchange type IKE_SA_INIT
    m.push(0x08); // flags: initiator
    m.extend_from_slice(&[0, 0, 0, 0]); // message ID
    m.extend_from_slice(&36u32.to_be_bytes()); // length
    m.extend_from_slice(&[0, 0, 0, 8, 0, 0, 0, 0]); // a generic payload header stub
    m
}

#[test]
fn ike_on_500_and_after_the_non_esp_marker() {
    let m = ike_sa_init();
    assert_eq!(ike::probe(&m, ToServer), Probe::Match);
    let mut on4500 = vec![0, 0, 0, 0];
    on4500.extend_from_slice(&m);
    assert_eq!(ike::probe(&on4500, ToServer), Probe::Match);
    let mut p = ike::Parser::new();
    let ev = datagrams(
        &mut p,
        &[(ToServer, &m), (ToServer, &on4500), (ToServer, &[0xFF])],
    );
    assert_eq!(
        vpn(&ev),
        [
            (AppProtocol::IkeIpsec, Some(2), "ike_sa_init"),
            (AppProtocol::IkeIpsec, Some(2), "ike_sa_init")
        ]
    );
}

#[test]
fn ikev1_aggressive_mode_and_esp_in_udp() {
    let mut m = ike_sa_init();
    m[17] = 0x10; // version 1.0
    m[18] = 4; // Aggressive
    let esp = [
        0x00, 0x00, 0x12, 0x34, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4,
    ]; // SPI, seq, data
    let mut p = ike::Parser::new();
    let ev = datagrams(
        &mut p,
        &[(ToServer, &m), (ToServer, &esp), (ToServer, &esp)],
    );
    assert_eq!(
        vpn(&ev),
        [
            (AppProtocol::IkeIpsec, Some(1), "aggressive_mode"),
            (AppProtocol::Esp, None, "esp_in_udp")
        ]
    );
}

#[test]
fn ike_length_mismatch_is_not_ike() {
    let mut m = ike_sa_init();
    m[27] = 99;
    assert_eq!(ike::probe(&m, ToServer), Probe::NoMatch);
    assert_eq!(
        ike::probe(b"\x16\x03\x01\x00\x10 not ike at all ....", ToServer),
        Probe::NoMatch
    );
}

#[test]
fn esp_and_ah_once_per_flow() {
    let mut p = esp::Parser::new();
    let pkt = [0, 0, 1, 0, 0, 0, 0, 1, 9, 9, 9, 9];
    let ev = datagrams(&mut p, &[(ToServer, &pkt), (ToClient, &pkt)]);
    assert_eq!(vpn(&ev), [(AppProtocol::Esp, None, "esp")]);
    let mut p = ah::Parser::new();
    let ev = datagrams(
        &mut p,
        &[(ToServer, &[4, 4, 0, 0]), (ToServer, &[4, 4, 0, 0])],
    );
    assert_eq!(vpn(&ev), [(AppProtocol::Ah, None, "ah")]);
}

#[test]
fn gre_versions() {
    // Enhanced GRE (RFC 2637 4.1): K and S set, version 1, PPP, payload length, call id, seq.
    let pptp_gre = [
        0x30, 0x01, 0x88, 0x0B, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01,
    ];
    let mut p = gre::Parser::new();
    let ev = datagrams(&mut p, &[(ToServer, &pptp_gre), (ToServer, &pptp_gre)]);
    assert_eq!(vpn(&ev), [(AppProtocol::Pptp, Some(1), "pptp_gre")]);
    assert_eq!(
        gre::describe(&[0, 0, 0x08, 0x00]),
        Some((AppProtocol::Gre, 0, "gre_ipv4"))
    );
    assert_eq!(gre::probe(&[0, 5, 0x08, 0x00], ToServer), Probe::NoMatch);
}

/// L2TPv2 SCCRQ (RFC 2661 section 6.1): T L S set, version 2, length, ids, Ns/Nr, then
/// the Message Type AVP (M bit, length 8, vendor 0, attribute 0, value 1).
fn sccrq() -> Vec<u8> {
    let mut m = vec![0xC8, 0x02]; // T=1 L=1 S=1, Ver=2
    m.extend_from_slice(&20u16.to_be_bytes()); // Length
    m.extend_from_slice(&[0, 0, 0, 0]); // Tunnel ID, Session ID
    m.extend_from_slice(&[0, 0, 0, 0]); // Ns, Nr
    m.extend_from_slice(&[0x80, 0x08, 0, 0, 0, 0, 0, 1]); // AVP: Message Type = SCCRQ
    m.extend_from_slice(&[0x80, 0x08, 0, 0, 0, 2, 1, 0]); // AVP: Protocol Version 1.0
    let len = m.len() as u16;
    m[2..4].copy_from_slice(&len.to_be_bytes());
    m
}

#[test]
fn l2tp_control_and_data() {
    let m = sccrq();
    assert_eq!(l2tp::probe(&m, ToServer), Probe::Match);
    let data = [0x40, 0x02, 0x00, 0x0A, 0, 1, 0, 1, 0xff, 0x03]; // L set, v2, length 10, PPP
    let hello = {
        let mut h = m.clone();
        h[15] = 6;
        h
    };
    let mut p = l2tp::Parser::new();
    let ev = datagrams(
        &mut p,
        &[
            (ToServer, &m),
            (ToServer, &hello),
            (ToServer, &data),
            (ToServer, &data),
        ],
    );
    assert_eq!(
        vpn(&ev),
        [
            (AppProtocol::L2tp, Some(2), "sccrq"),
            (AppProtocol::L2tp, Some(2), "data")
        ]
    );
    assert_eq!(l2tp::probe(&[0x00, 0x05], ToServer), Probe::NoMatch);
}

/// PPTP Start-Control-Connection-Request (RFC 2637 section 2.1), 156 bytes.
fn pptp_sccrq() -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&156u16.to_be_bytes()); // Length
    m.extend_from_slice(&1u16.to_be_bytes()); // PPTP Message Type: control
    m.extend_from_slice(&0x1A2B3C4Du32.to_be_bytes()); // Magic Cookie
    m.extend_from_slice(&1u16.to_be_bytes()); // Control Message Type: SCCRQ
    m.extend_from_slice(&[0, 0]); // Reserved0
    m.extend_from_slice(&[1, 0]); // Protocol Version 1.0
    m.resize(156, 0); // framing/bearer caps, channels, firmware, host name, vendor
    m
}

#[test]
fn pptp_control_messages_split() {
    let m = pptp_sccrq();
    assert_eq!(pptp::probe(&m, ToServer), Probe::Match);
    let mut wire = m.clone();
    let mut echo = m[..16].to_vec();
    echo[0..2].copy_from_slice(&16u16.to_be_bytes());
    echo[9] = 5; // Echo-Request: not reported
    wire.extend_from_slice(&echo);
    let mut p = pptp::Parser::new();
    let feed: Vec<_> = wire.chunks(7).map(|c| (ToServer, c)).collect();
    let ev = stream(&mut p, &feed);
    assert_eq!(
        vpn(&ev),
        [(
            AppProtocol::Pptp,
            Some(1),
            "start_control_connection_request"
        )]
    );
}

/// P_CONTROL_HARD_RESET_CLIENT_V2 without tls-auth: opcode 7 << 3 | key 0, session id,
/// ack count 0, packet id 0 (14 bytes).
const OVPN_RESET: [u8; 14] = [0x38, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0];

#[test]
fn openvpn_udp_and_tcp() {
    assert_eq!(openvpn::probe(&OVPN_RESET, ToServer), Probe::Match);
    let mut tls_auth = vec![0x38];
    tls_auth.resize(42, 0xAB); // SHA1 tls-auth size
    assert_eq!(openvpn::probe(&tls_auth, ToServer), Probe::Match);
    tls_auth.push(0);
    assert_eq!(openvpn::probe(&tls_auth, ToServer), Probe::NoMatch);
    let mut bad = OVPN_RESET;
    bad[0] = 0x39; // key id 1
    assert_eq!(openvpn::probe(&bad, ToServer), Probe::NoMatch);

    let mut p = openvpn::Parser::new();
    let ev = datagrams(&mut p, &[(ToServer, &OVPN_RESET)]);
    assert_eq!(
        vpn(&ev),
        [(AppProtocol::OpenVpn, Some(2), "hard_reset_client_v2")]
    );

    let mut tcp = 14u16.to_be_bytes().to_vec();
    tcp.extend_from_slice(&OVPN_RESET);
    assert_eq!(openvpn::probe_tcp(&tcp, ToServer), Probe::Match);
    assert_eq!(openvpn::probe_tcp(&tcp[..5], ToServer), Probe::NeedMore);
    assert_eq!(openvpn::probe(&tcp, ToServer), Probe::Match);
    assert_eq!(
        openvpn::probe(b"GET / HTTP/1.1\r\n", ToServer),
        Probe::NoMatch
    );
    let mut p = openvpn::Parser::new();
    let ev = stream(&mut p, &[(ToServer, &tcp[..3]), (ToServer, &tcp[3..])]);
    assert_eq!(
        vpn(&ev),
        [(AppProtocol::OpenVpn, Some(2), "hard_reset_client_v2")]
    );
}

#[test]
fn wireguard_handshake() {
    let mut init = vec![1, 0, 0, 0];
    init.resize(148, 0x55);
    let mut resp = vec![2, 0, 0, 0];
    resp.resize(92, 0x66);
    assert_eq!(wireguard::probe(&init, ToServer), Probe::Match);
    assert_eq!(wireguard::probe(&init[..147], ToServer), Probe::NoMatch);
    let mut p = wireguard::Parser::new();
    let ev = datagrams(
        &mut p,
        &[
            (ToServer, &init),
            (ToClient, &resp),
            (ToServer, &[4, 0, 0, 0, 1, 2]),
        ],
    );
    assert_eq!(
        vpn(&ev),
        [
            (AppProtocol::WireGuard, None, "handshake_initiation"),
            (AppProtocol::WireGuard, None, "handshake_response")
        ]
    );
}

#[test]
fn events_per_flow_are_capped() {
    let mut init = vec![1, 0, 0, 0];
    init.resize(148, 0);
    let feed: Vec<_> = (0..100).map(|_| (ToServer, init.as_slice())).collect();
    let mut p = wireguard::Parser::new();
    assert_eq!(
        vpn(&datagrams(&mut p, &feed)).len(),
        MAX_EVENTS_PER_FLOW as usize
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(d in proptest::collection::vec(any::<u8>(), 0..300)) {
            let f: &[(crate::parser::Direction, &[u8])] = &[(ToServer, &d), (ToClient, &d)];
            let _ = datagrams(&mut ike::Parser::new(), f);
            let _ = datagrams(&mut esp::Parser::new(), f);
            let _ = datagrams(&mut ah::Parser::new(), f);
            let _ = datagrams(&mut gre::Parser::new(), f);
            let _ = datagrams(&mut l2tp::Parser::new(), f);
            let _ = datagrams(&mut wireguard::Parser::new(), f);
            let _ = datagrams(&mut openvpn::Parser::new(), f);
            let _ = stream(&mut openvpn::Parser::new(), f);
            let _ = stream(&mut pptp::Parser::new(), f);
            let _ = openvpn::probe_tcp(&d, ToServer);
        }
    }
}
