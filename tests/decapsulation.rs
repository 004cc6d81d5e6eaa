//! Decapsulation (issue 15): ERSPAN I/II/III, plain GRE, GRE carrying Ethernet, VXLAN
//! and PPPoE sessions. Each test builds a capture whose inner packets are a DNS query
//! and its answer, replays it, and checks that the inner packets form their own flow
//! (the `dns` events carry the inner addresses), that the flow's `flow_start` records
//! the outer addresses and the tunnel id, and that the encapsulation is counted; tshark
//! must decode the same capture the same way (inner and outer addresses, the id).

mod common;

use common::*;
use etherparse::PacketBuilder;
use mizuban::config::Config;
use mizuban_capture::writer::PcapWriter;
use mizuban_capture::{LinkType, Timestamp};
use mizuban_protocols::EventKind;
use std::path::{Path, PathBuf};

const INNER_CLIENT: [u8; 4] = [192, 168, 10, 50];
const INNER_SERVER: [u8; 4] = [192, 168, 10, 2];
const OUTER_SRC: [u8; 4] = [10, 99, 0, 1];
const OUTER_DST: [u8; 4] = [10, 99, 0, 200];
const MAC_A: [u8; 6] = [0x00, 0x0c, 0x29, 0, 0, 0x50];
const MAC_B: [u8; 6] = [0x00, 0x0c, 0x29, 0, 0, 0x02];
const MAC_SWITCH: [u8; 6] = [0x00, 0x1b, 0x1b, 0, 0, 0x01];
const MAC_SENSOR: [u8; 6] = [0x00, 0x1b, 0x1b, 0, 0, 0x02];

/// The inner packets: a DNS query and its answer, as Ethernet frames.
fn inner_frames() -> Vec<Vec<u8>> {
    let query = mizuban::synth::dns_message(0x4242, "plc1.plant.example", false, &[]);
    let answer = mizuban::synth::dns_message(
        0x4242,
        "plc1.plant.example",
        true,
        &["192.168.10.21".parse().unwrap()],
    );
    let mut out = Vec::new();
    for (src, dst, smac, dmac, sport, dport, payload) in [
        (INNER_CLIENT, INNER_SERVER, MAC_A, MAC_B, 53001, 53, &query),
        (INNER_SERVER, INNER_CLIENT, MAC_B, MAC_A, 53, 53001, &answer),
    ] {
        let mut f = Vec::new();
        PacketBuilder::ethernet2(smac, dmac)
            .ipv4(src, dst, 64)
            .udp(sport, dport)
            .write(&mut f, payload)
            .unwrap();
        out.push(f);
    }
    out
}

/// The IP packet inside an Ethernet frame (for tunnels that carry IP).
fn ip_of(frame: &[u8]) -> &[u8] {
    &frame[14..]
}

/// Outer Ethernet + IPv4 (protocol `proto`) around `payload`.
fn outer_ip(proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    PacketBuilder::ethernet2(MAC_SWITCH, MAC_SENSOR)
        .ipv4(OUTER_SRC, OUTER_DST, 64)
        .write(&mut f, etherparse::IpNumber(proto), payload)
        .unwrap();
    f
}

/// GRE header (RFC 2784/2890): flags, version 0, protocol, then key and sequence.
fn gre(protocol: u16, key: Option<u32>, seq: Option<u32>) -> Vec<u8> {
    let mut flags = 0u8;
    if key.is_some() {
        flags |= 0x20;
    }
    if seq.is_some() {
        flags |= 0x10;
    }
    let mut h = vec![flags, 0];
    h.extend_from_slice(&protocol.to_be_bytes());
    if let Some(k) = key {
        h.extend_from_slice(&k.to_be_bytes());
    }
    if let Some(s) = seq {
        h.extend_from_slice(&s.to_be_bytes());
    }
    h
}

fn write(dir: &Path, name: &str, frames: &[Vec<u8>]) -> PathBuf {
    let path = dir.join(format!("{name}.pcap"));
    let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet, 65535, false).unwrap();
    let start = Timestamp::from_secs_nanos(1_775_023_200, 0);
    for (i, f) in frames.iter().enumerate() {
        let ts = start.saturating_add(std::time::Duration::from_millis(i as u64 * 3));
        w.write_packet(ts, f, f.len() as u32).unwrap();
    }
    std::fs::write(&path, w.into_inner()).unwrap();
    path
}

