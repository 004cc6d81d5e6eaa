//! MergedReader: frames of several files in timestamp order (ties to the lower file
//! index, then record order), per-file errors reported with the file index while the
//! other files go on; and agreement with mergecap on real captures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod files_util;

use files_util::{MAX_TEST_RECORDS, have_tool, tshark_frames};
use mizuban_capture::file::{CaptureReader, FileError, MergeError, MergedReader};
use mizuban_capture::writer::PcapWriter;
use mizuban_capture::{LinkType, Timestamp};
use std::io::Cursor;
use std::process::Command;

/// A pcap whose records carry (seconds, one payload byte naming the record).
fn pcap(records: &[(i64, u8)]) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet, 65535, false).unwrap();
    for &(secs, tag) in records {
        w.write_packet(Timestamp::from_secs_nanos(secs, 0), &[tag; 20], 20)
            .unwrap();
    }
    w.into_inner()
}

fn reader(bytes: Vec<u8>) -> CaptureReader {
    CaptureReader::from_reader(Cursor::new(bytes)).unwrap()
}

/// Every item of the merge: Ok((file, secs, tag, frame number)) or the error.
fn drain(m: &mut MergedReader) -> Vec<Result<(usize, i64, u8, u64), MergeError>> {
    let mut out = Vec::new();
    for _ in 0..MAX_TEST_RECORDS {
        match m.next_frame() {
            Ok(Some(f)) => out.push(Ok((
                f.file,
                f.frame.ts.secs(),
                f.frame.data[0],
                f.frame.number,
            ))),
            Ok(None) => return out,
            Err(e) => out.push(Err(e)),
        }
    }
    panic!("merge did not terminate");
}

#[test]
fn interleaves_by_time_with_ties_to_lower_file() {
    let a = pcap(&[(1, 0xa1), (4, 0xa2), (4, 0xa3)]);
    let b = pcap(&[(2, 0xb1), (4, 0xb2), (9, 0xb3)]);
    // Not sorted inside the file: record order is kept (0xc2 after 0xc1), as mergecap does.
    let c = pcap(&[(3, 0xc1), (0, 0xc2)]);
    let mut m = MergedReader::new([(0, reader(a)), (1, reader(b)), (2, reader(c))]);
    let got: Vec<_> = drain(&mut m).into_iter().map(Result::unwrap).collect();
    assert_eq!(
        got,
        vec![
            (0, 1, 0xa1, 1),
            (1, 2, 0xb1, 1),
            (2, 3, 0xc1, 1),
            (2, 0, 0xc2, 2),
            (0, 4, 0xa2, 2),
            (0, 4, 0xa3, 3),
            (1, 4, 0xb2, 2),
            (1, 9, 0xb3, 3),
        ]
    );
    assert!(matches!(m.next_frame(), Ok(None)));
}

#[test]
fn file_indices_are_the_callers() {
    let mut m = MergedReader::new([(7, reader(pcap(&[(5, 1)]))), (3, reader(pcap(&[(5, 2)])))]);
    let got: Vec<_> = drain(&mut m).into_iter().map(Result::unwrap).collect();
    // Same time: index 3 is lower than 7.
    assert_eq!(got, vec![(3, 5, 2, 1), (7, 5, 1, 1)]);
}

#[test]
fn errors_are_reported_per_file_and_the_rest_goes_on() {
    // File 1: two records, then a cut third (offset 24 + 2 * 36 = 96).
    let mut truncated = pcap(&[(2, 0xb1), (3, 0xb2), (6, 0xb3)]);
    truncated.truncate(96 + 16 + 5);
    // File 2: a record with caplen 0x7fffffff at offset 24 + 36 = 60.
    let mut corrupt = pcap(&[(1, 0xc1)]);
    corrupt.extend([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]);
    let good = pcap(&[(1, 0xa1), (5, 0xa2), (7, 0xa3)]);
    let mut m = MergedReader::new([
        (0, reader(good)),
        (1, reader(truncated)),
        (2, reader(corrupt)),
    ]);
    let got = drain(&mut m);
    let err = |file, error| Err(MergeError { file, error });
    assert_eq!(
        got,
        vec![
            Ok((0, 1, 0xa1, 1)),
            Ok((2, 1, 0xc1, 1)),
            err(
                2,
                FileError::CorruptRecord {
                    offset: 60,
                    reason: "captured length above the 256 KiB maximum"
                }
            ),
            Ok((1, 2, 0xb1, 1)),
            Ok((1, 3, 0xb2, 2)),
            err(
                1,
                FileError::TruncatedRecord {
                    offset: 96,
                    needed: 36,
                    available: 21
                }
            ),
            Ok((0, 5, 0xa2, 2)),
            Ok((0, 7, 0xa3, 3)),
        ]
    );
}

#[test]
fn error_on_first_record_and_empty_files() {
    let mut bad = pcap(&[]);
    bad.extend([0; 7]);
    let mut m = MergedReader::new([
        (0, reader(pcap(&[]))),
        (1, reader(bad)),
        (2, reader(pcap(&[(1, 9)]))),
    ]);
    let got = drain(&mut m);
    assert_eq!(got.len(), 2);
    assert!(matches!(
        &got[0],
        Err(MergeError {
            file: 1,
            error: FileError::TruncatedRecord { offset: 24, .. }
        })
    ));
    assert_eq!(got[1], Ok((2, 1, 9, 1)));
    assert!(MergedReader::new([]).next_frame().unwrap().is_none());
}

/// mergecap's order on two real captures that share timestamps (the Modbus files both
/// start at 1093521678.945447): the same frames in the same order.
#[test]
fn agrees_with_mergecap() {
    let files = [
        "modbus/iti_modbus_test_data_part1.pcap",
        "modbus/suricata_modbus.pcap",
        "modbus/zeek_fuzz-72.pcap",
    ]
    .map(files_util::corpus::path);
    if !have_tool("mergecap") || !have_tool("tshark") {
        return;
    }
    let out = tempfile::Builder::new().suffix(".pcap").tempfile().unwrap();
    let status = Command::new("mergecap")
        .args(["-F", "pcap", "-w"])
        .arg(out.path())
        .args(&files)
        .status()
        .unwrap();
    assert!(status.success());
    let expected = tshark_frames(out.path());
    let mut m = MergedReader::new(
        files
            .iter()
            .enumerate()
            .map(|(i, f)| (i, CaptureReader::open(f).unwrap())),
    );
    let mut got = Vec::new();
    while let Some(f) = m.next_frame().unwrap() {
        let f = f.frame;
        got.push((Some(f.ts), f.wire_len, f.data.len() as u32, 0));
        assert!(got.len() < MAX_TEST_RECORDS);
    }
    assert_eq!(got.len(), expected.len());
    assert_eq!(got, expected);
}
