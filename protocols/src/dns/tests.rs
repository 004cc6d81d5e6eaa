#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use super::*;
use crate::common::testutil::{datagrams, stream};
use crate::event::EventKind;
use crate::parser::Direction::{ToClient, ToServer};

/// Query for example.com A, id 0x1234, RD set.
const QUERY: &[u8] = &[
    0x12, 0x34, // ID
    0x01, 0x00, // QR=0 opcode=0 RD=1
    0x00, 0x01, // QDCOUNT
    0x00, 0x00, // ANCOUNT
    0x00, 0x00, // NSCOUNT
    0x00, 0x00, // ARCOUNT
    7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, // QNAME
    0x00, 0x01, // QTYPE A
    0x00, 0x01, // QCLASS IN
];

/// Response: www.example.com CNAME example.com (compressed), example.com A 93.184.216.34.
const RESPONSE: &[u8] = &[
    0xab, 0xcd, // ID
    0x81, 0x80, // QR=1 RD RA, rcode 0
    0x00, 0x01, // QDCOUNT
    0x00, 0x02, // ANCOUNT
    0x00, 0x00, 0x00, 0x00, // NSCOUNT, ARCOUNT
    3, b'w', b'w', b'w', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm',
    0, // QNAME at offset 12; "example" label at offset 16
    0x00, 0x01, 0x00, 0x01, // QTYPE A, QCLASS IN
    0xc0, 0x0c, // NAME -> offset 12 (www.example.com)
    0x00, 0x05, 0x00, 0x01, // TYPE CNAME, CLASS IN
    0x00, 0x00, 0x0e, 0x10, // TTL 3600
    0x00, 0x02, // RDLENGTH
    0xc0, 0x10, // RDATA: pointer -> offset 16 (example.com)
    0xc0, 0x10, // NAME -> example.com
    0x00, 0x01, 0x00, 0x01, // TYPE A, CLASS IN
    0x00, 0x00, 0x00, 0x3c, // TTL 60
    0x00, 0x04, // RDLENGTH
    93, 184, 216, 34, // RDATA
];

fn dns_events(ev: Vec<EventKind>) -> Vec<DnsMessage> {
    ev.into_iter()
        .filter_map(|e| match e {
            EventKind::Dns(m) => Some(m),
            _ => None,
        })
        .collect()
}

#[test]
fn query_fields() {
    let m = parse_message(QUERY).unwrap();
    assert_eq!(m.trans_id, 0x1234);
    assert!(!m.response);
    assert_eq!(m.query.as_deref(), Some("example.com"));
    assert_eq!(m.qtype, 1);
    assert!(m.answers.is_empty());
}

#[test]
fn response_with_compressed_cname_and_a() {
    let m = parse_message(RESPONSE).unwrap();
    assert!(m.response);
    assert_eq!(m.rcode, 0);
    assert_eq!(m.query.as_deref(), Some("www.example.com"));
    assert_eq!(m.answers.len(), 2);
    assert_eq!(m.answers[0].name, "www.example.com");
    assert_eq!(m.answers[0].rtype, 5);
    assert_eq!(m.answers[0].target.as_deref(), Some("example.com"));
    assert_eq!(m.answers[0].ttl, 3600);
    assert_eq!(m.answers[1].name, "example.com");
    assert_eq!(m.answers[1].addr, Some("93.184.216.34".parse().unwrap()));
}

#[test]
fn nxdomain_rcode() {
    let mut r = QUERY.to_vec();
    r[2] = 0x81;
    r[3] = 0x83; // QR=1, RCODE=3 NXDOMAIN
    let m = parse_message(&r).unwrap();
    assert!(m.response);
    assert_eq!(m.rcode, 3);
}

#[test]
fn pointer_to_itself_is_a_loop() {
    let mut q = QUERY[..12].to_vec();
    q.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]); // QNAME -> offset 12: itself
    assert_eq!(parse_message(&q), Err(DnsError::PointerLoop));
}

#[test]
fn forward_pointer_is_rejected() {
    let mut q = QUERY[..12].to_vec();
    q.extend_from_slice(&[0xc0, 0x0e, 0, 0, 0, 1]); // QNAME -> offset 14 (ahead)
    assert_eq!(parse_message(&q), Err(DnsError::PointerLoop));
}

#[test]
fn reserved_label_type_is_rejected() {
    let mut q = QUERY[..12].to_vec();
    q.extend_from_slice(&[0x41, b'a', 0, 0, 1, 0, 1]); // 0b01 label type (RFC 6891 removed)
    assert_eq!(parse_message(&q), Err(DnsError::BadLabel));
}

#[test]
fn short_and_truncated_messages() {
    assert_eq!(parse_message(&QUERY[..11]), Err(DnsError::ShortHeader));
    assert_eq!(parse_message(&QUERY[..20]), Err(DnsError::Truncated));
    // A response cut inside its second answer keeps the first.
    let m = parse_message(&RESPONSE[..RESPONSE.len() - 2]).unwrap();
    assert_eq!(m.answers.len(), 1);
}

