//! Synthetic traffic: the bundled sample plant capture and large throughput captures.
//!
//! This is how `samples/water-plant.pcap` is regenerated (`cargo run --bin mizuban-synth
//! -- sample`), not a test oracle: tests check what mizuban reports on it against tshark
//! or against facts stated here about what the trace contains.

use etherparse::PacketBuilder;
use mizuban_capture::writer::PcapWriter;
use mizuban_capture::{LinkType, Timestamp};
use std::io::{self, Write};
use std::net::Ipv4Addr;

pub mod flood;

/// One host on the synthetic network.
#[derive(Copy, Clone, Debug)]
pub struct Host {
    pub mac: [u8; 6],
    pub ip: Ipv4Addr,
}

impl Host {
    pub const fn new(mac_last: u8, oui: [u8; 3], ip: [u8; 4]) -> Host {
        Host {
            mac: [oui[0], oui[1], oui[2], 0x00, 0x10, mac_last],
            ip: Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]),
        }
    }
}

/// Writes Ethernet frames into a pcap, with packet time under the caller's control.
pub struct TraceWriter<W: Write> {
    out: PcapWriter<W>,
    pub now: Timestamp,
    buf: Vec<u8>,
    pub packets: u64,
}

impl<W: Write> TraceWriter<W> {
    pub fn new(out: W, start: Timestamp) -> io::Result<Self> {
        Ok(TraceWriter {
            out: PcapWriter::new(out, LinkType::Ethernet, 65535, false)?,
            now: start,
            buf: Vec::with_capacity(2048),
            packets: 0,
        })
    }

    pub fn advance_micros(&mut self, us: u64) {
        self.now = self
            .now
            .saturating_add(std::time::Duration::from_micros(us));
    }

    fn emit(&mut self) -> io::Result<()> {
        self.packets += 1;
        let len = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
        self.out.write_packet(self.now, &self.buf, len)
    }

    pub fn udp(
        &mut self,
        from: Host,
        to: Host,
        sport: u16,
        dport: u16,
        payload: &[u8],
    ) -> io::Result<()> {
        self.buf.clear();
        PacketBuilder::ethernet2(from.mac, to.mac)
            .ipv4(from.ip.octets(), to.ip.octets(), 64)
            .udp(sport, dport)
            .write(&mut self.buf, payload)
            .map_err(io::Error::other)?;
        self.emit()
    }

    /// An IPv4 packet of any IP protocol (ESP 50, AH 51, GRE 47 ...) carrying `payload`
    /// right after the IP header.
    pub fn ip(&mut self, from: Host, to: Host, protocol: u8, payload: &[u8]) -> io::Result<()> {
        self.buf.clear();
        PacketBuilder::ethernet2(from.mac, to.mac)
            .ipv4(from.ip.octets(), to.ip.octets(), 64)
            .write(&mut self.buf, etherparse::IpNumber(protocol), payload)
            .map_err(io::Error::other)?;
        self.emit()
    }

    pub fn arp_request(&mut self, from: Host, target: Ipv4Addr) -> io::Result<()> {
        self.buf.clear();
        self.buf.extend_from_slice(&[0xff; 6]);
        self.buf.extend_from_slice(&from.mac);
        self.buf
            .extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1]);
        self.buf.extend_from_slice(&from.mac);
        self.buf.extend_from_slice(&from.ip.octets());
        self.buf.extend_from_slice(&[0; 6]);
        self.buf.extend_from_slice(&target.octets());
        self.buf.resize(60, 0);
        self.emit()
    }

    pub fn into_inner(self) -> W {
        self.out.into_inner()
    }
}

/// A TCP connection: keeps both sides' sequence numbers so segments and ACKs are
/// consistent, as a real stack's would be.
pub struct TcpSession {
    pub client: Host,
    pub server: Host,
    pub sport: u16,
    pub dport: u16,
    cseq: u32,
    sseq: u32,
}

impl TcpSession {
    pub fn new(client: Host, server: Host, sport: u16, dport: u16, isn: u32) -> TcpSession {
        TcpSession {
            client,
            server,
            sport,
            dport,
            cseq: isn,
            sseq: isn.wrapping_mul(7).wrapping_add(12345),
        }
    }

