//! What SMB negotiation and session setup say about the two hosts: dialects, signing,
//! the SMB1 native OS and LAN manager strings, and NTLMSSP versions and names.
//!
//! SMB1 (MS-CIFS 2.2.3.1 header, little-endian): "\xffSMB", Command at 4, Status at 5,
//! Flags at 9 (0x80: reply), Flags2 at 10 (0x8000: Unicode strings), WordCount at 32,
//! then the words, ByteCount and the bytes. Strings in the bytes are NUL-terminated;
//! Unicode ones start on an even offset from the header.
//!
//! - NEGOTIATE (0x72, 2.2.4.52) request: bytes are 0x02 + dialect name, repeated;
//!   response word 0 is the chosen index, byte 2 SecurityMode (0x08: signatures
//!   required) when WordCount is 17 (NT LM 0.12).
//! - SESSION_SETUP_ANDX (0x73, MS-SMB 2.2.4.6 / MS-CIFS 2.2.4.53): request WordCount 12
//!   (extended security: blob length at word 7, bytes: blob, NativeOS, NativeLanMan)
//!   or 13 (passwords, lengths at words 7 and 8, bytes: passwords, account, domain,
//!   NativeOS, NativeLanMan); response WordCount 4 (blob length at word 3, bytes: blob,
//!   NativeOS, NativeLanMan) or 3 (NativeOS, NativeLanMan).
//!
//! SMB2 (MS-SMB2): NEGOTIATE request (2.2.3) DialectCount at body+2, SecurityMode at
//! body+4, dialects at body+36; response (2.2.4) SecurityMode at body+2, DialectRevision
//! at body+4 (SecurityMode bit 0x02: signing required). SESSION_SETUP request (2.2.5)
//! has SecurityMode at body+3; the response (2.2.6) its security buffer offset and
//! length at body+4 and body+6.

use super::ntlm::{self, Ntlmssp};
use crate::common::{le16_at, le32_at};
use serde::Serialize;

/// Dialects kept from a negotiate request.
pub const MAX_DIALECTS: usize = 16;
/// Bytes kept of a dialect name and characters of a native OS / LAN manager string.
pub const MAX_STRING: usize = 64;
const SMB1_HEADER_LEN: usize = 32;
const SMB2_HEADER_LEN: usize = 64;

/// `smb`: one negotiate or session setup message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SmbInfo {
    /// 1 or 2 (SMB2 and SMB3 share a header); 0 for a NetBIOS session request.
    pub version: u8,
    /// `negotiate`, `session_setup` or `session_request` (NetBIOS, TCP 139).
    pub command: &'static str,
    pub response: bool,
    /// Offered (request): SMB1 dialect names, SMB2 revisions as "2.0.2" ... "3.1.1".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dialects: Vec<String>,
    /// Chosen (response).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialect: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native_os: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native_lanman: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ntlmssp: Option<Ntlmssp>,
    /// NetBIOS session request (RFC 1002 section 4.3.2): the server's and the
    /// client's NetBIOS names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub called_name: Option<crate::netbios::NetbiosName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calling_name: Option<crate::netbios::NetbiosName>,
}

/// A NetBIOS SESSION REQUEST (type 0x81): after the 4-byte header, the called name and
/// the calling name, each a length byte 32, the encoded label and a zero.
pub fn session_request(unit: &[u8]) -> Option<SmbInfo> {
    use crate::netbios::name::{ENCODED_LEN, decode_label};
    let name_at = |at: usize| {
        let l = unit.get(at.saturating_add(1)..at.saturating_add(1 + ENCODED_LEN))?;
        (unit.get(at) == Some(&32)).then_some(())?;
        decode_label(l).map(|raw| crate::netbios::NetbiosName::from_raw(&raw))
    };
    Some(SmbInfo {
        version: 0,
        command: "session_request",
        called_name: Some(name_at(4)?),
        calling_name: name_at(4usize.saturating_add(ENCODED_LEN).saturating_add(2)),
        ..SmbInfo::default()
    })
}

/// The name of an SMB2 dialect revision (MS-SMB2 2.2.3); 0x02FF is the wildcard a
/// server answers an SMB1 negotiate with.
pub fn smb2_dialect_name(d: u16) -> String {
    match d {
        0x0202 => "2.0.2".into(),
        0x0210 => "2.1".into(),
        0x0300 => "3.0".into(),
        0x0302 => "3.0.2".into(),
        0x0311 => "3.1.1".into(),
        0x02ff => "2.???".into(),
        other => format!("0x{other:04x}"),
    }
}

