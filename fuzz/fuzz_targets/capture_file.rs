//! Fuzzes the capture-file readers: the input is one file, or (when the first byte is
//! odd) two files split at a point taken from the second byte and read through the
//! merger. Reading must end without a panic within a bound: every record or block
//! consumes at least 12 bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mizuban_capture::file::{CaptureReader, MergedReader};
use std::io::Cursor;

fuzz_target!(|data: &[u8]| {
    let bound = data.len() / 12 + 4;
    let (mode, rest) = data.split_first().map_or((0, data), |(m, r)| (*m, r));
    if mode & 1 == 0 {
        let Ok(mut r) = CaptureReader::from_reader(Cursor::new(rest.to_vec())) else {
            return;
        };
        for _ in 0..bound {
            match r.next_frame() {
                Ok(Some(f)) => assert!(f.data.len() as u64 <= u64::from(f.wire_len)),
                Ok(None) | Err(_) => {
                    assert!(matches!(r.next_frame(), Ok(None)));
                    return;
                }
            }
        }
        panic!("reader did not end");
    }
    let split = rest
        .first()
        .map_or(0, |b| usize::from(*b) * rest.len() / 256);
    let (a, b) = rest.split_at(split);
    let readers = [a, b].into_iter().enumerate().filter_map(|(i, f)| {
        CaptureReader::from_reader(Cursor::new(f.to_vec()))
            .ok()
            .map(|r| (i, r))
    });
    let mut m = MergedReader::new(readers);
    for _ in 0..bound {
        if let Ok(None) = m.next_frame() {
            return;
        }
    }
    panic!("merge did not end");
});
