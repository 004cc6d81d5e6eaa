//! Hand-built packets for the host-name and OS analyzers (issue 19), where no shared
//! capture covers a case. Every one is checked against tshark by tests/names_tshark.rs
//! before its decoding is trusted: tshark must decode the frame and agree field by field.

use mizuban::synth::{Host, TraceWriter};
use mizuban_capture::Timestamp;
use std::io;

pub const WIN7: Host = Host::new(0x71, [0x00, 0x15, 0x5d], [192, 168, 20, 71]);
pub const WIN10: Host = Host::new(0x72, [0x00, 0x15, 0x5d], [192, 168, 20, 72]);
pub const XP: Host = Host::new(0x73, [0x00, 0x15, 0x5d], [192, 168, 20, 73]);
pub const FILESERVER: Host = Host::new(0x74, [0x00, 0x15, 0x5d], [192, 168, 20, 74]);
pub const BCAST: Host = Host {
    mac: [0xff; 6],
    ip: std::net::Ipv4Addr::new(192, 168, 20, 255),
};

/// First-level encoding of a 15-character name padded with spaces plus suffix.
pub fn encode_name(name: &str, suffix: u8) -> Vec<u8> {
    let mut raw = [b' '; 16];
    for (slot, b) in raw.iter_mut().zip(name.bytes().take(15)) {
        *slot = b;
    }
    raw[15] = suffix;
    let mut out = vec![32u8];
    for b in raw {
        out.push(b'A' + (b >> 4));
        out.push(b'A' + (b & 0x0f));
    }
    out.push(0);
    out
}

/// NBNS registration request (RFC 1002 section 4.2.2): question plus an additional
/// record with the registering address.
pub fn nbns_registration(id: u16, name: &str, suffix: u8, group: bool, ip: [u8; 4]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&0x2910u16.to_be_bytes()); // opcode 5, RD, B
    m.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 1]);
    m.extend_from_slice(&encode_name(name, suffix));
    m.extend_from_slice(&[0, 0x20, 0, 1]);
    m.extend_from_slice(&[0xc0, 12, 0, 0x20, 0, 1]);
    m.extend_from_slice(&300_000u32.to_be_bytes());
    m.extend_from_slice(&[0, 6]);
    let flags: u16 = if group { 0xe000 } else { 0x6000 };
    m.extend_from_slice(&flags.to_be_bytes());
    m.extend_from_slice(&ip);
    m
}

/// Node status response (RFC 1002 section 4.2.18) listing `names`.
pub fn nbns_node_status(id: u16, names: &[(&str, u8, bool)], mac: [u8; 6]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&0x8400u16.to_be_bytes()); // response, AA
    m.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0]);
    m.extend_from_slice(&encode_name("*", 0));
    // "*" is padded with NULs, not spaces (RFC 1002 section 4.2.17).
    let star = {
        let mut raw = [0u8; 16];
        raw[0] = b'*';
        let mut out = vec![32u8];
        for b in raw {
            out.push(b'A' + (b >> 4));
            out.push(b'A' + (b & 0x0f));
        }
        out.push(0);
        out
    };
    let at = m.len() - 34;
    m.truncate(at);
    m.extend_from_slice(&star);
    m.extend_from_slice(&[0, 0x21, 0, 1, 0, 0, 0, 0]);
    let mut rdata = vec![names.len() as u8];
    for (n, suffix, group) in names {
        let mut raw = [b' '; 16];
        for (slot, b) in raw.iter_mut().zip(n.bytes().take(15)) {
            *slot = b;
        }
        raw[15] = *suffix;
        rdata.extend_from_slice(&raw);
        let flags: u16 = 0x0400 | if *group { 0x8000 } else { 0 };
        rdata.extend_from_slice(&flags.to_be_bytes());
    }
    rdata.extend_from_slice(&mac);
    rdata.extend_from_slice(&[0; 40]);
    m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    m.extend_from_slice(&rdata);
    m
}

