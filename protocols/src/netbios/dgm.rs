//! NetBIOS datagram service (RFC 1002 section 4.4), UDP 138, and the Windows browser
//! announcements it carries (MS-BRWS) inside SMB1 mailslot transactions (MS-SMB
//! 2.2.4.33 / MS-MAIL).
//!
//! Datagram header (direct unique 0x10, direct group 0x11, broadcast 0x12):
//!
//! | field | offset | size |
//! | --- | --- | --- |
//! | MSG_TYPE | 0 | 1 |
//! | FLAGS | 1 | 1 |
//! | DGM_ID | 2 | 2 |
//! | SOURCE_IP | 4 | 4 |
//! | SOURCE_PORT | 8 | 2 |
//! | DGM_LENGTH, PACKET_OFFSET | 10 | 2 each |
//! | SOURCE_NAME, DESTINATION_NAME (encoded, 34 bytes without scope) | 14 | .. |
//! | USER_DATA (an SMB1 message) | .. | .. |
//!
//! SMB1 TRANSACTION request (command 0x25, MS-CIFS 2.2.4.33.1): after the 32-byte SMB
//! header, WordCount (17 + SetupCount), then the words; DataCount is word 11 and
//! DataOffset (from the SMB header) word 12; after the words, ByteCount and the
//! NUL-terminated mailslot name.
//!
//! Announcement (MS-BRWS 2.2.2 HostAnnouncement, 2.2.9 DomainAnnouncement, 2.2.15
//! LocalMasterAnnouncement share this layout):
//!
//! | field | offset | size |
//! | --- | --- | --- |
//! | Opcode | 0 | 1 |
//! | UpdateCount | 1 | 1 |
//! | Periodicity (ms) | 2 | 4 |
//! | ServerName (NUL-padded) | 6 | 16 |
//! | OSVersionMajor, OSVersionMinor | 22 | 1 each |
//! | ServerType | 24 | 4 |
//! | BrowserConfigVersionMajor, Minor | 28 | 1 each |
//! | Signature | 30 | 2 |
//! | Comment (NUL-terminated) | 32 | .. |

use super::event::BrowserAnnouncement;
use super::name::{ENCODED_LEN, NetbiosName, decode_label, printable, trim_padding};
use crate::common::{le16_at, le32_at};

/// Datagram header up to the names.
pub const HEADER_LEN: usize = 14;
const SMB1_HEADER_LEN: usize = 32;
const SMB_COM_TRANSACTION: u8 = 0x25;
/// Comment bytes kept (MS-BRWS caps it at 43 characters).
pub const MAX_COMMENT_LEN: usize = 48;
/// Mailslot name bytes kept.
const MAX_MAILSLOT_LEN: usize = 64;

/// Why a datagram could not be decoded.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DgmError {
    ShortHeader,
    /// A message type RFC 1002 does not define.
    BadType,
    /// A name is not a first-level encoded label.
    BadName,
    /// The SMB transaction or the announcement ran past the end of the datagram.
    Truncated,
}

impl DgmError {
    pub fn reason(self) -> &'static str {
        match self {
            DgmError::ShortHeader => "short_header",
            DgmError::BadType => "bad_type",
            DgmError::BadName => "bad_name",
            DgmError::Truncated => "truncated",
        }
    }
}

impl std::fmt::Display for DgmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for DgmError {}

/// What one datagram held.
#[derive(Clone, Debug, PartialEq)]
pub enum Datagram {
    /// A browser announcement or request on `\MAILSLOT\BROWSE` (or `\MAILSLOT\LANMAN`).
    Browser(Box<BrowserAnnouncement>),
    /// A datagram with names but no browser payload (other mailslots, NetLogon...).
    Other { msg_type: u8 },
}

