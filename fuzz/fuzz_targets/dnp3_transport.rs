#![no_main]
//! DNP3 transport reassembly: segments (transport header + payload) for link address
//! pairs, sizes and pairs derived from the input; the reassembler must stay bounded.

use libfuzzer_sys::fuzz_target;
use mizuban_protocols::dnp3::transport::{Losses, MAX_REASSEMBLIES, Outcome, Reassembler};

fuzz_target!(|data: &[u8]| {
    let Some((&cfg, mut rest)) = data.split_first() else {
        return;
    };
    let mut r = Reassembler::new(256 + usize::from(cfg) * 16);
    let mut losses = Losses::default();
    // Each segment: pair byte (source low 3 bits, destination next 2), length byte, then
    // that many bytes (the transport header first).
    while let Some((&pair, tail)) = rest.split_first() {
        let Some((&len, tail)) = tail.split_first() else {
            break;
        };
        let n = usize::from(len).min(tail.len());
        let (seg, tail) = tail.split_at(n);
        let src = u16::from(pair & 7);
        let dst = u16::from((pair >> 3) & 3);
        if let Outcome::Complete(f) = r.push(src, dst, seg, &mut losses) {
            assert!(f.len() <= 65_536);
        }
        assert!(r.in_progress() <= MAX_REASSEMBLIES);
        assert!(r.buffered() <= MAX_REASSEMBLIES * (256 + 255 * 16 + 255));
        rest = tail;
    }
});