/// A broadcast NetBIOS datagram carrying a browser message on \MAILSLOT\BROWSE.
pub fn browser_datagram(src: &Host, src_name: &str, dst_name: (&str, u8), body: &[u8]) -> Vec<u8> {
    let mailslot = b"\\MAILSLOT\\BROWSE\0";
    let setup_count = 3u16;
    let wc = 14 + setup_count as usize;
    let smb_header_len = 32;
    let bytes_len = mailslot.len() + body.len();
    let data_offset = smb_header_len + 1 + wc * 2 + 2 + mailslot.len();
    let mut smb = Vec::new();
    smb.extend_from_slice(b"\xffSMB\x25");
    smb.extend_from_slice(&[0; 27]);
    smb.push(wc as u8);
    let words: [u16; 14] = [
        0,
        body.len() as u16,
        0,
        0,
        0,
        0,
        1000,
        0,
        0,
        0,
        0,
        body.len() as u16,
        data_offset as u16,
        setup_count,
    ];
    for w in words {
        smb.extend_from_slice(&w.to_le_bytes());
    }
    // Setup: opcode 1 (mailslot write), priority 1, class 2 (unreliable).
    for w in [1u16, 1, 2] {
        smb.extend_from_slice(&w.to_le_bytes());
    }
    smb.extend_from_slice(&(bytes_len as u16).to_le_bytes());
    smb.extend_from_slice(mailslot);
    smb.extend_from_slice(body);
    let src_enc = encode_name(src_name, 0x00);
    let dst_enc = encode_name(dst_name.0, dst_name.1);
    let mut d = vec![0x11, 0x02, 0x12, 0x34];
    d.extend_from_slice(&src.ip.octets());
    d.extend_from_slice(&138u16.to_be_bytes());
    let dgm_len = (src_enc.len() + dst_enc.len() + smb.len()) as u16;
    d.extend_from_slice(&dgm_len.to_be_bytes());
    d.extend_from_slice(&[0, 0]);
    d.extend_from_slice(&src_enc);
    d.extend_from_slice(&dst_enc);
    d.extend_from_slice(&smb);
    d
}

/// A host (1), domain (12) or local master (15) announcement body (MS-BRWS 2.2.2).
pub fn announcement(
    opcode: u8,
    server: &str,
    os: (u8, u8),
    server_type: u32,
    comment: &str,
) -> Vec<u8> {
    let mut b = vec![opcode, 1];
    b.extend_from_slice(&720_000u32.to_le_bytes());
    let mut name = [0u8; 16];
    for (slot, c) in name.iter_mut().zip(server.bytes().take(15)) {
        *slot = c;
    }
    b.extend_from_slice(&name);
    b.extend_from_slice(&[os.0, os.1]);
    b.extend_from_slice(&server_type.to_le_bytes());
    b.extend_from_slice(&[15, 1, 0x55, 0xaa]);
    b.extend_from_slice(comment.as_bytes());
    b.push(0);
    b
}

/// Writes the NetBIOS cases: registrations, a node status response and announcements
/// from Windows XP (5.1), 7 (6.1) and 10 (10.0).
pub fn write_netbios<W: io::Write>(out: W) -> io::Result<W> {
    // 2026-01-01T00:00:00Z
    write_netbios_at(out, 1_767_225_600)
}

/// [`write_netbios`] starting at `secs` (Unix time).
pub fn write_netbios_at<W: io::Write>(out: W, secs: i64) -> io::Result<W> {
    let mut w = TraceWriter::new(out, Timestamp::from_secs_nanos(secs, 0))?;
    w.udp(
        WIN7,
        BCAST,
        137,
        137,
        &nbns_registration(1, "HMI-WIN7", 0x00, false, WIN7.ip.octets()),
    )?;
    w.advance_micros(1000);
    w.udp(
        WIN7,
        BCAST,
        137,
        137,
        &nbns_registration(2, "PLANT", 0x00, true, WIN7.ip.octets()),
    )?;
    w.advance_micros(1000);
    w.udp(
        FILESERVER,
        WIN7,
        137,
        137,
        &nbns_node_status(
            3,
            &[
                ("FILESRV", 0x00, false),
                ("PLANT", 0x00, true),
                ("FILESRV", 0x20, false),
            ],
            FILESERVER.mac,
        ),
    )?;
    for (host, name, os, st) in [
        (WIN7, "HMI-WIN7", (6, 1), 0x0001_1003u32),
        (WIN10, "ENG-WIN10", (10, 0), 0x0001_1003),
        (XP, "OLD-XP", (5, 1), 0x0005_1003),
    ] {
        w.advance_micros(1000);
        let body = announcement(1, name, os, st, "station");
        w.udp(
            host,
            BCAST,
            138,
            138,
            &browser_datagram(&host, name, ("PLANT", 0x1d), &body),
        )?;
    }
    w.advance_micros(1000);
    let body = announcement(12, "PLANT", (6, 1), 0x8000_1000, "OLD-XP");
    w.udp(
        XP,
        BCAST,
        138,
        138,
        &browser_datagram(&XP, "OLD-XP", ("\x01\x02__MSBROWSE__\x02", 0x01), &body),
    )?;
    Ok(w.into_inner())
}