    fn segment<W: Write>(
        &mut self,
        w: &mut TraceWriter<W>,
        to_server: bool,
        flags: u8,
        payload: &[u8],
    ) -> io::Result<()> {
        let (src, dst, sp, dp, seq, ack) = if to_server {
            (
                self.client,
                self.server,
                self.sport,
                self.dport,
                self.cseq,
                self.sseq,
            )
        } else {
            (
                self.server,
                self.client,
                self.dport,
                self.sport,
                self.sseq,
                self.cseq,
            )
        };
        w.buf.clear();
        let mut b = PacketBuilder::ethernet2(src.mac, dst.mac)
            .ipv4(src.ip.octets(), dst.ip.octets(), 64)
            .tcp(sp, dp, seq, 64240);
        if flags & 0x02 != 0 {
            b = b.syn();
        }
        if flags & 0x10 != 0 {
            b = b.ack(ack);
        }
        if flags & 0x01 != 0 {
            b = b.fin();
        }
        if flags & 0x08 != 0 {
            b = b.psh();
        }
        b.write(&mut w.buf, payload).map_err(io::Error::other)?;
        let consumed = u32::try_from(payload.len()).unwrap_or(0) + u32::from(flags & 0x03 != 0);
        if to_server {
            self.cseq = self.cseq.wrapping_add(consumed);
        } else {
            self.sseq = self.sseq.wrapping_add(consumed);
        }
        w.emit()
    }

    /// The client's SYN alone: an attempt nobody answers (or that is dropped on the way).
    pub fn syn<W: Write>(&mut self, w: &mut TraceWriter<W>) -> io::Result<()> {
        self.segment(w, true, 0x02, &[])
    }

    pub fn handshake<W: Write>(&mut self, w: &mut TraceWriter<W>) -> io::Result<()> {
        self.segment(w, true, 0x02, &[])?;
        w.advance_micros(300);
        self.segment(w, false, 0x12, &[])?;
        w.advance_micros(200);
        self.segment(w, true, 0x10, &[])
    }

    /// A request and its response, `rtt_us` apart.
    pub fn exchange<W: Write>(
        &mut self,
        w: &mut TraceWriter<W>,
        req: &[u8],
        resp: &[u8],
        rtt_us: u64,
    ) -> io::Result<()> {
        self.segment(w, true, 0x18, req)?;
        w.advance_micros(rtt_us);
        self.segment(w, false, 0x18, resp)
    }

    pub fn send<W: Write>(
        &mut self,
        w: &mut TraceWriter<W>,
        to_server: bool,
        payload: &[u8],
    ) -> io::Result<()> {
        self.segment(w, to_server, 0x18, payload)
    }

    pub fn ack<W: Write>(&mut self, w: &mut TraceWriter<W>, to_server: bool) -> io::Result<()> {
        self.segment(w, to_server, 0x10, &[])
    }

    pub fn close<W: Write>(&mut self, w: &mut TraceWriter<W>) -> io::Result<()> {
        self.segment(w, true, 0x11, &[])?;
        w.advance_micros(200);
        self.segment(w, false, 0x11, &[])?;
        w.advance_micros(100);
        self.segment(w, true, 0x10, &[])
    }
}

/// Modbus/TCP ADU: MBAP header (trans id, protocol 0, length, unit) + PDU.
pub fn modbus_adu(trans_id: u16, unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(7 + pdu.len());
    v.extend_from_slice(&trans_id.to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&(u16::try_from(pdu.len() + 1).unwrap_or(0)).to_be_bytes());
    v.push(unit);
    v.extend_from_slice(pdu);
    v
}

/// DNS message with one question and optional A answers (RFC 1035 4.1).
pub fn dns_message(id: u16, name: &str, response: bool, answers: &[Ipv4Addr]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&id.to_be_bytes());
    v.extend_from_slice(if response {
        &[0x81, 0x80]
    } else {
        &[0x01, 0x00]
    });
    v.extend_from_slice(&1u16.to_be_bytes());
    v.extend_from_slice(&(u16::try_from(answers.len()).unwrap_or(0)).to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 0]);
    for label in name.split('.') {
        v.push(u8::try_from(label.len()).unwrap_or(0));
        v.extend_from_slice(label.as_bytes());
    }
    v.push(0);
    v.extend_from_slice(&[0, 1, 0, 1]);
    for a in answers {
        v.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]);
        v.extend_from_slice(&a.octets());
    }
    v
}

