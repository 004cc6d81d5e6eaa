//! IKEv1 (RFC 2408 section 3.1) and IKEv2 (RFC 7296 section 3.1) headers on UDP 500 and
//! 4500. On 4500 IKE follows a 4-byte zero non-ESP marker (RFC 3948 section 2.2); a
//! non-zero first word there is ESP-in-UDP, a lone 0xFF byte a NAT keepalive.
//!
//! | field | offset | size |
//! | --- | --- | --- |
//! | initiator SPI | 0 | 8 |
//! | responder SPI | 8 | 8 |
//! | next payload | 16 | 1 |
//! | major version (high nibble), minor (low) | 17 | 1 |
//! | exchange type | 18 | 1 |
//! | flags | 19 | 1 |
//! | message ID | 20 | 4 |
//! | length (whole message) | 24 | 4 |

use super::Emitter;
use crate::common::be32_at;
use crate::event::AppProtocol;
use crate::parser::{DatagramParser, Direction, ParseCtx, Probe};
use crate::registry::{ANY_PORT, Category, DatagramOnly, On, ProtocolSpec};

pub const HEADER_LEN: usize = 28;

/// Exchange type name for a major version, `None` if not a defined one.
pub fn exchange_name(major: u8, exchange: u8) -> Option<&'static str> {
    match (major, exchange) {
        // RFC 2408 section 3.1 and RFC 2409 section 5 (Main = Identity Protection).
        (1, 1) => Some("base"),
        (1, 2) => Some("main_mode"),
        (1, 3) => Some("authentication_only"),
        (1, 4) => Some("aggressive_mode"),
        (1, 5) => Some("informational"),
        (1, 32) => Some("quick_mode"),
        (1, 33) => Some("new_group_mode"),
        // RFC 7296 section 3.1, RFC 5723, RFC 9242.
        (2, 34) => Some("ike_sa_init"),
        (2, 35) => Some("ike_auth"),
        (2, 36) => Some("create_child_sa"),
        (2, 37) => Some("informational"),
        (2, 38) => Some("ike_session_resume"),
        (2, 43) => Some("ike_intermediate"),
        _ => None,
    }
}

/// What one UDP payload on an IKE port is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Payload<'a> {
    Ike {
        major: u8,
        exchange: &'static str,
        msg: &'a [u8],
    },
    EspInUdp,
    NatKeepalive,
    Other,
}

/// Classifies a UDP payload (with or without the non-ESP marker).
pub fn classify(data: &[u8]) -> Payload<'_> {
    if data == [0xFF] {
        return Payload::NatKeepalive;
    }
    let msg = match data.get(..4) {
        Some([0, 0, 0, 0]) => data.get(4..).unwrap_or(&[]),
        _ => data,
    };
    if let Some(p) = header(msg) {
        return p;
    }
    // RFC 3948: on 4500 a non-zero first word is an ESP SPI. SPIs 1-255 are reserved.
    if msg.len() == data.len() && be32_at(data, 0).is_some_and(|spi| spi > 255) && data.len() >= 16
    {
        return Payload::EspInUdp;
    }
    Payload::Other
}

fn header(msg: &[u8]) -> Option<Payload<'_>> {
    let version = *msg.get(17)?;
    let exchange = *msg.get(18)?;
    let len = usize::try_from(be32_at(msg, 24)?).ok()?;
    let major = version >> 4;
    let name = exchange_name(major, exchange)?;
    // The declared length covers the whole message: UDP gives it to us whole.
    if len < HEADER_LEN || len != msg.len() {
        return None;
    }
    Some(Payload::Ike {
        major,
        exchange: name,
        msg,
    })
}

/// Is `data` an IKE message (after an optional non-ESP marker)?
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    match classify(data) {
        Payload::Ike { .. } => Probe::Match,
        // A datagram is whole: too short is not IKE.
        _ => Probe::NoMatch,
    }
}

/// Per-flow IKE state.
#[derive(Debug, Default)]
pub struct Parser {
    out: Emitter,
    esp_seen: bool,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }
}

impl DatagramParser for Parser {
    fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, _dir: Direction, data: &[u8]) {
        match classify(data) {
            Payload::Ike {
                major, exchange, ..
            } => {
                self.out
                    .emit(ctx, AppProtocol::IkeIpsec, Some(major), exchange);
            }
            Payload::EspInUdp if !self.esp_seen => {
                self.esp_seen = true;
                self.out.emit(ctx, AppProtocol::Esp, None, "esp_in_udp");
            }
            _ => {}
        }
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Vpn,
    udp: On::ports(&[500, 4500]).probe(probe, ANY_PORT),
    parser: Some(|_| Box::new(DatagramOnly(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::IkeIpsec, "ike")
};
