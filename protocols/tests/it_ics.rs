//! ICS payload probes against tshark: every frame tshark dissects as the protocol, with
//! the PDU starting in that frame, must be recognised by our probe.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod it_common;

use it_common::*;
use mizuban_protocols::parser::{Direction, Probe};
use mizuban_protocols::{bacnet, dnp3, enip, iec104, opcua, s7comm};

type ProbeFn = fn(&[u8], Direction) -> Probe;

fn check(dir: &str, filter: &str, probe: ProbeFn, min: usize) {
    if !have_tshark() {
        return;
    }
    let mut total = 0;
    let mut bad = Vec::new();
    let files = corpus::captures_in(dir);
    assert!(!files.is_empty(), "no captures in tests/corpus/{dir}");
    for pcap in files {
        // The first frame of each stream and direction that tshark dissects: later ones
        // may start mid-PDU in a segment tshark reassembles.
        let rows = fields(
            &pcap,
            &format!("({filter}) && !icmp && (tcp.len>0 || udp)"),
            &[
                "tcp.stream",
                "udp.stream",
                "tcp.srcport",
                "udp.srcport",
                "tcp.payload",
                "udp.payload",
                "frame.number",
            ],
        );
        let mut seen = std::collections::BTreeSet::new();
        for r in rows {
            let key = (r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone());
            if !seen.insert(key) {
                continue;
            }
            let payload = hex(if r[4].is_empty() { &r[5] } else { &r[4] });
            total += 1;
            if probe(&payload, Direction::ToServer) != Probe::Match {
                bad.push(format!("{} frame {}", pcap.display(), r[6]));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{filter}: probe rejected {} of {total}: {:?}",
        bad.len(),
        &bad[..bad.len().min(10)]
    );
    assert!(total >= min, "{filter}: only {total} frames compared");
}

#[test]
fn dnp3_probe_matches_tshark() {
    check("dnp3", "dnp3", dnp3::probe, 5);
}

#[test]
fn enip_probe_matches_tshark() {
    check("enip", "enip", enip::probe, 5);
}

#[test]
fn s7comm_probe_matches_tshark() {
    check("s7comm", "s7comm || cotp", s7comm::probe, 2);
}

#[test]
fn iec104_probe_matches_tshark() {
    check("iec104", "iec60870_104", iec104::probe, 5);
}

#[test]
fn bacnet_probe_matches_tshark() {
    check("bacnet", "bvlc", bacnet::probe, 5);
}

#[test]
fn opcua_probe_matches_tshark() {
    check("opcua", "opcua", opcua::probe, 2);
}