fn utf16z(s: &str) -> Vec<u8> {
    let mut v: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    v.extend_from_slice(&[0, 0]);
    v
}

/// An SMB1 message behind a NetBIOS session header: header, words, bytes.
fn smb1(command: u8, reply: bool, words: &[u16], bytes: &[u8]) -> Vec<u8> {
    let mut m = b"\xffSMB".to_vec();
    m.push(command);
    m.extend_from_slice(&[0; 4]); // status
    m.push(if reply { 0x98 } else { 0x18 });
    m.extend_from_slice(&0xc801u16.to_le_bytes()); // Unicode, NT status, no ext. security
    m.extend_from_slice(&[0; 20]);
    m.push(words.len() as u8);
    for w in words {
        m.extend_from_slice(&w.to_le_bytes());
    }
    m.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    m.extend_from_slice(bytes);
    let mut out = vec![0, 0];
    out.extend_from_slice(&(m.len() as u16).to_be_bytes());
    out.extend_from_slice(&m);
    out
}

/// A Windows 2000 client logging on to a file server with SMB1 without extended
/// security (passwords in the request, MS-CIFS 2.2.4.53), then an SMB2 negotiate whose
/// server requires signing.
pub fn write_smb<W: io::Write>(out: W) -> io::Result<W> {
    use mizuban::synth::TcpSession;
    let mut w = TraceWriter::new(out, Timestamp::from_nanos(1_767_225_600_000_000_000))?;
    let mut s = TcpSession::new(XP, FILESERVER, 1040, 139, 1000);
    s.handshake(&mut w)?;
    // Negotiate: NT LM 0.12 only; the response picks index 0, security mode 0x03.
    s.exchange(
        &mut w,
        &smb1(0x72, false, &[], b"\x02NT LM 0.12\0"),
        &{
            let mut words = vec![0u16, 0x0103, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            words[1] = 0x3203; // SecurityMode 0x03 (user, encrypt), MaxMpx low byte 0x32
            smb1(0x72, true, &words, &[0; 8])
        },
        500,
    )?;
    w.advance_micros(1000);
    // Session setup, WordCount 13: OEM password 24 bytes, Unicode password 24 bytes.
    let mut bytes = vec![0x11; 48];
    bytes.push(0); // pad to an even offset
    for s in ["operator", "PLANT", "Windows 2000 2195", "Windows 2000 5.0"] {
        bytes.extend_from_slice(&utf16z(s));
    }
    let words = [0x00ff, 0, 4356, 10, 0, 0, 0, 24, 24, 0, 0, 0xd4, 0];
    let mut resp_bytes = vec![0];
    for s in [
        "Windows Server 2003 3790 Service Pack 2",
        "Windows Server 2003 5.2",
        "PLANT",
    ] {
        resp_bytes.extend_from_slice(&utf16z(s));
    }
    s.exchange(
        &mut w,
        &smb1(0x73, false, &words, &bytes),
        &smb1(0x73, true, &[0x00ff, 0, 0], &resp_bytes),
        500,
    )?;
    w.advance_micros(1000);
    // SMB2 negotiate on 445: two dialects offered, 3.0.2 chosen, signing required.
    let mut t = TcpSession::new(WIN10, FILESERVER, 50000, 445, 5000);
    t.handshake(&mut w)?;
    let hdr = |response: bool| {
        let mut h = b"\xfeSMB".to_vec();
        h.extend_from_slice(&64u16.to_le_bytes());
        h.extend_from_slice(&[0; 6]);
        h.extend_from_slice(&0u16.to_le_bytes()); // NEGOTIATE
        h.extend_from_slice(&[1, 0]);
        h.extend_from_slice(&(u32::from(response)).to_le_bytes());
        h.extend_from_slice(&[0; 44]);
        h
    };
    let mut req = hdr(false);
    req.extend_from_slice(&36u16.to_le_bytes());
    req.extend_from_slice(&2u16.to_le_bytes());
    req.extend_from_slice(&1u16.to_le_bytes()); // signing enabled
    req.extend_from_slice(&[0; 30]);
    req.extend_from_slice(&0x0300u16.to_le_bytes());
    req.extend_from_slice(&0x0302u16.to_le_bytes());
    let mut resp = hdr(true);
    resp.extend_from_slice(&65u16.to_le_bytes());
    resp.extend_from_slice(&3u16.to_le_bytes()); // enabled + required
    resp.extend_from_slice(&0x0302u16.to_le_bytes());
    resp.extend_from_slice(&[0; 58]);
    let frame = |m: Vec<u8>| {
        let mut v = vec![0, 0];
        v.extend_from_slice(&(m.len() as u16).to_be_bytes());
        v.extend_from_slice(&m);
        v
    };
    t.exchange(&mut w, &frame(req), &frame(resp), 500)?;
    Ok(w.into_inner())
}

fn dns_name(out: &mut Vec<u8>, name: &str) {
    for label in name.split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
}

/// A DNS-format message (mDNS, LLMNR): one question, answers as (name, type, rdata).
pub fn dns_like(
    id: u16,
    flags: u16,
    q: Option<(&str, u16)>,
    answers: &[(&str, u16, Vec<u8>)],
) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&flags.to_be_bytes());
    m.extend_from_slice(&(q.is_some() as u16).to_be_bytes());
    m.extend_from_slice(&(answers.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0]);
    if let Some((name, t)) = q {
        dns_name(&mut m, name);
        m.extend_from_slice(&t.to_be_bytes());
        m.extend_from_slice(&[0, 1]);
    }
    for (name, t, rdata) in answers {
        dns_name(&mut m, name);
        m.extend_from_slice(&t.to_be_bytes());
        m.extend_from_slice(&[0, 1, 0, 0, 0, 120]);
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(rdata);
    }
    m
}