/// What tshark says of each frame: the IP addresses (outer first) and the field `id`.
fn tshark_view(path: &Path, id_field: &str, layer: &str) -> Vec<(Vec<String>, String)> {
    let mut args = vec!["-r", path.to_str().unwrap(), "-T", "fields"];
    args.extend([
        "-e",
        "frame.protocols",
        "-e",
        "ip.src",
        "-e",
        "ip.dst",
        "-e",
        "dns.id",
    ]);
    if !id_field.is_empty() {
        args.extend(["-e", id_field]);
    }
    let out = run_stdout(std::process::Command::new("tshark").args(&args));
    out.lines()
        .map(|l| {
            let all: Vec<&str> = l.split('\t').collect();
            let layers: Vec<&str> = all[0].split(':').collect();
            assert!(layers.contains(&layer), "tshark sees {layer}: {l}");
            let cols = &all[1..];
            let srcs: Vec<String> = cols[0].split(',').map(str::to_owned).collect();
            let dsts: Vec<String> = cols[1].split(',').map(str::to_owned).collect();
            assert_eq!(cols[2], "0x4242", "tshark decodes the inner DNS: {l}");
            let mut ips = Vec::new();
            for (s, d) in srcs.iter().zip(&dsts) {
                ips.push(format!("{s}>{d}"));
            }
            (ips, cols.get(3).unwrap_or(&"").to_string())
        })
        .collect()
}

/// Replays `path` and checks the inner flow, its tunnel record and the counter.
fn check(path: &Path, kind: &str, id_name: &str, id: Option<u64>, outer_ips: bool) {
    let r = mizuban::pipeline::collect(&[path.to_path_buf()], &Config::default(), 1).unwrap();
    let dns: Vec<_> = r
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Dns(_)))
        .collect();
    assert_eq!(dns.len(), 2, "{kind}: both inner DNS messages decoded");
    for e in &dns {
        assert_eq!(e.flow.client.to_string(), "192.168.10.50:53001", "{kind}");
        assert_eq!(e.flow.server.to_string(), "192.168.10.2:53", "{kind}");
    }
    let start = r
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::FlowStart(s) if e.flow.server.port() == 53 => Some(s),
            _ => None,
        })
        .expect("flow_start of the inner flow");
    let tunnel = serde_json::to_value(start.encap.expect("flow_start records the tunnel")).unwrap();
    assert_eq!(tunnel["type"], kind);
    if outer_ips {
        assert_eq!(tunnel["outer_src"], "10.99.0.1", "{kind}");
        assert_eq!(tunnel["outer_dst"], "10.99.0.200", "{kind}");
    }
    match id {
        Some(v) => assert_eq!(tunnel[id_name], v, "{kind}: {tunnel}"),
        None => assert!(tunnel.get(id_name).is_none(), "{kind}: {tunnel}"),
    }
    let k = mizuban_capture::encap::EncapKind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind)
        .unwrap();
    assert_eq!(r.source.encap.get(k), 2, "{kind}: both packets counted");
    assert_eq!(
        r.summary.encapsulated.get(kind),
        Some(&2),
        "{kind}: in the summary"
    );
}

/// tshark sees the outer header, then the inner one, and the same tunnel id.
fn check_tshark(path: &Path, layer: &str, id_field: &str, id: Option<u64>, outer_ips: bool) {
    if !have_tool("tshark") {
        return;
    }
    let view = tshark_view(path, id_field, layer);
    assert_eq!(view.len(), 2);
    let inner = ["192.168.10.50>192.168.10.2", "192.168.10.2>192.168.10.50"];
    let outer = ["10.99.0.1>10.99.0.200", "10.99.0.1>10.99.0.200"];
    for (i, (ips, tid)) in view.iter().enumerate() {
        assert_eq!(ips.last().map(String::as_str), Some(inner[i]), "{ips:?}");
        if outer_ips {
            assert_eq!(ips.first().map(String::as_str), Some(outer[i]), "{ips:?}");
            assert_eq!(ips.len(), 2, "{ips:?}");
        } else {
            assert_eq!(ips.len(), 1, "{ips:?}");
        }
        if let Some(v) = id {
            let got = if let Some(hex) = tid.strip_prefix("0x") {
                u64::from_str_radix(hex, 16).unwrap()
            } else {
                tid.parse()
                    .unwrap_or_else(|_| panic!("{id_field}: {tid:?}"))
            };
            assert_eq!(got, v, "tshark {id_field}");
        }
    }
}

#[test]
fn plain_gre_with_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let frames: Vec<_> = inner_frames()
        .iter()
        .map(|f| {
            let mut p = gre(0x0800, Some(77), None);
            p.extend_from_slice(ip_of(f));
            outer_ip(47, &p)
        })
        .collect();
    let path = write(dir.path(), "gre", &frames);
    check(&path, "gre", "key", Some(77), true);
    check_tshark(&path, "gre", "gre.key", Some(77), true);
}

