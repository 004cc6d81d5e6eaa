#![no_main]
//! Modbus ADU parser: framing, request and response decoding (with and without a
//! request context), written values, device identity, probe and resync scan.

use libfuzzer_sys::fuzz_target;
use mizuban_protocols::modbus::{frame, pdu, probe};
use mizuban_protocols::parser::Direction;

fuzz_target!(|data: &[u8]| {
    // First byte: the request quantity to check responses against, and the direction.
    let (sel, input) = match data.split_first() {
        Some((s, rest)) => (*s, rest),
        None => return,
    };
    let to_server = sel & 1 == 0;
    let dir = if to_server {
        Direction::ToServer
    } else {
        Direction::ToClient
    };
    let _ = probe(input, dir);
    let _ = frame::find_resync(input, 0, to_server);
    let _ = frame::plausible_at_segment_start(input, to_server);
    let mut rest = input;
    // Bounded: each Ok consumes at least 8 bytes.
    while let Ok((adu, tail)) = frame::parse_adu(rest) {
        let req = pdu::decode_request(adu.pdu);
        let _ = pdu::written_values(&req);
        let info = pdu::RequestInfo {
            function: adu.function_byte() & 0x7F,
            quantity: Some(u16::from(sel >> 1)),
        };
        for ctx in [None, Some(info)] {
            let resp = pdu::decode_response(adu.pdu, ctx);
            if let pdu::Data::DeviceId { objects, count } = resp.data {
                let _ = pdu::device_identity(objects, count);
            }
        }
        rest = tail;
    }
});
