//! Unit tests: frames built field by field from IEEE 1815-2012 (each field named beside
//! it) and fragments copied from the captures named beside them.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic
)]

use super::app::{self, ObjectHeader};
use super::link::{self, FrameError};
use super::transport::{self, Losses, Outcome, Reassembler};
use super::*;
use crate::engine::EngineStats;
use crate::event::{Event, EventKind, FlowTuple};
use crate::facts::{Action, Outcome as CaOutcome, Value};
use crate::parser::{DatagramParser, Direction, ParseCtx, StreamParser};
use mizuban_capture::{Timestamp, VlanTags};

const MASTER: u16 = 3;
const OUTSTATION: u16 = 4;
/// Link control: DIR + PRM + unconfirmed user data (master), PRM + unconfirmed user
/// data (outstation).
const CTL_MASTER: u8 = 0xC4;
const CTL_OUTSTATION: u8 = 0x44;

/// One link frame carrying a whole fragment in one segment (FIR, FIN, transport seq 0).
fn frame(ctl: u8, dst: u16, src: u16, fragment: &[u8]) -> Vec<u8> {
    let mut seg = vec![0xC0];
    seg.extend_from_slice(fragment);
    link::encode(ctl, dst, src, &seg)
}

fn request(fragment: &[u8]) -> Vec<u8> {
    frame(CTL_MASTER, OUTSTATION, MASTER, fragment)
}

fn response(fragment: &[u8]) -> Vec<u8> {
    frame(CTL_OUTSTATION, MASTER, OUTSTATION, fragment)
}

struct Harness {
    parser: Parser,
    stats: EngineStats,
    events: Vec<Event>,
    sub: u32,
}

impl Harness {
    fn new() -> Harness {
        Harness::with(&Dnp3Config::default())
    }
    fn with(cfg: &Dnp3Config) -> Harness {
        Harness {
            parser: Parser::new(cfg),
            stats: EngineStats::default(),
            events: Vec::new(),
            sub: 0,
        }
    }
    fn ctx(&mut self, frame: u64, ms: i64) -> ParseCtx<'_> {
        let flow = FlowTuple {
            client: "10.0.0.1:40000".parse().unwrap(),
            server: "10.0.0.2:20000".parse().unwrap(),
            proto: 6,
            vlan: VlanTags::default(),
        };
        ParseCtx::new(
            Timestamp::from_nanos(ms * 1_000_000),
            frame,
            0,
            frame,
            flow,
            &mut self.stats,
            &mut self.events,
            &mut self.sub,
        )
    }
    fn data(&mut self, frame: u64, dir: Direction, bytes: &[u8]) {
        let mut p = std::mem::replace(&mut self.parser, Parser::new(&Dnp3Config::default()));
        StreamParser::on_data(&mut p, &mut self.ctx(frame, frame as i64), dir, bytes);
        self.parser = p;
    }
    fn datagram(&mut self, frame: u64, dir: Direction, bytes: &[u8]) {
        let mut p = std::mem::replace(&mut self.parser, Parser::new(&Dnp3Config::default()));
        p.on_datagram(&mut self.ctx(frame, frame as i64), dir, bytes);
        self.parser = p;
    }
    fn req(&mut self, frame: u64, bytes: &[u8]) {
        self.data(frame, Direction::ToServer, bytes);
    }
    fn resp(&mut self, frame: u64, bytes: &[u8]) {
        self.data(frame, Direction::ToClient, bytes);
    }
    fn close(&mut self) {
        let mut p = std::mem::replace(&mut self.parser, Parser::new(&Dnp3Config::default()));
        StreamParser::on_close(&mut p, &mut self.ctx(0, 1_000_000));
        self.parser = p;
    }
    fn fragments(&self) -> Vec<(u64, Fragment)> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Dnp3(f) => Some((e.frame, f.clone())),
                _ => None,
            })
            .collect()
    }
    fn actions(&self) -> Vec<(u64, crate::facts::ControlAction)> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::ControlAction(c) => Some((e.frame, c.clone())),
                _ => None,
            })
            .collect()
    }
    fn errors(&self) -> Vec<&'static str> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::ParseError(p) => Some(p.reason),
                _ => None,
            })
            .collect()
    }
}

