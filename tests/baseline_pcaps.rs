//! Baseline and inventory on real captures (issue 5 point 7).
//!
//! 1. Learn on a real Modbus capture, enforce on the same capture: no finding.
//! 2. Enforce on a modified copy with two injected TCP sessions (built here, byte by
//!    byte): a new host reading from the PLC, and a known read-only client writing a
//!    register. Exactly the findings those changes call for, and no others.
//! 3. The inventory of real Modbus captures lists the internal hosts tshark sees
//!    (`tshark -q -z endpoints,ip`), with the MACs and Modbus roles tshark shows.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::modbus_inject::{CAPTURE, EXPECTED_FINDINGS, tshark_endpoints, write_modified};
use common::{corpus, have_tool, run_stdout};
use mizuban::config::Config;
use mizuban_detect::Finding;
use mizuban_detect::baseline::{
    AssetTracker, Baseline, BaselineConfig, default_is_internal, rules,
};
use mizuban_detect::inventory::InventoryConfig;
use mizuban_protocols::Event;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

fn events(path: &Path) -> Vec<Event> {
    mizuban::pipeline::collect(&[path.to_path_buf()], &Config::default(), 1)
        .unwrap()
        .events
}

fn learn(evs: &[Event]) -> Baseline {
    let mut b = Baseline::new(BaselineConfig {
        learn_secs: 0,
        ..BaselineConfig::default()
    });
    let mut out = Vec::new();
    for e in evs {
        b.on_event(e, &default_is_internal, &mut out);
    }
    assert!(out.is_empty());
    b.finish_learning(evs.last().unwrap().ts);
    b
}

fn enforce(b: &mut Baseline, evs: &[Event]) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in evs {
        b.on_event(e, &default_is_internal, &mut out);
    }
    out
}

fn capture() -> Option<PathBuf> {
    let p = corpus::path(CAPTURE);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIP: {} missing", p.display());
        None
    }
}

#[test]
fn learn_and_enforce_on_the_same_capture_raises_nothing() {
    let Some(pcap) = capture() else { return };
    let evs = events(&pcap);
    assert!(evs.len() > 1000, "{}", evs.len());
    let mut b = learn(&evs);
    let out = enforce(&mut b, &evs);
    assert!(out.is_empty(), "{out:#?}");
}

#[test]
fn new_host_and_new_writer_in_a_modified_copy() {
    let Some(pcap) = capture() else { return };
    let dir = tempfile::tempdir().unwrap();
    let modified = dir.path().join("modified.pcap");
    write_modified(&pcap, &modified);

    let mut b = learn(&events(&pcap));
    let out = enforce(&mut b, &events(&modified));
    let got: BTreeSet<(&str, String)> = out.iter().map(|f| (f.rule, f.key.clone())).collect();
    let want: BTreeSet<(&str, String)> = EXPECTED_FINDINGS
        .iter()
        .map(|(r, k)| (*r, k.to_string()))
        .collect();
    // The shared list names the rules by string; they are the library's constants.
    for r in [
        rules::NEW_HOST,
        rules::NEW_CONVERSATION,
        rules::NEW_ICS_PROTOCOL,
        rules::NEW_MODBUS_CLIENT,
        rules::NEW_MODBUS_WRITER,
    ] {
        assert!(want.iter().any(|(w, _)| *w == r), "{r}");
    }
    assert_eq!(got, want, "{out:#?}");
}

/// MACs by source IP, and (Modbus client, server) pairs.
type MacsAndPairs = (
    BTreeMap<IpAddr, BTreeSet<String>>,
    BTreeSet<(IpAddr, IpAddr)>,
);

/// `tshark -T fields`: (ip.src, eth.src) pairs, and Modbus clients -> servers.
fn tshark_macs_and_roles(pcap: &Path) -> MacsAndPairs {
    let out = run_stdout(
        Command::new("tshark")
            .arg("-r")
            .arg(pcap)
            .args(["-Y", "ip", "-T", "fields", "-e", "ip.src", "-e", "eth.src"]),
    );
    let mut macs: BTreeMap<IpAddr, BTreeSet<String>> = BTreeMap::new();
    for l in out.lines() {
        let mut it = l.split('\t');
        if let (Some(Ok(ip)), Some(mac)) = (it.next().map(str::parse::<IpAddr>), it.next()) {
            macs.entry(ip).or_default().insert(mac.to_string());
        }
    }
    let out = run_stdout(Command::new("tshark").arg("-r").arg(pcap).args([
        "-Y",
        "modbus && tcp.dstport == 502",
        "-T",
        "fields",
        "-e",
        "ip.src",
        "-e",
        "ip.dst",
    ]));
    let pairs = out
        .lines()
        .filter_map(|l| {
            let (a, b) = l.split_once('\t')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .collect();
    (macs, pairs)
}

/// Modbus captures for the inventory check.
const INVENTORY_CAPTURES: &[&str] = &[
    "modbus/iti_modbus_test.pcap",
    "modbus/iti_modicon_test.pcap",
    "modbus/iti_modbus_test_data_part1.pcap",
    "modbus/iti_modbus_test_data_part2.pcap",
    "modbus/suricata_modbus.pcap",
    "modbus/arkime_modbus.pcap",
    "modbus/zeek_modbus-and-non-modbus-p502.pcap",
    "modbus/cisagov_modbus_example.pcap",
];

#[test]
fn inventory_lists_what_tshark_sees() {
    if !have_tool("tshark") {
        return;
    }
    // Captures whose every host is internal (RFC 1918) and answers on the wire.
    for name in INVENTORY_CAPTURES {
        let pcap = corpus::path(name);
        if !pcap.exists() {
            eprintln!("SKIP: {name} missing");
            continue;
        }
        let mut tr = AssetTracker::new(None, InventoryConfig::default());
        let mut out = Vec::new();
        for e in events(&pcap) {
            tr.on_event(&e, &default_is_internal, &mut out);
        }
        let assets = tr.inventory.assets();
        let ours: BTreeSet<IpAddr> = assets.keys().copied().collect();
        let theirs: BTreeSet<IpAddr> = tshark_endpoints(&pcap)
            .into_iter()
            .filter(|ip| is_asset(*ip))
            .collect();
        assert_eq!(ours, theirs, "{name}");
        let (macs, pairs) = tshark_macs_and_roles(&pcap);
        assert!(!pairs.is_empty(), "{name}");
        for (ip, a) in assets {
            let mine: BTreeSet<String> = a.macs.iter().map(|m| m.to_string()).collect();
            assert_eq!(Some(&mine), macs.get(ip), "{name} {ip}");
            let client = pairs.iter().any(|(c, _)| c == ip);
            let server = pairs.iter().any(|(_, s)| s == ip);
            assert_eq!(
                a.roles.contains("modbus_client"),
                client,
                "{name} {ip} {:?}",
                a.roles
            );
            assert_eq!(
                a.roles.contains("modbus_server"),
                server,
                "{name} {ip} {:?}",
                a.roles
            );
            assert!(a.last_seen_ns >= a.first_seen_ns);
        }
    }
}

/// The inventory's scope: internal (RFC 1918 etc.) unicast host addresses.
fn is_asset(ip: IpAddr) -> bool {
    default_is_internal(ip) && mizuban_detect::baseline::observe::is_host_addr(ip)
}
