//! DHCPv4 (RFC 2131 section 2, options RFC 2132): host names and fingerprints for the
//! inventory.
//!
//! | field | offset | size |
//! | --- | --- | --- |
//! | op (1 request, 2 reply), htype (1 Ethernet), hlen (6), hops | 0 | 4 |
//! | xid, secs, flags | 4 | 8 |
//! | ciaddr, yiaddr, siaddr, giaddr | 12 | 16 |
//! | chaddr | 28 | 16 |
//! | sname, file | 44 | 192 |
//! | magic cookie 99.130.83.99 | 236 | 4 |
//! | options: code(1) len(1) value, 0 pad, 255 end | 240 | .. |

use crate::common::{ErrorBudget, capped};
use crate::event::{AppProtocol, EventKind};
use crate::parser::{DatagramParser, Direction, ParseCtx, Probe};
use crate::registry::{ANY_PORT, Category, DatagramOnly, On, ProtocolSpec};
use mizuban_capture::MacAddr;
use serde::Serialize;
use std::net::Ipv4Addr;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DhcpMessage {
    /// Option 53 (1 DISCOVER ... 8 INFORM); 0 if absent (BOOTP).
    pub message_type: u8,
    pub client_mac: MacAddr,
    /// Option 12, capped at 64 bytes.
    pub hostname: Option<String>,
    /// Option 60, capped at 64 bytes.
    pub vendor_class: Option<String>,
    /// Option 55, the parameter request list: the classic OS fingerprint.
    pub param_request_list: Vec<u8>,
    pub requested_ip: Option<Ipv4Addr>,
    pub your_ip: Option<Ipv4Addr>,
}

/// Host name and vendor class are capped at this many bytes.
pub const MAX_TEXT_LEN: usize = 64;
/// Options walked per message (a full options field holds at most ~300 one-byte pads).
const MAX_OPTIONS: usize = 256;
const OPTIONS_AT: usize = 240;
const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];

const OPT_PAD: u8 = 0;
const OPT_HOSTNAME: u8 = 12;
const OPT_REQUESTED_IP: u8 = 50;
const OPT_MESSAGE_TYPE: u8 = 53;
const OPT_PARAM_LIST: u8 = 55;
const OPT_VENDOR_CLASS: u8 = 60;
const OPT_END: u8 = 255;

/// Why a datagram is not a DHCP message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DhcpError {
    Short,
    BadHeader,
    NoMagicCookie,
}

impl DhcpError {
    pub fn reason(self) -> &'static str {
        match self {
            DhcpError::Short => "short",
            DhcpError::BadHeader => "bad_header",
            DhcpError::NoMagicCookie => "no_magic_cookie",
        }
    }
}

fn ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    <[u8; 4]>::try_from(b).ok().map(Ipv4Addr::from)
}

/// Decodes one DHCP message. A truncated options field keeps the options before the cut.
pub fn parse_message(d: &[u8]) -> Result<DhcpMessage, DhcpError> {
    if d.len() < OPTIONS_AT {
        return Err(DhcpError::Short);
    }
    let (Some(&op), Some(&htype), Some(&hlen)) = (d.first(), d.get(1), d.get(2)) else {
        return Err(DhcpError::Short);
    };
    if !(op == 1 || op == 2) || htype != 1 || hlen != 6 {
        return Err(DhcpError::BadHeader);
    }
    if d.get(236..240) != Some(&MAGIC_COOKIE[..]) {
        return Err(DhcpError::NoMagicCookie);
    }
    let mac: [u8; 6] = d
        .get(28..34)
        .and_then(|m| m.try_into().ok())
        .ok_or(DhcpError::Short)?;
    let mut m = DhcpMessage {
        message_type: 0,
        client_mac: MacAddr(mac),
        hostname: None,
        vendor_class: None,
        param_request_list: Vec::new(),
        requested_ip: None,
        your_ip: d.get(16..20).and_then(ipv4).filter(|a| !a.is_unspecified()),
    };
    let mut pos = OPTIONS_AT;
    for _ in 0..MAX_OPTIONS {
        let Some(&code) = d.get(pos) else { break };
        match code {
            OPT_PAD => {
                pos = pos.saturating_add(1);
                continue;
            }
            OPT_END => break,
            _ => {}
        }
        let Some(&len) = d.get(pos.saturating_add(1)) else {
            break;
        };
        let start = pos.saturating_add(2);
        let end = start.saturating_add(usize::from(len));
        let Some(v) = d.get(start..end) else { break };
        match code {
            OPT_MESSAGE_TYPE => m.message_type = v.first().copied().unwrap_or(0),
            OPT_HOSTNAME => m.hostname = Some(capped(v, MAX_TEXT_LEN)),
            OPT_VENDOR_CLASS => m.vendor_class = Some(capped(v, MAX_TEXT_LEN)),
            OPT_PARAM_LIST => m.param_request_list = v.to_vec(),
            OPT_REQUESTED_IP => m.requested_ip = ipv4(v),
            _ => {}
        }
        pos = end;
    }
    Ok(m)
}