// ---- link layer ----

#[test]
fn crc16_matches_the_standard_check_value() {
    // CRC-16/DNP check value over "123456789" (annex E; reveng catalogue).
    assert_eq!(link::crc16(b"123456789"), 0xEA82);
}

#[test]
fn link_header_from_cisagov_frame_1_is_framed() {
    // cisagov_dnp3_example.pcap frame 1: read class 0 from 100 to 5.
    let bytes = [
        0x05, 0x64, // start
        0x0B, // length: 5 + 6 user data bytes
        0xC4, // DIR, PRM, unconfirmed user data
        0x05, 0x00, // destination 5
        0x64, 0x00, // source 100
        0x6F, 0x36, // header CRC
        0xD0, 0xC3, 0x01, 0x3C, 0x01, 0x06, // transport, app control, read, g60v1 q06
        0x34, 0x4D, // block CRC
    ];
    let (f, rest) = link::parse_frame(&bytes).unwrap();
    assert!(rest.is_empty());
    assert_eq!(f.header.destination, 5);
    assert_eq!(f.header.source, 100);
    assert!(f.header.from_master() && f.header.carries_user_data());
    assert_eq!(f.bad_block, None);
    assert_eq!(f.data.bytes(), &[0xD0, 0xC3, 0x01, 0x3C, 0x01, 0x06]);
}

#[test]
fn bad_header_crc_is_a_framing_error() {
    let mut bytes = request(&[0xC0, 0x01, 0x3C, 0x01, 0x06]);
    bytes[8] ^= 0xFF;
    assert!(matches!(
        link::parse_frame(&bytes),
        Err(FrameError::HeaderCrc { .. })
    ));
}

#[test]
fn bad_block_crc_is_reported_in_the_frame() {
    let frag = [0xC0; 40];
    let mut bytes = request(&frag);
    // Second block's CRC: header 10 + block 16 + 2 + block 16 -> CRC at 44..46.
    bytes[44] ^= 0x01;
    let (f, _) = link::parse_frame(&bytes).unwrap();
    assert_eq!(f.bad_block, Some(1));
    assert_eq!(f.bad_blocks, 1);
}

#[test]
fn every_truncation_is_incomplete() {
    let bytes = request(&[0xC0; 60]);
    for n in 2..bytes.len() {
        assert!(
            matches!(
                link::parse_frame(&bytes[..n]),
                Err(FrameError::Incomplete { .. })
            ),
            "{n}"
        );
    }
    assert!(link::parse_frame(&bytes).is_ok());
}

#[test]
fn wire_len_counts_a_crc_per_block() {
    assert_eq!(link::wire_len(5), 10);
    assert_eq!(link::wire_len(6), 13);
    assert_eq!(link::wire_len(21), 28);
    assert_eq!(link::wire_len(22), 31);
    assert_eq!(link::wire_len(255), link::MAX_FRAME_LEN);
    assert_eq!(link::MAX_FRAME_LEN, 292);
}

// ---- transport ----

#[test]
fn transport_reassembles_in_sequence_and_wraps_at_64() {
    let frag: Vec<u8> = (0..=255u8).cycle().take(600).collect();
    let segs = transport::segment(&frag, 249, 63);
    assert_eq!(segs.len(), 3);
    assert_eq!(segs[1][0] & 0x3F, 0, "63 + 1 wraps to 0");
    let mut r = Reassembler::new(8192);
    let mut l = Losses::default();
    assert_eq!(r.push(1, 2, &segs[0], &mut l), Outcome::Pending);
    assert_eq!(r.push(1, 2, &segs[1], &mut l), Outcome::Pending);
    assert_eq!(r.push(1, 2, &segs[2], &mut l), Outcome::Complete(&frag[..]));
    assert_eq!(r.in_progress(), 0);
}

