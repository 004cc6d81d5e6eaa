#![no_main]
//! IEC 104 stream layer: one connection's parser fed the input in chunks, directions,
//! gaps and ticks derived from the input; a chunk may be wrapped as an I frame's ASDU
//! (so the ASDU decoder and the command pairing are reached), and the ASDU decoder is
//! also fed the whole input directly.

use libfuzzer_sys::fuzz_target;
use mizuban_protocols::iec104::apci::{self, Control};
use mizuban_protocols::iec104::{Iec104Config, Parser, asdu};
use std::time::Duration;

include!("telecontrol_harness.rs");

fuzz_target!(|data: &[u8]| {
    let a = asdu::decode(data);
    assert!(a.objects.len() <= asdu::MAX_OBJECTS);
    let cfg = Iec104Config {
        command_timeout: Duration::from_millis(50),
        max_pending_per_flow: 4,
    };
    let mut parser = Parser::new(&cfg);
    drive_chunks(&mut parser, 2404, data, |_ctl, frame, _dir, chunk| {
        let n = frame as u16;
        apci::encode(Control::I { send: n, recv: n }, chunk)
    });
    assert_eq!(parser.pending_len(), 0);
});
