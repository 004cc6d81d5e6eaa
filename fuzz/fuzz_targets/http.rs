#![no_main]
//! HTTP: head decoders, the probe, and the stream state machine (bodies, resync, gaps)
//! across random splits and directions.

use libfuzzer_sys::fuzz_target;
use mizuban_protocols::http;

include!("it_harness.rs");

fuzz_target!(|data: &[u8]| {
    let _ = http::parse_request_head(data);
    let _ = http::parse_response_head(data);
    let _ = http::probe(data, Direction::ToServer);
    drive_stream(&mut http::Parser::new(), data);
});
