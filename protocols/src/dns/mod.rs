//! DNS over UDP and TCP (RFC 1035): the first question and the answers policy needs
//! (addresses and the names they were reached through).
//!
//! - UDP: one message per datagram ([`crate::parser::DatagramParser`]).
//! - TCP: each message has a 2-byte length prefix (RFC 1035 section 4.2.2); a message
//!   longer than [`MAX_TCP_MESSAGE`] is parsed from its first bytes and the rest skipped.
//!
//! `Parser` implements both traits; the engine picks by transport.

mod wire;

pub use wire::{
    DnsError, MAX_ANSWERS, MAX_NAME_LEN, MAX_POINTER_JUMPS, parse_message,
    parse_message_all_sections,
};

use crate::common::{ErrorBudget, StreamBuf};
use crate::event::{AppProtocol, EventKind};
use crate::parser::{DatagramParser, Direction, ParseCtx, Probe, StreamParser};
use crate::registry::{ANY_PORT, Both, Category, On, PORT_ONLY, ProtocolSpec};
use serde::Serialize;
use std::net::IpAddr;

/// One answer record we keep: addresses (A/AAAA) and names (CNAME/PTR).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DnsAnswer {
    pub name: String,
    pub rtype: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub ttl: u32,
}

/// A DNS query or response. Names are capped at 255 bytes, answers at 16.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DnsMessage {
    pub trans_id: u16,
    pub response: bool,
    pub opcode: u8,
    pub rcode: u8,
    pub query: Option<String>,
    pub qtype: u16,
    pub answers: Vec<DnsAnswer>,
}

/// Largest TCP DNS message we buffer; longer ones are parsed from this prefix.
pub const MAX_TCP_MESSAGE: usize = 16 * 1024;
/// DNS header length (RFC 1035 section 4.1.1).
pub const HEADER_LEN: usize = 12;
/// More questions than this in one message is not DNS as resolvers send it.
const MAX_PLAUSIBLE_QDCOUNT: u16 = 4;

/// Payload probe for one UDP datagram, or the first TCP bytes (with the length prefix).
/// A query must have QR clear and one question whose name parses; a response QR set.
pub fn probe(data: &[u8], dir: Direction) -> Probe {
    match probe_message(data, dir) {
        // A datagram is whole: too short is not DNS.
        Probe::NeedMore => Probe::NoMatch,
        p => p,
    }
}

/// Probe for DNS over TCP: the 2-byte length prefix, then [`probe`] on the message.
pub fn probe_tcp(data: &[u8], dir: Direction) -> Probe {
    let Some(len) = crate::common::be16_at(data, 0) else {
        return Probe::NeedMore;
    };
    if usize::from(len) < HEADER_LEN {
        return Probe::NoMatch;
    }
    let msg = data.get(2..).unwrap_or(&[]);
    match probe_message(msg, dir) {
        // A message cut by the segment boundary may still be DNS.
        Probe::NoMatch if msg.len() < usize::from(len) && msg.len() < 64 => Probe::NeedMore,
        p => p,
    }
}

fn probe_message(data: &[u8], dir: Direction) -> Probe {
    if data.len() < HEADER_LEN {
        return Probe::NeedMore;
    }
    let flags = crate::common::be16_at(data, 2).unwrap_or(0);
    let qr = flags & 0x8000 != 0;
    let opcode = (flags >> 11) & 0xF;
    let qdcount = crate::common::be16_at(data, 4).unwrap_or(0);
    // Opcodes in use: QUERY, IQUERY, STATUS, NOTIFY, UPDATE (RFC 6895 section 2.2).
    if !matches!(opcode, 0 | 1 | 2 | 4 | 5) || qdcount > MAX_PLAUSIBLE_QDCOUNT {
        return Probe::NoMatch;
    }
    if dir == Direction::ToServer && (qr || qdcount != 1) {
        return Probe::NoMatch;
    }
    if is_netbios_name(data) {
        return Probe::NoMatch;
    }
    match parse_message(data) {
        Ok(m) if m.query.is_some() || qdcount == 0 => Probe::Match,
        _ => Probe::NoMatch,
    }
}

/// NBNS (RFC 1002 section 4.2) shares DNS's header; what gives it away is the first
/// name: one 32-character label in the first-level encoding ('A'..='P'), usually with
/// type NB (0x20) or NBSTAT (0x21). A DNS name of exactly that shape is vanishingly
/// rare, so such a message is never taken for DNS.
fn is_netbios_name(msg: &[u8]) -> bool {
    let first = msg.get(HEADER_LEN).copied();
    first == Some(32)
        && msg
            .get(HEADER_LEN.saturating_add(1)..HEADER_LEN.saturating_add(33))
            .is_some_and(crate::netbios::name::is_encoded_label)
}

/// Which protocol of the DNS message family a flow carries: the wire format is the
/// same, the meaning is not (mDNS and LLMNR names are link-local, never lookups of
/// internet names), so each has its own event type.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Flavor {
    #[default]
    Dns,
    /// RFC 6762, UDP 5353. `answers` holds every section's records (address records
    /// of an announcement travel in the additional section).
    Mdns,
    /// RFC 4795, UDP 5355.
    Llmnr,
}