#[test]
fn transport_drops_out_of_sequence_and_orphan_segments() {
    let segs = transport::segment(&[7; 500], 249, 10);
    let mut r = Reassembler::new(8192);
    let mut l = Losses::default();
    assert_eq!(
        r.push(1, 2, &segs[1], &mut l),
        Outcome::Dropped(transport::Drop::NoFirst)
    );
    assert_eq!(r.push(1, 2, &segs[0], &mut l), Outcome::Pending);
    assert_eq!(
        r.push(1, 2, &segs[2], &mut l),
        Outcome::Dropped(transport::Drop::OutOfSequence)
    );
    assert_eq!(r.in_progress(), 0);
}

#[test]
fn transport_keeps_link_address_pairs_apart_and_bounded() {
    let mut r = Reassembler::new(8192);
    let mut l = Losses::default();
    let first = transport::segment(&[1; 300], 249, 0);
    for src in 0..(transport::MAX_REASSEMBLIES as u16 + 3) {
        assert_eq!(r.push(src, 9, &first[0], &mut l), Outcome::Pending);
    }
    assert_eq!(r.in_progress(), transport::MAX_REASSEMBLIES);
    assert_eq!(l.evicted, 3);
}

#[test]
fn transport_bounds_fragment_size() {
    let frag = vec![0u8; 2000];
    let segs = transport::segment(&frag, 249, 0);
    let mut r = Reassembler::new(1000);
    let mut l = Losses::default();
    let outs: Vec<_> = segs
        .iter()
        .map(|s| format!("{:?}", r.push(1, 2, s, &mut l)))
        .collect();
    assert!(outs.iter().any(|o| o.contains("TooLong")), "{outs:?}");
    assert_eq!(r.buffered(), 0);
}

// ---- application layer ----

#[test]
fn crob_from_iti_auth_capture_is_decoded() {
    // iti_auth_control_challenge_response.pcap frame 1: direct operate, g12v1, qualifier
    // 0x28 (2-octet index prefix, 16-bit count), index 1, latch on, count 1, 100/100 ms.
    let frag = [
        0xC6, 0x05, // FIR FIN seq 6, direct operate
        0x0C, 0x01, 0x28, // g12v1, qualifier 0x28
        0x01, 0x00, // count 1
        0x01, 0x00, // index 1
        0x03, 0x01, // latch on, count 1
        0x64, 0x00, 0x00, 0x00, // on time 100
        0x64, 0x00, 0x00, 0x00, // off time 100
        0x00, // status
    ];
    let f = app::decode(&frag);
    assert_eq!(f.anomaly, None);
    assert_eq!(
        f.objects,
        vec![ObjectHeader {
            group: 12,
            variation: 1,
            qualifier: 0x28,
            count: 1,
            start: None,
            stop: None
        }]
    );
    let c = &f.decoded.crob[0];
    assert_eq!(
        (c.index, c.op_name, c.count, c.on_time, c.off_time),
        (1, "latch_on", 1, 100, 100)
    );
}

#[test]
fn response_iin_is_read_as_tshark_shows_it() {
    // IIN1 0x90 (device restart, need time), IIN2 0x04 (parameter error).
    let f = app::decode(&[0xC6, 0x81, 0x90, 0x04]);
    let h = f.header.unwrap();
    assert_eq!(h.iin, Some(0x9004));
    assert_eq!(
        iin_flags(0x9004),
        vec!["need_time", "device_restart", "parameter_error"]
    );
}

