//! SMB over direct TCP (MS-SMB2 2.1: a 4-byte header, zero then a 24-bit length) or the
//! NetBIOS session service (RFC 1002 section 4.3, TCP 139):
//! - SMB2 SESSION_SETUP logon failures and successes (`auth` events), with the user
//!   name from the NTLMSSP AUTHENTICATE message (MS-NLMP 2.2.1.3) of the request;
//! - SMB1 and SMB2 negotiate and session setup details (`smb` events, `info.rs`):
//!   dialects, signing, native OS and LAN manager, NTLMSSP version and names
//!   (`ntlm.rs`).
//!
//! SMB2 header (MS-SMB2 2.2.1.2), little-endian:
//!
//! | field | offset | size |
//! | --- | --- | --- |
//! | ProtocolId 0xFE 'S' 'M' 'B' | 0 | 4 |
//! | StructureSize (64) | 4 | 2 |
//! | Status (NTSTATUS) | 8 | 4 |
//! | Command (1 = SESSION_SETUP) | 12 | 2 |
//! | Flags (bit 0: response) | 16 | 4 |
//! | NextCommand (compounding) | 20 | 4 |
//!
//! SESSION_SETUP request body (MS-SMB2 2.2.5): SecurityBufferOffset at body+12 and
//! SecurityBufferLength at body+14, the offset counted from the SMB2 header.

mod info;
pub mod ntlm;

pub use info::{SmbInfo, smb2_dialect_name};
pub use ntlm::{NtlmVersion, Ntlmssp};

use super::{AuthEvent, AuthOutcome};
use crate::common::{ErrorBudget, Framer, le16_at, le32_at};
use crate::event::{AppProtocol, EventKind};
use crate::parser::{Direction, ParseCtx, Probe, StreamParser};
use crate::registry::{ANY_PORT, Category, On, ProtocolSpec, StreamOnly};

/// User names kept, in characters of the UTF-16 name (bytes of an OEM name).
pub const MAX_USER_LEN: usize = 64;
/// Bytes of each SMB message kept for parsing; session setups are a few KiB, reads
/// and writes are skipped past this prefix.
pub const MAX_MESSAGE_KEEP: usize = 16 * 1024;
/// Compounded SMB2 messages walked in one transport message.
const MAX_COMPOUND: usize = 16;
const SMB2_HEADER_LEN: usize = 64;
const SESSION_SETUP: u16 = 1;
const FLAG_RESPONSE: u32 = 1;

/// NTSTATUS values that mean the credentials were refused (MS-ERREF 2.3.1).
pub const LOGON_FAILURES: &[u32] = &[
    0xC000_006D, // STATUS_LOGON_FAILURE
    0xC000_006A, // STATUS_WRONG_PASSWORD
    0xC000_0064, // STATUS_NO_SUCH_USER
    0xC000_006E, // STATUS_ACCOUNT_RESTRICTION
    0xC000_006F, // STATUS_INVALID_LOGON_HOURS
    0xC000_0071, // STATUS_PASSWORD_EXPIRED
    0xC000_0072, // STATUS_ACCOUNT_DISABLED
    0xC000_015B, // STATUS_LOGON_TYPE_NOT_GRANTED
    0xC000_0193, // STATUS_ACCOUNT_EXPIRED
    0xC000_0224, // STATUS_PASSWORD_MUST_CHANGE
    0xC000_0234, // STATUS_ACCOUNT_LOCKED_OUT
];
const STATUS_SUCCESS: u32 = 0;

/// Is `data` an SMB2 (0xFE) or SMB1 (0xFF) message behind a direct-TCP header?
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    match (data.first(), data.get(4..8)) {
        (Some(0), Some(b"\xfeSMB" | b"\xffSMB")) => Probe::Match,
        (Some(0), None) => Probe::NeedMore,
        (None, _) => Probe::NeedMore,
        _ => Probe::NoMatch,
    }
}

/// Per-flow SMB state.
#[derive(Debug, Default)]
pub struct Parser {
    framers: [Framer; 2],
    /// User of the last NTLMSSP AUTHENTICATE seen from the client.
    user: Option<String>,
    /// Dialects of the last SMB1 NEGOTIATE request, to name the one the server chose.
    smb1_dialects: Vec<String>,
    errors: ErrorBudget,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }
}

fn transport_len(hdr: &[u8]) -> Option<usize> {
    // Zero byte, then a 24-bit big-endian length (MS-SMB2 2.1). On TCP 139 the NetBIOS
    // session service frames the same way (type, flags, 16-bit length with the flags'
    // low bit as bit 16: RFC 1002 section 4.3.1), and its session request, responses
    // and keep-alives (0x81-0x85) come before and between the SMB messages.
    match hdr {
        [0 | 0x81..=0x85, a, b, c] => {
            Some((usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c)).saturating_add(4))
        }
        _ => None,
    }
}

/// What one SMB message says about a login or the hosts.
enum Seen {
    User(Option<String>),
    Outcome(AuthOutcome, u32),
    Info(Box<SmbInfo>),
}

