//! Captures for the closed-network rule tests (tests/rules_pcaps.rs): hosts, the bytes of
//! the protocols the rules look at, writing a pcap and replaying it through the pipeline.
//!
//! Every builder follows the protocol's spec (section named on each); the tests confirm
//! with tshark that the bytes decode as that protocol, so they are not something only
//! our own parser accepts.

use super::{have_tool, run_stdout};
use mizuban::config::Config;
use mizuban::synth::{GATEWAY, Host, TraceWriter};
use mizuban_capture::Timestamp;
use mizuban_detect::alert::{Alert, AlertLine};
use std::io;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// 2026-04-01 06:00:00 UTC, the start of every built capture.
pub fn start() -> Timestamp {
    Timestamp::from_secs_nanos(1_775_023_200, 0)
}

/// An internet host: reached through the plant gateway, so it carries the gateway's MAC.
pub const fn internet(ip: [u8; 4]) -> Host {
    Host {
        mac: GATEWAY.mac,
        ip: Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]),
    }
}

/// A host on the plant network (VMware OUI, last MAC byte = last address byte).
pub const fn lan(ip: [u8; 4]) -> Host {
    Host::new(ip[3], [0x00, 0x0c, 0x29], ip)
}

/// A capture written into its own temporary directory (removed on drop).
pub struct Built {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

/// Writes a capture with `f` and returns its file.
pub fn build(name: &str, f: impl FnOnce(&mut TraceWriter<Vec<u8>>) -> io::Result<()>) -> Built {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(format!("{name}.pcap"));
    let mut w = TraceWriter::new(Vec::new(), start()).expect("pcap header");
    f(&mut w).expect("build capture");
    std::fs::write(&path, w.into_inner()).expect("write capture");
    Built { _dir: dir, path }
}

/// A config from a TOML snippet (the operator's file), defaults elsewhere.
pub fn config(toml: &str) -> Config {
    Config::parse(toml, "test.toml").unwrap_or_else(|e| panic!("config: {e}"))
}

/// What one replay produced: every alert line, and the final state of each alert.
pub struct Replay {
    pub lines: Vec<AlertLine>,
    pub events: Vec<mizuban_protocols::Event>,
    pub alerts: Vec<Alert>,
}

impl Replay {
    /// Final alerts of one rule.
    pub fn rule(&self, rule: &str) -> Vec<&Alert> {
        self.alerts.iter().filter(|a| a.rule == rule).collect()
    }

    /// The one final alert of `rule`, failing the test if there is not exactly one.
    pub fn one(&self, rule: &str) -> &Alert {
        let v = self.rule(rule);
        assert_eq!(v.len(), 1, "want one {rule} alert, got {v:#?}");
        v[0]
    }

    pub fn none(&self, rule: &str) {
        let v = self.rule(rule);
        assert!(v.is_empty(), "want no {rule} alert, got {v:#?}");
    }

