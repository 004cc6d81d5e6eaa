#![no_main]
//! SMB over TCP: framing (direct TCP and NetBIOS session), SMB1/SMB2 negotiate and
//! session setup, NTLMSSP, with segment sizes and directions taken from the input.

use libfuzzer_sys::fuzz_target;
use mizuban_protocols::auth::smb;

include!("it_harness.rs");

fuzz_target!(|data: &[u8]| {
    let _ = smb::ntlm::find(data);
    drive_stream(&mut smb::Parser::new(), data);
});
