#![no_main]
//! NetBIOS name service and datagram service (with BROWSER payloads): both decoders
//! and both probes on the same bytes.

use libfuzzer_sys::fuzz_target;
use mizuban_protocols::netbios;
use mizuban_protocols::parser::Direction;

fuzz_target!(|data: &[u8]| {
    let _ = netbios::parse_message(data);
    let _ = netbios::parse_datagram(data);
    let _ = netbios::parse_browser(data);
    let _ = netbios::probe_ns(data, Direction::ToServer);
    let _ = netbios::probe_dgm(data, Direction::ToClient);
});