/// Is this a NetBIOS datagram header with a valid encoded source name?
pub fn looks_like(d: &[u8]) -> bool {
    matches!(d.first(), Some(0x10..=0x12))
        && d.get(HEADER_LEN) == Some(&32)
        && d.get(HEADER_LEN.saturating_add(1)..HEADER_LEN.saturating_add(1 + ENCODED_LEN))
            .is_some_and(|l| decode_label(l).is_some())
}

/// Reads one encoded name (label plus scope) at `at`; returns it and the offset past it.
fn read_name(d: &[u8], at: usize) -> Result<(NetbiosName, usize), DgmError> {
    if d.get(at) != Some(&32) {
        return Err(DgmError::BadName);
    }
    let start = at.saturating_add(1);
    let label = d
        .get(start..start.saturating_add(ENCODED_LEN))
        .ok_or(DgmError::Truncated)?;
    let raw = decode_label(label).ok_or(DgmError::BadName)?;
    let mut pos = start.saturating_add(ENCODED_LEN);
    for _ in 0..16 {
        let l = *d.get(pos).ok_or(DgmError::Truncated)?;
        pos = pos.saturating_add(1);
        if l == 0 {
            return Ok((NetbiosName::from_raw(&raw), pos));
        }
        pos = pos.saturating_add(usize::from(l & 0x3F));
    }
    Err(DgmError::BadName)
}

/// Decodes one datagram-service datagram.
pub fn parse_datagram(d: &[u8]) -> Result<Datagram, DgmError> {
    let msg_type = *d.first().ok_or(DgmError::ShortHeader)?;
    match msg_type {
        0x10..=0x12 => {}
        // Error and query datagrams carry no user data.
        0x13..=0x16 => return Ok(Datagram::Other { msg_type }),
        _ => return Err(DgmError::BadType),
    }
    if d.len() < HEADER_LEN {
        return Err(DgmError::ShortHeader);
    }
    let (source, next) = read_name(d, HEADER_LEN)?;
    let (destination, next) = read_name(d, next)?;
    let smb = d.get(next..).unwrap_or(&[]);
    let Some((mailslot, data)) = mailslot(smb)? else {
        return Ok(Datagram::Other { msg_type });
    };
    let upper = mailslot.to_ascii_uppercase();
    if upper != "\\MAILSLOT\\BROWSE" && upper != "\\MAILSLOT\\LANMAN" {
        return Ok(Datagram::Other { msg_type });
    }
    let mut a = parse_browser(data)?;
    a.source_ip = d
        .get(4..8)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(std::net::Ipv4Addr::from);
    a.source_name = Some(source);
    a.destination_name = Some(destination);
    a.mailslot = mailslot;
    Ok(Datagram::Browser(Box::new(a)))
}

/// The mailslot name and data of an SMB1 TRANSACTION, `None` if `smb` is another SMB
/// command.
fn mailslot(smb: &[u8]) -> Result<Option<(String, &[u8])>, DgmError> {
    if smb.get(..4) != Some(b"\xffSMB") {
        return Ok(None);
    }
    if smb.get(4) != Some(&SMB_COM_TRANSACTION) {
        return Ok(None);
    }
    let wc = usize::from(*smb.get(SMB1_HEADER_LEN).ok_or(DgmError::Truncated)?);
    let words = SMB1_HEADER_LEN.saturating_add(1);
    if wc < 14 {
        return Err(DgmError::Truncated);
    }
    let data_count =
        usize::from(le16_at(smb, words.saturating_add(22)).ok_or(DgmError::Truncated)?);
    let data_offset =
        usize::from(le16_at(smb, words.saturating_add(24)).ok_or(DgmError::Truncated)?);
    let bytes = words.saturating_add(wc.saturating_mul(2)).saturating_add(2);
    let tail = smb.get(bytes..).ok_or(DgmError::Truncated)?;
    let end = tail
        .iter()
        .position(|&b| b == 0)
        .ok_or(DgmError::Truncated)?;
    let name = tail.get(..end.min(MAX_MAILSLOT_LEN)).unwrap_or(&[]);
    let data = smb
        .get(data_offset..data_offset.saturating_add(data_count))
        .ok_or(DgmError::Truncated)?;
    Ok(Some((printable(name), data)))
}

