//! Every real capture of the corpus (tests/corpus, see tests/common/corpus.rs) reads without error, with the packet count
//! and time range capinfos reports, and for a few files frame by frame as tshark sees
//! them (time, wire length, captured length, interface).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod files_util;

use files_util::{capinfos, corpus, have_tool, read_all, tshark_frames};
use mizuban_capture::file::CaptureReader;

#[test]
fn every_corpus_capture_matches_capinfos() {
    if !have_tool("capinfos") {
        return;
    }
    let files = corpus::capture_paths();
    assert!(
        files.len() >= 60,
        "corpus incomplete: {} captures",
        files.len()
    );
    for path in &files {
        let info = capinfos(path);
        let name = path.display();
        let reader = CaptureReader::open(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (frames, err) = read_all(reader);
        assert_eq!(err, None, "{name}");
        assert_eq!(frames.len() as u64, info.packets, "{name}: packet count");
        for (i, f) in frames.iter().enumerate() {
            assert_eq!(f.number, i as u64 + 1, "{name}: frame numbers");
            assert!(f.data.len() as u64 <= u64::from(f.wire_len), "{name}");
        }
        let earliest = frames.iter().map(|f| f.ts).min();
        let latest = frames.iter().map(|f| f.ts).max();
        assert_eq!(earliest, info.earliest, "{name}: earliest packet time");
        assert_eq!(latest, info.latest, "{name}: latest packet time");
        if frames.iter().any(|f| !f.link.is_supported()) {
            // A registered link type we do not decode (e.g. IEEE 802.15.4) is read and
            // left for the decoder to count.
            println!("{name}: link type {} not decoded", info.encapsulation);
        }
    }
    println!("{} captures match capinfos", files.len());
}

/// Files chosen for variety: pcapng with nanosecond and mixed resolutions, pcapng
/// named .pcap, BSD loopback, raw IPv4, Linux SLL and SLL2, a snaplen-cut capture.
const TSHARK_FILES: &[&str] = &[
    "enip/cisagov_set_attribute_single_service_cip.pcapng",
    "other/ndpi_knxip.pcapng",
    "opcua/cisagov_open62541_client-server_encrypted.pcap",
    "s7comm/iti_S7-1511_db2_var1_HMI.pcap",
    "dnp3/suricata_dnp3-flood.pcap",
    "dnp3/iti_opendnp3_conformance_6.1.2.pcap",
    "it/zeek_linux_dlt_sll2.pcap",
    "s7comm/cisagov_s7comm_plus.pcap",
    "other/ndpi_fins.pcap",
];

#[test]
fn selected_captures_match_tshark_frame_by_frame() {
    if !have_tool("tshark") {
        return;
    }
    for rel in TSHARK_FILES {
        let path = corpus::path(rel);
        let expected = tshark_frames(&path);
        let (frames, err) = read_all(CaptureReader::open(&path).unwrap());
        assert_eq!(err, None, "{rel}");
        let got: Vec<_> = frames
            .iter()
            .map(|f| (Some(f.ts), f.wire_len, f.data.len() as u32, f.interface))
            .collect();
        assert_eq!(got, expected, "{rel}");
    }
}
