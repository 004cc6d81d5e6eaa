//! NetBIOS name service messages (RFC 1002 section 4.2), UDP 137.
//!
//! | field | offset | size |
//! | --- | --- | --- |
//! | NAME_TRN_ID | 0 | 2 |
//! | R(1) OPCODE(4) NM_FLAGS(7: AA TC RD RA 0 0 B) RCODE(4) | 2 | 2 |
//! | QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT | 4 | 2 each |
//! | questions: NAME, TYPE(2), CLASS(2) | 12 | .. |
//! | records: NAME, TYPE(2), CLASS(2), TTL(4), RDLENGTH(2), RDATA | .. | .. |
//!
//! NAME is a length-prefixed 32-byte encoded label, optional scope labels, and a zero
//! (or a 0xC0 compression pointer, section 4.1). NB RDATA is a list of NB_FLAGS(2)
//! NB_ADDRESS(4) entries (4.2.2); NBSTAT RDATA (node status, 4.2.18) is NUM_NAMES(1)
//! then NAME(16) NAME_FLAGS(2) per name, then statistics (the MAC address first).

use super::event::{NbAddress, NbRecord, NbnsMessage, NodeName};
use super::name::{ENCODED_LEN, NAME_LEN, NetbiosName, decode_label};
use crate::common::{Reader, be16_at};
use std::net::Ipv4Addr;

pub const HEADER_LEN: usize = 12;
/// Records kept per message (answers, authority and additional, in order).
pub const MAX_RECORDS: usize = 8;
/// Addresses kept per NB record (a multihomed host has a few).
pub const MAX_ADDRESSES: usize = 8;
/// Names kept from one node status response (a host registers a dozen at most).
pub const MAX_NODE_NAMES: usize = 32;
/// Records walked per message, kept or not.
const MAX_RECORDS_WALKED: usize = 32;
/// Scope labels skipped after the encoded name.
const MAX_SCOPE_LABELS: usize = 16;

pub const TYPE_NB: u16 = 0x0020;
pub const TYPE_NBSTAT: u16 = 0x0021;

/// Why a message could not be decoded.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NsError {
    ShortHeader,
    /// A name, type or record ran past the end of the datagram.
    Truncated,
    /// The name is not a 32-byte first-level encoded label.
    BadName,
    /// An opcode RFC 1002 does not define.
    BadOpcode,
}

impl NsError {
    pub fn reason(self) -> &'static str {
        match self {
            NsError::ShortHeader => "short_header",
            NsError::Truncated => "truncated",
            NsError::BadName => "bad_name",
            NsError::BadOpcode => "bad_opcode",
        }
    }
}

impl std::fmt::Display for NsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for NsError {}

/// The operation an opcode names (RFC 1002 section 4.2.1.1; 9 is the refresh opcode
/// Windows sends, as tshark notes).
pub fn opcode_name(op: u8) -> Option<&'static str> {
    Some(match op {
        0 => "query",
        5 => "registration",
        6 => "release",
        7 => "wack",
        8 | 9 => "refresh",
        15 => "multihomed_registration",
        _ => return None,
    })
}

/// Reads a name at `at`: the encoded label and any scope labels, or a pointer to a name
/// earlier in the message. Returns the decoded name and the offset past it.
fn read_name(msg: &[u8], at: usize) -> Result<(NetbiosName, usize), NsError> {
    let len = *msg.get(at).ok_or(NsError::Truncated)?;
    if len & 0xC0 == 0xC0 {
        // A pointer (RFC 1002 section 4.1, as in DNS); one hop, never recursive.
        let lo = *msg.get(at.saturating_add(1)).ok_or(NsError::Truncated)?;
        let target = usize::from(len & 0x3F) << 8 | usize::from(lo);
        if target >= at {
            return Err(NsError::BadName);
        }
        let (name, _) = read_label(msg, target)?;
        return Ok((name, at.saturating_add(2)));
    }
    read_label(msg, at)
}

fn read_label(msg: &[u8], at: usize) -> Result<(NetbiosName, usize), NsError> {
    if usize::from(*msg.get(at).ok_or(NsError::Truncated)?) != ENCODED_LEN {
        return Err(NsError::BadName);
    }
    let start = at.saturating_add(1);
    let label = msg
        .get(start..start.saturating_add(ENCODED_LEN))
        .ok_or(NsError::Truncated)?;
    let raw = decode_label(label).ok_or(NsError::BadName)?;
    let mut pos = start.saturating_add(ENCODED_LEN);
    for _ in 0..MAX_SCOPE_LABELS {
        let l = *msg.get(pos).ok_or(NsError::Truncated)?;
        pos = pos.saturating_add(1);
        if l == 0 {
            return Ok((NetbiosName::from_raw(&raw), pos));
        }
        if l & 0xC0 != 0 {
            return Err(NsError::BadName);
        }
        pos = pos.saturating_add(usize::from(l));
    }
    Err(NsError::BadName)
}

