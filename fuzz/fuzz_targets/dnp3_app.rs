#![no_main]
//! DNP3 framing and application layer entry points on raw bytes: the link frame parser
//! and resync (CRCs rarely check on random input, so the application decoder is also
//! fed the bytes directly, as a reassembled fragment).

use libfuzzer_sys::fuzz_target;
use mizuban_protocols::dnp3::{app, link};

fuzz_target!(|data: &[u8]| {
    if let Ok((f, rest)) = link::parse_frame(data) {
        assert!(rest.len() < data.len());
        assert!(f.data.bytes().len() <= link::MAX_USER_DATA);
    }
    if let Some(off) = link::find_resync(data, 0) {
        assert!(off < data.len());
    }
    let f = app::decode(data);
    assert!(f.objects.len() <= app::MAX_OBJECT_HEADERS);
    assert!(f.objects_total as usize <= data.len() / 3 + 1);
});