impl Flavor {
    pub fn protocol(self) -> AppProtocol {
        match self {
            Flavor::Dns => AppProtocol::Dns,
            Flavor::Mdns => AppProtocol::Mdns,
            Flavor::Llmnr => AppProtocol::Llmnr,
        }
    }
    fn event(self, m: DnsMessage) -> EventKind {
        match self {
            Flavor::Dns => EventKind::Dns(m),
            Flavor::Mdns => EventKind::Mdns(m),
            Flavor::Llmnr => EventKind::Llmnr(m),
        }
    }
}

/// Per-flow DNS state: TCP reassembly buffers per direction and the error budget.
#[derive(Debug, Default)]
pub struct Parser {
    flavor: Flavor,
    bufs: [StreamBuf; 2],
    /// Bytes of an over-long TCP message still to skip, per direction.
    skip: [usize; 2],
    errors: ErrorBudget,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }

    pub fn with_flavor(flavor: Flavor) -> Parser {
        Parser {
            flavor,
            ..Parser::default()
        }
    }

    fn handle(&mut self, ctx: &mut ParseCtx<'_>, msg: &[u8]) {
        let parsed = if self.flavor == Flavor::Mdns {
            parse_message_all_sections(msg)
        } else {
            parse_message(msg)
        };
        match parsed {
            Ok(m) => ctx.emit(self.flavor.event(m)),
            Err(e) => self.errors.report(ctx, self.flavor.protocol(), e.reason()),
        }
    }
}

impl DatagramParser for Parser {
    fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, _dir: Direction, data: &[u8]) {
        if self.errors.exhausted() {
            return;
        }
        self.handle(ctx, data);
    }
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, mut data: &[u8]) {
        let i = dir.index();
        // Bounded: each pass consumes at least the 2-byte prefix or all of `data`.
        while !data.is_empty() && !self.errors.exhausted() {
            let skip = self.skip.get(i).copied().unwrap_or(0);
            if skip > 0 {
                let n = skip.min(data.len());
                data = data.get(n..).unwrap_or(&[]);
                if let Some(s) = self.skip.get_mut(i) {
                    *s = skip.saturating_sub(n);
                }
                continue;
            }
            // Fast path: a whole message at the start of `data`, nothing buffered.
            if self.bufs.get(i).is_some_and(StreamBuf::is_empty)
                && let Some(len) = crate::common::be16_at(data, 0).map(usize::from)
                && len > 0
                && let Some(msg) = data.get(2..len.saturating_add(2))
            {
                data = data.get(len.saturating_add(2)..).unwrap_or(&[]);
                self.handle(ctx, msg);
                continue;
            }
            let Some(buf) = self.bufs.get_mut(i) else {
                return;
            };
            // Take just enough to complete the prefix, then the message (or the part of
            // it we keep), so the rest stays in `data` for the next pass.
            let declared = crate::common::be16_at(buf.bytes(), 0).map(usize::from);
            let want = match declared {
                Some(len) => len.min(MAX_TCP_MESSAGE).saturating_add(2),
                None => 2,
            };
            let n = want.saturating_sub(buf.len()).min(data.len());
            let (head, tail) = data.split_at_checked(n).unwrap_or((data, &[]));
            data = tail;
            buf.push(head, MAX_TCP_MESSAGE.saturating_add(2));
            let Some(len) =
                declared.or_else(|| crate::common::be16_at(buf.bytes(), 0).map(usize::from))
            else {
                continue;
            };
            let kept = len.min(MAX_TCP_MESSAGE).saturating_add(2);
            if buf.len() < kept {
                continue;
            }
            let msg = buf.bytes().get(2..kept).unwrap_or(&[]).to_vec();
            buf.clear();
            if let Some(s) = self.skip.get_mut(i) {
                *s = len.saturating_sub(MAX_TCP_MESSAGE);
            }
            if len == 0 {
                self.errors
                    .report(ctx, AppProtocol::Dns, "zero_length_message");
                continue;
            }
            self.handle(ctx, &msg);
        }
    }

    fn on_gap(&mut self, _ctx: &mut ParseCtx<'_>, dir: Direction, _len: u64) {
        // The length prefix is lost with the gap: drop the partial message. We resync on
        // the next segment, assuming it starts a message (there is no marker to search).
        if let Some(b) = self.bufs.get_mut(dir.index()) {
            b.clear();
        }
        if let Some(s) = self.skip.get_mut(dir.index()) {
            *s = 0;
        }
    }
}

/// Registry entry of dns (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Naming,
    tcp: On::ports(&[53]).probe(probe_tcp, PORT_ONLY),
    udp: On::ports(&[53]).probe(probe, ANY_PORT),
    parser: Some(|_| Box::new(Both(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::Dns, "dns")
};

/// Registry entry of mdns (see [`crate::registry`]).
pub const MDNS_SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Naming,
    udp: On::ports(&[5353]).probe(probe, PORT_ONLY),
    parser: Some(|_| Box::new(Both(Parser::with_flavor(Flavor::Mdns)))),
    ..ProtocolSpec::new(AppProtocol::Mdns, "mdns")
};

/// Registry entry of llmnr (see [`crate::registry`]).
pub const LLMNR_SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Naming,
    udp: On::ports(&[5355]).probe(probe, PORT_ONLY),
    parser: Some(|_| Box::new(Both(Parser::with_flavor(Flavor::Llmnr)))),
    ..ProtocolSpec::new(AppProtocol::Llmnr, "llmnr")
};

#[cfg(test)]
mod tests;
