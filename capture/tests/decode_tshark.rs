//! Differential test: `decode` against tshark on real captures, per frame: IP source and
//! destination, TCP/UDP ports and VLAN ids.
//!
//! Known disagreements, skipped on purpose:
//! - ICMP errors quote the offending packet; tshark lists the quoted ports (and addresses
//!   after the outer ones). We compare the outer addresses only and no ports for ICMP.
//! - Non-first IPv4/IPv6 fragments: tshark reassembles and shows the datagram's ports on
//!   the last fragment; `decode` gives no transport for them (the defragmenter does).
//!
//! The captures are read with a private classic-pcap record iterator below, so this test
//! does not depend on the file reader being written at the same time.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use mizuban_capture::{LinkType, Net, Transport, decode};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../../tests/common/corpus.rs"]
mod corpus;

const FILES: &[&str] = &[
    "it/zeek_linux_dlt_sll2.pcap",
    "it/zeek_mixed-vlan-mpls.pcap",
    "it/zeek_http-vlan-0.pcap",
    "opcua/cisagov_open62541_client-server_minimal.pcap",
    "it/arkime_tls13.pcap",
    "it/zeek_dns53.pcap",
    "dnp3/zeek_dnp3_udp_read.pcap",
    "modbus/zeek_4SICS-GeekLounge-151022-min.pcap",
    "it/arkime_wireshark-smb-on-windows10.pcap",
    "modbus/iti_modbus_test.pcap",
    "iec104/iti_090813_diverse.pcap",
    "bacnet/cisagov_bacnet_example.pcap",
    "other/iti_PROFINET-RT.pcap",
];
/// Bound on records read from one file.
const MAX_RECORDS: usize = 1_000_000;

struct Record {
    data: Vec<u8>,
    wire_len: u32,
}

/// Reads a classic pcap file (either byte order, micro- or nanosecond magic).
fn read_pcap(path: &Path) -> (LinkType, Vec<Record>) {
    let bytes = std::fs::read(path).unwrap();
    let magic = u32::from_le_bytes(bytes[0..4].try_into().unwrap());
    let le = match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d => true,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => false,
        _ => panic!("{}: not a classic pcap file", path.display()),
    };
    let u32_at = |at: usize| {
        let b: [u8; 4] = bytes[at..at + 4].try_into().unwrap();
        if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let link = LinkType::from_linktype(u32_at(20) & 0x0fff_ffff);
    let mut at = 24;
    let mut records = Vec::new();
    while at + 16 <= bytes.len() && records.len() < MAX_RECORDS {
        let incl = u32_at(at + 8) as usize;
        let orig = u32_at(at + 12);
        let data = bytes[at + 16..at + 16 + incl].to_vec();
        records.push(Record {
            data,
            wire_len: orig,
        });
        at += 16 + incl;
    }
    (link, records)
}

/// tshark's fields for one frame; multi-valued fields keep their first value, except
/// VLAN ids, which are all kept (outer first).
#[derive(Debug, Default)]
struct Expected {
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
    tcp: Option<(u16, u16)>,
    udp: Option<(u16, u16)>,
    vlans: Vec<u16>,
}

fn tshark(path: &Path) -> Option<Vec<Expected>> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args(["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a"])
        .args(["-e", "frame.number", "-e", "ip.src", "-e", "ip.dst"])
        .args(["-e", "ipv6.src", "-e", "ipv6.dst", "-e", "tcp.srcport"])
        .args([
            "-e",
            "tcp.dstport",
            "-e",
            "udp.srcport",
            "-e",
            "udp.dstport",
        ])
        .args(["-e", "vlan.id"])
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        Ok(o) => panic!("tshark failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(_) => {
            assert!(
                std::env::var_os("MIZUBAN_REQUIRE_TOOLS").is_none(),
                "tshark not installed and MIZUBAN_REQUIRE_TOOLS is set"
            );
            println!("SKIP: tshark not installed");
            return None;
        }
    };
    let text = String::from_utf8(out.stdout).unwrap();
    let first = |s: &str| {
        s.split(',')
            .next()
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let rows = text
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or("");
            let addr = |v4: &str, v6: &str| {
                first(v4)
                    .or_else(|| first(v6))
                    .map(|s| s.parse::<IpAddr>().unwrap())
            };
            let ports =
                |a: &str, b: &str| Some((first(a)?.parse().unwrap(), first(b)?.parse().unwrap()));
            Expected {
                src: addr(get(1), get(3)),
                dst: addr(get(2), get(4)),
                tcp: ports(get(5), get(6)),
                udp: ports(get(7), get(8)),
                vlans: get(9)
                    .split(',')
                    .filter(|v| !v.is_empty())
                    .map(|v| v.parse().unwrap())
                    .collect(),
            }
        })
        .collect();
    Some(rows)
}

/// The first IP header tshark saw is IPv4 when it printed any ip.src; decode must have
/// picked the same outer header.
fn compare_file(rel: &str) -> usize {
    let path: PathBuf = corpus::path(rel);
    let Some(expected) = tshark(&path) else {
        return 0;
    };
    let (link, records) = read_pcap(&path);
    assert_eq!(expected.len(), records.len(), "{rel}: frame count");
    let mut compared = 0;
    for (i, (rec, exp)) in records.iter().zip(&expected).enumerate() {
        let frame = i + 1;
        let info = decode(link, &rec.data, rec.wire_len);
        let ctx = format!("{rel} frame {frame}: {info:?} vs tshark {exp:?}");
        let (src, dst) = match info.net {
            Net::Ip(ip) => (Some(ip.src), Some(ip.dst)),
            _ => (None, None),
        };
        assert_eq!((src, dst), (exp.src, exp.dst), "{ctx}");
        let vlans: Vec<u16> = [info.vlan.outer, info.vlan.inner]
            .into_iter()
            .flatten()
            .collect();
        let n = exp.vlans.len().min(2);
        assert_eq!(vlans, exp.vlans[..n], "{ctx}");
        let later_fragment = info
            .ip()
            .and_then(|ip| ip.fragment)
            .is_some_and(|f| f.offset > 0);
        match info.transport {
            Transport::Tcp(t) => assert_eq!(Some((t.src_port, t.dst_port)), exp.tcp, "{ctx}"),
            Transport::Udp { src_port, dst_port } => {
                assert_eq!(Some((src_port, dst_port)), exp.udp, "{ctx}");
            }
            Transport::Icmp { .. } | Transport::Icmpv6 { .. } => {}
            Transport::None if later_fragment => {}
            Transport::None | Transport::Other => {
                assert_eq!((exp.tcp, exp.udp), (None, None), "{ctx}");
            }
        }
        compared += 1;
    }
    compared
}

#[test]
fn decode_matches_tshark_on_real_captures() {
    let mut total = 0;
    for rel in FILES {
        let n = compare_file(rel);
        println!("{rel}: {n} frames match tshark");
        total += n;
    }
    println!("{total} frames compared");
}

#[test]
fn snaplen_truncated_records_decode_without_stop_before_ip() {
    // Cut every record of a real capture to 60 bytes: addresses must survive.
    let path = corpus::path("it/arkime_tls13.pcap");
    let (link, records) = read_pcap(&path);
    for rec in &records {
        let cut = &rec.data[..rec.data.len().min(60)];
        let info = decode(link, cut, rec.wire_len);
        let full = decode(link, &rec.data, rec.wire_len);
        assert_eq!(
            info.ip().map(|i| (i.src, i.dst)),
            full.ip().map(|i| (i.src, i.dst))
        );
        if rec.data.len() > 60 {
            assert!(info.snaplen_truncated);
        }
    }
}