pub const MDNS_GROUP: Host = Host {
    mac: [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb],
    ip: std::net::Ipv4Addr::new(224, 0, 0, 251),
};
pub const LLMNR_GROUP: Host = Host {
    mac: [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfc],
    ip: std::net::Ipv4Addr::new(224, 0, 0, 252),
};
pub const SSDP_GROUP: Host = Host {
    mac: [0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa],
    ip: std::net::Ipv4Addr::new(239, 255, 255, 250),
};

/// mDNS query and announcement (service type PTR, host A record), an LLMNR query and
/// its unicast answer, an SSDP M-SEARCH, a NOTIFY from a Windows 7 media server and a
/// search response.
pub fn write_discovery<W: io::Write>(out: W) -> io::Result<W> {
    let mut w = TraceWriter::new(out, Timestamp::from_secs_nanos(1_767_225_600, 0))?;
    let ptr = {
        let mut v = Vec::new();
        dns_name(&mut v, "Panel Printer._ipp._tcp.local");
        v
    };
    w.udp(
        WIN10,
        MDNS_GROUP,
        5353,
        5353,
        &dns_like(0, 0, Some(("_ipp._tcp.local", 12)), &[]),
    )?;
    w.advance_micros(1000);
    w.udp(
        FILESERVER,
        MDNS_GROUP,
        5353,
        5353,
        &dns_like(
            0,
            0x8400,
            None,
            &[
                ("_ipp._tcp.local", 12, ptr),
                ("printer-7.local", 1, FILESERVER.ip.octets().to_vec()),
            ],
        ),
    )?;
    w.advance_micros(1000);
    // A service announcement whose address record is in the additional section.
    let mut ann = dns_like(
        0,
        0x8400,
        None,
        &[("_http._tcp.local", 12, {
            let mut v = Vec::new();
            dns_name(&mut v, "HMI panel._http._tcp.local");
            v
        })],
    );
    ann[10..12].copy_from_slice(&1u16.to_be_bytes()); // ARCOUNT
    dns_name(&mut ann, "hmi-panel.local");
    ann.extend_from_slice(&[0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4]); // A, cache-flush IN
    ann.extend_from_slice(&WIN7.ip.octets());
    w.udp(WIN7, MDNS_GROUP, 5353, 5353, &ann)?;
    w.advance_micros(1000);
    w.udp(
        WIN10,
        LLMNR_GROUP,
        60001,
        5355,
        &dns_like(0x4242, 0, Some(("hmi-win7", 1)), &[]),
    )?;
    w.advance_micros(1000);
    w.udp(
        WIN7,
        WIN10,
        5355,
        60001,
        &dns_like(
            0x4242,
            0x8000,
            Some(("hmi-win7", 1)),
            &[("hmi-win7", 1, WIN7.ip.octets().to_vec())],
        ),
    )?;
    w.advance_micros(1000);
    w.udp(
        WIN10,
        SSDP_GROUP,
        60002,
        1900,
        b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n",
    )?;
    w.advance_micros(1000);
    w.udp(
        WIN7,
        SSDP_GROUP,
        1900,
        1900,
        b"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=900\r\nLOCATION: http://192.168.20.71:2869/upnphost/udhisapi.dll?content=uuid:7\r\nNT: urn:schemas-upnp-org:device:MediaServer:1\r\nNTS: ssdp:alive\r\nSERVER: Microsoft-Windows/6.1 UPnP/1.0 UPnP-Device-Host/1.0\r\nUSN: uuid:7::urn:schemas-upnp-org:device:MediaServer:1\r\n\r\n",
    )?;
    w.advance_micros(1000);
    w.udp(
        FILESERVER,
        WIN10,
        1900,
        60002,
        b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=100\r\nEXT:\r\nLOCATION: http://192.168.20.74:80/description.xml\r\nSERVER: Linux/3.14.0 UPnP/1.0 IpBridge/1.26.0\r\nST: upnp:rootdevice\r\nUSN: uuid:2f402f80-da50-11e1-9b23-001788255acc::upnp:rootdevice\r\n\r\n",
    )?;
    Ok(w.into_inner())
}

