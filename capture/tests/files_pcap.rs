//! pcap reading on hand-built files: byte orders, resolutions and every bad-input case.
//! Each file is written out field by field; expected values follow from those bytes
//! (draft-ietf-opsawg-pcap sections 4 and 5), and tshark/capinfos confirm the good ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod files_util;

use files_util::{capinfos, have_tool, read_bytes, temp_file, tshark_frames};
use mizuban_capture::file::{CaptureReader, FileError, FileFormat, MAX_CAPLEN};
use mizuban_capture::writer::PcapWriter;
use mizuban_capture::{LinkType, Timestamp};

/// A 24-byte pcap file header, little-endian, microseconds.
fn header_le(linktype: u32) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes()); // magic
    h.extend_from_slice(&2u16.to_le_bytes()); // major
    h.extend_from_slice(&4u16.to_le_bytes()); // minor
    h.extend_from_slice(&[0; 8]); // reserved
    h.extend_from_slice(&65535u32.to_le_bytes()); // snaplen
    h.extend_from_slice(&linktype.to_le_bytes()); // link type
    h
}

/// A 16-byte record header, little-endian.
fn record_le(secs: u32, frac: u32, caplen: u32, orig: u32) -> Vec<u8> {
    [secs, frac, caplen, orig]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

/// Header plus `n` records of 60 bytes each (minimum Ethernet frame without FCS).
fn file_with_records(n: u32) -> Vec<u8> {
    let mut f = header_le(1);
    for i in 0..n {
        f.extend(record_le(1_000 + i, 500_000, 60, 60));
        f.extend(std::iter::repeat_n(i as u8, 60));
    }
    f
}

#[test]
fn little_endian_micros() {
    let (frames, err) = read_bytes(file_with_records(3)).unwrap();
    assert_eq!(err, None);
    assert_eq!(frames.len(), 3);
    let f = &frames[1];
    assert_eq!(f.ts, Timestamp::from_secs_nanos(1_001, 500_000_000));
    assert_eq!(f.link, LinkType::Ethernet);
    assert_eq!(f.data, vec![1u8; 60]);
    assert_eq!((f.wire_len, f.interface, f.number), (60, 0, 2));
    // Second record: after the 24-byte header and one 16 + 60 byte record.
    assert_eq!(f.offset, 24 + 76);
}

/// A big-endian (SPARC/PowerPC-written) file: same fields, network byte order.
fn big_endian_file() -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&[0xa1, 0xb2, 0xc3, 0xd4]); // magic, big-endian
    f.extend_from_slice(&[0x00, 0x02, 0x00, 0x04]); // version 2.4
    f.extend_from_slice(&[0; 8]); // reserved
    f.extend_from_slice(&[0x00, 0x00, 0x00, 0x20]); // snaplen 32
    f.extend_from_slice(&[0x00, 0x00, 0x00, 0x65]); // link type 101 (raw IP)
    f.extend_from_slice(&[0x5f, 0x5e, 0x10, 0x00]); // ts secs 1600000000
    f.extend_from_slice(&[0x00, 0x01, 0xe2, 0x40]); // ts usecs 123456
    f.extend_from_slice(&[0x00, 0x00, 0x00, 0x14]); // caplen 20
    f.extend_from_slice(&[0x00, 0x00, 0x00, 0x28]); // orig len 40 (snaplen-cut)
    // IPv4 header: 20 bytes, total length 40, TTL 64, proto TCP, 10.0.0.1 -> 10.0.0.2.
    f.extend_from_slice(&[
        0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00, 10, 0, 0, 1, 10, 0,
        0, 2,
    ]);
    f
}

#[test]
fn big_endian_micros() {
    let (frames, err) = read_bytes(big_endian_file()).unwrap();
    assert_eq!(err, None);
    assert_eq!(frames.len(), 1);
    let f = &frames[0];
    assert_eq!(f.ts, Timestamp::from_secs_nanos(1_600_000_000, 123_456_000));
    assert_eq!(f.link, LinkType::Raw);
    assert_eq!((f.data.len(), f.wire_len, f.offset), (20, 40, 24));
    assert_eq!(f.data[0], 0x45);
}

#[test]
fn big_endian_agrees_with_tshark() {
    if !have_tool("tshark") {
        return;
    }
    let tmp = temp_file(&big_endian_file(), ".pcap");
    let expected = tshark_frames(tmp.path());
    let (frames, _) = read_bytes(big_endian_file()).unwrap();
    let got: Vec<_> = frames
        .iter()
        .map(|f| (Some(f.ts), f.wire_len, f.data.len() as u32, 0))
        .collect();
    assert_eq!(got, expected);
}

