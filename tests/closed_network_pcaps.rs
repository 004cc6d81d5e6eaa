//! False-positive check for the closed-network rules (issue 4 point 4): replaying every
//! ICS capture of the corpus (tests/corpus) with its own address ranges declared internal raises
//! no internet egress or ingress alert. The ranges come from tshark (the reference), as
//! an operator would declare them: the /24 (IPv4) or /64 (IPv6) of every address seen.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{corpus, have_tool, run_stdout};
use mizuban::config::Config;
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::process::Command;

/// Directories of the shared corpus holding industrial captures (not `it/`).
const ICS_DIRS: &[&str] = &[
    "bacnet", "dnp3", "enip", "iec104", "mixed", "modbus", "opcua", "other", "s7comm",
];

/// The /24 or /64 of every IP address tshark sees in `file` (inner and outer headers).
fn ranges_of(file: &std::path::Path) -> BTreeSet<String> {
    let out = run_stdout(
        Command::new("tshark")
            .arg("-r")
            .arg(file)
            .args(["-T", "fields", "-E", "separator=,", "-E", "aggregator=,"])
            .args([
                "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst",
            ]),
    );
    let mut nets = BTreeSet::new();
    for tok in out
        .split([',', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        match tok.parse::<IpAddr>() {
            Ok(IpAddr::V4(v4)) => {
                let [a, b, c, _] = v4.octets();
                nets.insert(format!("{a}.{b}.{c}.0/24"));
            }
            Ok(IpAddr::V6(v6)) => {
                let s = v6.segments();
                nets.insert(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]));
            }
            Err(_) => {}
        }
    }
    nets
}

#[test]
fn ics_captures_raise_no_internet_alert_with_their_ranges_internal() {
    if !have_tool("tshark") {
        return;
    }
    let files: Vec<_> = corpus::captures()
        .into_iter()
        .filter(|c| ICS_DIRS.contains(&c.group()))
        .map(|c| c.path)
        .collect();
    assert!(
        files.len() >= 40,
        "ICS corpus missing? {} files",
        files.len()
    );
    let mut failures = Vec::new();
    for f in &files {
        let mut cfg = Config::default();
        cfg.detect.policy.internal_networks.extend(ranges_of(f));
        let r = mizuban::pipeline::collect(std::slice::from_ref(f), &cfg, 1)
            .unwrap_or_else(|e| panic!("{}: {e:#}", f.display()));
        for l in &r.alerts {
            if matches!(
                l.alert.rule,
                "internet_egress" | "internet_ingress" | "internet_vpn"
            ) {
                failures.push(format!("{}: {}", f.display(), l.alert.message));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
