#![no_main]
//! RDP: the X.224 probe, the client core data reader, and the connection state machine
//! (CR, CC, Connect-Initial) across random splits and directions.

use libfuzzer_sys::fuzz_target;
use mizuban_protocols::remote::{rdp, rdp_mcs};

include!("it_harness.rs");

fuzz_target!(|data: &[u8]| {
    let _ = rdp::probe(data, Direction::ToServer);
    let _ = rdp_mcs::client_info(data);
    drive_stream(&mut rdp::Parser::new(), data);
});