    /// Every alert line as JSON, as the alerts output writes it.
    pub fn json(&self) -> String {
        self.lines
            .iter()
            .map(|l| serde_json::to_string(l).expect("alert JSON"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Replays `path` through the whole pipeline with `cfg`.
pub fn replay(path: &Path, cfg: &Config) -> Replay {
    let r = mizuban::pipeline::collect(&[path.to_path_buf()], cfg, 1)
        .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
    let mut alerts: Vec<Alert> = Vec::new();
    for l in &r.alerts {
        match alerts.iter_mut().find(|a| a.id == l.alert.id) {
            Some(a) => *a = l.alert.clone(),
            None => alerts.push(l.alert.clone()),
        }
    }
    Replay {
        lines: r.alerts,
        events: r.events,
        alerts,
    }
}

/// Packets of `path` that tshark's display filter `filter` matches; `None` when tshark is
/// not installed (the caller skips that check; MIZUBAN_REQUIRE_TOOLS makes it fail).
pub fn tshark_count(path: &Path, filter: &str) -> Option<usize> {
    if !have_tool("tshark") {
        return None;
    }
    let out = run_stdout(Command::new("tshark").arg("-r").arg(path).args([
        "-Y",
        filter,
        "-T",
        "fields",
        "-e",
        "frame.number",
    ]));
    Some(out.lines().filter(|l| !l.trim().is_empty()).count())
}

/// Asserts tshark recognises at least one packet of `path` with `filter`.
pub fn assert_tshark(path: &Path, filter: &str) {
    if let Some(n) = tshark_count(path, filter) {
        assert!(n > 0, "tshark finds no packet matching {filter:?}");
    }
}

/// tshark's values of `field` over the packets matching `filter`, one per line.
pub fn tshark_fields(path: &Path, filter: &str, field: &str) -> Option<Vec<String>> {
    if !have_tool("tshark") {
        return None;
    }
    let out = run_stdout(
        Command::new("tshark")
            .arg("-r")
            .arg(path)
            .args(["-Y", filter, "-T", "fields", "-e", field]),
    );
    Some(
        out.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

/// RDP Connection Request: TPKT (RFC 1006 section 6), X.224 CR TPDU (ISO 8073 13.3,
/// class 0), the routing cookie "Cookie: mstshash=<user>\r\n" and an RDP_NEG_REQ asking
/// for TLS/CredSSP ([MS-RDPBCGR] 2.2.1.1).
pub fn rdp_connection_request(user: &str) -> Vec<u8> {
    let cookie = format!("Cookie: mstshash={user}\r\n");
    let neg_req = [0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00];
    // LI counts the X.224 header after itself: code, dst-ref, src-ref, class + variable.
    let li = 6 + cookie.len() + neg_req.len();
    let total = 4 + 1 + li;
    let mut v = vec![0x03, 0x00];
    v.extend_from_slice(&u16::try_from(total).unwrap().to_be_bytes());
    v.push(u8::try_from(li).unwrap());
    v.extend_from_slice(&[0xe0, 0x00, 0x00, 0x00, 0x00, 0x00]);
    v.extend_from_slice(cookie.as_bytes());
    v.extend_from_slice(&neg_req);
    v
}

/// RDP Connection Confirm selecting TLS: X.224 CC TPDU + RDP_NEG_RSP
/// ([MS-RDPBCGR] 2.2.1.2).
pub fn rdp_connection_confirm() -> Vec<u8> {
    vec![
        0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x02, 0x00, 0x08, 0x00,
        0x01, 0x00, 0x00, 0x00,
    ]
}

/// SMB2 NEGOTIATE request over NetBIOS session service (RFC 1002 4.3.1 length prefix,
/// [MS-SMB2] 2.2.1.2 header and 2.2.3 request) offering dialect 2.0.2.
pub fn smb2_negotiate() -> Vec<u8> {
    let mut smb = Vec::new();
    smb.extend_from_slice(b"\xfeSMB");
    smb.extend_from_slice(&64u16.to_le_bytes()); // StructureSize
    smb.extend_from_slice(&0u16.to_le_bytes()); // CreditCharge
    smb.extend_from_slice(&0u32.to_le_bytes()); // Status
    smb.extend_from_slice(&0u16.to_le_bytes()); // Command: NEGOTIATE
    smb.extend_from_slice(&1u16.to_le_bytes()); // CreditRequest
    smb.extend_from_slice(&0u32.to_le_bytes()); // Flags
    smb.extend_from_slice(&0u32.to_le_bytes()); // NextCommand
    smb.extend_from_slice(&0u64.to_le_bytes()); // MessageId
    smb.extend_from_slice(&0u32.to_le_bytes()); // Reserved
    smb.extend_from_slice(&0u32.to_le_bytes()); // TreeId
    smb.extend_from_slice(&0u64.to_le_bytes()); // SessionId
    smb.extend_from_slice(&[0; 16]); // Signature
    smb.extend_from_slice(&36u16.to_le_bytes()); // StructureSize
    smb.extend_from_slice(&1u16.to_le_bytes()); // DialectCount
    smb.extend_from_slice(&1u16.to_le_bytes()); // SecurityMode: signing enabled
    smb.extend_from_slice(&0u16.to_le_bytes()); // Reserved
    smb.extend_from_slice(&0u32.to_le_bytes()); // Capabilities
    smb.extend_from_slice(&[0x5a; 16]); // ClientGuid
    smb.extend_from_slice(&0u64.to_le_bytes()); // ClientStartTime
    smb.extend_from_slice(&0x0202u16.to_le_bytes()); // Dialects[0]
    let mut v = vec![0x00];
    v.extend_from_slice(&u32::try_from(smb.len()).unwrap().to_be_bytes()[1..]);
    v.extend_from_slice(&smb);
    v
}

/// IKEv2 IKE_SA_INIT request header (RFC 7296 3.1): initiator SPI, zero responder SPI,
/// no payload, version 2.0, exchange 34, Initiator flag, message id 0, length 28.
pub fn ike_v2_sa_init() -> Vec<u8> {
    let mut v = Vec::with_capacity(28);
    v.extend_from_slice(&0x1122_3344_5566_7788u64.to_be_bytes());
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&[0x00, 0x20, 34, 0x08]);
    v.extend_from_slice(&0u32.to_be_bytes());
    v.extend_from_slice(&28u32.to_be_bytes());
    v
}

/// WireGuard handshake initiation (WireGuard paper 5.4.2): type 1, 3 reserved zero
/// bytes, sender index, ephemeral (32), encrypted static (48), encrypted timestamp
/// (28), mac1 (16), mac2 (16): 148 bytes.
pub fn wireguard_initiation() -> Vec<u8> {
    let mut v = vec![0x01, 0, 0, 0];
    v.extend_from_slice(&0x3c2a_7e01u32.to_le_bytes());
    v.extend((0..140u32).map(|i| u8::try_from(i.wrapping_mul(37) % 251).unwrap()));
    v
}

/// An ESP packet (RFC 4303 2): SPI, sequence number, then opaque ciphertext.
pub fn esp_packet(seq: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0x0000_c0deu32.to_be_bytes());
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend((0..48u32).map(|i| u8::try_from(i.wrapping_mul(91) % 253).unwrap()));
    v
}

/// An HTTP/1.1 GET (RFC 9112 3) with Host and User-Agent.
pub fn http_get(host: &str, uri: &str, user_agent: &str) -> Vec<u8> {
    format!("GET {uri} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {user_agent}\r\nAccept: */*\r\n\r\n")
        .into_bytes()
}

/// A minimal HTTP/1.1 response.
pub fn http_response(status: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").into_bytes()
}

/// OpenVPN P_CONTROL_HARD_RESET_CLIENT_V2 without tls-auth (OpenVPN `ssl_pkt.h`): opcode
/// 7 key id 0, session id (8), ack count 0, packet id 0: 14 bytes.
pub fn openvpn_hard_reset_client() -> Vec<u8> {
    let mut v = vec![7 << 3];
    v.extend_from_slice(&0x0102_0304_0506_0708u64.to_be_bytes());
    v.push(0);
    v.extend_from_slice(&0u32.to_be_bytes());
    v
}

/// PPTP Start-Control-Connection-Request (RFC 2637 2.1): 156 bytes.
pub fn pptp_start_control_request() -> Vec<u8> {
    let mut v = Vec::with_capacity(156);
    v.extend_from_slice(&156u16.to_be_bytes()); // Length
    v.extend_from_slice(&1u16.to_be_bytes()); // PPTP Message Type: control
    v.extend_from_slice(&0x1a2b_3c4du32.to_be_bytes()); // Magic Cookie
    v.extend_from_slice(&1u16.to_be_bytes()); // Start-Control-Connection-Request
    v.extend_from_slice(&[0, 0]); // Reserved0
    v.extend_from_slice(&0x0100u16.to_be_bytes()); // Protocol Version 1.0
    v.extend_from_slice(&[0, 0]); // Reserved1
    v.extend_from_slice(&1u32.to_be_bytes()); // Framing: asynchronous
    v.extend_from_slice(&1u32.to_be_bytes()); // Bearer: analog
    v.extend_from_slice(&0u16.to_be_bytes()); // Maximum Channels
    v.extend_from_slice(&0x0a00u16.to_be_bytes()); // Firmware Revision
    let mut host = b"eng-ws01".to_vec();
    host.resize(64, 0);
    v.extend_from_slice(&host);
    let mut vendor = b"Microsoft".to_vec();
    vendor.resize(64, 0);
    v.extend_from_slice(&vendor);
    v
}

/// Enhanced GRE (RFC 2637 4.1) carrying PPP for call id 1: key and sequence present.
pub fn pptp_gre(seq: u32) -> Vec<u8> {
    let ppp = [0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04];
    let mut v = vec![0x30, 0x01, 0x88, 0x0b];
    v.extend_from_slice(&u16::try_from(ppp.len()).unwrap().to_be_bytes());
    v.extend_from_slice(&1u16.to_be_bytes());
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&ppp);
    v
}

/// L2TPv2 SCCRQ (RFC 2661 3.1 header, 4.4.1 Message Type AVP, 6.1): T, L, S set,
/// tunnel and session 0, Ns = Nr = 0, then the Message Type AVP (mandatory) = 1.
pub fn l2tp_sccrq() -> Vec<u8> {
    let mut v = vec![0xc8, 0x02];
    v.extend_from_slice(&20u16.to_be_bytes());
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&[0x80, 0x08, 0, 0, 0, 0, 0, 1]);
    v
}

/// AH (RFC 4302 2): next header 59 (none), payload length 4 (24-byte header with a
/// 12-byte ICV, in 32-bit words minus 2), SPI, sequence, ICV.
pub fn ah_packet(seq: u32) -> Vec<u8> {
    let mut v = vec![59, 4, 0, 0];
    v.extend_from_slice(&0x0000_a11au32.to_be_bytes());
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&[0x5c; 12]);
    v
}

/// An HTTP request with Basic credentials (RFC 7617 2): `user:password` in base64.
pub fn http_basic_get(host: &str, uri: &str, user: &str, password: &str) -> Vec<u8> {
    let cred = base64(format!("{user}:{password}").as_bytes());
    format!("GET {uri} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {cred}\r\n\r\n")
        .into_bytes()
}

/// Standard base64 with padding (RFC 4648 4).
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