/// Is this datagram a BOOTP/DHCP message with the DHCP magic cookie?
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    if parse_message(data).is_ok() {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}

/// Per-flow DHCP state.
#[derive(Debug, Default)]
pub struct Parser {
    errors: ErrorBudget,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }
}

impl DatagramParser for Parser {
    fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, _dir: Direction, data: &[u8]) {
        if self.errors.exhausted() {
            return;
        }
        match parse_message(data) {
            Ok(m) => ctx.emit(EventKind::Dhcp(m)),
            Err(e) => self.errors.report(ctx, AppProtocol::Dhcp, e.reason()),
        }
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Other,
    udp: On::ports(&[67, 68]).probe(probe, ANY_PORT),
    parser: Some(|_| Box::new(DatagramOnly(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::Dhcp, "dhcp")
};

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::common::testutil::datagrams;

    /// DHCPREQUEST from 00:11:22:33:44:55 with host name "hmi-01", vendor class
    /// "MSFT 5.0", parameter list [1, 3, 6, 15], requested 192.168.1.50.
    fn request() -> Vec<u8> {
        let mut d = vec![0u8; 240];
        d[0] = 1; // op BOOTREQUEST
        d[1] = 1; // htype Ethernet
        d[2] = 6; // hlen
        d[28..34].copy_from_slice(&[0x00, 0x11, 0x22, 0x33, 0x44, 0x55]); // chaddr
        d[236..240].copy_from_slice(&MAGIC_COOKIE);
        d.extend_from_slice(&[53, 1, 3]); // DHCPREQUEST
        d.extend_from_slice(&[0]); // pad
        d.extend_from_slice(&[12, 6]);
        d.extend_from_slice(b"hmi-01");
        d.extend_from_slice(&[60, 8]);
        d.extend_from_slice(b"MSFT 5.0");
        d.extend_from_slice(&[55, 4, 1, 3, 6, 15]);
        d.extend_from_slice(&[50, 4, 192, 168, 1, 50]);
        d.push(255);
        d
    }

    #[test]
    fn request_fields() {
        let mut p = Parser::new();
        let ev = datagrams(&mut p, &[(Direction::ToServer, &request())]);
        let [EventKind::Dhcp(m)] = &ev[..] else {
            panic!("{ev:?}")
        };
        assert_eq!(m.message_type, 3);
        assert_eq!(m.client_mac.to_string(), "00:11:22:33:44:55");
        assert_eq!(m.hostname.as_deref(), Some("hmi-01"));
        assert_eq!(m.vendor_class.as_deref(), Some("MSFT 5.0"));
        assert_eq!(m.param_request_list, [1, 3, 6, 15]);
        assert_eq!(m.requested_ip, Some(Ipv4Addr::new(192, 168, 1, 50)));
        assert_eq!(m.your_ip, None);
    }

    #[test]
    fn truncated_option_keeps_earlier_ones() {
        let mut d = request();
        d.truncate(240 + 3 + 1 + 2 + 3); // cut inside the host name
        let m = parse_message(&d).unwrap();
        assert_eq!(m.message_type, 3);
        assert_eq!(m.hostname, None);
    }

    #[test]
    fn not_dhcp() {
        assert_eq!(parse_message(&[1; 100]), Err(DhcpError::Short));
        let mut d = request();
        d[236] = 0;
        assert_eq!(parse_message(&d), Err(DhcpError::NoMagicCookie));
        assert_eq!(probe(&d, Direction::ToServer), Probe::NoMatch);
        assert_eq!(probe(&request(), Direction::ToServer), Probe::Match);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;
        proptest! {
            #[test]
            fn arbitrary_options_never_panic(opts in proptest::collection::vec(any::<u8>(), 0..400)) {
                let mut d = request();
                d.truncate(240);
                d.extend_from_slice(&opts);
                let _ = parse_message(&d);
            }
        }
    }
}
