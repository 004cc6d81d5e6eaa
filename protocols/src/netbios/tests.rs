//! NetBIOS unit tests. Payloads are UDP payloads copied from the shared captures
//! (frame numbers as tshark counts them), plus hand-built malformed cases.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use super::*;
use crate::common::testutil::{datagrams, hex};

/// iti_EIP-IPAddressChangeAttempt.pcap frame 370: broadcast query for
/// DBLICENSESERVER<20>.
const QUERY: &str = "9786011000010000000000002045454543454d454a45444546454f4644454646444546464346474546464343410000200001";
/// Frame 371: the positive response, 192.168.10.105.
const RESPONSE: &str = "9786850000000001000000002045454543454d454a45444546454f4644454646444546464346474546464343410000200001000493e000060000c0a80a69";
/// Frame 770: host announcement of WIN2K3LAB022, OS 5.2, server type 0x00829003.
const HOST_ANNOUNCEMENT: &str = "11029787c0a80a16008a00bb0000204648454a454f4443454c4444454d4542454344414443444343414341434143410020464845504643454c45484643455046464641434143414341434143414341424e00ff534d422500000000000000000000000000000000000000000000000000000011000021000000000000000000e803000000000000000021005600030001000000020032005c4d41494c534c4f545c42524f57534500010080fc0a0057494e324b334c414230323200006f000502039082000f0155aa00";
/// iti_090813_diverse.pcap frame 143: local master announcement of EVON, OS 5.1.
const LOCAL_MASTER: &str = "110280a10a00000a008a00bb000020454646474550454f4341434143414341434143414341434143414341434143410020454246434543454646454644454846434646464146414341434143414341424f00ff534d422500000000000000000000000000000000000000000000000000000011000021000000000000000000e803000000000000000021005600030001000000020032005c4d41494c534c4f545c42524f575345000f0080fc0a0045564f4e00000000000064f00d0302000501031005000f0155aa00";

#[test]
fn first_level_encoding_decodes_with_suffix() {
    // "FHEJEO..." of frame 770: WIN2K3LAB022 padded with spaces, suffix 0x20.
    let label = &hex(HOST_ANNOUNCEMENT)[15..47];
    let n = NetbiosName::from_raw(&name::decode_label(label).unwrap());
    assert_eq!(n.name, "WIN2K3LAB022");
    assert_eq!(n.suffix, 0x20);
    assert_eq!(n.display(), "WIN2K3LAB022<20>");
    // 'Q' is outside the alphabet; 31 characters is not a name.
    assert!(name::decode_label(b"QEECEMEJEDEFEOFDEFFCFGEFFCCACAAA").is_none());
    assert!(name::decode_label(b"EEECEMEJEDEFEOFDEFFCFGEFFCCACAA").is_none());
}

#[test]
fn query_and_response() {
    let q = parse_message(&hex(QUERY)).unwrap();
    assert!(!q.response && q.broadcast);
    assert_eq!(q.operation, "query");
    assert_eq!(q.query.as_ref().unwrap().display(), "DBLICENSESERVER<20>");
    assert_eq!(q.query.as_ref().unwrap().suffix_type, "file_server");
    assert_eq!(q.qtype, 0x20);
    let r = parse_message(&hex(RESPONSE)).unwrap();
    assert!(r.response);
    assert_eq!(r.records.len(), 1);
    assert_eq!(r.records[0].name.display(), "DBLICENSESERVER<20>");
    assert_eq!(r.records[0].ttl, 300_000);
    assert_eq!(
        r.records[0].addresses[0].addr,
        std::net::Ipv4Addr::new(192, 168, 10, 105)
    );
    assert!(!r.records[0].addresses[0].group);
}

#[test]
fn host_announcement() {
    let Datagram::Browser(a) = parse_datagram(&hex(HOST_ANNOUNCEMENT)).unwrap() else {
        panic!("not a browser datagram");
    };
    assert_eq!(a.command_name, "host_announcement");
    assert_eq!(a.server.as_deref(), Some("WIN2K3LAB022"));
    assert_eq!((a.os_major, a.os_minor), (Some(5), Some(2)));
    assert_eq!(a.server_type, Some(0x0082_9003));
    assert!(a.server_types.contains(&"server_nt"));
    assert_eq!(a.source_name.unwrap().display(), "WIN2K3LAB022<20>");
    assert_eq!(a.mailslot, "\\MAILSLOT\\BROWSE");
}

#[test]
fn local_master_announcement() {
    let Datagram::Browser(a) = parse_datagram(&hex(LOCAL_MASTER)).unwrap() else {
        panic!("not a browser datagram");
    };
    assert_eq!(a.command, 15);
    assert_eq!(a.server.as_deref(), Some("EVON"));
    assert_eq!((a.os_major, a.os_minor), (Some(5), Some(1)));
    assert!(a.server_types.contains(&"master_browser"));
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for full in [QUERY, RESPONSE, HOST_ANNOUNCEMENT, LOCAL_MASTER] {
        let b = hex(full);
        for n in 0..b.len() {
            let _ = parse_message(&b[..n]);
            let _ = parse_datagram(&b[..n]);
        }
    }
    assert_eq!(parse_message(&[0; 4]), Err(NsError::ShortHeader));
    let mut bad = hex(QUERY);
    bad[13] = b'Z';
    assert_eq!(parse_message(&bad), Err(NsError::BadName));
}

