//! DNS message decoding (RFC 1035 section 4.1): header, first question, answer records.
//!
//! | field | offset | size |
//! | --- | --- | --- |
//! | ID | 0 | 2 |
//! | QR(1) Opcode(4) AA TC RD RA Z(3) RCODE(4) | 2 | 2 |
//! | QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT | 4 | 2 each |
//! | questions: QNAME, QTYPE(2), QCLASS(2) | 12 | .. |
//! | answers: NAME, TYPE(2), CLASS(2), TTL(4), RDLENGTH(2), RDATA | .. | .. |

use super::{DnsAnswer, DnsMessage, HEADER_LEN};
use crate::common::{Reader, be16_at};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Longest name we keep, in presentation bytes (RFC 1035 section 2.3.4 limits a name to
/// 255 octets on the wire).
pub const MAX_NAME_LEN: usize = 255;
/// Compression pointers followed while decoding one name; more is a loop.
pub const MAX_POINTER_JUMPS: usize = 16;
/// Answer records kept per message; the rest are not decoded.
pub const MAX_ANSWERS: usize = 16;
/// Answer records walked per message (kept or not) before we stop.
const MAX_RECORDS_WALKED: usize = 64;
/// Labels per name (a 255-byte name has at most 127).
const MAX_LABELS: usize = 128;

const TYPE_A: u16 = 1;
const TYPE_CNAME: u16 = 5;
const TYPE_PTR: u16 = 12;
const TYPE_AAAA: u16 = 28;

/// Why a message could not be decoded.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DnsError {
    /// Fewer than 12 bytes.
    ShortHeader,
    /// A name, type or class ran past the end of the message.
    Truncated,
    /// A compression pointer loop or too many jumps.
    PointerLoop,
    /// A label type other than 0b00 (literal) or 0b11 (pointer).
    BadLabel,
}

impl DnsError {
    /// Closed snake_case name for `ParseError::reason`.
    pub fn reason(self) -> &'static str {
        match self {
            DnsError::ShortHeader => "short_header",
            DnsError::Truncated => "truncated",
            DnsError::PointerLoop => "pointer_loop",
            DnsError::BadLabel => "bad_label",
        }
    }
}

impl std::fmt::Display for DnsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for DnsError {}

/// Decodes a name starting at `at` in `msg`. Returns the dotted name (capped at
/// [`MAX_NAME_LEN`], non-UTF-8 replaced) and the offset just past the name as it sits at
/// `at` (a pointer ends the name in place: RFC 1035 section 4.1.4).
pub(crate) fn read_name(msg: &[u8], at: usize) -> Result<(String, usize), DnsError> {
    let mut out: Vec<u8> = Vec::new();
    let mut pos = at;
    let mut end: Option<usize> = None;
    let mut jumps = 0usize;
    for _ in 0..MAX_LABELS.saturating_add(MAX_POINTER_JUMPS) {
        let len = *msg.get(pos).ok_or(DnsError::Truncated)?;
        match len & 0xC0 {
            0x00 => {
                let next = pos.saturating_add(1);
                if len == 0 {
                    let name = String::from_utf8_lossy(&out).into_owned();
                    return Ok((name, end.unwrap_or(next)));
                }
                let label_end = next.saturating_add(usize::from(len));
                let label = msg.get(next..label_end).ok_or(DnsError::Truncated)?;
                if out.len() < MAX_NAME_LEN {
                    if !out.is_empty() {
                        out.push(b'.');
                    }
                    out.extend_from_slice(label);
                    out.truncate(MAX_NAME_LEN);
                }
                pos = label_end;
            }
            0xC0 => {
                let low = *msg.get(pos.saturating_add(1)).ok_or(DnsError::Truncated)?;
                let target = usize::from(u16::from_be_bytes([len & 0x3F, low]));
                if end.is_none() {
                    end = Some(pos.saturating_add(2));
                }
                jumps = jumps.saturating_add(1);
                // A pointer must point backwards (to an earlier name): a forward or self
                // pointer is how loops are built.
                if jumps > MAX_POINTER_JUMPS || target >= pos {
                    return Err(DnsError::PointerLoop);
                }
                pos = target;
            }
            _ => return Err(DnsError::BadLabel),
        }
    }
    Err(DnsError::PointerLoop)
}

