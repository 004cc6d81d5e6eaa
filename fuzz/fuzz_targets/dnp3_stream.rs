#![no_main]
//! DNP3 stream layer: one flow's parser fed the input in chunks, directions, gaps and
//! ticks derived from the input. A chunk may be wrapped into link frames with good CRCs
//! (split into transport segments), so the transport and application layers behind the
//! CRC checks are reached too.

use libfuzzer_sys::fuzz_target;
use mizuban_protocols::dnp3::{Dnp3Config, Parser, link, transport};
use std::time::Duration;

include!("telecontrol_harness.rs");

fuzz_target!(|data: &[u8]| {
    let cfg = Dnp3Config {
        transaction_timeout: Duration::from_millis(50),
        max_pending_per_flow: 4,
        max_fragment_len: 600,
    };
    let mut parser = Parser::new(&cfg);
    drive_chunks(&mut parser, 20000, data, |ctl, _frame, dir, chunk| {
        let (ctl_byte, src) = if dir == Direction::ToServer { (0xC4, 1) } else { (0x44, 2) };
        transport::segment(chunk, 1 + usize::from(ctl >> 4) * 16, (ctl >> 2) & 0x3F)
            .iter()
            .flat_map(|s| link::encode(ctl_byte, 3 - src, src, s))
            .collect()
    });
    assert_eq!(parser.pending_len(), 0);
});
