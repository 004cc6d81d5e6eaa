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

use common::{have_tool, run_stdout, shared_pcaps_dir};
use etherparse::PacketBuilder;
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

/// 192.168.0.20 (PLC, 00:90:e8:4c:83:db) is polled by five clients; 192.168.0.133
/// (b0:83:fe:75:35:74) only reads (function 4, unit 1), per
/// `tshark -Y "mbtcp && tcp.dstport==502" -T fields -e ip.src -e modbus.func_code`.
const CAPTURE: &str = "modbus/iti_modbus_test.pcap";
const PLC: [u8; 4] = [192, 168, 0, 20];
const PLC_MAC: [u8; 6] = [0x00, 0x90, 0xe8, 0x4c, 0x83, 0xdb];
const READER: [u8; 4] = [192, 168, 0, 133];
const READER_MAC: [u8; 6] = [0xb0, 0x83, 0xfe, 0x75, 0x35, 0x74];
const NEWCOMER: [u8; 4] = [192, 168, 0, 99];
const NEWCOMER_MAC: [u8; 6] = [0xb0, 0x83, 0xfe, 0x00, 0x00, 0x99];

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

/// One TCP segment, Ethernet II + IPv4, as the frame bytes.
#[allow(clippy::too_many_arguments)]
fn segment(
    src_mac: [u8; 6],
    dst_mac: [u8; 6],
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    ack: Option<u32>,
    syn: bool,
    payload: &[u8],
) -> Vec<u8> {
    let mut b = PacketBuilder::ethernet2(src_mac, dst_mac)
        .ipv4(src, dst, 64)
        .tcp(sport, dport, seq, 64240);
    if syn {
        b = b.syn();
    }
    if let Some(a) = ack {
        b = b.ack(a);
    }
    if !payload.is_empty() {
        b = b.psh();
    }
    let mut out = Vec::new();
    b.write(&mut out, payload).unwrap();
    out
}

/// A whole Modbus/TCP session: handshake, one request, its response.
fn session(
    client: ([u8; 6], [u8; 4], u16),
    server: ([u8; 6], [u8; 4]),
    request: &[u8],
    response: &[u8],
) -> Vec<Vec<u8>> {
    let ((cm, ci, cp), (sm, si)) = (client, server);
    let (c0, s0) = (1000u32, 5000u32);
    let req_len = u32::try_from(request.len()).unwrap();
    vec![
        segment(cm, sm, ci, si, cp, 502, c0, None, true, &[]),
        segment(sm, cm, si, ci, 502, cp, s0, Some(c0 + 1), true, &[]),
        segment(cm, sm, ci, si, cp, 502, c0 + 1, Some(s0 + 1), false, &[]),
        segment(
            cm,
            sm,
            ci,
            si,
            cp,
            502,
            c0 + 1,
            Some(s0 + 1),
            false,
            request,
        ),
        segment(
            sm,
            cm,
            si,
            ci,
            502,
            cp,
            s0 + 1,
            Some(c0 + 1 + req_len),
            false,
            response,
        ),
    ]
}

/// Copies a little-endian microsecond pcap (magic d4 c3 b2 a1, as this capture is) and
/// appends `frames`, one second apart after its last packet.
fn append_frames(src: &Path, dst: &Path, frames: &[Vec<u8>]) {
    let mut bytes = std::fs::read(src).unwrap();
    assert_eq!(
        &bytes[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "little-endian usec pcap"
    );
    // Walk the records (16-byte header: ts_sec, ts_usec, incl_len, orig_len) to the last.
    let le = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let (mut at, mut last_sec) = (24usize, 0u32);
    while at + 16 <= bytes.len() {
        last_sec = le(at);
        at += 16 + le(at + 8) as usize;
    }
    assert_eq!(at, bytes.len(), "capture ends on a record boundary");
    for (i, f) in frames.iter().enumerate() {
        let len = u32::try_from(f.len()).unwrap();
        let sec = last_sec + 1 + u32::try_from(i).unwrap();
        for v in [sec, 0, len, len] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        bytes.extend_from_slice(f);
    }
    std::fs::write(dst, bytes).unwrap();
}

fn capture() -> Option<PathBuf> {
    let p = shared_pcaps_dir().join(CAPTURE);
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
    // Read Input Registers (4) from the newcomer: MBAP tid 0x0101, proto 0, len 6,
    // unit 1; PDU 04, address 0000, quantity 0001. Response: 04, 2 bytes, 0x002a.
    let read_req = [0x01, 0x01, 0, 0, 0, 6, 1, 0x04, 0, 0, 0, 1];
    let read_rsp = [0x01, 0x01, 0, 0, 0, 5, 1, 0x04, 2, 0, 0x2a];
    // Write Single Register (6) from the reader: address 0000, value 0001; the
    // response echoes the request (Modbus Application Protocol v1.1b3 section 6.6).
    let write_req = [0x02, 0x02, 0, 0, 0, 6, 1, 0x06, 0, 0, 0, 1];
    let mut frames = session(
        (NEWCOMER_MAC, NEWCOMER, 40001),
        (PLC_MAC, PLC),
        &read_req,
        &read_rsp,
    );
    frames.extend(session(
        (READER_MAC, READER, 40002),
        (PLC_MAC, PLC),
        &write_req,
        &write_req,
    ));
    append_frames(&pcap, &modified, &frames);

    let mut b = learn(&events(&pcap));
    let out = enforce(&mut b, &events(&modified));
    let got: BTreeSet<(&str, String)> = out.iter().map(|f| (f.rule, f.key.clone())).collect();
    let want: BTreeSet<(&str, String)> = [
        // The newcomer: a host, its conversation with the PLC, its Modbus client role
        // and its place among the PLC's clients.
        (rules::NEW_HOST, "192.168.0.99"),
        (rules::NEW_CONVERSATION, "192.168.0.20|192.168.0.99|tcp"),
        (rules::NEW_ICS_PROTOCOL, "192.168.0.99|modbus|client"),
        (rules::NEW_MODBUS_CLIENT, "192.168.0.99|192.168.0.20"),
        // The reader's write (its conversation, service, unit id are all known).
        (rules::NEW_MODBUS_WRITER, "192.168.0.133|192.168.0.20"),
    ]
    .into_iter()
    .map(|(r, k)| (r, k.to_string()))
    .collect();
    assert_eq!(got, want, "{out:#?}");
}

/// `tshark -q -z endpoints,ip`: the addresses of the capture.
fn tshark_endpoints(pcap: &Path) -> BTreeSet<IpAddr> {
    let out =
        run_stdout(
            Command::new("tshark")
                .arg("-r")
                .arg(pcap)
                .args(["-q", "-z", "endpoints,ip"]),
        );
    out.lines()
        .filter_map(|l| l.split_whitespace().next()?.parse::<IpAddr>().ok())
        .collect()
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
        let pcap = shared_pcaps_dir().join(name);
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
