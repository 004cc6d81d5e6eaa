#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use super::*;
use crate::common::testutil::{hex, stream};
use crate::event::EventKind;
use crate::parser::Direction::{ToClient, ToServer};

/// Builds a ClientHello handshake message (type + 3-byte length + body) with the given
/// extensions, field by field as in RFC 8446 section 4.1.2.
fn hello_handshake(exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut body = vec![0x03, 0x03]; // legacy_version TLS 1.2
    body.extend_from_slice(&[0xAA; 32]); // random
    body.push(0); // legacy_session_id: empty
    body.extend_from_slice(&[0x00, 0x02, 0x13, 0x01]); // cipher_suites: TLS_AES_128_GCM_SHA256
    body.extend_from_slice(&[0x01, 0x00]); // compression: null
    let mut ext = Vec::new();
    for (t, d) in exts {
        ext.extend_from_slice(&t.to_be_bytes());
        ext.extend_from_slice(&(d.len() as u16).to_be_bytes());
        ext.extend_from_slice(d);
    }
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut hs = vec![HS_CLIENT_HELLO];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    hs
}

fn sni_ext(name: &[u8]) -> (u16, Vec<u8>) {
    let mut d = ((name.len() + 3) as u16).to_be_bytes().to_vec(); // server_name_list length
    d.push(0); // name_type host_name
    d.extend_from_slice(&(name.len() as u16).to_be_bytes());
    d.extend_from_slice(name);
    (0, d)
}

fn alpn_ext(names: &[&[u8]]) -> (u16, Vec<u8>) {
    let mut list = Vec::new();
    for n in names {
        list.push(n.len() as u8);
        list.extend_from_slice(n);
    }
    let mut d = (list.len() as u16).to_be_bytes().to_vec();
    d.extend_from_slice(&list);
    (16, d)
}

/// Wraps handshake bytes in records of at most `max` bytes each.
fn records(hs: &[u8], max: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in hs.chunks(max) {
        out.extend_from_slice(&[CONTENT_HANDSHAKE, 0x03, 0x01]); // type, legacy record version
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

fn hellos(ev: Vec<EventKind>) -> Vec<ClientHello> {
    ev.into_iter()
        .filter_map(|e| match e {
            EventKind::TlsClientHello(h) => Some(h),
            _ => None,
        })
        .collect()
}

#[test]
fn sni_and_alpn_from_one_record() {
    let wire = records(
        &hello_handshake(&[
            sni_ext(b"scada.example.com"),
            alpn_ext(&[b"h2", b"http/1.1"]),
        ]),
        16384,
    );
    let mut p = Parser::new();
    let h = hellos(stream(&mut p, &[(ToServer, &wire)]));
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].sni.as_deref(), Some("scada.example.com"));
    assert_eq!(h[0].version, 0x0303);
    assert_eq!(h[0].alpn, ["h2", "http/1.1"]);
}

#[test]
fn hello_split_across_records_and_segments() {
    let wire = records(&hello_handshake(&[sni_ext(b"vpn.example.net")]), 20);
    for cut in 1..wire.len() {
        let mut p = Parser::new();
        let h = hellos(stream(
            &mut p,
            &[(ToServer, &wire[..cut]), (ToServer, &wire[cut..])],
        ));
        assert_eq!(h.len(), 1, "cut {cut}");
        assert_eq!(h[0].sni.as_deref(), Some("vpn.example.net"));
    }
}

#[test]
fn hello_without_extensions_has_no_sni() {
    let mut hs = hello_handshake(&[]);
    // Drop the empty extensions block (2 bytes) and fix the handshake length.
    hs.truncate(hs.len() - 2);
    let body_len = (hs.len() - 4) as u32;
    hs[1..4].copy_from_slice(&body_len.to_be_bytes()[1..]);
    let h = parse_client_hello(&hs[4..]).unwrap();
    assert_eq!(h.sni, None);
}

#[test]
fn server_to_client_bytes_are_ignored_and_non_tls_is_an_error() {
    let mut p = Parser::new();
    let ev = stream(
        &mut p,
        &[
            (ToClient, b"\x16\x03\x03\x00\x01\x02"),
            (ToServer, b"GET / HTTP/1.1\r\n"),
        ],
    );
    assert!(matches!(&ev[..], [EventKind::ParseError(e)] if e.reason == "not_handshake"));
}

