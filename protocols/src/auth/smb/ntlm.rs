//! NTLMSSP messages (MS-NLMP 2.2.1) inside SMB security blobs: the version of the
//! sender's Windows and the host and domain names each message carries.
//!
//! | message | field | offset |
//! | --- | --- | --- |
//! | all | Signature "NTLMSSP\0", MessageType (u32) | 0, 8 |
//! | NEGOTIATE (1) | NegotiateFlags, Domain, Workstation, Version | 12, 16, 24, 32 |
//! | CHALLENGE (2) | TargetName, NegotiateFlags, TargetInfo, Version | 12, 20, 40, 48 |
//! | AUTHENTICATE (3) | Domain, User, Workstation, NegotiateFlags, Version | 28, 36, 44, 60, 64 |
//!
//! A field is (Len u16, MaxLen u16, BufferOffset u32) into the message. Version
//! (2.2.2.10) is major, minor, build (u16), 3 reserved bytes, revision; it is present
//! when NTLMSSP_NEGOTIATE_VERSION is set and the payload starts after it (as tshark
//! `packet-ntlmssp.c` decides). TargetInfo is a list of AV_PAIRs (2.2.2.1).

use crate::common::{le16_at, le32_at};
use serde::Serialize;

/// Characters kept of each name.
pub const MAX_NAME_CHARS: usize = 64;
/// AV pairs walked in one TargetInfo.
const MAX_AV_PAIRS: usize = 32;
const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
const NEGOTIATE_VERSION: u32 = 0x0200_0000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NtlmVersion {
    pub major: u8,
    pub minor: u8,
    pub build: u16,
}

/// What one NTLMSSP message says about its sender (names capped at 64 characters).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Ntlmssp {
    pub message_type: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<NtlmVersion>,
    /// CHALLENGE: the server's target name and TargetInfo names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nb_computer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nb_domain_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_computer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_domain_name: Option<String>,
    /// AUTHENTICATE (and NEGOTIATE when supplied): the client's domain and workstation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
}

/// Finds and decodes the NTLMSSP message in a security blob (raw or inside SPNEGO).
pub fn find(blob: &[u8]) -> Option<Ntlmssp> {
    let at = blob.windows(8).position(|w| w == b"NTLMSSP\0")?;
    parse(blob.get(at..)?)
}

/// Decodes one NTLMSSP message starting at its signature.
pub fn parse(n: &[u8]) -> Option<Ntlmssp> {
    let message_type = le32_at(n, 8)?;
    let mut m = Ntlmssp {
        message_type,
        ..Ntlmssp::default()
    };
    match message_type {
        1 => {
            let flags = le32_at(n, 12)?;
            let uni = false; // NEGOTIATE names are OEM (2.2.1.1).
            m.domain = field_str(n, 16, uni);
            m.hostname = field_str(n, 24, uni);
            m.version = version(n, flags, 32, &[16, 24]);
        }
        2 => {
            let flags = le32_at(n, 20)?;
            let uni = flags & NEGOTIATE_UNICODE != 0;
            m.target_name = field_str(n, 12, uni);
            if let Some(info) = field(n, 40) {
                target_info(info, &mut m);
            }
            m.version = version(n, flags, 48, &[12, 40]);
        }
        3 => {
            let flags = le32_at(n, 60)?;
            let uni = flags & NEGOTIATE_UNICODE != 0;
            m.domain = field_str(n, 28, uni);
            m.hostname = field_str(n, 44, uni);
            m.version = version(n, flags, 64, &[12, 20, 28, 36, 44, 52]);
        }
        _ => return None,
    }
    Some(m)
}

/// The bytes a (Len, MaxLen, Offset) field at `at` points to.
fn field(n: &[u8], at: usize) -> Option<&[u8]> {
    let len = usize::from(le16_at(n, at)?);
    let off = usize::try_from(le32_at(n, at.checked_add(4)?)?).ok()?;
    n.get(off..off.checked_add(len)?)
}

fn field_str(n: &[u8], at: usize, unicode: bool) -> Option<String> {
    let raw = field(n, at)?;
    let s = if unicode {
        utf16(raw)
    } else {
        crate::common::capped(raw, MAX_NAME_CHARS)
    };
    (!s.is_empty()).then_some(s)
}

/// UTF-16LE, capped at [`MAX_NAME_CHARS`] characters, invalid units replaced.
pub fn utf16(raw: &[u8]) -> String {
    crate::common::capped_utf16le(raw, MAX_NAME_CHARS)
}

/// The Version structure at `at`, if flagged and not overlapped by any payload field.
fn version(n: &[u8], flags: u32, at: usize, fields: &[usize]) -> Option<NtlmVersion> {
    if flags & NEGOTIATE_VERSION == 0 {
        return None;
    }
    let end = at.checked_add(8)?;
    let first_payload = fields
        .iter()
        .filter(|&&f| le16_at(n, f).is_some_and(|l| l > 0))
        .filter_map(|&f| le32_at(n, f.checked_add(4)?))
        .filter_map(|o| usize::try_from(o).ok())
        .min();
    if first_payload.is_some_and(|p| p < end) {
        return None;
    }
    let v = n.get(at..end)?;
    Some(NtlmVersion {
        major: *v.first()?,
        minor: *v.get(1)?,
        build: le16_at(v, 2)?,
    })
}

/// MsvAvNbComputerName (1), MsvAvNbDomainName (2), MsvAvDnsComputerName (3),
/// MsvAvDnsDomainName (4); MsvAvEOL (0) ends the list.
fn target_info(mut b: &[u8], m: &mut Ntlmssp) {
    for _ in 0..MAX_AV_PAIRS {
        let (Some(id), Some(len)) = (le16_at(b, 0), le16_at(b, 2)) else {
            return;
        };
        let len = usize::from(len);
        let Some(value) = b.get(4..4usize.saturating_add(len)) else {
            return;
        };
        let s = || Some(utf16(value)).filter(|s| !s.is_empty());
        match id {
            0 => return,
            1 => m.nb_computer_name = s(),
            2 => m.nb_domain_name = s(),
            3 => m.dns_computer_name = s(),
            4 => m.dns_domain_name = s(),
            _ => {}
        }
        b = b.get(4usize.saturating_add(len)..).unwrap_or(&[]);
    }
}