/// Two RDP connections to a jump host: WIN7 with standard RDP security, whose client
/// core data (build 7601, name "ENG-WIN7") is in clear, and WIN10 negotiating TLS, whose
/// Connect-Initial would be encrypted (nothing to read after the confirm).
pub fn write_rdp<W: io::Write>(out: W) -> io::Result<W> {
    use mizuban::synth::TcpSession;
    use mizuban_protocols::remote::rdp_mcs::{RdpClientInfo, encode};
    let mut w = TraceWriter::new(out, Timestamp::from_nanos(1_767_225_600_000_000_000))?;
    // X.224 CR with "Cookie: mstshash=" and RDP_NEG_REQ (requestedProtocols as given), and
    // the CC whose RDP_NEG_RSP selects `selected` (MS-RDPBCGR 2.2.1.1, 2.2.1.2).
    let cr = |user: &str, requested: u32| {
        let mut v = vec![3, 0, 0, 0, 0, 0xe0, 0, 0, 0, 0, 0];
        v.extend_from_slice(format!("Cookie: mstshash={user}\r\n").as_bytes());
        v.extend_from_slice(&[1, 0, 8, 0]);
        v.extend_from_slice(&requested.to_le_bytes());
        let len = v.len() as u16;
        v[2..4].copy_from_slice(&len.to_be_bytes());
        v[4] = (v.len() - 5) as u8;
        v
    };
    let cc = |selected: u32| {
        let mut v = vec![3, 0, 0, 0x13, 0x0e, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0, 8, 0];
        v.extend_from_slice(&selected.to_le_bytes());
        v
    };
    let mut s = TcpSession::new(WIN7, FILESERVER, 49200, 3389, 7000);
    s.handshake(&mut w)?;
    s.exchange(&mut w, &cr("operator", 0), &cc(0), 400)?;
    w.advance_micros(1000);
    let info = RdpClientInfo {
        version: 0x0008_0004,
        desktop_width: 1280,
        desktop_height: 1024,
        keyboard_layout: 0x0411,
        client_build: 7601,
        client_name: "ENG-WIN7".to_string(),
    };
    s.send(&mut w, true, &encode::connect_initial(&encode::core(&info)))?;
    let mut t = TcpSession::new(WIN10, FILESERVER, 49300, 3389, 9000);
    w.advance_micros(1000);
    t.handshake(&mut w)?;
    t.exchange(&mut w, &cr("engineer", 3), &cc(2), 400)?;
    Ok(w.into_inner())
}