/// TLS 1.2-style ClientHello carrying an SNI (RFC 8446 4.1.2, RFC 6066 3).
pub fn tls_client_hello(sni: &str) -> Vec<u8> {
    let name = sni.as_bytes();
    let mut sni_ext = Vec::new();
    let list_len = name.len() + 3;
    sni_ext.extend_from_slice(&[0x00, 0x00]);
    sni_ext.extend_from_slice(&(u16::try_from(list_len + 2).unwrap_or(0)).to_be_bytes());
    sni_ext.extend_from_slice(&(u16::try_from(list_len).unwrap_or(0)).to_be_bytes());
    sni_ext.push(0);
    sni_ext.extend_from_slice(&(u16::try_from(name.len()).unwrap_or(0)).to_be_bytes());
    sni_ext.extend_from_slice(name);
    let mut body = Vec::new();
    body.extend_from_slice(&[0x03, 0x03]);
    body.extend_from_slice(&[0x42; 32]);
    body.push(0);
    body.extend_from_slice(&[0x00, 0x04, 0x13, 0x01, 0xc0, 0x2f]);
    body.extend_from_slice(&[0x01, 0x00]);
    body.extend_from_slice(&(u16::try_from(sni_ext.len()).unwrap_or(0)).to_be_bytes());
    body.extend_from_slice(&sni_ext);
    let mut hs = vec![0x01];
    let bl = u32::try_from(body.len()).unwrap_or(0).to_be_bytes();
    hs.extend_from_slice(&bl[1..]);
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend_from_slice(&(u16::try_from(hs.len()).unwrap_or(0)).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

/// DHCP REQUEST with host name and vendor class (RFC 2131, RFC 2132 options 12/53/55/60).
pub fn dhcp_request(mac: [u8; 6], xid: u32, hostname: &str, vendor: &str) -> Vec<u8> {
    let mut v = vec![1, 1, 6, 0];
    v.extend_from_slice(&xid.to_be_bytes());
    // secs, flags, ciaddr
    v.extend_from_slice(&[0; 8]);
    // yiaddr, siaddr, giaddr
    v.extend_from_slice(&[0; 12]);
    // chaddr: 6 bytes of MAC padded to 16
    v.extend_from_slice(&mac);
    v.extend_from_slice(&[0; 10]);
    v.extend_from_slice(&[0; 192]);
    v.extend_from_slice(&[0x63, 0x82, 0x53, 0x63]);
    v.extend_from_slice(&[53, 1, 3]);
    v.extend_from_slice(&[12, u8::try_from(hostname.len()).unwrap_or(0)]);
    v.extend_from_slice(hostname.as_bytes());
    v.extend_from_slice(&[60, u8::try_from(vendor.len()).unwrap_or(0)]);
    v.extend_from_slice(vendor.as_bytes());
    v.extend_from_slice(&[55, 4, 1, 3, 6, 15, 255]);
    v
}

// The plant. MAC prefixes are real vendors' OUIs so the inventory shows vendors:
// 00:80:F4 Telemecanique (Schneider), 00:1B:1B Siemens, 00:15:5D Microsoft, 00:0C:29 VMware.
pub const HMI: Host = Host::new(0x10, [0x00, 0x0c, 0x29], [192, 168, 10, 10]);
pub const ENG_WS: Host = Host::new(0x50, [0x00, 0x15, 0x5d], [192, 168, 10, 50]);
pub const DNS_SERVER: Host = Host::new(0x02, [0x00, 0x0c, 0x29], [192, 168, 10, 2]);
pub const GATEWAY: Host = Host::new(0x01, [0x00, 0x1b, 0x1b], [192, 168, 10, 1]);
pub const PLCS: [Host; 4] = [
    Host::new(0x21, [0x00, 0x80, 0xf4], [192, 168, 10, 21]),
    Host::new(0x22, [0x00, 0x80, 0xf4], [192, 168, 10, 22]),
    Host::new(0x23, [0x00, 0x1b, 0x1b], [192, 168, 10, 23]),
    Host::new(0x24, [0x00, 0x80, 0xf4], [192, 168, 10, 24]),
];
/// The internet host the engineering workstation reaches (TEST-NET-3, RFC 5737: never
/// routed, so the sample can name it without pointing at anyone's server).
pub const CLOUD_IP: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 45);
pub const CLOUD_NAME: &str = "updates.scada-vendor.example";

/// Writes the sample water-plant trace: 5 minutes of an HMI polling four PLCs (FC 3 and
/// 1 every second, a setpoint write FC 6 every 30 s), an engineering workstation that
/// gets an address by DHCP, reads a PLC's device identification (43/14), writes a block
/// (FC 16), resolves a vendor cloud name and opens TLS to it: one internet egress.
pub fn write_sample<W: Write>(out: W) -> io::Result<W> {
    // 2026-04-01 06:00:00 UTC
    let mut w = TraceWriter::new(out, Timestamp::from_secs_nanos(1_775_023_200, 0))?;
    let mut sessions: Vec<TcpSession> = PLCS
        .iter()
        .enumerate()
        .map(|(i, plc)| {
            TcpSession::new(
                HMI,
                *plc,
                49_152 + i as u16,
                502,
                1_000_000 * (i as u32 + 1),
            )
        })
        .collect();
    for s in &mut sessions {
        w.arp_request(HMI, s.server.ip)?;
        w.advance_micros(500);
        s.handshake(&mut w)?;
        w.advance_micros(2_000);
    }
    let mut tid: u16 = 1;
    let mut level: u16 = 1200;
    for second in 0..300u32 {
        for (i, s) in sessions.iter_mut().enumerate() {
            // Read 10 holding registers at 0 (levels, flows), then 16 coils (pumps).
            let req = modbus_adu(tid, 1, &[0x03, 0x00, 0x00, 0x00, 0x0a]);
            let mut resp_pdu = vec![0x03, 20];
            for r in 0..10u16 {
                resp_pdu.extend_from_slice(&(level + r * 10 + i as u16).to_be_bytes());
            }
            s.exchange(
                &mut w,
                &req,
                &modbus_adu(tid, 1, &resp_pdu),
                1_800 + (i as u64) * 150,
            )?;
            tid = tid.wrapping_add(1);
            w.advance_micros(3_000);
            let req = modbus_adu(tid, 1, &[0x01, 0x00, 0x00, 0x00, 0x10]);
            s.exchange(
                &mut w,
                &req,
                &modbus_adu(tid, 1, &[0x01, 2, 0b0000_0101, 0]),
                1_500,
            )?;
            tid = tid.wrapping_add(1);
            w.advance_micros(2_000);
            s.ack(&mut w, true)?;
            w.advance_micros(20_000);
        }
        if second % 30 == 15 {
            // The operator changes a pump setpoint on the first PLC.
            let s = &mut sessions[0];
            let req = modbus_adu(tid, 1, &[0x06, 0x00, 0x64, 0x05, 0xdc]);
            s.exchange(&mut w, &req, &req, 2_100)?;
            tid = tid.wrapping_add(1);
        }
        level = level.wrapping_add(u16::from(second % 7 == 0));
        if second == 60 {
            engineering_visit(&mut w)?;
        }
        w.advance_micros(880_000);
    }
    for s in &mut sessions {
        s.close(&mut w)?;
        w.advance_micros(1_000);
    }
    Ok(w.into_inner())
}

/// The engineering workstation's visit: DHCP, device identification and a block write to
/// PLC 3, then a DNS lookup of the vendor's cloud and a TLS connection to it.
fn engineering_visit<W: Write>(w: &mut TraceWriter<W>) -> io::Result<()> {
    let broadcast = Host {
        mac: [0xff; 6],
        ip: Ipv4Addr::BROADCAST,
    };
    let unspecified = Host {
        mac: ENG_WS.mac,
        ip: Ipv4Addr::UNSPECIFIED,
    };
    w.udp(
        unspecified,
        broadcast,
        68,
        67,
        &dhcp_request(ENG_WS.mac, 0x3903_f326, "ENG-WS01", "MSFT 5.0"),
    )?;
    w.advance_micros(40_000);
    w.arp_request(ENG_WS, PLCS[2].ip)?;
    w.advance_micros(1_000);
    let mut s = TcpSession::new(ENG_WS, PLCS[2], 51_000, 502, 77_000_000);
    s.handshake(w)?;
    w.advance_micros(5_000);
    // 43/14: read device identification, basic objects.
    let req = modbus_adu(1, 1, &[0x2b, 0x0e, 0x01, 0x00]);
    let mut resp = vec![0x2b, 0x0e, 0x01, 0x01, 0x00, 0x00, 0x03];
    for (id, text) in [(0u8, "Siemens"), (1, "6ES7 315-2EH14-0AB0"), (2, "V3.2.6")] {
        resp.push(id);
        resp.push(u8::try_from(text.len()).unwrap_or(0));
        resp.extend_from_slice(text.as_bytes());
    }
    s.exchange(w, &req, &modbus_adu(1, 1, &resp), 4_000)?;
    w.advance_micros(200_000);
    // FC 16: write 4 registers at 200.
    let req = modbus_adu(
        2,
        1,
        &[0x10, 0x00, 0xc8, 0x00, 0x04, 0x08, 0, 1, 0, 2, 0, 3, 0, 4],
    );
    s.exchange(
        w,
        &req,
        &modbus_adu(2, 1, &[0x10, 0x00, 0xc8, 0x00, 0x04]),
        3_000,
    )?;
    w.advance_micros(100_000);
    s.close(w)?;
    w.advance_micros(500_000);
    // The workstation looks up its vendor's cloud and connects to it.
    w.udp(
        ENG_WS,
        DNS_SERVER,
        53_111,
        53,
        &dns_message(0x5a5a, CLOUD_NAME, false, &[]),
    )?;
    w.advance_micros(12_000);
    w.udp(
        DNS_SERVER,
        ENG_WS,
        53,
        53_111,
        &dns_message(0x5a5a, CLOUD_NAME, true, &[CLOUD_IP]),
    )?;
    w.advance_micros(2_000);
    let cloud = Host {
        mac: GATEWAY.mac,
        ip: CLOUD_IP,
    };
    let mut t = TcpSession::new(ENG_WS, cloud, 51_002, 443, 900_000_000);
    t.handshake(w)?;
    w.advance_micros(1_000);
    t.send(w, true, &tls_client_hello(CLOUD_NAME))?;
    w.advance_micros(45_000);
    t.send(
        w,
        false,
        &[0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00],
    )?;
    w.advance_micros(1_000);
    t.ack(w, true)?;
    w.advance_micros(300_000);
    t.close(w)
}

/// A large capture for the end-to-end throughput run: `packets` Modbus-sized TCP packets
/// (FC 3 polls and responses) spread round-robin over `flows` connections between
/// many client/server pairs, picked up mid-stream (no handshakes), as a SPAN port would.
pub fn write_throughput<W: Write>(out: W, packets: u64, flows: u32) -> io::Result<W> {
    let mut w = TraceWriter::new(out, Timestamp::from_secs_nanos(1_775_023_200, 0))?;
    let flows = flows.max(1);
    let mut sessions: Vec<TcpSession> = (0..flows)
        .map(|i| {
            let c = Host::new(
                (i % 250) as u8,
                [0x00, 0x0c, 0x29],
                [
                    10,
                    1 + (i / 60_000) as u8,
                    ((i / 250) % 240) as u8,
                    (i % 250) as u8 + 1,
                ],
            );
            let s = Host::new(
                (i % 50) as u8,
                [0x00, 0x80, 0xf4],
                [10, 200, (i % 200) as u8, (i % 50) as u8 + 1],
            );
            TcpSession::new(
                c,
                s,
                40_000 + (i % 20_000) as u16,
                502,
                i.wrapping_mul(2_654_435_761),
            )
        })
        .collect();
    let mut written: u64 = 0;
    let mut tid: u16 = 0;
    let resp = {
        let mut p = vec![0x03, 20];
        p.extend_from_slice(&[0x12; 20]);
        p
    };
    'outer: loop {
        for s in sessions.iter_mut() {
            if written + 2 > packets {
                break 'outer;
            }
            tid = tid.wrapping_add(1);
            s.exchange(
                &mut w,
                &modbus_adu(tid, 1, &[0x03, 0, 0, 0, 10]),
                &modbus_adu(tid, 1, &resp),
                5,
            )?;
            w.advance_micros(5);
            written += 2;
        }
    }
    Ok(w.into_inner())
}
