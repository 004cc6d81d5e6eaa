//! Property tests for the capture-file readers: arbitrary and mutated bytes never panic
//! and always end; written records read back equal; any truncation of a valid file gives
//! exactly the whole records before the cut, then a truncated-record error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod files_util;

use mizuban_capture::file::{CaptureReader, FileError, MergedReader};
use mizuban_capture::writer::{PcapWriter, PcapngWriter};
use mizuban_capture::{LinkType, Timestamp};
use proptest::prelude::*;
use std::io::Cursor;

/// Reads to the end with a loop bound: every record or block consumes at least 12
/// bytes, so a reader that needs more iterations than len / 12 + 2 is looping.
fn read_bounded(bytes: Vec<u8>) -> usize {
    let bound = bytes.len() / 12 + 2;
    let Ok(mut r) = CaptureReader::from_reader(Cursor::new(bytes)) else {
        return 0;
    };
    for i in 0..bound {
        match r.next_frame() {
            Ok(Some(f)) => {
                assert!(f.data.len() as u64 <= u64::from(f.wire_len));
                assert!(f.data.len() <= mizuban_capture::file::MAX_CAPLEN as usize);
            }
            Ok(None) | Err(_) => {
                assert!(matches!(r.next_frame(), Ok(None)));
                return i;
            }
        }
    }
    panic!("reader did not end within {bound} iterations");
}

/// Valid file headers to put in front of random bytes, so the fuzzing reaches records.
fn prefixes() -> Vec<Vec<u8>> {
    let pcap_le = PcapWriter::new(Vec::new(), LinkType::Ethernet, 65535, false)
        .unwrap()
        .into_inner();
    let mut pcap_be = pcap_le.clone();
    pcap_be[..4].reverse();
    for field in [4..6, 6..8, 16..20, 20..24] {
        pcap_be[field].reverse();
    }
    let mut ng = PcapngWriter::new(Vec::new(), false).unwrap();
    ng.add_interface(LinkType::Ethernet, 0, 9, 0).unwrap();
    let ng_le = ng.into_inner();
    let mut ng = PcapngWriter::new(Vec::new(), true).unwrap();
    ng.add_interface(LinkType::Raw, 64, 0x8a, 3).unwrap();
    let ng_be = ng.into_inner();
    vec![pcap_le, pcap_be, ng_le, ng_be, vec![]]
}

