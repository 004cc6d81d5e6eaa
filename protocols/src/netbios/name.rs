//! NetBIOS names: the first-level encoding (RFC 1001 section 14.1) and the suffix byte.
//!
//! A NetBIOS name is 16 bytes: 15 of name, padded with spaces, and a suffix byte saying
//! which service registered it. On the wire each byte becomes two characters 'A'..='P'
//! (high nibble first), so a name is a 32-byte label, optionally followed by scope
//! labels (RFC 1002 section 4.1).

use serde::Serialize;

/// Encoded label length: 16 bytes, two characters each.
pub const ENCODED_LEN: usize = 32;
/// Bytes of a decoded name, suffix included.
pub const NAME_LEN: usize = 16;

/// A decoded NetBIOS name. `name` has its trailing padding removed; bytes outside
/// printable ASCII are kept as `<NN>`, as tshark prints them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NetbiosName {
    pub name: String,
    /// The 16th byte: 0x00 workstation or domain, 0x20 file server, 0x1D master browser...
    pub suffix: u8,
    /// What the suffix means ([`suffix_type`]).
    pub suffix_type: &'static str,
}

impl NetbiosName {
    /// From the 16 raw bytes (or fewer: a browser server name is NUL-padded).
    pub fn from_raw(raw: &[u8; NAME_LEN]) -> NetbiosName {
        let (name, suffix) = raw.split_at(NAME_LEN.saturating_sub(1));
        let suffix = suffix.first().copied().unwrap_or(0);
        // Only spaces are padding: the wildcard "*" is padded with NULs, which tshark
        // (and we) print as <00>.
        let end = name
            .iter()
            .rposition(|&b| b != b' ')
            .map_or(0, |i| i.saturating_add(1));
        NetbiosName {
            name: printable(name.get(..end).unwrap_or(&[])),
            suffix,
            suffix_type: suffix_type(suffix),
        }
    }

    /// tshark's `nbns.name` / `nbdgm.source_name` form: `NAME<1d>`.
    pub fn display(&self) -> String {
        format!("{}<{:02x}>", self.name, self.suffix)
    }

    /// A name that identifies one machine (its workstation or server service).
    pub fn is_host_name(&self) -> bool {
        matches!(self.suffix, 0x00 | 0x20)
            && !self.name.is_empty()
            && !self.name.starts_with('*')
            && !self.name.contains('<')
    }
}

/// Decodes a 32-character first-level encoded label. `None` if it is not one: wrong
/// length or a character outside 'A'..='P'.
pub fn decode_label(label: &[u8]) -> Option<[u8; NAME_LEN]> {
    if label.len() != ENCODED_LEN {
        return None;
    }
    let mut out = [0u8; NAME_LEN];
    for (slot, pair) in out.iter_mut().zip(label.chunks_exact(2)) {
        let hi = nibble(*pair.first()?)?;
        let lo = nibble(*pair.get(1)?)?;
        *slot = (hi << 4) | lo;
    }
    Some(out)
}

/// Is `label` a first-level encoded NetBIOS name? (Used to keep NBNS out of DNS.)
pub fn is_encoded_label(label: &[u8]) -> bool {
    decode_label(label).is_some()
}

fn nibble(c: u8) -> Option<u8> {
    // Upper case per RFC 1001; some stacks send lower case, which tshark also decodes.
    match c {
        b'A'..=b'P' => Some(c.wrapping_sub(b'A')),
        b'a'..=b'p' => Some(c.wrapping_sub(b'a')),
        _ => None,
    }
}

/// Strips the space (or NUL) padding at the end of a name.
pub fn trim_padding(name: &[u8]) -> &[u8] {
    let end = name
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(0, |i| i.saturating_add(1));
    name.get(..end).unwrap_or(&[])
}

/// Printable ASCII as is, anything else as `<NN>` (tshark's form for NetBIOS names).
pub fn printable(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for &c in b {
        if (0x20..0x7f).contains(&c) {
            s.push(char::from(c));
        } else {
            s.push_str(&format!("<{c:02x}>"));
        }
    }
    s
}

/// The service a suffix byte names (MS-NBTE 2.2.1 and the table Windows' `nbtstat`
/// follows; tshark `packet-nbns.c` uses the same list). Whether 0x00 is a workstation
/// or a domain depends on the group bit, which only a record carries.
pub fn suffix_type(suffix: u8) -> &'static str {
    match suffix {
        0x00 => "workstation",
        0x01 => "master_browser",
        0x03 => "messenger",
        0x06 => "ras_server",
        0x1b => "domain_master_browser",
        0x1c => "domain_controllers",
        0x1d => "local_master_browser",
        0x1e => "browser_election",
        0x1f => "netdde",
        0x20 => "file_server",
        0x21 => "ras_client",
        0x22 => "exchange_interchange",
        0x23 => "exchange_store",
        0x24 => "exchange_directory",
        0x87 => "exchange_mta",
        0x6a => "exchange_imc",
        0xbe => "network_monitor_agent",
        0xbf => "network_monitor_application",
        _ => "other",
    }
}