#[test]
fn read_headers_carry_no_data_but_index_lists() {
    // Read g1v2 indices 3 and 9 (qualifier 0x17: 1-octet index, 8-bit count), then
    // class 1-3 (g60v2-4, qualifier 0x06).
    let frag = [
        0xC1, 0x01, //
        0x01, 0x02, 0x17, 0x02, 0x03, 0x09, // g1v2, 2 indices
        0x3C, 0x02, 0x06, 0x3C, 0x03, 0x06, 0x3C, 0x04, 0x06,
    ];
    let f = app::decode(&frag);
    assert_eq!(f.anomaly, None);
    assert_eq!(f.objects.len(), 4);
    assert_eq!(f.objects[0].count, 2);
}

#[test]
fn analog_output_time_and_iin_writes_are_decoded() {
    // Direct operate g41v2 index 5 value -2; write g50v1 time; write g80v1 index 7 = 0.
    let ao = app::decode(&[0xC1, 0x05, 0x29, 0x02, 0x17, 0x01, 0x05, 0xFE, 0xFF, 0x00]);
    assert_eq!(ao.anomaly, None);
    assert_eq!(ao.decoded.analog_output[0].index, 5);
    assert_eq!(
        ao.decoded.analog_output[0].value,
        objects::AnalogValue::Int(-2)
    );
    let t = app::decode(&[
        0xC2, 0x02, 0x32, 0x01, 0x07, 0x01, 0x10, 0x32, 0x54, 0x76, 0x98, 0x01,
    ]);
    assert_eq!(t.decoded.time, vec![0x0198_7654_3210]);
    let w = app::decode(&[0xC3, 0x02, 0x50, 0x01, 0x00, 0x07, 0x07, 0x00]);
    assert_eq!(w.anomaly, None);
    assert_eq!(w.decoded.iin_write[0].name, "device_restart");
    assert!(!w.decoded.iin_write[0].value);
}

#[test]
fn device_attributes_are_decoded_for_the_inventory() {
    // Response: g0v252 (manufacturer) "ACME", g0v250 (product and model) "RTU-9",
    // g0v242 (software version) "2.1", g0v248 (serial) "SN7"; qualifier 0x00 0..0.
    let mut objs = Vec::new();
    for (v, s) in [(252u8, "ACME"), (250, "RTU-9"), (242, "2.1"), (248, "SN7")] {
        objs.extend_from_slice(&[0x00, v, 0x00, 0x00, 0x00, 0x01, s.len() as u8]);
        objs.extend_from_slice(s.as_bytes());
    }
    let f = app::decode(&app::encode(0xC1, 0x81, Some(0), &objs));
    assert_eq!(f.anomaly, None);
    let names: Vec<_> = f
        .decoded
        .attributes
        .iter()
        .map(|a| (a.name, a.text.clone().unwrap()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("device_manufacturer_name", "ACME".to_string()),
            ("device_manufacturer_product_name_and_model", "RTU-9".into()),
            ("device_manufacturer_software_version", "2.1".into()),
            ("device_serial_number", "SN7".into()),
        ]
    );
}

#[test]
fn secure_authentication_is_recognised_with_its_message() {
    // iti_auth_control_challenge_response.pcap frame 2: authentication response with a
    // g120v1 challenge (qualifier 0x5B, 2-octet size), csq 3, user 0.
    let frag = [
        0xC6, 0x83, 0x90, 0x00, // auth response, IIN
        0x78, 0x01, 0x5B, 0x01, // g120v1, 1 object
        0x0C, 0x00, // size 12
        0x03, 0x00, 0x00, 0x00, // csq 3
        0x00, 0x00, // user 0
        0x04, 0x01, // MAC algorithm, reason
        0xAA, 0xBB, 0xCC, 0xDD, // challenge data
    ];
    let f = app::decode(&frag);
    assert_eq!(f.anomaly, None);
    let a = &f.decoded.auth[0];
    assert_eq!((a.name, a.csq, a.user), ("challenge", Some(3), Some(0)));
}