#[test]
fn long_name_is_capped() {
    let mut q = QUERY[..12].to_vec();
    for _ in 0..5 {
        q.push(63);
        q.extend_from_slice(&[b'a'; 63]);
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    let m = parse_message(&q).unwrap();
    assert_eq!(m.query.unwrap().len(), MAX_NAME_LEN);
}

#[test]
fn probe_accepts_query_and_rejects_other_bytes() {
    assert_eq!(probe(QUERY, ToServer), Probe::Match);
    assert_eq!(probe(RESPONSE, ToClient), Probe::Match);
    // A response sent to the server port is not a query.
    assert_eq!(probe(RESPONSE, ToServer), Probe::NoMatch);
    assert_eq!(
        probe(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", ToServer),
        Probe::NoMatch
    );
    assert_eq!(probe(&QUERY[..5], ToServer), Probe::NoMatch);
    assert_eq!(probe_tcp(&[0, 29, 0x12], ToServer), Probe::NeedMore);
    let mut tcp = vec![0, QUERY.len() as u8];
    tcp.extend_from_slice(QUERY);
    assert_eq!(probe_tcp(&tcp, ToServer), Probe::Match);
}

#[test]
fn udp_datagrams_emit_one_message_each() {
    let mut p = Parser::new();
    let ev = dns_events(datagrams(
        &mut p,
        &[(ToServer, QUERY), (ToClient, RESPONSE)],
    ));
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].query.as_deref(), Some("example.com"));
    assert_eq!(ev[1].answers.len(), 2);
}

#[test]
fn garbage_datagram_is_a_parse_error() {
    let mut p = Parser::new();
    let ev = datagrams(&mut p, &[(ToServer, &[1, 2, 3])]);
    assert!(matches!(
        &ev[..],
        [EventKind::ParseError(e)] if e.reason == "short_header"
    ));
}

fn tcp_framed(msgs: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::new();
    for m in msgs {
        v.extend_from_slice(&(m.len() as u16).to_be_bytes());
        v.extend_from_slice(m);
    }
    v
}

#[test]
fn tcp_messages_split_at_every_point() {
    let wire = tcp_framed(&[QUERY, RESPONSE]);
    for cut in 0..=wire.len() {
        let mut p = Parser::new();
        let ev = dns_events(stream(
            &mut p,
            &[(ToServer, &wire[..cut]), (ToServer, &wire[cut..])],
        ));
        assert_eq!(ev.len(), 2, "cut at {cut}");
        assert_eq!(ev[1].answers.len(), 2, "cut at {cut}");
    }
}

#[test]
fn tcp_byte_by_byte() {
    let wire = tcp_framed(&[RESPONSE, QUERY]);
    let chunks: Vec<_> = wire.chunks(1).map(|c| (ToClient, c)).collect();
    let mut p = Parser::new();
    let ev = dns_events(stream(&mut p, &chunks));
    assert_eq!(ev.len(), 2);
}

#[test]
fn tcp_over_long_message_is_parsed_from_its_prefix_and_skipped() {
    // One 20000-byte message: the query then zero padding (unused answer space).
    let mut big = QUERY.to_vec();
    big.resize(20_000, 0);
    let wire = tcp_framed(&[&big, QUERY]);
    let mut p = Parser::new();
    let chunks: Vec<_> = wire.chunks(1000).map(|c| (ToServer, c)).collect();
    let ev = dns_events(stream(&mut p, &chunks));
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[1].query.as_deref(), Some("example.com"));
}

#[test]
fn tcp_gap_resyncs_on_next_segment() {
    let wire = tcp_framed(&[QUERY]);
    let mut p = Parser::new();
    let ev = crate::common::testutil::stream(&mut p, &[(ToServer, &wire[..10])]);
    assert!(dns_events(ev).is_empty());
    // After a gap, the partial message is dropped and the next one parses.
    let mut stats = crate::engine::EngineStats::default();
    let mut events = Vec::new();
    let mut sub = 0;
    let mut ctx = ParseCtx::new(
        Default::default(),
        1,
        0,
        1,
        crate::common::testutil::tuple(6),
        &mut stats,
        &mut events,
        &mut sub,
    );
    p.on_gap(&mut ctx, ToServer, 100);
    p.on_data(&mut ctx, ToServer, &wire);
    assert_eq!(events.len(), 1);
}

/// The one response in zeek_dns53.pcap (frame 1), as tshark shows it: id 0x6465,
/// us.v27.distributed.net A, 8 answers (the other A records tshark lists are additional).
#[test]
fn real_response_from_zeek_dns53() {
    let hex = include_str!("../../tests/fixtures/dns/zeek_dns53_frame1.hex");
    let bytes: Vec<u8> = (0..hex.trim().len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex.trim()[i..i + 2], 16).unwrap())
        .collect();
    let m = parse_message(&bytes).unwrap();
    assert_eq!(m.trans_id, 0x6465);
    assert_eq!(m.query.as_deref(), Some("us.v27.distributed.net"));
    assert_eq!(m.qtype, 1);
    let addrs: Vec<String> = m
        .answers
        .iter()
        .map(|a| a.addr.unwrap().to_string())
        .collect();
    assert_eq!(
        addrs,
        [
            "206.109.64.186",
            "216.1.205.81",
            "205.149.163.211",
            "134.53.131.135",
            "134.53.131.192",
            "128.104.18.148",
            "204.152.186.139",
            "63.77.33.226"
        ]
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_message(&data);
            let _ = probe(&data, ToServer);
            let _ = probe_tcp(&data, ToClient);
            let mut p = Parser::new();
            let _ = stream(&mut p, &[(ToServer, &data)]);
        }

        #[test]
        fn tcp_split_points_do_not_change_events(a in 0usize..200, b in 0usize..200) {
            let wire = tcp_framed(&[QUERY, RESPONSE, QUERY]);
            let (a, b) = (a.min(wire.len()), b.min(wire.len()));
            let (lo, hi) = (a.min(b), a.max(b));
            let mut p = Parser::new();
            let ev = dns_events(stream(&mut p, &[(ToServer, &wire[..lo]), (ToServer, &wire[lo..hi]), (ToServer, &wire[hi..])]));
            prop_assert_eq!(ev.len(), 3);
            prop_assert_eq!(&ev[1], &parse_message(RESPONSE).unwrap());
        }
    }
}
