//! Unit tests: APDUs built field by field from IEC 60870-5-104 / -101 and copied from
//! the captures named beside them.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic
)]

use super::apci::{self, Control, FrameError};
use super::asdu::{self, Value};
use super::*;
use crate::engine::EngineStats;
use crate::event::{Event, EventKind, FlowTuple};
use crate::facts::{Action, Outcome};
use crate::parser::{Direction, ParseCtx, StreamParser};
use mizuban_capture::{Timestamp, VlanTags};

struct Harness {
    parser: Parser,
    stats: EngineStats,
    events: Vec<Event>,
    sub: u32,
}

impl Harness {
    fn new() -> Harness {
        Harness {
            parser: Parser::new(&Iec104Config::default()),
            stats: EngineStats::default(),
            events: Vec::new(),
            sub: 0,
        }
    }
    fn data(&mut self, frame: u64, dir: Direction, bytes: &[u8]) {
        let flow = FlowTuple {
            client: "10.0.0.1:40000".parse().unwrap(),
            server: "10.0.0.2:2404".parse().unwrap(),
            proto: 6,
            vlan: VlanTags::default(),
        };
        let mut ctx = ParseCtx::new(
            Timestamp::from_nanos(frame as i64 * 1_000_000),
            frame,
            0,
            frame,
            flow,
            &mut self.stats,
            &mut self.events,
            &mut self.sub,
        );
        self.parser.on_data(&mut ctx, dir, bytes);
    }
    fn apdus(&self) -> Vec<(u64, Apdu)> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Iec104(a) => Some((e.frame, a.clone())),
                _ => None,
            })
            .collect()
    }
    fn actions(&self) -> Vec<crate::facts::ControlAction> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::ControlAction(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn control_fields_decode_as_tshark_shows_them() {
    // iti_090813_diverse.pcap frame 3: TESTFR act (0x43); frame 7: S frame.
    assert_eq!(
        apci::control([0x43, 0, 0, 0]),
        Control::U { function: 0x10 }
    );
    assert_eq!(
        apci::control([0x07, 0, 0, 0]),
        Control::U { function: 0x01 }
    );
    assert_eq!(
        apci::control([0x01, 0, 0x1E, 0x00]),
        Control::S { recv: 15 }
    );
    // I frame N(S) 2827, N(R) 2827 (iti_TestDissectIec104.pcap frame 25: 16 16 16 16).
    assert_eq!(
        apci::control([0x16, 0x16, 0x16, 0x16]),
        Control::I {
            send: 2827,
            recv: 2827
        }
    );
    for c in [
        Control::I {
            send: 32767,
            recv: 1,
        },
        Control::S { recv: 300 },
        Control::U { function: 0x20 },
    ] {
        let bytes = apci::encode(c, &[]);
        let (a, rest) = apci::parse_apdu(&bytes).unwrap();
        assert!(rest.is_empty());
        assert_eq!(a.control, c);
    }
}

#[test]
fn short_and_cut_apdus_are_errors_with_an_extent() {
    assert_eq!(
        apci::parse_apdu(&[0x68, 0x02, 0x00, 0x01]),
        Err(FrameError::LengthOutOfRange(2))
    );
    assert_eq!(apci::parse_apdu(&[0x15, 0x68]), Err(FrameError::NoStart));
    let full = apci::encode(Control::S { recv: 1 }, &[]);
    for n in 0..full.len() {
        assert!(matches!(
            apci::parse_apdu(&full[..n]),
            Err(FrameError::Incomplete { .. })
        ));
    }
}

#[test]
fn interrogation_asdu_from_iti_capture_is_decoded() {
    // C_IC_NA_1, 1 object, COT 6 (activation), originator 0, common address 1, IOA 0,
    // QOI 20 (station interrogation).
    let a = asdu::decode(&[100, 0x01, 0x06, 0x00, 0x01, 0x00, 0, 0, 0, 20]);
    assert_eq!(a.anomaly, None);
    assert_eq!(
        (a.type_id, a.cot, a.common_address),
        (Some(100), Some(6), Some(1))
    );
    assert_eq!(a.objects[0].qualifier, Some(20));
}

#[test]
fn sequence_of_elements_gives_consecutive_ioas() {
    // M_ME_NC_1 with SQ = 1: IOA 700, three floats.
    let mut b = vec![13, 0x83, 0x03, 0x00, 0x05, 0x00, 0xBC, 0x02, 0x00];
    for x in [1.5f32, -2.0, 100.25] {
        b.extend_from_slice(&x.to_le_bytes());
        b.push(0x00);
    }
    let a = asdu::decode(&b);
    assert_eq!(a.anomaly, None);
    let ioas: Vec<_> = a.objects.iter().map(|o| o.ioa).collect();
    assert_eq!(ioas, vec![700, 701, 702]);
    assert_eq!(a.objects[2].value, Some(Value::Float(100.25)));
}

#[test]
fn command_select_and_execute_bits_are_read() {
    // C_SC_NA_1 SCO 0x81: select, ON. C_SE_NB_1 scaled -300, QOS 0x80: select.
    let a = asdu::decode(&asdu::encode(45, 6, 1, &[(5001, &[0x81])]));
    assert_eq!(a.objects[0].select, Some(true));
    assert_eq!(a.objects[0].value, Some(Value::Bool(true)));
    let mut sp = (-300i16).to_le_bytes().to_vec();
    sp.push(0x80);
    let a = asdu::decode(&asdu::encode(49, 6, 1, &[(6000, &sp)]));
    assert_eq!(a.objects[0].select, Some(true));
    assert_eq!(a.objects[0].value, Some(Value::Int(-300)));
}

#[test]
fn cp56_time_is_milliseconds_since_the_epoch() {
    // C_CS_NA_1: 2026-04-01 06:00:00.000 (1775023200000 ms).
    let t = [0x00, 0x00, 0x00, 0x06, 0x01, 0x04, 26];
    let a = asdu::decode(&asdu::encode(103, 6, 1, &[(0, &t)]));
    assert_eq!(a.objects[0].time_ms, Some(1_775_023_200_000));
}

#[test]
fn malformed_asdus_are_flagged() {
    assert_eq!(asdu::decode(&[24]).anomaly, Some(Anomaly::TruncatedAsdu));
    assert_eq!(
        asdu::decode(&[200, 1, 6, 0, 1, 0, 0, 0, 0]).anomaly,
        Some(Anomaly::UnknownType)
    );
    assert_eq!(
        asdu::decode(&[45, 2, 6, 0, 1, 0, 0, 0, 0, 1]).anomaly,
        Some(Anomaly::TruncatedAsdu)
    );
    assert_eq!(
        asdu::decode(&[45, 0, 6, 0, 1, 0]).anomaly,
        Some(Anomaly::NoObjects)
    );
    assert_eq!(
        asdu::decode(&[45, 1, 6, 0, 1, 0, 0, 0, 0, 1, 9]).anomaly,
        Some(Anomaly::TrailingBytes)
    );
}

#[test]
fn objects_are_capped_and_counted() {
    let objs: Vec<(u32, &[u8])> = (0..100u32).map(|i| (i, &[0x01][..])).collect();
    let a = asdu::decode(&asdu::encode(1, 20, 1, &objs));
    assert_eq!(a.objects.len(), asdu::MAX_OBJECTS);
    assert_eq!(a.ioa_total, 100);
}

#[test]
fn several_apdus_in_a_segment_and_one_split_give_one_event_each() {
    let mut h = Harness::new();
    let mut seg = apci::encode(Control::U { function: 0x01 }, &[]);
    seg.extend(apci::encode(
        Control::I { send: 0, recv: 0 },
        &asdu::encode(100, 6, 1, &[(0, &[20])]),
    ));
    let cut = seg.len() - 3;
    h.data(1, Direction::ToServer, &seg[..cut]);
    h.data(2, Direction::ToServer, &seg[cut..]);
    let a = h.apdus();
    assert_eq!(a.len(), 2);
    assert_eq!(
        (a[0].0, a[0].1.apci, a[0].1.u_function),
        (1, "U", Some("startdt_act"))
    );
    assert_eq!((a[1].0, a[1].1.apci, a[1].1.type_id), (2, "I", Some(100)));
}

#[test]
fn garbage_is_skipped_to_the_next_start_octet() {
    let mut h = Harness::new();
    let mut seg = vec![0x15, 0x06, 0x06];
    seg.extend(apci::encode(Control::S { recv: 0 }, &[]));
    h.data(1, Direction::ToServer, &seg);
    assert_eq!(h.apdus().len(), 1);
    assert_eq!(h.stats.iec104.parse_errors.get("not_iec104"), Some(&1));
    assert_eq!(h.stats.iec104.resync_skipped_bytes, 3);
}

#[test]
fn gaps_and_acknowledgements_out_of_window_are_counted() {
    let mut h = Harness::new();
    let i = |s| {
        apci::encode(
            Control::I { send: s, recv: 0 },
            &asdu::encode(1, 3, 1, &[(1, &[1])]),
        )
    };
    h.data(1, Direction::ToClient, &i(0));
    h.data(2, Direction::ToClient, &i(1));
    h.data(3, Direction::ToClient, &i(4));
    assert_eq!(h.stats.iec104.sequence_gaps, 1);
    // The RTU sent up to N(S) 4: N(R) 5 is fine, N(R) 9 acknowledges frames never sent.
    h.data(
        4,
        Direction::ToServer,
        &apci::encode(Control::S { recv: 5 }, &[]),
    );
    assert_eq!(h.stats.iec104.ack_out_of_window, 0);
    h.data(
        5,
        Direction::ToServer,
        &apci::encode(Control::S { recv: 9 }, &[]),
    );
    assert_eq!(h.stats.iec104.ack_out_of_window, 1);
}

#[test]
fn a_command_and_its_negative_confirmation_are_an_exception() {
    let mut h = Harness::new();
    let cmd = asdu::encode(46, 6, 3, &[(77, &[0x02])]);
    h.data(
        1,
        Direction::ToServer,
        &apci::encode(Control::I { send: 0, recv: 0 }, &cmd),
    );
    assert!(h.actions().is_empty(), "held until confirmed");
    let neg = asdu::encode(46, 0x47, 3, &[(77, &[0x02])]);
    h.data(
        2,
        Direction::ToClient,
        &apci::encode(Control::I { send: 0, recv: 1 }, &neg),
    );
    let a = h.actions();
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].action, a[0].outcome),
        (Action::Operate, Outcome::Exception)
    );
    assert_eq!(a[0].unit, Some(3));
    assert_eq!(a[0].target.address, Some(77));
    assert!(h.apdus()[1].1.negative);
}

#[test]
fn interrogations_are_not_control_actions() {
    let mut h = Harness::new();
    let gi = asdu::encode(100, 6, 1, &[(0, &[20])]);
    h.data(
        1,
        Direction::ToServer,
        &apci::encode(Control::I { send: 0, recv: 0 }, &gi),
    );
    let con = asdu::encode(100, 7, 1, &[(0, &[20])]);
    h.data(
        2,
        Direction::ToClient,
        &apci::encode(Control::I { send: 0, recv: 1 }, &con),
    );
    assert!(h.actions().is_empty());
}