/// A nanosecond file written by our writer, checked against capinfos and tshark, which
/// print nine fractional digits for it.
#[test]
fn nanosecond_file_agrees_with_capinfos_and_tshark() {
    let times = [
        Timestamp::from_secs_nanos(1_700_000_000, 123_456_789),
        Timestamp::from_secs_nanos(1_700_000_000, 123_456_790),
        Timestamp::from_secs_nanos(1_700_000_001, 999_999_999),
    ];
    let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet, 65535, true).unwrap();
    for (i, t) in times.iter().enumerate() {
        w.write_packet(*t, &[i as u8; 64], 64).unwrap();
    }
    let bytes = w.into_inner();
    let (frames, err) = read_bytes(bytes.clone()).unwrap();
    assert_eq!(err, None);
    let got: Vec<_> = frames.iter().map(|f| f.ts).collect();
    assert_eq!(got, times);
    if !have_tool("capinfos") || !have_tool("tshark") {
        return;
    }
    let tmp = temp_file(&bytes, ".pcap");
    let info = capinfos(tmp.path());
    assert_eq!(info.packets, 3);
    assert_eq!(info.earliest, Some(times[0]));
    assert_eq!(info.latest, Some(times[2]));
    let tshark: Vec<_> = tshark_frames(tmp.path()).iter().map(|t| t.0).collect();
    let times: Vec<_> = times.iter().copied().map(Some).collect();
    assert_eq!(tshark, times);
}

#[test]
fn nanosecond_magic_big_endian() {
    let mut f = Vec::new();
    f.extend_from_slice(&[0xa1, 0xb2, 0x3c, 0x4d]); // magic, big-endian, nanoseconds
    f.extend_from_slice(&[0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0]); // version, reserved
    f.extend_from_slice(&[0, 0, 0xff, 0xff]); // snaplen
    f.extend_from_slice(&[0, 0, 0, 113]); // Linux SLL
    f.extend_from_slice(&[0, 0, 0, 7]); // 7 s
    f.extend_from_slice(&[0x3b, 0x9a, 0xc9, 0xff]); // 999999999 ns
    f.extend_from_slice(&[0, 0, 0, 0]); // caplen 0
    f.extend_from_slice(&[0, 0, 0, 0]); // orig len 0
    let (frames, err) = read_bytes(f).unwrap();
    assert_eq!(err, None);
    assert_eq!(frames[0].ts, Timestamp::from_secs_nanos(7, 999_999_999));
    assert_eq!(frames[0].link, LinkType::LinuxSll);
    assert!(frames[0].data.is_empty());
}

#[test]
fn fcs_bits_in_link_type_are_ignored() {
    // Section 4: bit 26 ("F") set with FCS length 4 in bits 28-31, link type Ethernet.
    let mut f = header_le(0x4400_0001);
    f.extend(record_le(1, 0, 4, 4));
    f.extend_from_slice(&[1, 2, 3, 4]);
    let (frames, err) = read_bytes(f).unwrap();
    assert_eq!(err, None);
    assert_eq!(frames[0].link, LinkType::Ethernet);
}

#[test]
fn not_a_capture_file() {
    let err = CaptureReader::from_reader(std::io::Cursor::new(b"GET / HTTP/1.1\r\n".to_vec()))
        .err()
        .unwrap();
    // "GET " read in file order.
    assert_eq!(err, FileError::NotACapture { magic: 0x4745_5420 });
    assert_eq!(err.offset(), 0);
    assert!(err.is_fatal());
    assert_eq!(
        err.to_string(),
        "not a pcap or pcapng file (magic 0x47455420 at offset 0)"
    );
}

#[test]
fn empty_and_tiny_files_are_not_captures() {
    assert_eq!(read_bytes(vec![]).err(), Some(FileError::Empty));
    for bytes in [vec![0xd4], vec![0xd4, 0xc3, 0xb2]] {
        let err = read_bytes(bytes).err().unwrap();
        assert!(matches!(err, FileError::NotACapture { .. }), "{err:?}");
    }
}

