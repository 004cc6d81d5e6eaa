//! Unit tests: PDUs from the examples of the Modbus Application Protocol Specification
//! V1.1b3 (section 6) and ADUs copied from real captures (named beside each).
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic
)]

use super::frame::{self, FrameError};
use super::pdu::{self, Data};
use super::*;
use crate::engine::EngineStats;
use crate::event::{Event, EventKind, FlowTuple};
use crate::parser::{ParseCtx, StreamParser};
use mizuban_capture::{DropReason, Timestamp, VlanTags};

/// Builds an ADU: MBAP header (length computed) + unit id + PDU.
fn adu(trans_id: u16, unit_id: u8, pdu: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&trans_id.to_be_bytes());
    v.extend_from_slice(&[0, 0]); // protocol id
    v.extend_from_slice(&(pdu.len() as u16 + 1).to_be_bytes());
    v.push(unit_id);
    v.extend_from_slice(pdu);
    v
}

struct Harness {
    parser: Parser,
    stats: EngineStats,
    events: Vec<Event>,
    sub: u32,
}

impl Harness {
    fn new() -> Harness {
        Harness::with(&ModbusConfig::default())
    }
    fn with(cfg: &ModbusConfig) -> Harness {
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
            server: "10.0.0.2:502".parse().unwrap(),
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
    fn data(&mut self, frame: u64, ms: i64, dir: Direction, bytes: &[u8]) {
        let mut p = std::mem::replace(&mut self.parser, Parser::new(&ModbusConfig::default()));
        p.on_data(&mut self.ctx(frame, ms), dir, bytes);
        self.parser = p;
    }
    fn req(&mut self, frame: u64, bytes: &[u8]) {
        self.data(frame, frame as i64, Direction::ToServer, bytes);
    }
    fn resp(&mut self, frame: u64, bytes: &[u8]) {
        self.data(frame, frame as i64, Direction::ToClient, bytes);
    }
    fn gap(&mut self, dir: Direction) {
        let mut p = std::mem::replace(&mut self.parser, Parser::new(&ModbusConfig::default()));
        p.on_gap(&mut self.ctx(0, 0), dir, 100);
        self.parser = p;
    }
    fn close(&mut self) {
        let mut p = std::mem::replace(&mut self.parser, Parser::new(&ModbusConfig::default()));
        p.on_close(&mut self.ctx(0, 1_000_000));
        self.parser = p;
    }
    fn txs(&self) -> Vec<(u64, Transaction)> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Modbus(t) => Some((e.frame, t.clone())),
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

// ---- framing ----

#[test]
fn mbap_header_is_framed() {
    let bytes = [
        0x00, 0x01, // transaction id
        0x00, 0x00, // protocol id
        0x00, 0x06, // length: unit + 5-byte PDU
        0x11, // unit id
        0x03, 0x00, 0x6B, 0x00, 0x03, // read holding registers 0x6B x3
        0xAA, // next ADU starts
    ];
    let (a, rest) = frame::parse_adu(&bytes).unwrap();
    assert_eq!(a.header.trans_id, 1);
    assert_eq!(a.header.unit_id, 0x11);
    assert_eq!(a.pdu, &[0x03, 0x00, 0x6B, 0x00, 0x03]);
    assert_eq!(rest, &[0xAA]);
}

#[test]
fn mbap_rejects_protocol_id_with_four_bytes() {
    assert_eq!(
        frame::parse_adu(&[0, 1, 0, 7]),
        Err(FrameError::ProtocolIdNotZero(7))
    );
}

#[test]
fn mbap_rejects_length_out_of_range() {
    assert_eq!(
        frame::parse_adu(&[0, 1, 0, 0, 0, 1, 1, 3]),
        Err(FrameError::LengthOutOfRange(1))
    );
    // suricata_modbus.pcap frames 76/78 declare 0x8804.
    assert_eq!(
        frame::parse_adu(&[0, 1, 0, 0, 0x88, 0x04, 1, 3]),
        Err(FrameError::LengthOutOfRange(0x8804))
    );
    assert!(frame::parse_adu(&adu(1, 1, &[0x41; 253])).is_ok());
    let mut too_long = adu(1, 1, &[0x41; 253]);
    too_long[5] = 0;
    too_long[4] = 1;
    assert_eq!(
        frame::parse_adu(&too_long),
        Err(FrameError::LengthOutOfRange(256))
    );
}

#[test]
fn every_truncation_is_incomplete() {
    let a = adu(9, 1, &[0x10, 0, 1, 0, 2, 4, 0, 0x0A, 1, 2]);
    for n in 0..a.len() {
        assert!(
            matches!(
                frame::parse_adu(&a[..n]),
                Err(FrameError::Incomplete { .. })
            ),
            "{n}"
        );
    }
}

// ---- probe ----

#[test]
fn probe_accepts_mbap_and_refuses_other_protocols() {
    let read = adu(1, 1, &[3, 0, 0, 0, 1]);
    assert_eq!(probe(&read, Direction::ToServer), Probe::Match);
    assert_eq!(probe(&read[..5], Direction::ToServer), Probe::NeedMore);
    assert_eq!(
        probe(b"GET / HTTP/1.1\r\n", Direction::ToServer),
        Probe::NoMatch
    );
    // TLS ClientHello record header: 16 03 01 ...
    assert_eq!(
        probe(
            &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01],
            Direction::ToServer
        ),
        Probe::NoMatch
    );
    // An exception response, whichever way the flow engine oriented the flow.
    assert_eq!(
        probe(&adu(1, 1, &[0x83, 2]), Direction::ToClient),
        Probe::Match
    );
    assert_eq!(
        probe(&adu(1, 1, &[0x83, 2]), Direction::ToServer),
        Probe::Match
    );
    assert_eq!(
        probe(&adu(1, 1, &[0x80, 2]), Direction::ToClient),
        Probe::NoMatch
    );
    // Function 0 opens a function-code scan (arkime_modbus.pcap stream 6).
    let scan = [0, 0, 0, 0, 0, 6, 1, 0, 0, 0, 0, 0];
    assert_eq!(probe(&scan, Direction::ToServer), Probe::Match);
    // Length 255 is tolerated mid-flow, never to accept a new flow.
    let mut long = adu(1, 1, &[90; 254]);
    long[5] = 255;
    assert_eq!(probe(&long, Direction::ToServer), Probe::NoMatch);
}

#[test]
fn probe_refuses_header_lookalike_followed_by_other_bytes() {
    // iti_mb2.pcap frame 10 (TCP 5026 -> 52573), first 40 bytes: frames as an MBAP
    // header (protocol 0, length 18, function 0) but the next "header" has protocol
    // id 0x0600.
    let bytes = [
        0x36, 0x00, 0x00, 0x00, 0x00, 0x12, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x8e, 0x04, 0x91, 0x01, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00,
        0xff, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00,
    ];
    assert_eq!(probe(&bytes, Direction::ToClient), Probe::NoMatch);
    // Two pipelined requests in one segment are fine.
    let mut two = adu(1, 1, &[3, 0, 0, 0, 1]);
    two.extend(adu(2, 1, &[3, 0, 1, 0, 1]));
    assert_eq!(probe(&two, Direction::ToServer), Probe::Match);
    // So is the start of an ADU that continues in the next segment.
    assert_eq!(probe(&two[..9], Direction::ToServer), Probe::Match);
}

// ---- requests, section 6 examples ----

#[test]
fn read_coils_request_and_response_spec_6_1() {
    let mut h = Harness::new();
    h.req(1, &adu(1, 1, &[0x01, 0x00, 0x13, 0x00, 0x13]));
    h.resp(2, &adu(1, 1, &[0x01, 0x03, 0xCD, 0x6B, 0x05]));
    let t = h.txs();
    assert_eq!(t.len(), 1);
    let (frame, t) = &t[0];
    assert_eq!(*frame, 2, "envelope names the response frame");
    assert_eq!(t.request_frame, Some(1));
    assert_eq!(t.response_frame, Some(2));
    assert_eq!((t.function, t.function_name), (1, "read_coils"));
    assert_eq!(t.class, FunctionClass::Read);
    assert_eq!((t.address, t.quantity), (Some(0x13), Some(0x13)));
    assert_eq!(t.response_time_us, Some(1000));
    assert!(h.errors().is_empty());
}

#[test]
fn read_holding_registers_spec_6_3() {
    let mut h = Harness::new();
    h.req(1, &adu(7, 1, &[0x03, 0x00, 0x6B, 0x00, 0x03]));
    h.resp(
        2,
        &adu(7, 1, &[0x03, 0x06, 0x02, 0x2B, 0x00, 0x00, 0x00, 0x64]),
    );
    let t = &h.txs()[0].1;
    assert_eq!((t.address, t.quantity), (Some(0x6B), Some(3)));
    assert!(h.errors().is_empty());
}

#[test]
fn register_response_byte_count_disagreeing_with_quantity() {
    let mut h = Harness::new();
    h.req(1, &adu(7, 1, &[0x04, 0x00, 0x08, 0x00, 0x01]));
    // Byte count 4 for a quantity of 1.
    h.resp(2, &adu(7, 1, &[0x04, 0x04, 0x00, 0x0A, 0x00, 0x0B]));
    assert_eq!(h.txs().len(), 1);
    assert_eq!(h.errors(), vec!["byte_count_mismatch"]);
    assert_eq!(h.stats.modbus.parse_errors["byte_count_mismatch"], 1);
    // Counted where every parser's undecodable units are, and exported.
    assert_eq!(h.stats.drops.get(DropReason::ParseError), 1);
    let exported = h.stats.protocol_counters();
    assert!(
        exported
            .iter()
            .any(|c| c.name == "mizuban_modbus_parse_errors_total"
                && c.label == Some("byte_count_mismatch")
                && c.value == 1)
    );
}

#[test]
fn write_single_coil_spec_6_5() {
    let mut h = Harness::new();
    let pdu = [0x05, 0x00, 0xAC, 0xFF, 0x00];
    h.req(1, &adu(2, 1, &pdu));
    h.resp(2, &adu(2, 1, &pdu));
    let t = &h.txs()[0].1;
    assert!(t.is_write());
    assert_eq!((t.address, t.quantity), (Some(0xAC), Some(1)));
    assert_eq!(
        t.written,
        Some(WrittenValues {
            values: vec![1],
            total: 1
        })
    );
}

#[test]
fn write_single_coil_invalid_value() {
    let mut h = Harness::new();
    h.req(1, &adu(2, 1, &[0x05, 0x00, 0xAC, 0x12, 0x34]));
    assert_eq!(h.errors(), vec!["invalid_value"]);
}

#[test]
fn write_single_register_spec_6_6() {
    let mut h = Harness::new();
    h.req(1, &adu(3, 1, &[0x06, 0x00, 0x01, 0x00, 0x03]));
    h.resp(2, &adu(3, 1, &[0x06, 0x00, 0x01, 0x00, 0x03]));
    let t = &h.txs()[0].1;
    assert_eq!(t.address, Some(1));
    assert_eq!(t.written.as_ref().unwrap().values, vec![3]);
}

#[test]
fn diagnostics_return_query_data_spec_6_8() {
    let mut h = Harness::new();
    h.req(1, &adu(4, 1, &[0x08, 0x00, 0x00, 0xA5, 0x37]));
    h.resp(2, &adu(4, 1, &[0x08, 0x00, 0x00, 0xA5, 0x37]));
    let t = &h.txs()[0].1;
    assert_eq!(t.subfunction, Some(0));
    assert_eq!(t.class, FunctionClass::Diagnostic);
    assert_eq!(types::diagnostic_name(0), "return_query_data");
}

#[test]
fn write_multiple_coils_spec_6_11() {
    let mut h = Harness::new();
    h.req(
        1,
        &adu(5, 1, &[0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD, 0x01]),
    );
    h.resp(2, &adu(5, 1, &[0x0F, 0x00, 0x13, 0x00, 0x0A]));
    let t = &h.txs()[0].1;
    assert_eq!((t.address, t.quantity), (Some(0x13), Some(10)));
    // 0xCD = 1100 1101, LSB first: 1 0 1 1 0 0 1 1; 0x01: 1 0
    assert_eq!(
        t.written,
        Some(WrittenValues {
            values: vec![1, 0, 1, 1, 0, 0, 1, 1, 1, 0],
            total: 10
        })
    );
    assert!(h.errors().is_empty());
}

#[test]
fn write_multiple_coils_byte_count_mismatch() {
    let mut h = Harness::new();
    // Quantity 10 needs 2 bytes; byte count says 3.
    h.req(
        1,
        &adu(
            5,
            1,
            &[0x0F, 0x00, 0x13, 0x00, 0x0A, 0x03, 0xCD, 0x01, 0x00],
        ),
    );
    assert_eq!(h.errors(), vec!["byte_count_mismatch"]);
}

#[test]
fn write_multiple_registers_spec_6_12_values_capped() {
    let mut h = Harness::new();
    h.req(
        1,
        &adu(
            6,
            1,
            &[0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02],
        ),
    );
    h.resp(2, &adu(6, 1, &[0x10, 0x00, 0x01, 0x00, 0x02]));
    let t = &h.txs()[0].1;
    assert_eq!(t.written.as_ref().unwrap().values, vec![0x000A, 0x0102]);

    // 100 registers: 32 kept, total says 100.
    let mut pdu = vec![0x10, 0x00, 0x00, 0x00, 100, 200];
    pdu.extend((0..100u16).flat_map(|i| i.to_be_bytes()));
    let mut h = Harness::new();
    h.req(1, &adu(6, 1, &pdu));
    h.close();
    let w = h.txs()[0].1.written.clone().unwrap();
    assert_eq!(w.values.len(), WrittenValues::MAX);
    assert_eq!(w.values[31], 31);
    assert_eq!(w.total, 100);
}

#[test]
fn mask_write_register_spec_6_16() {
    let mut h = Harness::new();
    let pdu = [0x16, 0x00, 0x04, 0x00, 0xF2, 0x00, 0x25];
    h.req(1, &adu(8, 1, &pdu));
    h.resp(2, &adu(8, 1, &pdu));
    let t = &h.txs()[0].1;
    assert_eq!(t.address, Some(4));
    assert_eq!(t.written.as_ref().unwrap().values, vec![0xF2, 0x25]);
}

#[test]
fn read_write_multiple_registers_spec_6_17() {
    let mut h = Harness::new();
    h.req(
        1,
        &adu(
            9,
            1,
            &[
                0x17, // function
                0x00, 0x03, // read address
                0x00, 0x06, // read quantity
                0x00, 0x0E, // write address
                0x00, 0x03, // write quantity
                0x06, // byte count
                0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF,
            ],
        ),
    );
    let mut resp = vec![0x17, 0x0C];
    resp.extend_from_slice(&[0; 12]);
    h.resp(2, &adu(9, 1, &resp));
    let t = &h.txs()[0].1;
    assert_eq!(
        (t.address, t.quantity, t.write_address),
        (Some(3), Some(6), Some(14))
    );
    assert_eq!(t.written.as_ref().unwrap().values, vec![0xFF; 3]);
    assert!(h.errors().is_empty());
}

#[test]
fn read_fifo_queue_spec_6_18() {
    let mut h = Harness::new();
    h.req(1, &adu(10, 1, &[0x18, 0x04, 0xDE]));
    h.resp(
        2,
        &adu(
            10,
            1,
            &[0x18, 0x00, 0x06, 0x00, 0x02, 0x01, 0xB8, 0x12, 0x84],
        ),
    );
    let t = &h.txs()[0].1;
    assert_eq!((t.address, t.quantity), (Some(0x04DE), Some(2)));
    assert!(h.errors().is_empty());
}

#[test]
fn file_records_20_and_21() {
    let mut h = Harness::new();
    // Spec 6.14: two sub-requests.
    h.req(
        1,
        &adu(
            11,
            1,
            &[0x14, 0x0E, 6, 0, 4, 0, 1, 0, 2, 6, 0, 3, 0, 9, 0, 2],
        ),
    );
    h.resp(
        2,
        &adu(
            11,
            1,
            &[
                0x14, 0x0C, 0x05, 6, 0x0D, 0xFE, 0x00, 0x20, 0x05, 6, 0x33, 0xCD, 0x00, 0x40,
            ],
        ),
    );
    // Spec 6.15: write one record of 3 registers; the response echoes the request.
    let w = [
        0x15, 0x0D, 6, 0, 4, 0, 7, 0, 3, 0x06, 0xAF, 0x04, 0xBE, 0x10, 0x0D,
    ];
    h.req(3, &adu(12, 1, &w));
    h.resp(4, &adu(12, 1, &w));
    let t = h.txs();
    assert_eq!(t[0].1.function_name, "read_file_record");
    assert_eq!(t[1].1.class, FunctionClass::Write);
    assert!(h.errors().is_empty());
}

#[test]
fn comm_event_counter_log_report_server_id() {
    let mut h = Harness::new();
    h.req(1, &adu(1, 1, &[0x0B]));
    h.resp(2, &adu(1, 1, &[0x0B, 0xFF, 0xFF, 0x01, 0x08]));
    h.req(3, &adu(2, 1, &[0x0C]));
    h.resp(
        4,
        &adu(2, 1, &[0x0C, 0x08, 0, 0, 1, 8, 0, 0x21, 0x20, 0x00]),
    );
    h.req(5, &adu(3, 1, &[0x11]));
    h.resp(6, &adu(3, 1, &[0x11, 0x02, 0x42, 0xFF]));
    h.req(7, &adu(4, 1, &[0x07]));
    h.resp(8, &adu(4, 1, &[0x07, 0x6D]));
    let names: Vec<_> = h.txs().iter().map(|t| t.1.function_name).collect();
    assert_eq!(
        names,
        vec![
            "get_comm_event_counter",
            "get_comm_event_log",
            "report_server_id",
            "read_exception_status"
        ]
    );
    assert!(h.errors().is_empty());
}

#[test]
fn device_identification_from_capture() {
    // cisagov_modbus_example.pcap frames 92 and 94.
    let req = [
        0x00, 0x17, 0x00, 0x00, 0x00, 0x05, 0x01, 0x2b, 0x0e, 0x01, 0x00,
    ];
    let resp_hex = "00170000003d012b0e018300000300105a65656b204d6f646275732054657374011850726f746f636f6c2050617273696e672069732066756e210207312e322e332e36";
    let resp: Vec<u8> = (0..resp_hex.len() / 2)
        .map(|i| u8::from_str_radix(&resp_hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let mut h = Harness::new();
    h.req(92, &req);
    h.resp(94, &resp);
    let t = &h.txs()[0].1;
    assert_eq!(t.function_name, "read_device_identification");
    assert_eq!(t.subfunction, Some(14));
    let id = t.device_identity.as_ref().unwrap();
    assert_eq!(id.vendor_name.as_deref(), Some("Zeek Modbus Test"));
    assert_eq!(id.product_code.as_deref(), Some("Protocol Parsing is fun!"));
    assert_eq!(id.revision.as_deref(), Some("1.2.3.6"));
    assert_eq!(id.product_name, None);
    assert!(h.errors().is_empty());
}

#[test]
fn device_identification_text_is_capped() {
    let mut pdu = vec![0x2B, 0x0E, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 200];
    pdu.extend_from_slice(&[b'A'; 200]);
    let m = pdu::decode_response(&pdu, None);
    let Data::DeviceId { objects, count } = m.data else {
        panic!("{m:?}")
    };
    let id = pdu::device_identity(objects, count);
    assert_eq!(id.vendor_name.unwrap().len(), pdu::MAX_OBJECT_TEXT);
}

#[test]
fn exception_response_section_7() {
    let mut h = Harness::new();
    h.req(1, &adu(1, 1, &[0x08, 0x00, 0x01, 0x00, 0x00]));
    h.resp(2, &adu(1, 1, &[0x88, 0x0B]));
    let t = &h.txs()[0].1;
    assert_eq!((t.function, t.exception), (8, Some(0x0B)));
    assert_eq!(h.stats.modbus.exceptions[&(8, 0x0B)], 1);
    assert_eq!(
        types::exception_name(0x0B),
        "gateway_target_device_failed_to_respond"
    );
}

#[test]
fn user_defined_vendor_and_unknown_codes_are_not_errors() {
    let mut h = Harness::new();
    h.req(1, &adu(1, 1, &[65, 1, 2, 3]));
    h.req(2, &adu(2, 1, &[90, 0x00, 0x02]));
    h.req(3, &adu(3, 1, &[110]));
    h.req(4, &adu(4, 1, &[42, 9]));
    h.req(5, &adu(5, 1, &[0]));
    h.close();
    let classes: Vec<_> = h.txs().iter().map(|t| t.1.class).collect();
    assert_eq!(
        classes,
        vec![
            FunctionClass::UserDefined,
            FunctionClass::Vendor,
            FunctionClass::UserDefined,
            FunctionClass::Unknown,
            FunctionClass::Unknown
        ]
    );
    assert!(h.errors().is_empty());
    assert_eq!(h.stats.modbus.unanswered, 5);
}

// ---- stream ----

#[test]
fn several_adus_in_one_segment() {
    let mut h = Harness::new();
    let mut seg = adu(1, 1, &[3, 0, 0, 0, 1]);
    seg.extend(adu(2, 1, &[3, 0, 1, 0, 1]));
    seg.extend(adu(3, 1, &[3, 0, 2, 0, 1]));
    h.req(1, &seg);
    assert_eq!(h.parser.pending_len(), 3);
    let mut seg = adu(2, 1, &[3, 2, 0, 0]);
    seg.extend(adu(1, 1, &[3, 2, 0, 0]));
    seg.extend(adu(3, 1, &[3, 2, 0, 0]));
    h.resp(2, &seg);
    let got: Vec<_> = h
        .txs()
        .iter()
        .map(|t| (t.1.trans_id, t.1.address))
        .collect();
    assert_eq!(got, vec![(2, Some(1)), (1, Some(0)), (3, Some(2))]);
}

#[test]
fn one_adu_split_over_segments_byte_by_byte() {
    let mut h = Harness::new();
    let a = adu(
        0x1234,
        0xFF,
        &[0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02],
    );
    for (i, b) in a.iter().enumerate() {
        h.req(i as u64 + 1, &[*b]);
    }
    h.resp(100, &adu(0x1234, 0xFF, &[0x10, 0x00, 0x01, 0x00, 0x02]));
    let t = &h.txs()[0].1;
    assert_eq!(
        t.request_frame,
        Some(a.len() as u64),
        "frame that completed it"
    );
    assert_eq!(t.trans_id, 0x1234);
    assert!(h.errors().is_empty());
}

#[test]
fn pairing_needs_matching_unit_id() {
    let mut h = Harness::new();
    h.req(1, &adu(1, 1, &[3, 0, 0, 0, 1]));
    h.resp(2, &adu(1, 2, &[3, 2, 0, 0]));
    let t = h.txs();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].1.request_frame, None);
    assert_eq!(h.stats.modbus.responses_without_request, 1);
    let exported = h.stats.protocol_counters();
    assert!(
        exported
            .iter()
            .any(|c| c.name == "mizuban_modbus_responses_without_request_total" && c.value == 1)
    );
}

#[test]
fn response_with_other_function_is_unexpected() {
    let mut h = Harness::new();
    h.req(1, &adu(1, 1, &[3, 0, 0, 0, 1]));
    h.resp(2, &adu(1, 1, &[4, 2, 0, 0]));
    assert_eq!(h.errors(), vec!["unexpected_response"]);
    h.close();
    let t = h.txs();
    assert_eq!((t[0].1.function, t[0].1.request_frame), (4, None));
    assert_eq!((t[1].1.function, t[1].1.response_frame), (3, None));
}

#[test]
fn unanswered_request_expires_in_packet_time() {
    let cfg = ModbusConfig {
        transaction_timeout: std::time::Duration::from_secs(1),
        ..ModbusConfig::default()
    };
    let mut h = Harness::with(&cfg);
    let mut p = Parser::new(&cfg);
    p.on_data(
        &mut h.ctx(1, 0),
        Direction::ToServer,
        &adu(1, 1, &[3, 0, 0, 0, 1]),
    );
    p.on_tick(&mut h.ctx(0, 1000));
    assert_eq!(
        h.stats.modbus.unanswered, 0,
        "exactly the timeout is not past it"
    );
    p.on_tick(&mut h.ctx(0, 1001));
    assert_eq!(h.stats.modbus.unanswered, 1);
    let t = h.txs();
    assert_eq!(t[0].0, 1, "envelope names the request frame");
    assert_eq!(t[0].1.response_frame, None);
    // A late response is then a response without request.
    p.on_data(
        &mut h.ctx(9, 2000),
        Direction::ToClient,
        &adu(1, 1, &[3, 2, 0, 0]),
    );
    assert_eq!(h.txs()[1].1.request_frame, None);
}

#[test]
fn pending_cap_gives_up_oldest() {
    let cfg = ModbusConfig {
        max_pending_per_flow: 2,
        ..ModbusConfig::default()
    };
    let mut h = Harness::with(&cfg);
    let mut p = Parser::new(&cfg);
    for i in 0..3u16 {
        p.on_data(
            &mut h.ctx(u64::from(i), 0),
            Direction::ToServer,
            &adu(i, 1, &[3, 0, 0, 0, 1]),
        );
    }
    assert_eq!(p.pending_len(), 2);
    assert_eq!(h.stats.drops.get(DropReason::TxCap), 1);
    assert_eq!(h.txs()[0].1.trans_id, 0);
}

#[test]
fn garbage_then_adu_in_one_segment_resyncs() {
    let mut h = Harness::new();
    let mut seg = vec![0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03];
    seg.extend(adu(5, 1, &[3, 0, 0, 0, 1]));
    h.req(1, &seg);
    assert_eq!(h.errors(), vec!["protocol_id_not_zero"]);
    assert_eq!(h.parser.pending_len(), 1);
    assert_eq!(h.stats.modbus.resync_skipped_bytes, 7);
    let exported = h.stats.protocol_counters();
    assert!(
        exported
            .iter()
            .any(|c| c.name == "mizuban_modbus_resync_skipped_bytes_total" && c.value == 7)
    );
}

#[test]
fn malformed_length_does_not_stop_the_flow() {
    let mut h = Harness::new();
    h.req(1, &[0, 1, 0, 0, 0x88, 0x04, 1, 3, 0, 0]);
    assert_eq!(h.errors(), vec!["length_out_of_range"]);
    h.req(2, &adu(2, 1, &[3, 0, 0, 0, 1]));
    h.resp(3, &adu(2, 1, &[3, 2, 0, 0]));
    assert_eq!(h.txs().len(), 1);
}

#[test]
fn gap_drops_partial_adu_and_resyncs_at_segment_start() {
    let mut h = Harness::new();
    let a = adu(1, 1, &[3, 0, 0, 0, 1]);
    h.req(1, &a[..5]);
    h.gap(Direction::ToServer);
    // Mid-ADU pickup: the tail of some register data, then a real ADU.
    let mut seg = vec![0x00, 0x07, 0x00, 0x00];
    seg.extend(adu(2, 1, &[3, 0, 9, 0, 1]));
    h.req(2, &seg);
    h.req(3, &adu(3, 1, &[3, 0, 10, 0, 1]));
    h.close();
    let ids: Vec<_> = h.txs().iter().map(|t| t.1.trans_id).collect();
    assert_eq!(ids, vec![2, 3]);
}

#[test]
fn truncated_pdu_is_flagged() {
    let mut h = Harness::new();
    h.req(1, &adu(1, 1, &[0x03, 0x00]));
    assert_eq!(h.errors(), vec!["truncated_pdu"]);
    h.close();
    assert_eq!(h.txs()[0].1.function, 3);
}

#[test]
fn exception_bit_on_request_is_wrong_direction() {
    let mut h = Harness::new();
    h.req(1, &adu(1, 1, &[0x83, 0x02]));
    assert_eq!(h.errors(), vec!["wrong_direction"]);
}

#[test]
fn port_502_side_is_the_server_whoever_sent_the_syn() {
    // suricata_modbus.pcap frames 88-99: the port-502 side sent the SYN, then only
    // exception responses (unit 10, function 0x81, code 6, one trailing byte).
    let mut h = Harness::new();
    let flow = FlowTuple {
        client: "10.0.0.8:502".parse().unwrap(),
        server: "10.0.0.57:4446".parse().unwrap(),
        proto: 6,
        vlan: VlanTags::default(),
    };
    let mut p = Parser::new(&ModbusConfig::default());
    let mut ctx = h.ctx(91, 0);
    ctx.flow = flow;
    p.on_data(
        &mut ctx,
        Direction::ToServer,
        &[0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0x0a, 0x81, 0x06, 0x00],
    );
    let t = h.txs();
    assert_eq!(t.len(), 1);
    assert_eq!((t[0].1.function, t[0].1.exception), (1, Some(6)));
    assert_eq!(
        (t[0].1.request_frame, t[0].1.response_frame),
        (None, Some(91))
    );
    assert_eq!(h.errors(), vec!["trailing_bytes"]);
}

#[test]
fn oversized_umas_frame_is_parsed_and_flagged() {
    // iti_modicon_test.pcap frame 19: length 255, function 90.
    let mut bytes = vec![0x00, 0x07, 0x00, 0x00, 0x00, 0xff, 0x00, 0x5a];
    bytes.extend(std::iter::repeat_n(0x01, 253));
    let mut h = Harness::new();
    h.req(19, &bytes);
    assert_eq!(h.errors(), vec!["length_out_of_range"]);
    assert_eq!(h.parser.pending_len(), 1);
}

#[test]
fn short_tail_joins_next_segment_like_tshark() {
    // zeek_fuzz-72.pcap frames 6 and 7: an ADU of length 4 followed by two stray bytes;
    // the stray bytes and the next segment frame as length 0: garbage (tshark reports
    // frame 6 and not frame 7).
    let mut h = Harness::new();
    h.req(6, &[0, 0, 0, 0, 0, 4, 1, 0x21, 0, 0, 0, 0]);
    h.req(7, &[0, 0, 0, 0, 0, 6, 1, 0x22, 0, 0, 0, 0]);
    h.close();
    let t = h.txs();
    assert_eq!(t.len(), 1);
    assert_eq!((t[0].1.function, t[0].1.request_frame), (0x21, Some(6)));
    assert_eq!(h.errors(), vec!["length_out_of_range"]);
}

#[test]
fn stats_merge_adds_histograms() {
    let mut a = Stats::default();
    let mut b = Stats::default();
    let ip: std::net::IpAddr = "10.0.0.2".parse().unwrap();
    a.record_response_time(ip, 100);
    b.record_response_time(ip, 200);
    b.count_transaction(3, Some(2));
    a.merge(&b);
    assert_eq!(a.response_times.by_server[&ip].len(), 2);
    assert_eq!(a.exceptions[&(3, 2)], 1);
    assert_eq!(a.transactions_by_function[3], 1);
}

#[test]
fn server_histograms_are_capped() {
    let mut s = Stats::default();
    for i in 0..(MAX_SERVERS_TRACKED as u32 + 5) {
        s.record_response_time(std::net::IpAddr::from(i.to_be_bytes()), 10);
    }
    assert_eq!(s.response_times.by_server.len(), MAX_SERVERS_TRACKED);
    assert_eq!(s.response_times.overflow, 5);
}

// ---- control actions ----

impl Harness {
    fn actions(&self) -> Vec<(u64, crate::facts::ControlAction)> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::ControlAction(a) => Some((e.frame, a.clone())),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn write_register_is_one_control_action_at_the_request_frame() {
    use crate::facts::{Action, Outcome, Value};
    let mut h = Harness::new();
    h.req(1, &adu(7, 1, &[0x03, 0x00, 0x01, 0x00, 0x02]));
    h.resp(2, &adu(7, 1, &[0x03, 0x04, 0, 1, 0, 2]));
    h.req(3, &adu(8, 1, &[0x06, 0x00, 0x10, 0x12, 0x34]));
    assert!(
        h.actions().is_empty(),
        "written only once its outcome is known"
    );
    h.resp(4, &adu(8, 1, &[0x86, 0x02]));
    let a = h.actions();
    assert_eq!(a.len(), 1, "the read is not a control action");
    let (frame, ca) = &a[0];
    assert_eq!(*frame, 3);
    assert_eq!(ca.action, Action::Write);
    assert_eq!(ca.function_name, "write_single_register");
    assert_eq!(ca.target.object.as_deref(), Some("holding_registers"));
    assert_eq!(ca.target.address, Some(0x10));
    assert_eq!(ca.values.as_ref().unwrap().values, vec![Value::Int(0x1234)]);
    assert_eq!(ca.outcome, Outcome::Exception);
    assert_eq!(ca.exception, Some(2));
    assert_eq!(ca.response_frame, Some(4));
}

#[test]
fn unanswered_force_listen_only_is_a_mode_change() {
    use crate::facts::{Action, Outcome};
    let mut h = Harness::new();
    h.req(1, &adu(1, 1, &[0x08, 0x00, 0x04, 0x00, 0x00]));
    h.req(2, &adu(2, 1, &[0x08, 0x00, 0x01, 0x00, 0x00]));
    h.close();
    let a = h.actions();
    assert_eq!(a.len(), 2);
    assert_eq!((a[0].0, a[0].1.action), (1, Action::ModeChange));
    assert_eq!(a[0].1.function_name, "force_listen_only_mode");
    assert_eq!((a[1].0, a[1].1.action), (2, Action::Restart));
    assert!(a.iter().all(|(_, c)| c.outcome == Outcome::Unanswered));
}

/// UMAS vectors built from the published documentation (Rosa 2017, TonyPhipps'
/// tech-notes; see umas.rs): `5A | session | code | data`, responses `5A | session |
/// FE/FD`. No tshark dissector exists to cross-check them.
#[test]
fn umas_vectors_from_the_documentation() {
    use crate::facts::{Action, Outcome};
    let mut h = Harness::new();
    // 0x40 start PLC, OK.
    h.req(1, &adu(1, 0, &[0x5A, 0x12, 0x40, 0xFF, 0x00]));
    h.resp(2, &adu(1, 0, &[0x5A, 0x12, 0xFE]));
    // 0x41 stop PLC, refused (FD, code 0x81).
    h.req(3, &adu(2, 0, &[0x5A, 0x12, 0x41, 0xFF, 0x00]));
    h.resp(4, &adu(2, 0, &[0x5A, 0x12, 0xFD, 0x81]));
    // 0x31 download block, 0x34 upload block, 0x23 write variables.
    h.req(5, &adu(3, 0, &[0x5A, 0x12, 0x31, 0x00, 0x01, 0x01, 0x00]));
    h.resp(6, &adu(3, 0, &[0x5A, 0x12, 0xFE]));
    h.req(7, &adu(4, 0, &[0x5A, 0x12, 0x34, 0x01, 0x01, 0x00]));
    h.resp(8, &adu(4, 0, &[0x5A, 0x12, 0xFE, 0xAA]));
    h.req(9, &adu(5, 0, &[0x5A, 0x12, 0x23, 0x00]));
    h.resp(10, &adu(5, 0, &[0x5A, 0x12, 0xFE]));
    // 0x02 read PLC id, 0x12 keep alive and an unknown code 0x99: not control actions,
    // the code stays in the transaction.
    h.req(11, &adu(6, 0, &[0x5A, 0x00, 0x02]));
    h.resp(12, &adu(6, 0, &[0x5A, 0x00, 0xFE]));
    h.req(13, &adu(7, 0, &[0x5A, 0x00, 0x99]));
    h.resp(14, &adu(7, 0, &[0x5A, 0x00, 0xFE]));
    let got: Vec<_> = h
        .actions()
        .iter()
        .map(|(f, c)| {
            (
                *f,
                c.action,
                c.function_name,
                c.subfunction,
                c.outcome,
                c.exception,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                1,
                Action::ModeChange,
                "umas_start_plc",
                Some(0x40),
                Outcome::Ok,
                None
            ),
            (
                3,
                Action::ModeChange,
                "umas_stop_plc",
                Some(0x41),
                Outcome::Exception,
                Some(0x81)
            ),
            (
                5,
                Action::ProgramDownload,
                "umas_download_block",
                Some(0x31),
                Outcome::Ok,
                None
            ),
            (
                7,
                Action::ProgramUpload,
                "umas_upload_block",
                Some(0x34),
                Outcome::Ok,
                None
            ),
            (
                9,
                Action::Write,
                "umas_write_variables",
                Some(0x23),
                Outcome::Ok,
                None
            ),
        ]
    );
    let unknown = h.txs().into_iter().find(|(f, _)| *f == 14).unwrap().1;
    assert_eq!(unknown.subfunction, Some(0x99));
    assert_eq!(super::umas::code_name(0x99), "umas_unknown");
}