#[test]
fn oversized_hello_is_refused_without_buffering_it() {
    let mut hs = vec![HS_CLIENT_HELLO, 0x01, 0x00, 0x00]; // declares 64 KiB
    hs.extend_from_slice(&[0; 100]);
    let wire = records(&hs, 16384);
    let mut p = Parser::new();
    let ev = stream(&mut p, &[(ToServer, &wire)]);
    assert!(matches!(&ev[..], [EventKind::ParseError(e)] if e.reason == "hello_too_long"));
}

#[test]
fn truncated_extension_is_an_error() {
    let mut hs = hello_handshake(&[sni_ext(b"a.example")]);
    let n = hs.len();
    hs.truncate(n - 3);
    assert_eq!(parse_client_hello(&hs[4..]), Err(TlsError::Truncated));
}

#[test]
fn sni_is_capped() {
    let long = vec![b'a'; 400];
    let h = parse_client_hello(&hello_handshake(&[sni_ext(&long)])[4..]).unwrap();
    assert_eq!(h.sni.unwrap().len(), MAX_SNI_LEN);
}

#[test]
fn probe_cases() {
    let wire = records(&hello_handshake(&[]), 16384);
    assert_eq!(probe(&wire, ToServer), Probe::Match);
    assert_eq!(probe(&wire[..3], ToServer), Probe::NeedMore);
    assert_eq!(probe(&wire, ToClient), Probe::NoMatch);
    assert_eq!(probe(b"SSH-2.0-x\r\n", ToServer), Probe::NoMatch);
}

/// arkime_tls13.pcap frame 4: tshark says SNI blog.cloudflare.com, version 0x0303,
/// ALPN h2,http/1.1.
#[test]
fn real_client_hello_from_arkime_tls13() {
    let wire = hex(include_str!(
        "../../tests/fixtures/tls/arkime_tls13_frame4.hex"
    ));
    assert_eq!(probe(&wire, ToServer), Probe::Match);
    let mut p = Parser::new();
    let h = hellos(stream(&mut p, &[(ToServer, &wire)]));
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].sni.as_deref(), Some("blog.cloudflare.com"));
    assert_eq!(h[0].version, 0x0303);
    assert_eq!(h[0].alpn, ["h2", "http/1.1"]);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..700)) {
            let _ = parse_client_hello(&data);
            let _ = probe(&data, ToServer);
            let mut p = Parser::new();
            let _ = stream(&mut p, &[(ToServer, &data), (ToServer, &data)]);
        }

        #[test]
        fn random_sni_round_trips(name in "[a-z0-9.-]{1,200}", cut in 0usize..400) {
            let wire = records(&hello_handshake(&[sni_ext(name.as_bytes())]), 100);
            let cut = cut.min(wire.len());
            let mut p = Parser::new();
            let h = hellos(stream(&mut p, &[(ToServer, &wire[..cut]), (ToServer, &wire[cut..])]));
            prop_assert_eq!(h.len(), 1);
            prop_assert_eq!(h[0].sni.as_deref(), Some(name.as_str()));
        }
    }
}

/// AnyDesk is recognised by its relay SNI (remote::anydesk reuses this parser).
#[test]
fn anydesk_probe_and_parser() {
    use crate::remote::anydesk;
    let ad = records(
        &hello_handshake(&[sni_ext(b"relay-5e3a.net.anydesk.com")]),
        16384,
    );
    let other = records(&hello_handshake(&[sni_ext(b"www.example.com")]), 16384);
    assert_eq!(anydesk::probe(&ad, ToServer), Probe::Match);
    assert_eq!(anydesk::probe(&ad[..20], ToServer), Probe::NeedMore);
    assert_eq!(anydesk::probe(&other, ToServer), Probe::NoMatch);
    let mut p = anydesk::Parser::new();
    let ev = stream(&mut p, &[(ToServer, &ad[..50]), (ToServer, &ad[50..])]);
    let names: Vec<_> = ev.iter().map(EventKind::type_name).collect();
    assert_eq!(names, ["remote_access", "tls_client_hello"]);
}