#[test]
fn truncated_file_header_is_corrupt() {
    let mut f = header_le(1);
    f.truncate(20);
    let err = read_bytes(f).err().unwrap();
    assert!(
        matches!(err, FileError::CorruptRecord { offset: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn unknown_link_type_at_open() {
    // 999 is in no LINKTYPE registry: the field at offset 20 of the file header.
    let mut f = header_le(999);
    f.extend(record_le(1, 0, 4, 4));
    f.extend_from_slice(&[0; 4]);
    let err = read_bytes(f).err().unwrap();
    assert_eq!(
        err,
        FileError::UnknownLinkType {
            offset: 20,
            linktype: 999
        }
    );
    assert!(err.is_fatal());
    assert_eq!(err.to_string(), "unknown link type 999 at offset 20");
}

#[test]
fn registered_but_undecoded_link_type_is_read() {
    // LINKTYPE_IEEE802_15_4_WITHFCS (195): registered, not decoded by mizuban. The
    // reader hands the frames on; the decoder counts them.
    let mut f = header_le(195);
    f.extend(record_le(1, 0, 4, 4));
    f.extend_from_slice(&[1, 2, 3, 4]);
    let (frames, err) = read_bytes(f).unwrap();
    assert_eq!(err, None);
    assert_eq!(frames[0].link, LinkType::Unknown(195));
}

#[test]
fn truncated_last_record_data() {
    // Two whole records, then a record header for 60 bytes followed by only 10 of them.
    let mut f = file_with_records(2);
    f.extend(record_le(2_000, 0, 60, 60));
    f.extend_from_slice(&[9; 10]);
    let (frames, err) = read_bytes(f).unwrap();
    assert_eq!(frames.len(), 2);
    let err = err.unwrap();
    assert_eq!(
        err,
        FileError::TruncatedRecord {
            offset: 24 + 2 * 76,
            needed: 76,
            available: 26
        }
    );
    assert!(!err.is_fatal());
    assert_eq!(
        err.to_string(),
        "last record truncated at offset 176: needs 76 bytes, 26 present"
    );
}

#[test]
fn truncated_last_record_header() {
    let mut f = file_with_records(1);
    f.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7]);
    let (frames, err) = read_bytes(f).unwrap();
    assert_eq!(frames.len(), 1);
    assert_eq!(
        err,
        Some(FileError::TruncatedRecord {
            offset: 100,
            needed: 16,
            available: 7
        })
    );
}

#[test]
fn corrupt_record_header_caplen_over_max() {
    let mut f = file_with_records(1);
    f.extend(record_le(1, 0, MAX_CAPLEN + 1, 60));
    f.extend_from_slice(&[0; 64]);
    let (frames, err) = read_bytes(f).unwrap();
    assert_eq!(frames.len(), 1);
    let err = err.unwrap();
    assert!(
        matches!(err, FileError::CorruptRecord { offset: 100, .. }),
        "{err:?}"
    );
    assert!(err.is_fatal());
    assert!(
        err.to_string()
            .starts_with("corrupt record header at offset 100: ")
    );
}

#[test]
fn caplen_at_max_is_accepted() {
    let mut f = header_le(1);
    f.extend(record_le(1, 0, MAX_CAPLEN, MAX_CAPLEN));
    f.extend(vec![0xab; MAX_CAPLEN as usize]);
    f.extend(record_le(2, 0, 1, 1));
    f.push(0xcd);
    let (frames, err) = read_bytes(f).unwrap();
    assert_eq!(err, None);
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].data.len(), MAX_CAPLEN as usize);
    assert_eq!(frames[1].data, vec![0xcd]);
}

#[test]
fn orig_len_below_caplen_reports_caplen() {
    let mut f = header_le(1);
    f.extend(record_le(1, 0, 8, 2));
    f.extend_from_slice(&[0; 8]);
    let (frames, _) = read_bytes(f).unwrap();
    assert_eq!(frames[0].wire_len, 8);
}

#[test]
fn open_missing_file_empty_file_and_directory_are_told_apart() {
    let err = CaptureReader::open(std::path::Path::new("/nonexistent/x.pcap"))
        .err()
        .unwrap();
    assert_eq!(err, FileError::NotFound);
    assert_eq!(err.to_string(), "no such file or directory");
    let dir = tempfile::tempdir().unwrap();
    let err = CaptureReader::open(dir.path()).err().unwrap();
    assert_eq!(err, FileError::IsDirectory);
    let empty = dir.path().join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(CaptureReader::open(&empty).err(), Some(FileError::Empty));
}

#[test]
fn reads_many_records_across_buffer_refills() {
    // 40000 records of 76 bytes = ~3 MiB, three refills of the 1 MiB buffer, with
    // records straddling every refill boundary.
    let n = 40_000u32;
    let (frames, err) = read_bytes(file_with_records(n)).unwrap();
    assert_eq!(err, None);
    assert_eq!(frames.len(), n as usize);
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.data, vec![i as u8; 60]);
        assert_eq!(f.ts.secs(), 1_000 + i as i64);
        assert_eq!(f.offset, 24 + 76 * i as u64);
    }
    let r = CaptureReader::from_reader(std::io::Cursor::new(file_with_records(1))).unwrap();
    assert_eq!(r.format(), FileFormat::Pcap);
}
