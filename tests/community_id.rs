//! `community_id` on events and alerts (issue 15), checked against an independent
//! implementation: the `communityid` package from PyPI (corelight's pycommunityid, the
//! specification's reference), run on every flow of several captures. CI installs it
//! with pip (.ci/run); without it the comparison is skipped, or fails under
//! MIZUBAN_REQUIRE_TOOLS.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

const PYTHON: &str = r#"
import sys, communityid
cid = communityid.CommunityID(seed=0)
for line in sys.stdin:
    proto, a, b, pa, pb = line.split()
    proto = int(proto)
    if proto in (6, 17, 132):
        t = communityid.FlowTuple(proto, a, b, int(pa), int(pb))
    else:
        t = communityid.FlowTuple(proto, a, b)
    print(cid.calc(t))
"#;

fn have_communityid() -> bool {
    if !have_tool("python3") {
        return false;
    }
    let ok = Command::new("python3")
        .args(["-c", "import communityid"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var_os("MIZUBAN_REQUIRE_TOOLS").is_some() {
            panic!("python3 -m pip install communityid: required (MIZUBAN_REQUIRE_TOOLS)");
        }
        eprintln!("SKIP: the Python package communityid is not installed");
    }
    ok
}

/// The reference's id for each `(proto, a, b, port a, port b)`.
fn reference_ids(tuples: &[(u8, String, String, u16, u16)]) -> Vec<String> {
    let mut child = Command::new("python3")
        .args(["-c", PYTHON])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut input = String::new();
    for (p, a, b, pa, pb) in tuples {
        input.push_str(&format!("{p} {a} {b} {pa} {pb}\n"));
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The protocol number of a `transport` name; `None` for "other", whose number the
/// line does not carry.
fn proto_number(transport: &str) -> Option<u8> {
    Some(match transport {
        "tcp" => 6,
        "udp" => 17,
        "sctp" => 132,
        "gre" => 47,
        "esp" => 50,
        "ah" => 51,
        "l2tp" => 115,
        "icmp" => 1,
        "icmpv6" => 58,
        "other" => return None,
        other => panic!("transport {other} not in this test's table"),
    })
}

/// A string field of the envelope: its first occurrence, since a kind may repeat a name
/// (`http_response` has the Server header as `server`).
fn envelope_field(line: &str, name: &str) -> String {
    let key = format!("\"{name}\":\"");
    let at = line.find(&key).map(|i| i + key.len());
    let rest = at.and_then(|i| line.get(i..)).unwrap_or("");
    rest.split('"').next().unwrap_or("").to_owned()
}

fn split(addr: &str) -> (String, u16) {
    let sa: std::net::SocketAddr = addr.parse().unwrap_or_else(|e| panic!("{addr}: {e}"));
    (sa.ip().to_string(), sa.port())
}

#[test]
fn every_flows_community_id_matches_pycommunityid() {
    if !have_communityid() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let ev = tmp.path().join("events.jsonl");
    let al = tmp.path().join("alerts.jsonl");
    // Every capture of the corpus (TCP and UDP over IPv4 and IPv6, VLAN, MPLS, GRE,
    // ESP...), and the sample plant, whose alerts carry flows.
    let mut files = shared_pcaps();
    files.push(sample_pcap());
    let out = mizuban()
        .args(["replay", "--no-progress", "--events"])
        .arg(&ev)
        .arg("--alerts")
        .arg(&al)
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // (proto, a, b, port a, port b) -> the ids mizuban wrote for it.
    let mut ours: BTreeMap<(u8, String, String, u16, u16), Vec<String>> = BTreeMap::new();
    let (mut events, mut without, mut alerts_with) = (0usize, 0usize, 0usize);
    for line in std::fs::read_to_string(&ev).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let transport = v["transport"].as_str().unwrap();
        let (a, pa) = split(&envelope_field(line, "client"));
        let (b, pb) = split(&envelope_field(line, "server"));
        let id = v.get("community_id").and_then(|i| i.as_str());
        events += 1;
        if v["type"] == "arp" || transport == "icmp" || transport == "icmpv6" {
            assert!(id.is_none(), "no single id for ARP or ICMP flows: {line}");
            without += 1;
            continue;
        }
        let id = id.unwrap_or_else(|| panic!("event without community_id: {line}"));
        let Some(proto) = proto_number(transport) else {
            continue;
        };
        ours.entry((proto, a, b, pa, pb))
            .or_default()
            .push(id.to_owned());
    }
    for line in std::fs::read_to_string(&al).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let (Some(transport), Some(src), Some(dst), Some(sp), Some(dp)) = (
            v["transport"].as_str(),
            v["src_ip"].as_str(),
            v["dst_ip"].as_str(),
            v["src_port"].as_u64(),
            v["dst_port"].as_u64(),
        ) else {
            continue;
        };
        let Some(proto) = proto_number(transport).filter(|p| *p != 1 && *p != 58) else {
            continue;
        };
        let id = v["community_id"]
            .as_str()
            .unwrap_or_else(|| panic!("flow alert without community_id: {line}"));
        alerts_with += 1;
        ours.entry((proto, src.to_owned(), dst.to_owned(), sp as u16, dp as u16))
            .or_default()
            .push(id.to_owned());
    }
    let tuples: Vec<_> = ours.keys().cloned().collect();
    let want = reference_ids(&tuples);
    assert_eq!(want.len(), tuples.len());
    for (t, w) in tuples.iter().zip(&want) {
        for id in &ours[t] {
            assert_eq!(id, w, "community_id of {t:?}");
        }
    }
    assert!(
        tuples.len() >= 100,
        "too few flows compared: {}",
        tuples.len()
    );
    assert!(
        alerts_with >= 3,
        "too few flow alerts compared: {alerts_with}"
    );
    println!(
        "{} flows, {events} events ({without} ARP/ICMP without an id), {alerts_with} alert lines: all equal to pycommunityid",
        tuples.len()
    );
}
