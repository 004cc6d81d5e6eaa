//! Hostile traffic for the flood benchmarks and tests (issue 14): the four floods the
//! issue measured against Suricata (address scan, spoofed Modbus sources, fragments that
//! never complete, random TCP sequence numbers) and SYN floods, ARP storms with spoofed
//! replies and UDP to random ports.
//!
//! Optionally a long Modbus session, established (with its handshake) before the flood,
//! is interleaved with it: one FC 3 poll and its response every `modbus_every` flood
//! packets. That is the session graceful degradation must keep parsing.
//!
//! Everything is drawn from a seeded generator, so a kind, a size and a seed always give
//! the same bytes. One flood packet per microsecond of packet time, about what a real
//! flood on a 1 Gbit/s link would deliver.

use super::{HMI, Host, PLCS, TcpSession, TraceWriter, modbus_adu};
use etherparse::{IpNumber, Ipv4Header, PacketBuilder};
use mizuban_capture::Timestamp;
use std::io::{self, Write};
use std::net::Ipv4Addr;

/// The kinds of flood, by the name the CLI and the bench take.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FloodKind {
    /// One host SYNs a distinct internal address per packet (port 502).
    AddressScan,
    /// Random source address and port toward one PLC's port 502, with a Modbus request
    /// in each segment and no handshake.
    Spoofed,
    /// IPv4 first fragments (more-fragments set, offset 0) that never complete.
    Fragments,
    /// TCP data segments with random sequence and acknowledgement numbers on 16 flows.
    RandomSeq,
    /// SYNs from random source addresses and ports to one server port.
    SynFlood,
    /// ARP requests from random senders, and replies claiming the gateway's address
    /// from random MACs (spoofing).
    ArpStorm,
    /// UDP from one host to random ports of one PLC.
    UdpPorts,
}

impl FloodKind {
    pub const ALL: [FloodKind; 7] = [
        FloodKind::AddressScan,
        FloodKind::Spoofed,
        FloodKind::Fragments,
        FloodKind::RandomSeq,
        FloodKind::SynFlood,
        FloodKind::ArpStorm,
        FloodKind::UdpPorts,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FloodKind::AddressScan => "address-scan",
            FloodKind::Spoofed => "spoofed",
            FloodKind::Fragments => "fragments",
            FloodKind::RandomSeq => "random-seq",
            FloodKind::SynFlood => "syn",
            FloodKind::ArpStorm => "arp",
            FloodKind::UdpPorts => "udp-ports",
        }
    }

    pub fn parse(s: &str) -> Option<FloodKind> {
        FloodKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What to write.
#[derive(Copy, Clone, Debug)]
pub struct FloodSpec {
    pub kind: FloodKind,
    /// Flood packets (the interleaved session's packets come on top).
    pub packets: u64,
    /// Interleave one Modbus poll/response every this many flood packets (0: none).
    pub modbus_every: u64,
    pub seed: u64,
}

/// What was written: the tests compare it with what mizuban reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FloodTrace {
    pub packets: u64,
    /// Modbus transactions of the interleaved session (requests each answered).
    pub modbus_transactions: u64,
}

/// The scanning / flooding host.
pub const ATTACKER: Host = Host::new(0x66, [0x00, 0x0c, 0x29], [192, 168, 10, 66]);
/// The interleaved session: HMI polling the first PLC.
pub const SESSION_CLIENT_PORT: u16 = 49_500;

/// splitmix64 (Steele, Lea, Flood 2014): small, fast and good enough to look random.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce5_e9b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn u32(&mut self) -> u32 {
        (self.next() >> 32) as u32
    }

    fn u16(&mut self) -> u16 {
        (self.next() >> 48) as u16
    }

    /// A unicast, routable-looking IPv4 address (1.0.0.0 to 223.255.255.255).
    fn unicast(&mut self) -> Ipv4Addr {
        let mut v = self.u32();
        let first = (v >> 24) % 223 + 1;
        v = (first << 24) | (v & 0x00ff_ffff);
        Ipv4Addr::from(v)
    }

    fn mac(&mut self) -> [u8; 6] {
        let b = self.next().to_be_bytes();
        // Locally administered, unicast.
        [(b[0] & 0xfc) | 0x02, b[1], b[2], b[3], b[4], b[5]]
    }
}

