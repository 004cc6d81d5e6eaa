#![no_main]
//! SSDP: the message decoder and the probe.

use libfuzzer_sys::fuzz_target;
use mizuban_protocols::parser::Direction;
use mizuban_protocols::ssdp;

fuzz_target!(|data: &[u8]| {
    let _ = ssdp::parse_message(data);
    let _ = ssdp::probe(data, Direction::ToServer);
});