#[test]
fn file_open_from_iti_capture_names_the_file() {
    // iti_file_list_directory.pcap frame 1: open file "." (g70v3, qualifier 0x5B).
    let name = b".";
    let mut obj = Vec::new();
    obj.extend_from_slice(&26u16.to_le_bytes()); // name offset
    obj.extend_from_slice(&(name.len() as u16).to_le_bytes());
    obj.extend_from_slice(&[0; 6]); // creation time
    obj.extend_from_slice(&[0; 2]); // permissions
    obj.extend_from_slice(&[0; 4]); // authentication key
    obj.extend_from_slice(&[0; 4]); // file size
    obj.extend_from_slice(&1u16.to_le_bytes()); // mode: read
    obj.extend_from_slice(&1024u16.to_le_bytes()); // max block size
    obj.extend_from_slice(&7u16.to_le_bytes()); // request id
    obj.extend_from_slice(name);
    let mut objs = vec![0x46, 0x03, 0x5B, 0x01];
    objs.extend_from_slice(&(obj.len() as u16).to_le_bytes());
    objs.extend_from_slice(&obj);
    let f = app::decode(&app::encode(0xC9, 0x19, None, &objs));
    assert_eq!(f.anomaly, None);
    assert_eq!(f.decoded.file[0].name.as_deref(), Some("."));
    assert_eq!(f.decoded.file[0].mode, Some(1));
}

#[test]
fn malformed_fragments_are_flagged_not_fatal() {
    assert_eq!(app::decode(&[0xC0]).anomaly, Some(Anomaly::TruncatedHeader));
    assert_eq!(
        app::decode(&[0xC0, 0x81, 0x00]).anomaly,
        Some(Anomaly::TruncatedHeader)
    );
    // Qualifier 0x0A is reserved.
    assert_eq!(
        app::decode(&[0xC0, 0x04, 0x0C, 0x01, 0x0A]).anomaly,
        Some(Anomaly::BadQualifier)
    );
    // Stop below start.
    assert_eq!(
        app::decode(&[0xC0, 0x04, 0x0C, 0x01, 0x00, 0x05, 0x01]).anomaly,
        Some(Anomaly::BadQualifier)
    );
    // g200v1 is not in the object library.
    assert_eq!(
        app::decode(&[0xC0, 0x02, 0xC8, 0x01, 0x00, 0x00, 0x00, 0x00]).anomaly,
        Some(Anomaly::UnknownObject)
    );
    // A CROB cut short.
    assert_eq!(
        app::decode(&[0xC0, 0x04, 0x0C, 0x01, 0x17, 0x01, 0x00, 0x03]).anomaly,
        Some(Anomaly::TruncatedObject)
    );
    // Two bytes after the last header.
    assert_eq!(
        app::decode(&[0xC0, 0x01, 0x3C, 0x01, 0x06, 0x00, 0x00]).anomaly,
        Some(Anomaly::TrailingBytes)
    );
}

#[test]
fn a_huge_count_of_empty_objects_does_not_loop() {
    // Write g110v0 with a 32-bit count of 4 billion: refused at once.
    let f = app::decode(&[0xC0, 0x02, 0x6E, 0x00, 0x09, 0xFF, 0xFF, 0xFF, 0xFF]);
    assert_eq!(f.anomaly, Some(Anomaly::UnknownObject));
    // Read g60v1 with the same count: no data, one header.
    let f = app::decode(&[0xC0, 0x01, 0x3C, 0x01, 0x09, 0xFF, 0xFF, 0xFF, 0xFF]);
    assert_eq!(f.anomaly, None);
    assert_eq!(f.objects[0].count, u32::MAX);
}

#[test]
fn object_headers_are_capped_and_counted() {
    let mut objs = Vec::new();
    for _ in 0..100 {
        objs.extend_from_slice(&[0x3C, 0x01, 0x06]);
    }
    let f = app::decode(&app::encode(0xC0, 0x01, None, &objs));
    assert_eq!(f.objects.len(), app::MAX_OBJECT_HEADERS);
    assert_eq!(f.objects_total, 100);
}