/// MS-BRWS opcodes (2.2).
pub fn browser_command_name(op: u8) -> &'static str {
    match op {
        1 => "host_announcement",
        2 => "announcement_request",
        8 => "request_election",
        9 => "get_backup_list_request",
        10 => "get_backup_list_response",
        11 => "become_backup",
        12 => "domain_announcement",
        13 => "master_announcement",
        14 => "reset_state",
        15 => "local_master_announcement",
        _ => "other",
    }
}

/// Decodes the browser payload of a mailslot message. Announcements carry the server
/// name, OS version and server type; other opcodes only their opcode.
pub fn parse_browser(b: &[u8]) -> Result<BrowserAnnouncement, DgmError> {
    let command = *b.first().ok_or(DgmError::Truncated)?;
    let mut a = BrowserAnnouncement {
        command,
        command_name: browser_command_name(command),
        ..BrowserAnnouncement::default()
    };
    if !matches!(command, 1 | 12 | 15) {
        return Ok(a);
    }
    let name = b.get(6..22).ok_or(DgmError::Truncated)?;
    // The server name is NUL-terminated inside its 16 bytes.
    let name = name.split(|&c| c == 0).next().unwrap_or(&[]);
    a.server = Some(printable(trim_padding(name)));
    a.os_major = Some(*b.get(22).ok_or(DgmError::Truncated)?);
    a.os_minor = Some(*b.get(23).ok_or(DgmError::Truncated)?);
    let st = le32_at(b, 24).ok_or(DgmError::Truncated)?;
    a.server_type = Some(st);
    a.server_types = server_type_names(st);
    a.browser_version_major = b.get(28).copied();
    a.browser_version_minor = b.get(29).copied();
    if let Some(c) = b.get(32..) {
        let c = c.split(|&x| x == 0).next().unwrap_or(&[]);
        let c = c.get(..MAX_COMMENT_LEN).unwrap_or(c);
        a.comment = Some(printable(c));
    }
    Ok(a)
}

/// Server type bits (MS-RAP 2.5.5.2.1, MS-BRWS 2.2.1 SV_TYPE_*).
pub const SERVER_TYPE_BITS: &[(u32, &str)] = &[
    (0x0000_0001, "workstation"),
    (0x0000_0002, "server"),
    (0x0000_0004, "sql_server"),
    (0x0000_0008, "domain_controller"),
    (0x0000_0010, "backup_controller"),
    (0x0000_0020, "time_source"),
    (0x0000_0040, "apple"),
    (0x0000_0080, "novell"),
    (0x0000_0100, "domain_member"),
    (0x0000_0200, "print_queue"),
    (0x0000_0400, "dialin"),
    (0x0000_0800, "unix"),
    (0x0000_1000, "nt"),
    (0x0000_2000, "wfw"),
    (0x0000_4000, "mfpn"),
    (0x0000_8000, "server_nt"),
    (0x0001_0000, "potential_browser"),
    (0x0002_0000, "backup_browser"),
    (0x0004_0000, "master_browser"),
    (0x0008_0000, "domain_master"),
    (0x0010_0000, "osf"),
    (0x0020_0000, "vms"),
    (0x0040_0000, "windows"),
    (0x0080_0000, "dfs"),
    (0x0100_0000, "cluster_nt"),
    (0x0200_0000, "terminal_server"),
    (0x0400_0000, "cluster_vs_nt"),
    (0x1000_0000, "dce"),
    (0x2000_0000, "alternate_transport"),
    (0x4000_0000, "local_list_only"),
    (0x8000_0000, "domain_enum"),
];

/// The names of the bits set in a server type.
pub fn server_type_names(st: u32) -> Vec<&'static str> {
    SERVER_TYPE_BITS
        .iter()
        .filter(|(bit, _)| st & bit != 0)
        .map(|(_, n)| *n)
        .collect()
}
