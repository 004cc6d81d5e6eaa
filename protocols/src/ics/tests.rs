#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use super::*;
use crate::parser::Direction::{ToClient, ToServer};
use crate::parser::Probe;

#[test]
fn dnp3_crc_check_value() {
    // CRC-16/DNP check value from the CRC catalogue ("123456789").
    assert_eq!(dnp3::crc16(b"123456789"), 0xEA82);
}

#[test]
fn dnp3_link_header() {
    // 05 64, LEN 5, CTRL 0xC9 (PRM, REQUEST LINK STATUS), DST 1, SRC 1024, CRC.
    let mut h = vec![0x05, 0x64, 0x05, 0xC9, 0x01, 0x00, 0x00, 0x04];
    let crc = dnp3::crc16(&h);
    h.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(dnp3::probe(&h, ToServer), Probe::Match);
    assert_eq!(dnp3::probe(&h[..6], ToServer), Probe::NeedMore);
    h[9] ^= 1;
    assert_eq!(dnp3::probe(&h, ToServer), Probe::NoMatch);
    assert_eq!(dnp3::probe(b"GET /", ToServer), Probe::NoMatch);
}

#[test]
fn enip_register_session() {
    let mut h = vec![0x65, 0x00, 0x04, 0x00]; // RegisterSession, length 4
    h.extend_from_slice(&[0; 4]); // session handle
    h.extend_from_slice(&[0; 4]); // status
    h.extend_from_slice(&[0; 8]); // sender context
    h.extend_from_slice(&[0; 4]); // options
    h.extend_from_slice(&[1, 0, 0, 0]); // protocol version 1, options 0
    assert_eq!(enip::probe(&h, ToServer), Probe::Match);
    assert_eq!(enip::probe(&h[..10], ToServer), Probe::NeedMore);
    h[20] = 1; // options must be zero
    assert_eq!(enip::probe(&h, ToServer), Probe::NoMatch);
    assert_eq!(enip::probe(b"\x16\x03", ToServer), Probe::NoMatch);
    // Implicit I/O: 2 items; sequenced address (conn id, seq); connected data, 6 bytes.
    let io = [
        2, 0, 0x02, 0x80, 8, 0, 3, 6, 0x4b, 0, 1, 0, 0, 0, 0xB1, 0, 6, 0, 1, 0, 9, 9, 9, 9,
    ];
    assert_eq!(enip::probe(&io, ToServer), Probe::Match);
    assert_eq!(enip::probe(&io[..23], ToServer), Probe::NoMatch);
}

#[test]
fn s7comm_setup_and_connection_request() {
    // TPKT, COTP DT (LI 2, 0xF0, EOT), S7 header: 0x32, ROSCTR 1 (job) ...
    let job = [
        0x03, 0x00, 0x00, 0x19, 0x02, 0xF0, 0x80, 0x32, 0x01, 0, 0, 0, 0, 0, 0x08, 0, 0,
    ];
    assert_eq!(s7comm::probe(&job, ToServer), Probe::Match);
    // COTP CR with TPDU size, src TSAP 01 00, dst TSAP 01 02 (PG, rack 0 slot 2).
    let cr = [
        0x03, 0x00, 0x00, 0x16, 0x11, 0xE0, 0x00, 0x00, 0x00, 0x01, 0x00, 0xC0, 0x01, 0x0A, 0xC1,
        0x02, 0x01, 0x00, 0xC2, 0x02, 0x01, 0x02,
    ];
    assert_eq!(s7comm::probe(&cr, ToServer), Probe::Match);
    // RDP's CR has a cookie, not S7 TSAPs.
    let mut rdp = vec![0x03, 0x00, 0x00, 0x13, 0x0E, 0xE0, 0, 0, 0, 0, 0];
    rdp.extend_from_slice(&[0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00]);
    assert_eq!(s7comm::probe(&rdp, ToServer), Probe::NoMatch);
}

#[test]
fn iec104_formats() {
    let startdt_act = [0x68, 0x04, 0x07, 0x00, 0x00, 0x00];
    assert_eq!(iec104::probe(&startdt_act, ToServer), Probe::Match);
    let s_frame = [0x68, 0x04, 0x01, 0x00, 0x02, 0x00];
    assert_eq!(iec104::probe(&s_frame, ToClient), Probe::Match);
    // I-format: send seq 0, recv seq 0, then ASDU (type 100 interrogation ...).
    let i_frame = [
        0x68, 0x0E, 0x00, 0x00, 0x00, 0x00, 100, 1, 6, 0, 1, 0, 0, 0, 0, 20,
    ];
    assert_eq!(iec104::probe(&i_frame, ToServer), Probe::Match);
    assert_eq!(
        iec104::probe(&[0x68, 0x04, 0x05, 0, 0, 0], ToServer),
        Probe::NoMatch
    );
    assert_eq!(iec104::probe(&[0x68, 0x04], ToServer), Probe::NeedMore);
}

#[test]
fn bacnet_bvlc() {
    // Original-Broadcast-NPDU, length 12, NPDU version 1, control 0x20, ... Who-Is.
    let whois = [
        0x81, 0x0B, 0x00, 0x0C, 0x01, 0x20, 0xFF, 0xFF, 0x00, 0xFF, 0x10, 0x08,
    ];
    assert_eq!(bacnet::probe(&whois, ToServer), Probe::Match);
    assert_eq!(bacnet::probe(&whois[..11], ToServer), Probe::NoMatch);
    assert_eq!(
        bacnet::probe(&[0x81, 0x0B, 0x00, 0x02], ToServer),
        Probe::NoMatch
    );
    let mut bad = whois;
    bad[4] = 2;
    assert_eq!(bacnet::probe(&bad, ToServer), Probe::NoMatch);
}

#[test]
fn opcua_hello_and_msg() {
    let mut hel = b"HELF".to_vec();
    hel.extend_from_slice(&32u32.to_le_bytes()); // MessageSize
    hel.extend_from_slice(&0u32.to_le_bytes()); // ProtocolVersion
    assert_eq!(opcua::probe(&hel, ToServer), Probe::Match);
    assert_eq!(opcua::probe(b"HE", ToServer), Probe::NeedMore);
    let mut msg = b"MSGC".to_vec();
    msg.extend_from_slice(&100u32.to_le_bytes());
    assert_eq!(opcua::probe(&msg, ToClient), Probe::Match);
    assert_eq!(
        opcua::probe(b"HELX\x20\x00\x00\x00", ToServer),
        Probe::NoMatch
    );
    assert_eq!(opcua::probe(b"GET / HTTP/1.1", ToServer), Probe::NoMatch);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(d in proptest::collection::vec(any::<u8>(), 0..64)) {
            for p in [dnp3::probe, enip::probe, s7comm::probe, iec104::probe, bacnet::probe, opcua::probe] {
                let _ = p(&d, ToServer);
            }
        }
    }
}
