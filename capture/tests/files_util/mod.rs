//! Shared helpers for the capture-file tests: reference tools (capinfos, tshark) and a
//! bounded read loop. External tools follow the project rule: missing means SKIP,
//! unless MIZUBAN_REQUIRE_TOOLS is set.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use mizuban_capture::file::{CaptureReader, FileError};
use mizuban_capture::{LinkType, Timestamp};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Upper bound on records any test file holds; a loop past it is a reader bug.
pub const MAX_TEST_RECORDS: usize = 1_000_000;

/// Whether `tool` runs. If not: prints SKIP and returns false, or panics when
/// MIZUBAN_REQUIRE_TOOLS is set (CI).
pub fn have_tool(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("-v")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var_os("MIZUBAN_REQUIRE_TOOLS").is_some() {
            panic!("{tool} not installed and MIZUBAN_REQUIRE_TOOLS is set");
        }
        println!("SKIP: {tool} not installed");
    }
    ok
}

/// One frame as read, owned, for comparisons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owned {
    pub ts: Timestamp,
    pub link: LinkType,
    pub data: Vec<u8>,
    pub wire_len: u32,
    pub interface: u32,
    pub number: u64,
    pub offset: u64,
}

/// Reads every frame and the error that ended the file, if any. Asserts that after an
/// error or the end, the reader keeps returning `Ok(None)`.
pub fn read_all(mut r: CaptureReader) -> (Vec<Owned>, Option<FileError>) {
    let mut out = Vec::new();
    let mut err = None;
    for _ in 0..MAX_TEST_RECORDS {
        match r.next_frame() {
            Ok(Some(f)) => out.push(Owned {
                ts: f.ts,
                link: f.link,
                data: f.data.to_vec(),
                wire_len: f.wire_len,
                interface: f.interface,
                number: f.number,
                offset: f.offset,
            }),
            Ok(None) => break,
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    assert!(out.len() < MAX_TEST_RECORDS, "reader did not terminate");
    assert!(
        matches!(r.next_frame(), Ok(None)),
        "reader resumed after its end"
    );
    (out, err)
}

pub fn read_bytes(bytes: Vec<u8>) -> Result<(Vec<Owned>, Option<FileError>), FileError> {
    CaptureReader::from_reader(std::io::Cursor::new(bytes)).map(read_all)
}

/// Writes `bytes` to a temporary file, for the reference tools.
pub fn temp_file(bytes: &[u8], suffix: &str) -> tempfile::NamedTempFile {
    let f = tempfile::Builder::new().suffix(suffix).tempfile().unwrap();
    std::fs::write(f.path(), bytes).unwrap();
    f
}

/// "1224804549.022338" or "1.5" as nanoseconds since the epoch.
pub fn parse_epoch(s: &str) -> Option<Timestamp> {
    let (secs, frac) = s.trim().split_once('.').unwrap_or((s.trim(), ""));
    let secs: i64 = secs.parse().ok()?;
    if frac.len() > 9 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let nanos: u32 = format!("{frac:0<9}").parse().ok()?;
    Some(Timestamp::from_secs_nanos(secs, nanos))
}

/// What capinfos says about a file.
#[derive(Debug)]
pub struct CapInfo {
    pub encapsulation: String,
    pub packets: u64,
    /// Earliest and latest packet time (`-a -e -S`), absent when capinfos prints n/a.
    pub earliest: Option<Timestamp>,
    pub latest: Option<Timestamp>,
}

pub fn capinfos(path: &Path) -> CapInfo {
    // -T -r: one tab-separated row, no header; fields in capinfos' fixed order:
    // name, encapsulation, packets, earliest, latest.
    let out = Command::new("capinfos")
        .args(["-T", "-r", "-E", "-c", "-M", "-a", "-e", "-S"])
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let row: Vec<&str> = text.trim_end_matches('\n').split('\t').collect();
    assert_eq!(
        row.len(),
        5,
        "capinfos row for {}: {text:?}",
        path.display()
    );
    CapInfo {
        encapsulation: row[1].to_string(),
        packets: row[2].trim().parse().unwrap(),
        earliest: parse_epoch(row[3]),
        latest: parse_epoch(row[4]),
    }
}

/// tshark's view of each frame: (frame.time_epoch, frame.len, frame.cap_len,
/// frame.interface_id or 0). The time is `None` for a frame without one (SPB).
pub fn tshark_frames(path: &Path) -> Vec<(Option<Timestamp>, u32, u32, u32)> {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args(["-T", "fields", "-E", "separator=,"])
        .args([
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.len",
            "-e",
            "frame.cap_len",
        ])
        .args(["-e", "frame.interface_id"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tshark failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                if f[0].is_empty() {
                    None
                } else {
                    Some(parse_epoch(f[0]).unwrap_or_else(|| panic!("time {:?}", f[0])))
                },
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f.get(3).and_then(|s| s.parse().ok()).unwrap_or(0),
            )
        })
        .collect()
}

/// Every *.pcap and *.pcapng under `dir`, sorted.
pub fn captures_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("pcap") | Some("pcapng")
            ) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[path = "../../../tests/common/corpus.rs"]
pub mod corpus;