/// Writes the flood `spec` describes as an Ethernet pcap.
pub fn write_flood<W: Write>(out: W, spec: &FloodSpec) -> io::Result<(W, FloodTrace)> {
    // 2026-04-02 06:00:00 UTC
    let mut w = TraceWriter::new(out, Timestamp::from_secs_nanos(1_775_109_600, 0))?;
    let mut rng = Rng(spec.seed ^ 0x6d69_7a75_6261_6e00);
    let mut trace = FloodTrace::default();
    let plc = PLCS[0];
    let mut session = TcpSession::new(HMI, plc, SESSION_CLIENT_PORT, 502, 5_000_000);
    let mut tid: u16 = 0;
    if spec.modbus_every > 0 {
        w.arp_request(HMI, plc.ip)?;
        w.advance_micros(100);
        session.handshake(&mut w)?;
        w.advance_micros(1_000);
        poll(&mut w, &mut session, &mut tid, &mut trace)?;
        w.advance_micros(1_000);
    }
    let flows = RandomSeqFlows::new(&mut rng);
    for i in 0..spec.packets {
        match spec.kind {
            FloodKind::AddressScan => address_scan(&mut w, i)?,
            FloodKind::Spoofed => spoofed(&mut w, &mut rng, plc)?,
            FloodKind::Fragments => fragment(&mut w, &mut rng, plc)?,
            FloodKind::RandomSeq => flows.segment(&mut w, &mut rng, i)?,
            FloodKind::SynFlood => syn(&mut w, &mut rng, HMI)?,
            FloodKind::ArpStorm => arp(&mut w, &mut rng, i)?,
            FloodKind::UdpPorts => udp_port(&mut w, &mut rng, plc)?,
        }
        w.advance_micros(1);
        if spec.modbus_every > 0 && (i + 1).is_multiple_of(spec.modbus_every) {
            poll(&mut w, &mut session, &mut tid, &mut trace)?;
        }
    }
    if spec.modbus_every > 0 {
        w.advance_micros(1_000);
        poll(&mut w, &mut session, &mut tid, &mut trace)?;
        w.advance_micros(1_000);
        session.close(&mut w)?;
    }
    trace.packets = w.packets;
    Ok((w.into_inner(), trace))
}

/// One FC 3 poll of the interleaved session, answered 300 µs later.
fn poll<W: Write>(
    w: &mut TraceWriter<W>,
    s: &mut TcpSession,
    tid: &mut u16,
    trace: &mut FloodTrace,
) -> io::Result<()> {
    *tid = tid.wrapping_add(1);
    let req = modbus_adu(*tid, 1, &[0x03, 0x00, 0x00, 0x00, 0x02]);
    let resp = modbus_adu(*tid, 1, &[0x03, 4, 0x01, 0x02, 0x03, 0x04]);
    s.exchange(w, &req, &resp, 300)?;
    trace.modbus_transactions += 1;
    Ok(())
}

/// The `i`-th address of the internal 10.0.0.0/8 sweep (skipping .0 and .255 hosts).
fn swept_address(i: u64) -> Ipv4Addr {
    let n = (i % (254 * 65_536)) as u32;
    let host = n % 254 + 1;
    let net = n / 254;
    Ipv4Addr::new(10, (net >> 8) as u8, net as u8, host as u8)
}

fn tcp_raw<W: Write>(
    w: &mut TraceWriter<W>,
    src: ([u8; 6], Ipv4Addr, u16),
    dst: ([u8; 6], Ipv4Addr, u16),
    seq: u32,
    ack: Option<u32>,
    syn: bool,
    payload: &[u8],
) -> io::Result<()> {
    w.buf.clear();
    let mut b = PacketBuilder::ethernet2(src.0, dst.0)
        .ipv4(src.1.octets(), dst.1.octets(), 64)
        .tcp(src.2, dst.2, seq, 64240);
    if syn {
        b = b.syn();
    }
    if let Some(a) = ack {
        b = b.ack(a).psh();
    }
    b.write(&mut w.buf, payload).map_err(io::Error::other)?;
    w.emit()
}

fn address_scan<W: Write>(w: &mut TraceWriter<W>, i: u64) -> io::Result<()> {
    let sport = 40_000 + (i % 20_000) as u16;
    let seq = (i as u32).wrapping_mul(2_654_435_761);
    tcp_raw(
        w,
        (ATTACKER.mac, ATTACKER.ip, sport),
        (super::GATEWAY.mac, swept_address(i), 502),
        seq,
        None,
        true,
        &[],
    )
}

fn spoofed<W: Write>(w: &mut TraceWriter<W>, rng: &mut Rng, plc: Host) -> io::Result<()> {
    let src = rng.unicast();
    let sport = rng.u16().max(1024);
    let (seq, ack) = (rng.u32(), rng.u32());
    let req = modbus_adu(rng.u16(), 1, &[0x03, 0x00, 0x00, 0x00, 0x0a]);
    tcp_raw(
        w,
        (super::GATEWAY.mac, src, sport),
        (plc.mac, plc.ip, 502),
        seq,
        Some(ack),
        false,
        &req,
    )
}

