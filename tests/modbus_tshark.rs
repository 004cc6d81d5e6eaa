//! Differential test of the whole pipeline against tshark (issue 3, point 7): every
//! Modbus capture with an oracle CSV (`<file>.tshark.csv`, see
//! tests/corpus/SOURCES.md "Modbus oracle CSVs") is replayed through
//! `mizuban::pipeline::collect`, and every PDU tshark decodes must match one of our
//! transactions' request or response on frame number, transaction id, unit id,
//! function code, exception code, and reference/word count where tshark has them; we
//! must report nothing tshark does not see. The comparison and the list of known
//! tshark disagreements live in protocols/tests/modbus_common/mod.rs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

#[path = "../protocols/tests/modbus_common/mod.rs"]
mod modbus_common;

use mizuban::config::Config;
use mizuban_protocols::event::EventKind;

#[test]
fn pipeline_matches_tshark_on_every_oracle_capture() {
    if !modbus_common::have_tool("tshark") {
        return;
    }
    let files = modbus_common::oracle_files();
    assert!(
        !files.is_empty(),
        "no oracle CSVs under {}",
        modbus_common::pcaps_dir()
    );
    let cfg = Config::default();
    let mut all = Vec::new();
    let mut compared = 0usize;
    for (pcap, csv) in files {
        let name = pcap.file_name().unwrap().to_str().unwrap().to_string();
        let oracle = modbus_common::load_oracle(&csv);
        let run = mizuban::pipeline::collect(std::slice::from_ref(&pcap), &cfg, 2).unwrap();
        let txs: Vec<_> = run
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Modbus(t) => Some(t.clone()),
                _ => None,
            })
            .collect();
        // The envelope names the response frame, else the request frame.
        for e in &run.events {
            if let EventKind::Modbus(t) = &e.kind {
                assert_eq!(
                    Some(e.frame),
                    t.response_frame.or(t.request_frame),
                    "{name}"
                );
            }
        }
        let mut diffs = modbus_common::compare(&name, &oracle, &txs);
        let extra = modbus_common::tshark_extra(&pcap);
        diffs.extend(modbus_common::compare_extra(&name, &extra, &txs));
        println!(
            "{name}: {} tshark rows, {} transactions, {} diffs",
            oracle.len(),
            txs.len(),
            diffs.len()
        );
        compared += oracle.values().map(|r| r.pdus.len()).sum::<usize>();
        all.extend(diffs);
    }
    for d in all.iter().take(60) {
        println!("{d}");
    }
    println!("{compared} tshark PDUs compared");
    assert!(all.is_empty(), "{} differences with tshark", all.len());
}

/// zeek_modbus-and-non-modbus-p502.pcap carries DCE/RPC, NFS, TLS and HTTP on TCP 502:
/// those flows are reported as not Modbus and yield no Modbus transaction.
#[test]
fn non_modbus_on_port_502_is_reported_not_parsed() {
    let pcap = modbus_common::corpus::path("modbus/zeek_modbus-and-non-modbus-p502.pcap");
    let run =
        mizuban::pipeline::collect(std::slice::from_ref(&pcap), &Config::default(), 1).unwrap();
    let not_modbus = run
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::NotProtocol(p) if p.protocol == mizuban_protocols::AppProtocol::Modbus))
        .count();
    // Streams 1-6 of the capture (tshark: DCERPC, NFS, TLS, HTTP, and two unknown).
    assert_eq!(not_modbus, 6);
    let modbus_ports: Vec<u16> = run
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Modbus(_)))
        .map(|e| e.flow.client.port())
        .collect();
    assert!(modbus_ports.iter().all(|&p| p == 3082), "{modbus_ports:?}");
    assert_eq!(
        modbus_ports.len(),
        6,
        "tshark: 6 request/response pairs on stream 0"
    );
}