#[test]
fn gre_carrying_ethernet() {
    let dir = tempfile::tempdir().unwrap();
    let frames: Vec<_> = inner_frames()
        .iter()
        .map(|f| {
            let mut p = gre(0x6558, None, None);
            p.extend_from_slice(f);
            outer_ip(47, &p)
        })
        .collect();
    let path = write(dir.path(), "gre-teb", &frames);
    check(&path, "gre", "key", None, true);
    check_tshark(&path, "gre", "", None, true);
}

#[test]
fn erspan_type_i() {
    let dir = tempfile::tempdir().unwrap();
    let frames: Vec<_> = inner_frames()
        .iter()
        .map(|f| {
            let mut p = gre(0x88be, None, None);
            p.extend_from_slice(f);
            outer_ip(47, &p)
        })
        .collect();
    let path = write(dir.path(), "erspan1", &frames);
    check(&path, "erspan_i", "session_id", None, true);
    check_tshark(&path, "erspan", "", None, true);
}

/// ERSPAN II header: version 1, VLAN 0, COS 0, En 0, T 0, session id, index 0.
fn erspan2_header(session: u16) -> Vec<u8> {
    let w0: u32 = (1 << 28) | u32::from(session & 0x3ff);
    let mut h = w0.to_be_bytes().to_vec();
    h.extend_from_slice(&0u32.to_be_bytes());
    h
}

#[test]
fn erspan_type_ii() {
    let dir = tempfile::tempdir().unwrap();
    let frames: Vec<_> = inner_frames()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut p = gre(0x88be, None, Some(i as u32));
            p.extend_from_slice(&erspan2_header(100));
            p.extend_from_slice(f);
            outer_ip(47, &p)
        })
        .collect();
    let path = write(dir.path(), "erspan2", &frames);
    check(&path, "erspan_ii", "session_id", Some(100), true);
    check_tshark(&path, "erspan", "erspan.spanid", Some(100), true);
}

/// ERSPAN III header: version 2, session id, a timestamp, no platform subheader.
fn erspan3_header(session: u16) -> Vec<u8> {
    let w0: u32 = (2 << 28) | u32::from(session & 0x3ff);
    let mut h = w0.to_be_bytes().to_vec();
    h.extend_from_slice(&0x0102_0304u32.to_be_bytes());
    h.extend_from_slice(&0u32.to_be_bytes());
    h
}

#[test]
fn erspan_type_iii() {
    let dir = tempfile::tempdir().unwrap();
    let frames: Vec<_> = inner_frames()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut p = gre(0x22eb, None, Some(i as u32));
            p.extend_from_slice(&erspan3_header(200));
            p.extend_from_slice(f);
            outer_ip(47, &p)
        })
        .collect();
    let path = write(dir.path(), "erspan3", &frames);
    check(&path, "erspan_iii", "session_id", Some(200), true);
    check_tshark(&path, "erspan", "erspan.spanid", Some(200), true);
}

#[test]
fn vxlan() {
    let dir = tempfile::tempdir().unwrap();
    let frames: Vec<_> = inner_frames()
        .iter()
        .map(|f| {
            let mut p = vec![0x08, 0, 0, 0];
            p.extend_from_slice(&((5001u32 << 8).to_be_bytes()));
            p.extend_from_slice(f);
            let mut out = Vec::new();
            PacketBuilder::ethernet2(MAC_SWITCH, MAC_SENSOR)
                .ipv4(OUTER_SRC, OUTER_DST, 64)
                .udp(49152, 4789)
                .write(&mut out, &p)
                .unwrap();
            out
        })
        .collect();
    let path = write(dir.path(), "vxlan", &frames);
    check(&path, "vxlan", "vni", Some(5001), true);
    check_tshark(&path, "vxlan", "vxlan.vni", Some(5001), true);
}

#[test]
fn pppoe_session() {
    let dir = tempfile::tempdir().unwrap();
    let frames: Vec<_> = inner_frames()
        .iter()
        .map(|f| {
            let ip = ip_of(f);
            let mut out = Vec::new();
            out.extend_from_slice(&MAC_B);
            out.extend_from_slice(&MAC_A);
            out.extend_from_slice(&0x8864u16.to_be_bytes());
            out.extend_from_slice(&[0x11, 0x00]);
            out.extend_from_slice(&0x1234u16.to_be_bytes());
            out.extend_from_slice(&((ip.len() + 2) as u16).to_be_bytes());
            out.extend_from_slice(&0x0021u16.to_be_bytes());
            out.extend_from_slice(ip);
            out
        })
        .collect();
    let path = write(dir.path(), "pppoe", &frames);
    check(&path, "pppoe", "session_id", Some(0x1234), false);
    check_tshark(&path, "pppoes", "pppoe.session_id", Some(0x1234), false);
}