fn syn<W: Write>(w: &mut TraceWriter<W>, rng: &mut Rng, server: Host) -> io::Result<()> {
    let src = rng.unicast();
    let sport = rng.u16().max(1024);
    let seq = rng.u32();
    tcp_raw(
        w,
        (super::GATEWAY.mac, src, sport),
        (server.mac, server.ip, 80),
        seq,
        None,
        true,
        &[],
    )
}

/// A first fragment of a 1 480-byte UDP datagram whose rest never comes: the UDP header
/// and 64 bytes of its payload, more-fragments set, a random id from a random source.
fn fragment<W: Write>(w: &mut TraceWriter<W>, rng: &mut Rng, plc: Host) -> io::Result<()> {
    const PART: usize = 72;
    let src = Ipv4Addr::from(0x0a00_0000 | (rng.u32() & 0x00ff_ffff));
    let mut ip = Ipv4Header::new(
        PART as u16,
        64,
        IpNumber::UDP,
        src.octets(),
        plc.ip.octets(),
    )
    .map_err(io::Error::other)?;
    ip.identification = rng.u16();
    ip.dont_fragment = false;
    ip.more_fragments = true;
    w.buf.clear();
    w.buf.extend_from_slice(&plc.mac);
    w.buf.extend_from_slice(&super::GATEWAY.mac);
    w.buf.extend_from_slice(&[0x08, 0x00]);
    ip.write(&mut w.buf)?;
    let sport = rng.u16();
    w.buf.extend_from_slice(&sport.to_be_bytes());
    w.buf.extend_from_slice(&5_000u16.to_be_bytes());
    // The UDP length and checksum of the whole datagram: unknowable from this part.
    w.buf.extend_from_slice(&1_480u16.to_be_bytes());
    w.buf.extend_from_slice(&[0, 0]);
    w.buf.resize(w.buf.len() + PART - 8, 0x5a);
    w.emit()
}

fn udp_port<W: Write>(w: &mut TraceWriter<W>, rng: &mut Rng, plc: Host) -> io::Result<()> {
    let sport = rng.u16().max(1024);
    let dport = rng.u16().max(1);
    w.udp(ATTACKER, plc, sport, dport, &[0u8; 16])
}

/// Even packets: a request from a random sender of 192.168.10.0/24 for a random address
/// of it. Odd packets: an unsolicited reply saying the gateway's address is at a random
/// MAC.
fn arp<W: Write>(w: &mut TraceWriter<W>, rng: &mut Rng, i: u64) -> io::Result<()> {
    let mac = rng.mac();
    let r = rng.u16();
    if i.is_multiple_of(2) {
        let sender = Host {
            mac,
            ip: Ipv4Addr::new(192, 168, 10, (r as u8).max(1)),
        };
        let target = Ipv4Addr::new(192, 168, 10, ((r >> 8) as u8).max(1));
        w.arp_request(sender, target)
    } else {
        w.buf.clear();
        w.buf.extend_from_slice(&HMI.mac);
        w.buf.extend_from_slice(&mac);
        w.buf
            .extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 2]);
        w.buf.extend_from_slice(&mac);
        w.buf.extend_from_slice(&super::GATEWAY.ip.octets());
        w.buf.extend_from_slice(&HMI.mac);
        w.buf.extend_from_slice(&HMI.ip.octets());
        w.buf.resize(60, 0);
        w.emit()
    }
}

/// 16 flows between two hosts whose every segment has a random sequence and ack number.
struct RandomSeqFlows {
    ports: [u16; 16],
}

impl RandomSeqFlows {
    fn new(rng: &mut Rng) -> RandomSeqFlows {
        let mut ports = [0u16; 16];
        for p in &mut ports {
            *p = 30_000 + rng.u16() % 30_000;
        }
        RandomSeqFlows { ports }
    }

    fn segment<W: Write>(&self, w: &mut TraceWriter<W>, rng: &mut Rng, i: u64) -> io::Result<()> {
        let port = self.ports.get((i % 16) as usize).copied().unwrap_or(30_000);
        let client = (ATTACKER.mac, ATTACKER.ip, port);
        let server = (PLCS[1].mac, PLCS[1].ip, 502);
        let (seq, ack) = (rng.u32(), rng.u32());
        let req = modbus_adu(rng.u16(), 1, &[0x03, 0x00, 0x00, 0x00, 0x0a]);
        // Both directions, as a forged or garbled stream seen on a SPAN port would be.
        if i % 32 < 16 {
            tcp_raw(w, client, server, seq, Some(ack), false, &req)
        } else {
            tcp_raw(w, server, client, seq, Some(ack), false, &req)
        }
    }
}