/// Decodes a message: header, the first question, up to [`MAX_ANSWERS`] A/AAAA/CNAME/PTR
/// answers. A record that runs past the end stops the walk but keeps what came before
/// (lax: truncated UDP responses still tell us the name).
pub fn parse_message(msg: &[u8]) -> Result<DnsMessage, DnsError> {
    parse_sections(msg, false)
}

/// [`parse_message`], keeping authority and additional records too (mDNS).
pub fn parse_message_all_sections(msg: &[u8]) -> Result<DnsMessage, DnsError> {
    parse_sections(msg, true)
}

fn parse_sections(msg: &[u8], all_sections: bool) -> Result<DnsMessage, DnsError> {
    if msg.len() < HEADER_LEN {
        return Err(DnsError::ShortHeader);
    }
    let mut r = Reader::new(msg);
    let trans_id = r.be16().ok_or(DnsError::ShortHeader)?;
    let flags = r.be16().ok_or(DnsError::ShortHeader)?;
    let qdcount = r.be16().ok_or(DnsError::ShortHeader)?;
    let ancount = r.be16().ok_or(DnsError::ShortHeader)?;
    let nscount = r.be16().ok_or(DnsError::ShortHeader)?;
    let arcount = r.be16().ok_or(DnsError::ShortHeader)?;
    // mDNS puts a service's address records in the additional section (RFC 6763
    // section 12): there, every section's records are kept.
    let records = if all_sections {
        usize::from(ancount)
            .saturating_add(usize::from(nscount))
            .saturating_add(usize::from(arcount))
    } else {
        usize::from(ancount)
    };
    let mut m = DnsMessage {
        trans_id,
        response: flags & 0x8000 != 0,
        opcode: u8::try_from((flags >> 11) & 0xF).unwrap_or(0),
        rcode: u8::try_from(flags & 0xF).unwrap_or(0),
        query: None,
        qtype: 0,
        answers: Vec::new(),
    };
    let mut pos = HEADER_LEN;
    for q in 0..qdcount {
        let (name, end) = read_name(msg, pos)?;
        let qtype = be16_at(msg, end).ok_or(DnsError::Truncated)?;
        // QTYPE + QCLASS.
        pos = end.saturating_add(4);
        if pos > msg.len() {
            return Err(DnsError::Truncated);
        }
        if q == 0 {
            m.query = Some(name);
            m.qtype = qtype;
        }
        if usize::from(q) >= MAX_RECORDS_WALKED {
            return Ok(m);
        }
    }
    for _ in 0..records.min(MAX_RECORDS_WALKED) {
        if m.answers.len() >= MAX_ANSWERS {
            break;
        }
        let Ok((name, end)) = read_name(msg, pos) else {
            break;
        };
        let mut rr = Reader::new(msg.get(end..).unwrap_or(&[]));
        let (Some(rtype), Some(_class), Some(ttl), Some(rdlen)) =
            (rr.be16(), rr.be16(), rr.be32(), rr.be16())
        else {
            break;
        };
        let rdata_at = end.saturating_add(rr.pos());
        let Some(rdata) = rr.take(usize::from(rdlen)) else {
            break;
        };
        pos = rdata_at.saturating_add(usize::from(rdlen));
        let mut answer = DnsAnswer {
            name,
            rtype,
            addr: None,
            target: None,
            ttl,
        };
        match rtype {
            TYPE_A => {
                let Ok(b) = <[u8; 4]>::try_from(rdata) else {
                    continue;
                };
                answer.addr = Some(IpAddr::V4(Ipv4Addr::from(b)));
            }
            TYPE_AAAA => {
                let Ok(b) = <[u8; 16]>::try_from(rdata) else {
                    continue;
                };
                answer.addr = Some(IpAddr::V6(Ipv6Addr::from(b)));
            }
            TYPE_CNAME | TYPE_PTR => {
                let Ok((target, _)) = read_name(msg, rdata_at) else {
                    continue;
                };
                answer.target = Some(target);
            }
            _ => continue,
        }
        m.answers.push(answer);
    }
    Ok(m)
}