/// Walks the compounded SMB2 messages (or the one SMB1 message) of one transport
/// message.
fn scan(msg: &[u8], smb1_dialects: &mut Vec<String>, out: &mut Vec<Seen>) {
    if msg.get(..4) == Some(b"\xffSMB") {
        if let Some(i) = info::smb1(msg, smb1_dialects) {
            out.push(Seen::Info(Box::new(i)));
        }
        return;
    }
    let mut at = 0usize;
    for _ in 0..MAX_COMPOUND {
        let Some(m) = msg.get(at..) else { return };
        if m.get(..4) != Some(b"\xfeSMB") || le16_at(m, 4) != Some(64) {
            return;
        }
        let status = le32_at(m, 8).unwrap_or(0);
        let command = le16_at(m, 12).unwrap_or(0);
        let flags = le32_at(m, 16).unwrap_or(0);
        let next = le32_at(m, 20).map_or(0, |n| usize::try_from(n).unwrap_or(0));
        // This message alone: a compounded one must not lend its bytes to the next.
        let one = if next >= SMB2_HEADER_LEN {
            m.get(..next).unwrap_or(m)
        } else {
            m
        };
        if let Some(i) = info::smb2(one) {
            out.push(Seen::Info(Box::new(i)));
        }
        if command == SESSION_SETUP {
            if flags & FLAG_RESPONSE != 0 {
                if status == STATUS_SUCCESS {
                    out.push(Seen::Outcome(AuthOutcome::Success, status));
                } else if LOGON_FAILURES.contains(&status) {
                    out.push(Seen::Outcome(AuthOutcome::Failure, status));
                }
            } else if let Some(user) = request_user(m) {
                out.push(Seen::User(user));
            }
        }
        if next < SMB2_HEADER_LEN {
            return;
        }
        at = at.saturating_add(next);
    }
}

/// The user of an NTLMSSP AUTHENTICATE in a SESSION_SETUP request: `Some(None)` for an
/// anonymous one, `None` if there is no AUTHENTICATE message.
fn request_user(m: &[u8]) -> Option<Option<String>> {
    let body = SMB2_HEADER_LEN;
    let off = usize::from(le16_at(m, body.saturating_add(12))?);
    let len = usize::from(le16_at(m, body.saturating_add(14))?);
    let blob = m.get(off..off.saturating_add(len).min(m.len()))?;
    // The blob is SPNEGO (RFC 4178) around NTLMSSP, or raw NTLMSSP: find the signature.
    let sig = blob.windows(8).position(|w| w == b"NTLMSSP\0")?;
    ntlm_user(blob.get(sig..)?)
}

/// MS-NLMP 2.2.1.3 AUTHENTICATE_MESSAGE: MessageType 3 at 8; UserNameFields (Len u16,
/// MaxLen u16, BufferOffset u32) at 36; NegotiateFlags at 60 (bit 0: UNICODE).
fn ntlm_user(n: &[u8]) -> Option<Option<String>> {
    if le32_at(n, 8)? != 3 {
        return None;
    }
    let len = usize::from(le16_at(n, 36)?);
    let off = usize::try_from(le32_at(n, 40)?).ok()?;
    let flags = le32_at(n, 60).unwrap_or(1);
    if len == 0 {
        return Some(None);
    }
    let raw = n.get(off..off.checked_add(len)?)?;
    let name = if flags & 1 != 0 {
        crate::common::capped_utf16le(raw, MAX_USER_LEN)
    } else {
        crate::common::capped(raw, MAX_USER_LEN)
    };
    Some(Some(name))
}

impl StreamParser for Parser {
    fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        if self.errors.exhausted() {
            return;
        }
        let mut seen = Vec::new();
        let Some(framer) = self.framers.get_mut(dir.index()) else {
            return;
        };
        let dialects = &mut self.smb1_dialects;
        let r = framer.feed(data, 4, MAX_MESSAGE_KEEP, transport_len, |msg, _| {
            // Only session messages (type 0) carry SMB; a session request names
            // both ends.
            match msg.first() {
                Some(0) => scan(msg.get(4..).unwrap_or(&[]), dialects, &mut seen),
                Some(0x81) => {
                    if let Some(i) = info::session_request(msg) {
                        seen.push(Seen::Info(Box::new(i)));
                    }
                }
                _ => {}
            }
        });
        if r.is_err() {
            framer.reset();
            self.errors
                .report(ctx, AppProtocol::Smb, "bad_transport_header");
        }
        for s in seen {
            match s {
                Seen::User(u) => self.user = u,
                Seen::Info(i) => ctx.emit(EventKind::Smb(*i)),
                Seen::Outcome(outcome, status) => ctx.emit(EventKind::Auth(AuthEvent {
                    protocol: AppProtocol::Smb,
                    outcome,
                    cleartext: false,
                    user: self.user.clone(),
                    status: Some(status),
                })),
            }
        }
    }

    fn on_gap(&mut self, _ctx: &mut ParseCtx<'_>, dir: Direction, _len: u64) {
        // No marker to resync on inside a stream: drop the partial message and assume
        // the next segment starts one (the error budget ends a wrong guess).
        if let Some(f) = self.framers.get_mut(dir.index()) {
            f.reset();
        }
    }
}

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Remote,
    tcp: On::ports(&[139, 445]).probe(probe, ANY_PORT),
    parser: Some(|_| Box::new(StreamOnly(Parser::new()))),
    ..ProtocolSpec::new(AppProtocol::Smb, "smb")
};

#[cfg(test)]
mod tests;
