//! A modified copy of a real Modbus capture: two TCP sessions built byte by byte and
//! appended (issue 5 point 7). Shared by tests/baseline_pcaps.rs (library) and
//! tests/baseline_cli.rs (the binary).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use etherparse::PacketBuilder;
use std::path::Path;

/// 192.168.0.20 (PLC, 00:90:e8:4c:83:db) is polled by five clients; 192.168.0.133
/// (b0:83:fe:75:35:74) only reads (function 4, unit 1), per
/// `tshark -Y "mbtcp && tcp.dstport==502" -T fields -e ip.src -e modbus.func_code`.
pub const CAPTURE: &str = "modbus/iti_modbus_test.pcap";
pub const PLC: [u8; 4] = [192, 168, 0, 20];
pub const PLC_MAC: [u8; 6] = [0x00, 0x90, 0xe8, 0x4c, 0x83, 0xdb];
pub const READER: [u8; 4] = [192, 168, 0, 133];
pub const READER_MAC: [u8; 6] = [0xb0, 0x83, 0xfe, 0x75, 0x35, 0x74];
pub const NEWCOMER: [u8; 4] = [192, 168, 0, 99];
pub const NEWCOMER_MAC: [u8; 6] = [0xb0, 0x83, 0xfe, 0x00, 0x00, 0x99];

/// The findings the two injected sessions call for, as (rule, key), and no others.
pub const EXPECTED_FINDINGS: &[(&str, &str)] = &[
    // The newcomer: a host, its conversation with the PLC, its Modbus client role
    // and its place among the PLC's clients.
    ("new_host", "192.168.0.99"),
    ("new_conversation", "192.168.0.20|192.168.0.99|tcp"),
    ("new_ics_protocol", "192.168.0.99|modbus|client"),
    ("new_modbus_client", "192.168.0.99|192.168.0.20"),
    // The reader's write (its conversation, service, unit id are all known).
    ("new_modbus_writer", "192.168.0.133|192.168.0.20"),
];

/// One TCP segment, Ethernet II + IPv4, as the frame bytes.
#[allow(clippy::too_many_arguments)]
pub fn segment(
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
pub fn session(
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
pub fn append_frames(src: &Path, dst: &Path, frames: &[Vec<u8>]) {
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

/// Writes to `dst` a copy of `pcap` (the [`CAPTURE`]) with two sessions appended: the
/// newcomer reads an input register from the PLC, and the read-only reader writes one.
pub fn write_modified(pcap: &Path, dst: &Path) {
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
    append_frames(pcap, dst, &frames);
}

/// `tshark -q -z endpoints,ip`: the addresses of the capture.
pub fn tshark_endpoints(pcap: &Path) -> std::collections::BTreeSet<std::net::IpAddr> {
    let out = super::run_stdout(
        std::process::Command::new("tshark")
            .arg("-r")
            .arg(pcap)
            .args(["-q", "-z", "endpoints,ip"]),
    );
    out.lines()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}
