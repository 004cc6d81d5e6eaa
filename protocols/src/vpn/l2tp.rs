//! L2TP on UDP 1701: L2TPv2 (RFC 2661 section 3.1) and L2TPv3 over UDP (RFC 3931 section
//! 4.1.2.1). Control messages are reported by their Message Type AVP (RFC 2661 section
//! 4.4.1: the first AVP, attribute 0); data messages once per flow.
//!
//! v2 header: flags+version(2) [length(2) if L] tunnel(2) session(2) [Ns(2) Nr(2) if S]
//! [offset size(2) + pad if O]. Control messages (T) must have L and S set.

use super::Emitter;
use crate::common::{Reader, be16_at};
use crate::event::AppProtocol;
use crate::parser::{DatagramParser, Direction, ParseCtx, Probe};
use crate::registry::{Category, DatagramOnly, On, PORT_ONLY, ProtocolSpec};

const T_BIT: u16 = 0x8000;
const L_BIT: u16 = 0x4000;
const S_BIT: u16 = 0x0800;
const O_BIT: u16 = 0x0200;

/// Control message type names (RFC 2661 section 3.2, RFC 3931 section 6).
pub fn message_name(t: u16) -> &'static str {
    match t {
        1 => "sccrq",
        2 => "sccrp",
        3 => "scccn",
        4 => "stopccn",
        6 => "hello",
        7 => "ocrq",
        8 => "ocrp",
        9 => "occn",
        10 => "icrq",
        11 => "icrp",
        12 => "iccn",
        14 => "cdn",
        15 => "wen",
        16 => "sli",
        _ => "control",
    }
}

/// What an L2TP datagram is: `(version, message)`.
pub fn classify(data: &[u8]) -> Option<(u8, &'static str)> {
    let flags = be16_at(data, 0)?;
    let version = u8::try_from(flags & 0x000F).ok()?;
    if version != 2 && version != 3 {
        return None;
    }
    let control = flags & T_BIT != 0;
    if version == 3 {
        // Over UDP, v3 control and data share this first word; data messages carry a
        // session ID here instead, which we cannot tell apart cheaply.
        return Some((3, if control { "control" } else { "data" }));
    }
    if !control {
        return Some((2, "data"));
    }
    if flags & L_BIT == 0 || flags & S_BIT == 0 {
        return None;
    }
    let mut r = Reader::new(data);
    r.be16()?; // flags
    let length = usize::from(r.be16()?);
    if length != data.len() {
        return None;
    }
    r.take(8)?; // tunnel, session, Ns, Nr
    if flags & O_BIT != 0 {
        let pad = r.be16()?;
        r.take(usize::from(pad))?;
    }
    // First AVP: M/H/length(2) vendor(2) attribute(2) value.
    let Some(avp_hdr) = r.be16() else {
        // No AVPs: a ZLB acknowledgement (RFC 2661 section 5.8).
        return Some((2, "zlb"));
    };
    let vendor = r.be16()?;
    let attr = r.be16()?;
    let value = r.be16()?;
    if avp_hdr & 0x03FF < 8 || vendor != 0 || attr != 0 {
        return None;
    }
    Some((2, message_name(value)))
}

/// Is `data` an L2TP v2/v3 header?
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    if classify(data).is_some() {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}

/// Per-flow L2TP state.
#[derive(Debug, Default)]
pub struct Parser {
    out: Emitter,
    data_seen: bool,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }
}

impl DatagramParser for Parser {
    fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, _dir: Direction, data: &[u8]) {
        match classify(data) {
            // Keepalives and acknowledgements say nothing new.
            Some((_, "hello" | "zlb")) | None => {}
            Some((v, "data")) => {
                if !self.data_seen {
                    self.data_seen = true;
                    self.out.emit(ctx, AppProtocol::L2tp, Some(v), "data");
                }
            }
            Some((v, m)) => self.out.emit(ctx, AppProtocol::L2tp, Some(v), m),
        }
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Vpn,
    udp: On::ports(&[1701]).probe(probe, PORT_ONLY),
    ip_proto: Some(115),
    parser: Some(|_| Box::new(DatagramOnly(Parser::default()))),
    ..ProtocolSpec::new(AppProtocol::L2tp, "l2tp")
};