// ---- the stream parser ----

fn select_crob(seq: u8, index: u8, code: u8) -> Vec<u8> {
    vec![
        0xC0 | seq,
        0x03, // select
        0x0C,
        0x01,
        0x17,
        0x01,
        index,
        code,
        0x01,
        0xE8,
        0x03,
        0x00,
        0x00,
        0x00,
        0x00,
        0x00,
        0x00,
        0x00,
    ]
}

#[test]
fn request_and_response_pair_by_application_sequence() {
    let mut h = Harness::new();
    h.req(10, &request(&select_crob(5, 2, 0x41)));
    h.resp(11, &response(&[0xC5, 0x81, 0x00, 0x00]));
    let f = h.fragments();
    assert_eq!(f.len(), 2);
    assert_eq!(
        (f[0].0, f[0].1.function, f[0].1.response_frame),
        (10, 3, Some(11))
    );
    assert_eq!(
        (f[1].0, f[1].1.function, f[1].1.request_frame),
        (11, 129, Some(10))
    );
    let a = h.actions();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].0, 10);
    assert_eq!(a[0].1.action, Action::Select);
    assert_eq!(a[0].1.target.object.as_deref(), Some("g12v1"));
    assert_eq!(a[0].1.target.address, Some(2));
    assert_eq!(
        a[0].1.values.as_ref().unwrap().values,
        vec![Value::Text("close_pulse_on".into())]
    );
    assert_eq!(a[0].1.outcome, CaOutcome::Ok);
    assert_eq!(a[0].1.unit, Some(u32::from(OUTSTATION)));
}

#[test]
fn a_refused_operate_is_an_exception() {
    let mut h = Harness::new();
    h.req(
        1,
        &request(&{
            let mut v = select_crob(6, 0, 0x03);
            v[1] = 0x04; // operate
            v
        }),
    );
    // Response echoing the CROB with status 2 (no select).
    let mut echo = select_crob(6, 0, 0x03);
    echo[1] = 0x81;
    echo.splice(2..2, [0x00, 0x00]);
    *echo.last_mut().unwrap() = 0x02;
    h.resp(2, &response(&echo));
    let a = h.actions();
    assert_eq!(a[0].1.action, Action::Operate);
    assert_eq!(
        (a[0].1.outcome, a[0].1.exception),
        (CaOutcome::Exception, Some(2))
    );
}

#[test]
fn unsolicited_responses_are_events_of_their_own() {
    let mut h = Harness::new();
    h.resp(3, &response(&[0xF0, 0x82, 0x80, 0x00]));
    let f = h.fragments();
    assert_eq!(f.len(), 1);
    assert!(f[0].1.unsolicited);
    assert_eq!(f[0].1.function, 130);
    assert_eq!(h.stats.dnp3.unsolicited, 1);
    assert_eq!(h.stats.dnp3.responses_without_request, 0);
}

#[test]
fn unanswered_requests_are_emitted_at_close() {
    let mut h = Harness::new();
    h.req(1, &request(&[0xC0, 0x0D])); // cold restart
    assert!(h.fragments().is_empty());
    h.close();
    let a = h.actions();
    assert_eq!(a[0].1.action, Action::Restart);
    assert_eq!(a[0].1.outcome, CaOutcome::Unanswered);
    assert_eq!(h.fragments().len(), 1);
}

#[test]
fn requests_are_capped_per_flow() {
    let cfg = Dnp3Config {
        max_pending_per_flow: 2,
        ..Dnp3Config::default()
    };
    let mut h = Harness::with(&cfg);
    for seq in 0..5u8 {
        h.req(
            u64::from(seq) + 1,
            &request(&[0xC0 | seq, 0x01, 0x3C, 0x01, 0x06]),
        );
    }
    assert_eq!(h.stats.dnp3.tx_cap, 3);
    assert_eq!(h.parser.pending_len(), 2);
    assert_eq!(h.fragments().len(), 3);
}