/// Decodes one name service datagram.
pub fn parse_message(msg: &[u8]) -> Result<NbnsMessage, NsError> {
    if msg.len() < HEADER_LEN {
        return Err(NsError::ShortHeader);
    }
    let trans_id = be16_at(msg, 0).unwrap_or(0);
    let flags = be16_at(msg, 2).unwrap_or(0);
    let response = flags & 0x8000 != 0;
    let opcode = u8::try_from((flags >> 11) & 0xF).unwrap_or(0);
    let operation = opcode_name(opcode).ok_or(NsError::BadOpcode)?;
    let rcode = u8::try_from(flags & 0xF).unwrap_or(0);
    let broadcast = flags & 0x0010 != 0;
    let counts: [u16; 4] = [4, 6, 8, 10].map(|o| be16_at(msg, o).unwrap_or(0));
    let [qd, an, ns, ar] = counts;
    let mut pos = HEADER_LEN;
    let mut question = None;
    let mut qtype = 0;
    for i in 0..qd.min(4) {
        let (name, next) = read_name(msg, pos)?;
        let mut r = Reader::new(msg.get(next..).ok_or(NsError::Truncated)?);
        let t = r.be16().ok_or(NsError::Truncated)?;
        r.be16().ok_or(NsError::Truncated)?;
        pos = next.saturating_add(4);
        if i == 0 {
            question = Some(name);
            qtype = t;
        }
    }
    let mut records = Vec::new();
    let mut node_names = Vec::new();
    let mut mac = None;
    let total = usize::from(an)
        .saturating_add(usize::from(ns))
        .saturating_add(usize::from(ar));
    for _ in 0..total.min(MAX_RECORDS_WALKED) {
        let (name, next) = read_name(msg, pos)?;
        let mut r = Reader::new(msg.get(next..).ok_or(NsError::Truncated)?);
        let rtype = r.be16().ok_or(NsError::Truncated)?;
        let _class = r.be16().ok_or(NsError::Truncated)?;
        let ttl = r.be32().ok_or(NsError::Truncated)?;
        let rdlen = usize::from(r.be16().ok_or(NsError::Truncated)?);
        // A record cut short by the datagram end is decoded as far as it goes: WACK and
        // negative responses often carry RDLENGTH without the data.
        let rdata_start = next.saturating_add(10);
        let rdata = msg
            .get(rdata_start..rdata_start.saturating_add(rdlen).min(msg.len()))
            .unwrap_or(&[]);
        pos = rdata_start.saturating_add(rdlen);
        let mut addresses = Vec::new();
        if rtype == TYPE_NB {
            for e in rdata.chunks_exact(6).take(MAX_ADDRESSES) {
                let (f, a) = e.split_at(2);
                let nb_flags = be16_at(f, 0).unwrap_or(0);
                let octets: [u8; 4] = a.try_into().unwrap_or([0; 4]);
                addresses.push(NbAddress {
                    addr: Ipv4Addr::from(octets),
                    group: nb_flags & 0x8000 != 0,
                    node_type: node_type(nb_flags),
                });
            }
        } else if rtype == TYPE_NBSTAT {
            mac = node_status(rdata, &mut node_names);
        }
        if records.len() < MAX_RECORDS {
            records.push(NbRecord {
                name,
                rtype,
                ttl,
                addresses,
            });
        }
        if pos > msg.len() {
            break;
        }
    }
    Ok(NbnsMessage {
        sender: std::net::IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        trans_id,
        response,
        opcode,
        operation,
        rcode,
        broadcast,
        query: question,
        qtype,
        records,
        node_names,
        mac,
    })
}

/// ONT bits of NB_FLAGS (RFC 1002 section 4.2.1.3; 3 is Microsoft's hybrid node).
fn node_type(nb_flags: u16) -> &'static str {
    match (nb_flags >> 13) & 0x3 {
        0 => "b_node",
        1 => "p_node",
        2 => "m_node",
        _ => "h_node",
    }
}

/// NODE_NAME entries of a node status response, and the unit ID (MAC) that follows.
fn node_status(rdata: &[u8], out: &mut Vec<NodeName>) -> Option<[u8; 6]> {
    let mut r = Reader::new(rdata);
    let n = r.u8()?;
    for _ in 0..n {
        let raw: [u8; NAME_LEN] = r.take(NAME_LEN)?.try_into().ok()?;
        let flags = r.be16()?;
        if out.len() < MAX_NODE_NAMES {
            out.push(NodeName {
                name: NetbiosName::from_raw(&raw),
                group: flags & 0x8000 != 0,
            });
        }
    }
    r.take(6).and_then(|m| m.try_into().ok())
}