/// A valid pcapng with every packet block kind, to mutate.
fn sample_pcapng(big_endian: bool) -> Vec<u8> {
    let mut w = PcapngWriter::new(Vec::new(), big_endian).unwrap();
    w.add_interface(LinkType::Ethernet, 0, 6, 0).unwrap();
    w.add_interface(LinkType::Raw, 0, 9, 100).unwrap();
    let t = Timestamp::from_secs_nanos(1_600_000_000, 5_000);
    w.write_packet(0, t, &[1; 60], 60).unwrap();
    w.write_block(4, &[0, 0, 0, 0]).unwrap();
    w.write_packet(1, t, &[2; 41], 100).unwrap();
    w.write_simple_packet(&[3; 30], 30).unwrap();
    w.write_obsolete_packet(1, t, &[4; 7], 7).unwrap();
    w.write_section_header().unwrap();
    w.add_interface(LinkType::LinuxSll, 0, 0x81, 0).unwrap();
    w.write_packet(0, t, &[5; 16], 16).unwrap();
    w.into_inner()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        read_bounded(bytes);
    }

    #[test]
    fn random_records_after_valid_headers_never_panic(
        which in 0usize..5,
        tail in proptest::collection::vec(any::<u8>(), 0..4096),
    ) {
        let mut bytes = prefixes().swap_remove(which);
        bytes.extend(tail);
        read_bounded(bytes);
    }

    #[test]
    fn mutated_pcapng_never_panics(
        big_endian in any::<bool>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = sample_pcapng(big_endian);
        for (at, v) in flips {
            let i = at.index(bytes.len());
            bytes[i] = v;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        read_bounded(bytes);
    }

    #[test]
    fn pcap_round_trip(
        nanos in any::<bool>(),
        records in proptest::collection::vec(
            (0u32..u32::MAX, 0u32..1_000_000_000, proptest::collection::vec(any::<u8>(), 0..200), 0u32..300),
            0..50,
        ),
    ) {
        let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet, 65535, nanos).unwrap();
        for (secs, ns, data, extra) in &records {
            let ts = Timestamp::from_secs_nanos(i64::from(*secs), *ns);
            w.write_packet(ts, data, data.len() as u32 + extra).unwrap();
        }
        let (frames, err) = files_util::read_bytes(w.into_inner()).unwrap();
        prop_assert_eq!(err, None);
        prop_assert_eq!(frames.len(), records.len());
        for (f, (secs, ns, data, extra)) in frames.iter().zip(&records) {
            let ns = if nanos { *ns } else { ns / 1000 * 1000 };
            prop_assert_eq!(f.ts, Timestamp::from_secs_nanos(i64::from(*secs), ns));
            prop_assert_eq!(&f.data, data);
            prop_assert_eq!(f.wire_len, data.len() as u32 + extra);
        }
    }

    #[test]
    fn pcapng_round_trip(
        big_endian in any::<bool>(),
        tsresol in prop_oneof![Just(6u8), Just(9u8), Just(3u8), Just(0x94u8)],
        records in proptest::collection::vec(
            (0i64..2_000_000_000, proptest::collection::vec(any::<u8>(), 0..200), any::<bool>()),
            0..50,
        ),
    ) {
        let mut w = PcapngWriter::new(Vec::new(), big_endian).unwrap();
        w.add_interface(LinkType::Ethernet, 0, 9, 0).unwrap();
        w.add_interface(LinkType::Ipv4, 0, tsresol, 0).unwrap();
        for (i, (secs, data, second)) in records.iter().enumerate() {
            // Whole seconds are exact in every resolution tested.
            let ts = Timestamp::from_secs_nanos(*secs, 0);
            if i % 7 == 6 {
                w.write_obsolete_packet(u16::from(*second), ts, data, data.len() as u32).unwrap();
            } else {
                w.write_packet(u32::from(*second), ts, data, data.len() as u32).unwrap();
            }
        }
        let (frames, err) = files_util::read_bytes(w.into_inner()).unwrap();
        prop_assert_eq!(err, None);
        prop_assert_eq!(frames.len(), records.len());
        for (f, (secs, data, second)) in frames.iter().zip(&records) {
            prop_assert_eq!(f.ts, Timestamp::from_secs_nanos(*secs, 0));
            prop_assert_eq!(&f.data, data);
            prop_assert_eq!(f.interface, u32::from(*second));
            prop_assert_eq!(f.link, if *second { LinkType::Ipv4 } else { LinkType::Ethernet });
        }
    }

    /// STYLE.md section 8 (3): every truncation gives the whole records before the cut
    /// and then TruncatedRecord at the cut record, or a clean end at a record boundary.
    #[test]
    fn every_pcap_truncation_is_exact(
        sizes in proptest::collection::vec(0usize..100, 1..10),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut w = PcapWriter::new(Vec::new(), LinkType::Raw, 65535, false).unwrap();
        let mut bounds = vec![24usize];
        for (i, n) in sizes.iter().enumerate() {
            w.write_packet(Timestamp::from_secs_nanos(i as i64, 0), &vec![i as u8; *n], *n as u32).unwrap();
            bounds.push(bounds.last().unwrap() + 16 + n);
        }
        let bytes = w.into_inner();
        let len = 24 + cut.index(bytes.len() - 24 + 1);
        let (frames, err) = files_util::read_bytes(bytes[..len].to_vec()).unwrap();
        let whole = bounds.iter().filter(|&&b| b <= len).count() - 1;
        prop_assert_eq!(frames.len(), whole);
        if bounds.contains(&len) {
            prop_assert_eq!(err, None);
        } else {
            let start = bounds[whole];
            let needed = if len - start < 16 { 16 } else { bounds[whole + 1] - start };
            prop_assert_eq!(err, Some(FileError::TruncatedRecord {
                offset: start as u64,
                needed: needed as u64,
                available: (len - start) as u64,
            }));
        }
    }

    #[test]
    fn merging_arbitrary_files_never_panics(
        a in proptest::collection::vec(any::<u8>(), 0..2048),
        b in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut base = prefixes();
        let mut fa = base.swap_remove(0);
        fa.extend(a);
        let mut fb = sample_pcapng(false);
        fb.extend(b);
        // Every record consumes at least 12 bytes of its file, the valid prefix and the
        // sample's own packets included, so this many reads must reach the end.
        let bound = (fa.len() + fb.len()) / 12 + 4;
        let readers = [fa, fb]
            .into_iter()
            .enumerate()
            .filter_map(|(i, f)| CaptureReader::from_reader(Cursor::new(f)).ok().map(|r| (i, r)));
        let mut m = MergedReader::new(readers);
        let mut ended = false;
        for _ in 0..bound {
            if let Ok(None) = m.next_frame() {
                ended = true;
                break;
            }
        }
        prop_assert!(ended);
    }
}