#[test]
fn a_bad_crc_is_counted_and_reported_and_framing_recovers() {
    let mut h = Harness::new();
    let mut bad = request(&[0xC1, 0x01, 0x3C, 0x01, 0x06]);
    let n = bad.len();
    bad[n - 1] ^= 0x55; // data block CRC
    let mut bytes = bad;
    let mut bad_hdr = request(&[0xC2, 0x01, 0x3C, 0x01, 0x06]);
    bad_hdr[9] ^= 0x55; // header CRC
    bytes.extend_from_slice(&bad_hdr);
    bytes.extend_from_slice(&request(&[0xC3, 0x01, 0x3C, 0x01, 0x06]));
    h.req(1, &bytes);
    assert_eq!(h.stats.dnp3.crc_errors_data, 1);
    assert_eq!(h.stats.dnp3.crc_errors_header, 1);
    let errs = h.errors();
    assert!(
        errs.contains(&"data_crc") && errs.contains(&"header_crc"),
        "{errs:?}"
    );
    h.close();
    let f = h.fragments();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].1.app_seq, 3);
}

#[test]
fn frames_split_at_every_byte_parse_the_same() {
    let mut whole = request(&select_crob(1, 0, 0x41));
    whole.extend_from_slice(&request(&[0xC2, 0x01, 0x3C, 0x01, 0x06]));
    for cut in 1..whole.len() {
        let mut h = Harness::new();
        h.req(1, &whole[..cut]);
        h.req(2, &whole[cut..]);
        h.close();
        let f = h.fragments();
        assert_eq!(f.len(), 2, "cut {cut}");
        assert_eq!(f[0].1.function, 3);
        assert_eq!(f[1].1.function, 1);
    }
}

#[test]
fn udp_datagrams_carry_several_frames() {
    let mut h = Harness::new();
    let mut d = request(&[0xC1, 0x01, 0x3C, 0x01, 0x06]);
    d.extend_from_slice(&request(&[0xC2, 0x01, 0x3C, 0x02, 0x06]));
    h.datagram(1, Direction::ToServer, &d);
    h.datagram(2, Direction::ToClient, &response(&[0xC1, 0x81, 0x00, 0x00]));
    let f = h.fragments();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].1.response_frame, Some(2));
    assert_eq!(h.parser.pending_len(), 1);
}

#[test]
fn time_write_and_unsolicited_enable_map_to_their_actions() {
    let mut h = Harness::new();
    h.req(
        1,
        &request(&[0xC1, 0x02, 0x32, 0x01, 0x07, 0x01, 0, 0, 0, 0, 0, 0]),
    );
    h.resp(2, &response(&[0xC1, 0x81, 0x00, 0x00]));
    h.req(3, &request(&[0xC2, 0x14, 0x3C, 0x02, 0x06]));
    h.resp(4, &response(&[0xC2, 0x81, 0x00, 0x01]));
    let a = h.actions();
    assert_eq!(a[0].1.action, Action::TimeSet);
    assert_eq!(a[1].1.action, Action::ConfigChange);
    // IIN2.0: function code not supported.
    assert_eq!(
        (a[1].1.outcome, a[1].1.exception),
        (CaOutcome::Exception, Some(1))
    );
}

#[test]
fn reads_and_confirms_are_not_control_actions() {
    let mut h = Harness::new();
    h.req(1, &request(&[0xC1, 0x01, 0x3C, 0x01, 0x06]));
    h.resp(2, &response(&[0xE1, 0x81, 0x00, 0x00]));
    h.req(3, &request(&[0xC1, 0x00]));
    assert!(h.actions().is_empty());
    assert_eq!(h.fragments().len(), 3);
}
