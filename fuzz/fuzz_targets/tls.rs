#![no_main]
//! TLS: the ClientHello decoder, the probe, and record gathering across random splits.

use libfuzzer_sys::fuzz_target;
use mizuban_protocols::tls;

include!("it_harness.rs");

fuzz_target!(|data: &[u8]| {
    let _ = tls::parse_client_hello(data);
    let _ = tls::probe(data, Direction::ToServer);
    let _ = mizuban_protocols::remote::anydesk::probe(data, Direction::ToServer);
    drive_stream(&mut tls::Parser::new(), data);
});
