//! Bad capture files get a clear one-line error naming the file and offset, and the run
//! goes on with the other files (issue 2, point 1).

mod common;

use common::*;
use std::path::{Path, PathBuf};

fn sample_bytes() -> Vec<u8> {
    std::fs::read(corpus::path("modbus/zeek_modbusSmall.pcap")).unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn replay(files: &[&Path]) -> (i32, String) {
    let out = mizuban()
        .args(["replay", "--no-progress"])
        .args(files)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_non_capture_file_is_named_and_fails_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = write(tmp.path(), "notes.txt", b"this is not a capture file\n");
    let good = write(tmp.path(), "good.pcap", &sample_bytes());
    let (code, err) = replay(&[&bad, &good]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("notes.txt") && err.contains("not a pcap"),
        "{err}"
    );
    // The good file after it was still processed.
    assert!(
        err.contains("input good.pcap: ") && !err.contains("input good.pcap: 0 packets"),
        "{err}"
    );
}

#[test]
fn a_truncated_last_record_is_reported_and_the_run_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = sample_bytes();
    bytes.truncate(bytes.len() - 10);
    let f = write(tmp.path(), "cut.pcap", &bytes);
    let (code, err) = replay(&[&f]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("cut.pcap") && err.contains("truncated"),
        "{err}"
    );
}

#[test]
fn a_corrupt_record_header_stops_that_file_only() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = sample_bytes();
    // First record header starts at 24; its caplen field is at 24 + 8.
    bytes[32..36].copy_from_slice(&0xfff0_0000u32.to_le_bytes());
    let bad = write(tmp.path(), "corrupt.pcap", &bytes);
    let good = write(tmp.path(), "good.pcap", &sample_bytes());
    let (code, err) = replay(&[&bad, &good]);
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains("corrupt.pcap") && err.contains("offset 24"),
        "{err}"
    );
    assert!(err.contains("input good.pcap:"), "{err}");
}

#[test]
fn an_unknown_link_type_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = sample_bytes();
    bytes[20..24].copy_from_slice(&999u32.to_le_bytes());
    let f = write(tmp.path(), "odd.pcap", &bytes);
    let (code, err) = replay(&[&f]);
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains("odd.pcap") && err.contains("link type 999"),
        "{err}"
    );
}

#[test]
fn an_empty_file_is_not_a_capture() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(tmp.path(), "empty.pcap", b"");
    let (code, err) = replay(&[&f]);
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("empty.pcap"), "{err}");
}
