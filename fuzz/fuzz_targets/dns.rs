#![no_main]
//! DNS: the message decoder, both probes, and the TCP framing with random splits.

use libfuzzer_sys::fuzz_target;
use mizuban_protocols::dns;

include!("it_harness.rs");

fuzz_target!(|data: &[u8]| {
    let _ = dns::parse_message(data);
    let _ = dns::probe(data, Direction::ToServer);
    let _ = dns::probe_tcp(data, Direction::ToClient);
    drive_stream(&mut dns::Parser::new(), data);
});