#[test]
fn compression_pointer_forward_is_refused() {
    // Header with one answer whose name is a pointer to itself.
    let mut m = hex("000085000000000100000000");
    m.extend_from_slice(&[0xC0, 12, 0, 0x20, 0, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(parse_message(&m), Err(NsError::BadName));
}

#[test]
fn parser_emits_typed_events_and_counts_errors() {
    let mut p = Parser::new(Service::Name);
    let q = hex(QUERY);
    let ev = datagrams(
        &mut p,
        &[(Direction::ToServer, &q), (Direction::ToServer, b"x")],
    );
    assert!(matches!(ev[0], EventKind::Nbns(_)));
    assert!(matches!(&ev[1], EventKind::ParseError(e) if e.protocol == AppProtocol::Nbns));
    let mut p = Parser::new(Service::Datagram);
    let a = hex(HOST_ANNOUNCEMENT);
    let ev = datagrams(&mut p, &[(Direction::ToServer, &a)]);
    assert!(matches!(ev[0], EventKind::Browser(_)));
}

#[test]
fn probes() {
    assert_eq!(probe_ns(&hex(QUERY), Direction::ToServer), Probe::Match);
    assert_eq!(
        probe_dgm(&hex(HOST_ANNOUNCEMENT), Direction::ToServer),
        Probe::Match
    );
    // NBNS is never DNS (issue 19 point 6).
    assert_eq!(
        crate::dns::probe(&hex(QUERY), Direction::ToServer),
        Probe::NoMatch
    );
    assert_eq!(
        crate::dns::probe(&hex(RESPONSE), Direction::ToClient),
        Probe::NoMatch
    );
    // A DNS query is not NBNS.
    let dns = hex("12340100000100000000000003777777076578616d706c6503636f6d0000010001");
    assert_eq!(probe_ns(&dns, Direction::ToServer), Probe::NoMatch);
    assert_eq!(crate::dns::probe(&dns, Direction::ToServer), Probe::Match);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_message(&b);
            let _ = parse_datagram(&b);
            let _ = parse_browser(&b);
        }

        #[test]
        fn encoded_names_round_trip(raw in proptest::array::uniform16(any::<u8>())) {
            let mut label = Vec::new();
            for b in raw {
                label.push(b'A' + (b >> 4));
                label.push(b'A' + (b & 0xF));
            }
            prop_assert_eq!(name::decode_label(&label), Some(raw));
        }

        #[test]
        fn mutated_announcements_never_panic(at in 0usize..200, v in any::<u8>()) {
            let mut b = hex(HOST_ANNOUNCEMENT);
            if let Some(x) = b.get_mut(at) { *x = v; }
            let _ = parse_datagram(&b);
        }
    }
}

mod round_trip {
    use super::*;
    use proptest::prelude::*;

    /// A registration request as RFC 1002 section 4.2.2 lays it out.
    fn registration(id: u16, raw: [u8; 16], ip: [u8; 4], group: bool) -> Vec<u8> {
        let mut m = id.to_be_bytes().to_vec();
        m.extend_from_slice(&[0x29, 0x10, 0, 1, 0, 0, 0, 0, 0, 1, 32]);
        for b in raw {
            m.push(b'A' + (b >> 4));
            m.push(b'A' + (b & 0xF));
        }
        m.extend_from_slice(&[
            0, 0, 0x20, 0, 1, 0xc0, 12, 0, 0x20, 0, 1, 0, 4, 0x93, 0xe0, 0, 6,
        ]);
        m.extend_from_slice(&(if group { 0xe000u16 } else { 0x6000 }).to_be_bytes());
        m.extend_from_slice(&ip);
        m
    }

    proptest! {
        #[test]
        fn registrations_parse_back(id in any::<u16>(), raw in proptest::array::uniform16(any::<u8>()),
                                    ip in proptest::array::uniform4(any::<u8>()), group in any::<bool>()) {
            let m = parse_message(&registration(id, raw, ip, group)).unwrap();
            prop_assert_eq!(m.trans_id, id);
            prop_assert_eq!(m.operation, "registration");
            let q = m.query.unwrap();
            prop_assert_eq!(q.suffix, raw[15]);
            prop_assert_eq!(&m.records[0].name, &q);
            prop_assert_eq!(m.records[0].addresses[0].addr, std::net::Ipv4Addr::from(ip));
            prop_assert_eq!(m.records[0].addresses[0].group, group);
            prop_assert_eq!(m.records[0].ttl, 300_000);
        }

        #[test]
        fn truncated_registrations_never_panic(cut in 0usize..90, raw in proptest::array::uniform16(any::<u8>())) {
            let m = registration(1, raw, [10, 0, 0, 1], false);
            let _ = parse_message(m.get(..cut.min(m.len())).unwrap_or(&m));
        }
    }
}
