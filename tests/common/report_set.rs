//! A capture set with every kind of finding the report has a section for, for the
//! report tests (tests/report.rs): the bundled sample (internet egress, DNS, TLS name,
//! Modbus writes), a built capture of a plant with three zones (zone violation, an
//! office zone with internet contact joined to the control zone, internet VPNs and a
//! VPN inside, RDP across zones, cleartext FTP and repeated failures, a DNS name
//! carrying markup), a Windows 2000 SMB logon (operating system out of support) and a
//! real Modbus capture with writes and refused writes (tests/corpus/modbus).

use super::names_synth;
use super::rules_builder::{
    esp_packet, ike_v2_sa_init, internet, lan, rdp_connection_request, start, wireguard_initiation,
};
use mizuban::synth::{ENG_WS, Host, PLCS, TcpSession, TraceWriter, dns_message, modbus_adu};
use std::io;
use std::path::{Path, PathBuf};

/// The policy of the built capture: control, office and DMZ zones; only office -> dmz.
pub const CONFIG: &str = r#"
[detect.policy]
allowed_zone_pairs = ["office -> dmz"]

[[detect.policy.zones]]
name = "control"
networks = ["192.168.10.0/24"]

[[detect.policy.zones]]
name = "office"
networks = ["192.168.20.0/24"]

[[detect.policy.zones]]
name = "dmz"
networks = ["192.168.30.0/24"]
"#;

/// A DNS name with markup in it: the report must show it as text.
pub const HOSTILE_NAME: &str = "<img src=x onerror=alert(1)>.evil.example";

const OFFICE_PC: Host = lan([192, 168, 20, 30]);
const HISTORIAN: Host = lan([192, 168, 10, 60]);
const FTP_SERVER: Host = lan([192, 168, 10, 61]);
const GATEWAY_LAN: Host = lan([192, 168, 10, 1]);
const SITE_B: Host = lan([192, 168, 30, 5]);
const REMOTE: Host = internet([198, 51, 100, 7]);

fn tcp_exchange(
    w: &mut TraceWriter<Vec<u8>>,
    (client, server, sport, dport): (Host, Host, u16, u16),
    req: &[u8],
    resp: &[u8],
) -> io::Result<()> {
    let mut s = TcpSession::new(client, server, sport, dport, 1_000 + u32::from(sport));
    s.handshake(w)?;
    w.advance_micros(1_000);
    s.exchange(w, req, resp, 2_000)?;
    w.advance_micros(1_000);
    s.ack(w, true)?;
    w.advance_micros(10_000);
    s.close(w)
}

fn findings(w: &mut TraceWriter<Vec<u8>>) -> io::Result<()> {
    let plc = PLCS[0];
    // Office PC polls a PLC: a zone violation (office -> control is not allowed).
    let req = modbus_adu(1, 1, &[0x03, 0, 0, 0, 1]);
    let resp = modbus_adu(1, 1, &[0x03, 2, 0, 42]);
    tcp_exchange(w, (OFFICE_PC, plc, 41_000, 502), &req, &resp)?;
    w.advance_micros(50_000);
    // ... and the office has internet contact: the control zone is joined to it.
    tcp_exchange(w, (OFFICE_PC, REMOTE, 41_001, 443), b"hello", b"world")?;
    w.advance_micros(50_000);
    // ... and reaches the DMZ (allowed), which has no contact of its own: by the
    // guideline the DMZ is not closed either.
    tcp_exchange(
        w,
        (OFFICE_PC, SITE_B, 41_002, 8080),
        b"GET / HTTP/1.0\r\n\r\n",
        b"HTTP/1.0 200 OK\r\n\r\n",
    )?;
    w.advance_micros(50_000);
    // Internet VPNs: IKE + ESP from the gateway, WireGuard from the workstation.
    w.udp(
        GATEWAY_LAN,
        internet([198, 51, 100, 20]),
        500,
        500,
        &ike_v2_sa_init(),
    )?;
    for seq in 1..=3 {
        w.advance_micros(1_000);
        w.ip(
            GATEWAY_LAN,
            internet([198, 51, 100, 20]),
            50,
            &esp_packet(seq),
        )?;
    }
    w.advance_micros(10_000);
    w.udp(
        ENG_WS,
        internet([198, 51, 100, 21]),
        40_001,
        41_414,
        &wireguard_initiation(),
    )?;
    w.advance_micros(10_000);
    // A VPN inside: IKE between two internal sites.
    w.udp(GATEWAY_LAN, SITE_B, 500, 500, &ike_v2_sa_init())?;
    w.advance_micros(10_000);
    // RDP from the office to the historian, with the cookie's user name.
    tcp_exchange(
        w,
        (OFFICE_PC, HISTORIAN, 49_152, 3389),
        &rdp_connection_request("operator"),
        &super::rules_builder::rdp_connection_confirm(),
    )?;
    w.advance_micros(10_000);
    // FTP: one cleartext login, then five failures within the window.
    let mut s = TcpSession::new(ENG_WS, FTP_SERVER, 50_050, 21, 31);
    s.handshake(w)?;
    w.advance_micros(1_000);
    s.send(w, false, b"220 plant FTP ready\r\n")?;
    for ok in [true, false, false, false, false, false] {
        w.advance_micros(2_000);
        s.exchange(w, b"USER operator\r\n", b"331 Password required\r\n", 1_000)?;
        w.advance_micros(1_000);
        let answer: &[u8] = if ok {
            b"230 Login successful\r\n"
        } else {
            b"530 Login incorrect\r\n"
        };
        s.exchange(w, b"PASS s3cret-never-shown\r\n", answer, 1_000)?;
    }
    s.exchange(w, b"QUIT\r\n", b"221 Goodbye\r\n", 1_000)?;
    s.close(w)?;
    w.advance_micros(10_000);
    // A DNS query for a name with markup, sent to an internet resolver.
    w.udp(
        ENG_WS,
        internet([8, 8, 8, 8]),
        53_111,
        53,
        &dns_message(9, HOSTILE_NAME, false, &[]),
    )
}

/// The files of the set, written into `dir`, in the order to replay them.
pub fn write(dir: &Path) -> Vec<PathBuf> {
    let built = dir.join("findings.pcap");
    let mut w = TraceWriter::new(Vec::new(), start()).expect("pcap header");
    findings(&mut w).expect("build findings capture");
    std::fs::write(&built, w.into_inner()).expect("write findings capture");
    let smb = dir.join("smb-windows2000.pcap");
    let bytes = names_synth::write_smb(Vec::new()).expect("build smb capture");
    std::fs::write(&smb, bytes).expect("write smb capture");
    vec![
        super::sample_pcap(),
        built,
        smb,
        super::corpus::path("modbus/arkime_modbus.pcap"),
    ]
}