/// SMB1: decodes a negotiate or session setup message. `offered` holds the dialects of
/// the last negotiate request of the flow, to name the chosen one.
pub fn smb1(m: &[u8], offered: &mut Vec<String>) -> Option<SmbInfo> {
    if m.get(..4) != Some(b"\xffSMB") {
        return None;
    }
    let command = *m.get(4)?;
    let response = m.get(9)? & 0x80 != 0;
    let unicode = le16_at(m, 10)? & 0x8000 != 0;
    let wc = usize::from(*m.get(SMB1_HEADER_LEN)?);
    let words_at = SMB1_HEADER_LEN.saturating_add(1);
    let words = m.get(words_at..words_at.saturating_add(wc.saturating_mul(2)))?;
    let bc_at = words_at.saturating_add(wc.saturating_mul(2));
    let bc = usize::from(le16_at(m, bc_at)?);
    let bytes_at = bc_at.saturating_add(2);
    let end = bytes_at.saturating_add(bc).min(m.len());
    let mut info = SmbInfo {
        version: 1,
        response,
        ..SmbInfo::default()
    };
    match command {
        0x72 => {
            info.command = "negotiate";
            if response {
                let idx = usize::from(le16_at(words, 0)?);
                info.dialect = offered.get(idx).cloned();
                if wc == 17 {
                    info.signing_required = Some(words.get(2)? & 0x08 != 0);
                }
            } else {
                offered.clear();
                let bytes = m.get(bytes_at..end)?;
                for d in bytes.split(|&b| b == 0).take(MAX_DIALECTS) {
                    if let Some(name) = d.strip_prefix(&[2]) {
                        offered.push(crate::common::capped(name, MAX_STRING));
                    }
                }
                info.dialects = offered.clone();
            }
        }
        0x73 => {
            info.command = "session_setup";
            // Where the strings start, and how many to skip before NativeOS.
            let (blob_len, skip_bytes, skip_strings): (usize, usize, usize) = match (response, wc) {
                (false, 12) => (usize::from(le16_at(words, 14)?), 0, 0),
                (false, 13) => {
                    let pw = usize::from(le16_at(words, 14)?)
                        .saturating_add(usize::from(le16_at(words, 16)?));
                    (0, pw, 2)
                }
                (true, 4) => (usize::from(le16_at(words, 6)?), 0, 0),
                (true, 3) => (0, 0, 0),
                _ => return Some(info),
            };
            if blob_len > 0 {
                let blob = m.get(bytes_at..bytes_at.saturating_add(blob_len).min(end))?;
                info.ntlmssp = ntlm::find(blob);
            }
            let mut pos = bytes_at.saturating_add(blob_len).saturating_add(skip_bytes);
            let mut strings = Vec::new();
            for _ in 0..skip_strings.saturating_add(2) {
                let (s, next) = read_string(m, pos, end, unicode)?;
                strings.push(s);
                pos = next;
            }
            let mut it = strings.into_iter().skip(skip_strings);
            info.native_os = it.next().filter(|s| !s.is_empty());
            info.native_lanman = it.next().filter(|s| !s.is_empty());
        }
        _ => return None,
    }
    Some(info)
}

/// A NUL-terminated string at `pos` (Unicode ones aligned to an even offset from the
/// header); returns it and the offset past its terminator.
fn read_string(m: &[u8], mut pos: usize, end: usize, unicode: bool) -> Option<(String, usize)> {
    if pos >= end {
        return None;
    }
    if unicode {
        if pos % 2 == 1 {
            pos = pos.saturating_add(1);
        }
        let b = m.get(pos..end)?;
        let n = b
            .chunks_exact(2)
            .position(|c| c == [0, 0])
            .unwrap_or(b.len() / 2);
        let raw = b.get(..n.saturating_mul(2))?;
        Some((
            ntlm::utf16(raw),
            pos.saturating_add(n.saturating_mul(2)).saturating_add(2),
        ))
    } else {
        let b = m.get(pos..end)?;
        let n = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        let raw = b.get(..n)?;
        Some((
            crate::common::capped(raw, MAX_STRING),
            pos.saturating_add(n).saturating_add(1),
        ))
    }
}

/// SMB2: decodes a negotiate or session setup message (`m` starts at the SMB2 header).
pub fn smb2(m: &[u8]) -> Option<SmbInfo> {
    let command = le16_at(m, 12)?;
    let response = le32_at(m, 16)? & 1 != 0;
    let body = SMB2_HEADER_LEN;
    let mut info = SmbInfo {
        version: 2,
        response,
        ..SmbInfo::default()
    };
    match command {
        0 => {
            info.command = "negotiate";
            if response {
                let mode = le16_at(m, body.saturating_add(2))?;
                info.signing_required = Some(mode & 0x02 != 0);
                info.dialect = Some(smb2_dialect_name(le16_at(m, body.saturating_add(4))?));
            } else {
                let count = usize::from(le16_at(m, body.saturating_add(2))?);
                let mode = le16_at(m, body.saturating_add(4))?;
                info.signing_required = Some(mode & 0x02 != 0);
                let at = body.saturating_add(36);
                for i in 0..count.min(MAX_DIALECTS) {
                    let Some(d) = le16_at(m, at.saturating_add(i.saturating_mul(2))) else {
                        break;
                    };
                    info.dialects.push(smb2_dialect_name(d));
                }
            }
        }
        1 => {
            info.command = "session_setup";
            let (off_at, len_at) = if response { (4, 6) } else { (12, 14) };
            if !response {
                // The request's SecurityMode byte (MS-SMB2 2.2.5).
                let mode = *m.get(body.saturating_add(3))?;
                info.signing_required = Some(mode & 0x02 != 0);
            }
            let off = usize::from(le16_at(m, body.saturating_add(off_at))?);
            let len = usize::from(le16_at(m, body.saturating_add(len_at))?);
            let blob = m.get(off..off.saturating_add(len).min(m.len()))?;
            info.ntlmssp = ntlm::find(blob);
        }
        _ => return None,
    }
    Some(info)
}
