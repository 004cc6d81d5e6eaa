//! Small helpers shared by the IT protocol parsers (dns, tls, http, vpn, remote, auth,
//! ics): capped text, a bounds-checked big-endian reader, a bounded stream buffer and a
//! per-flow error budget.

use crate::event::{AppProtocol, EventKind, ParseError};
use crate::parser::ParseCtx;

/// Copies at most `cap` bytes of `bytes` into a `String`, replacing invalid UTF-8 (and a
/// character cut by the cap) with U+FFFD. The cap is in input bytes, so an event's size
/// is bounded whatever the wire said.
pub(crate) fn capped(bytes: &[u8], cap: usize) -> String {
    let cut = bytes.get(..cap).unwrap_or(bytes);
    String::from_utf8_lossy(cut).into_owned()
}

/// Decodes at most `cap` UTF-16LE code units of `bytes` (an odd last byte is ignored),
/// replacing unpaired surrogates with U+FFFD: the text fields of SMB and NTLMSSP.
pub(crate) fn capped_utf16le(bytes: &[u8], cap: usize) -> String {
    let units = bytes.chunks_exact(2).take(cap).map(|c| {
        u16::from_le_bytes([
            c.first().copied().unwrap_or(0),
            c.get(1).copied().unwrap_or(0),
        ])
    });
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// A cursor over a byte slice: every read is checked, none panics.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1).and_then(|s| s.first().copied())
    }
    pub(crate) fn be16(&mut self) -> Option<u16> {
        self.take(2)
            .and_then(|s| s.try_into().ok())
            .map(u16::from_be_bytes)
    }
    pub(crate) fn be32(&mut self) -> Option<u32> {
        self.take(4)
            .and_then(|s| s.try_into().ok())
            .map(u32::from_be_bytes)
    }
}

pub(crate) fn be16_at(b: &[u8], at: usize) -> Option<u16> {
    let end = at.checked_add(2)?;
    b.get(at..end)
        .and_then(|s| s.try_into().ok())
        .map(u16::from_be_bytes)
}

pub(crate) fn be32_at(b: &[u8], at: usize) -> Option<u32> {
    let end = at.checked_add(4)?;
    b.get(at..end)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_be_bytes)
}

pub(crate) fn le16_at(b: &[u8], at: usize) -> Option<u16> {
    let end = at.checked_add(2)?;
    b.get(at..end)
        .and_then(|s| s.try_into().ok())
        .map(u16::from_le_bytes)
}

pub(crate) fn le32_at(b: &[u8], at: usize) -> Option<u32> {
    let end = at.checked_add(4)?;
    b.get(at..end)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
}

/// Position of the first `\n` in `b`.
pub(crate) fn find_lf(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

/// Case-insensitive ASCII prefix test.
pub(crate) fn starts_with_ci(b: &[u8], prefix: &[u8]) -> bool {
    b.get(..prefix.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
}

/// Bytes of one direction of a stream, held until a unit is complete. Never grows past
/// its cap: [`StreamBuf::push`] reports the overflow and the caller decides (skip,
/// resync, or give up on the flow).
#[derive(Debug, Default)]
pub(crate) struct StreamBuf {
    buf: Vec<u8>,
}

impl StreamBuf {
    /// Appends as much of `data` as fits under `cap`; returns how many bytes were left out.
    pub(crate) fn push(&mut self, data: &[u8], cap: usize) -> usize {
        let room = cap.saturating_sub(self.buf.len());
        let n = room.min(data.len());
        self.buf.extend_from_slice(data.get(..n).unwrap_or(&[]));
        data.len().saturating_sub(n)
    }
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf
    }
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        // Give back a large allocation made for one big unit.
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf.shrink_to(KEEP_CAPACITY);
        }
    }
}

/// Splits a stream into length-framed units (DNS-over-TCP, SMB direct TCP, PPTP,
/// OpenVPN over TCP). A unit longer than `keep` is handed over as its first `keep` bytes
/// and the rest is skipped, so memory stays bounded whatever the length field says.
#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: StreamBuf,
    skip: usize,
}

/// Why a framer gave up.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct FramingLost;

impl Framer {
    /// Feeds `data`. `hdr_len` bytes are needed to read the length; `unit_len` returns the
    /// whole unit's length (header included) or `None` if the header is not valid.
    /// `on_unit` gets each unit (or its kept prefix) and the declared length.
    pub(crate) fn feed(
        &mut self,
        mut data: &[u8],
        hdr_len: usize,
        keep: usize,
        unit_len: impl Fn(&[u8]) -> Option<usize>,
        mut on_unit: impl FnMut(&[u8], usize),
    ) -> Result<(), FramingLost> {
        let keep = keep.max(hdr_len);
        // Bounded: each pass consumes bytes from `data` (a unit is at least `hdr_len`).
        while !data.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(data.len());
                data = data.get(n..).unwrap_or(&[]);
                self.skip = self.skip.saturating_sub(n);
                continue;
            }
            // Fast path: a whole unit at the start of `data`, nothing buffered.
            if self.buf.is_empty()
                && let Some(hdr) = data.get(..hdr_len)
            {
                let total = unit_len(hdr).filter(|&t| t >= hdr_len).ok_or(FramingLost)?;
                if total <= keep
                    && let Some(unit) = data.get(..total)
                {
                    on_unit(unit, total);
                    data = data.get(total..).unwrap_or(&[]);
                    continue;
                }
            }
            let declared = match self.buf.bytes().get(..hdr_len) {
                Some(hdr) => Some(unit_len(hdr).filter(|&t| t >= hdr_len).ok_or(FramingLost)?),
                None => None,
            };
            let want = declared.map_or(hdr_len, |t| t.min(keep));
            let n = want.saturating_sub(self.buf.len()).min(data.len());
            let (head, tail) = data.split_at_checked(n).unwrap_or((data, &[]));
            data = tail;
            self.buf.push(head, keep);
            let total = match declared {
                Some(t) => t,
                None => match self.buf.bytes().get(..hdr_len) {
                    Some(hdr) => unit_len(hdr).filter(|&t| t >= hdr_len).ok_or(FramingLost)?,
                    None => continue,
                },
            };
            let kept = total.min(keep);
            if self.buf.len() < kept {
                continue;
            }
            on_unit(self.buf.bytes().get(..kept).unwrap_or(&[]), total);
            self.buf.clear();
            self.skip = total.saturating_sub(kept);
        }
        Ok(())
    }

    /// Drops the partial unit (after a gap or lost framing).
    pub(crate) fn reset(&mut self) {
        self.buf.clear();
        self.skip = 0;
    }
}

/// A cleared buffer keeps at most this much allocation.
const KEEP_CAPACITY: usize = 4096;

/// Parse errors a flow may report before its parser gives up on it: hostile or
/// misidentified traffic then costs one final event, not one per packet.
pub(crate) const MAX_PARSE_ERRORS_PER_FLOW: u32 = 8;

/// Counts a flow's parse errors and stops reporting (and parsing) past the budget.
#[derive(Debug, Default)]
pub(crate) struct ErrorBudget {
    errors: u32,
}

impl ErrorBudget {
    /// Emits a `ParseError`; past the budget, emits `too_many_errors` once and from then
    /// on [`ErrorBudget::exhausted`] is true.
    pub(crate) fn report(
        &mut self,
        ctx: &mut ParseCtx<'_>,
        protocol: AppProtocol,
        reason: &'static str,
    ) {
        if self.exhausted() {
            return;
        }
        self.errors = self.errors.saturating_add(1);
        // Exported as mizuban_drops_total{reason="parse_error"}.
        ctx.stats.drops.inc(mizuban_capture::DropReason::ParseError);
        let reason = if self.exhausted() {
            "too_many_errors"
        } else {
            reason
        };
        ctx.emit(EventKind::ParseError(ParseError { protocol, reason }));
    }
    pub(crate) fn exhausted(&self) -> bool {
        self.errors >= MAX_PARSE_ERRORS_PER_FLOW
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_utf16le_cuts_by_units_and_replaces_lone_surrogates() {
        assert_eq!(capped_utf16le(b"W\0I\0N\0", 2), "WI");
        assert_eq!(capped_utf16le(b"W\0I\0N", 8), "WI");
        assert_eq!(capped_utf16le(&[0x00, 0xd8, b'a', 0], 8), "\u{fffd}a");
    }

    #[test]
    fn capped_cuts_and_replaces_invalid_utf8() {
        assert_eq!(capped(b"abcdef", 3), "abc");
        assert_eq!(capped(b"ab", 3), "ab");
        assert_eq!(capped(b"a\xffb", 8), "a\u{fffd}b");
        // "é" is two bytes; a cap of 2 cuts it in half.
        assert_eq!(capped("aé".as_bytes(), 2), "a\u{fffd}");
    }

    #[test]
    fn reader_stops_at_the_end() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.be16(), Some(0x0102));
        assert_eq!(r.be16(), None);
        assert_eq!(r.u8(), Some(3));
        assert_eq!(r.u8(), None);
    }

    #[test]
    fn stream_buf_never_exceeds_its_cap() {
        let mut b = StreamBuf::default();
        assert_eq!(b.push(b"abcdef", 4), 2);
        assert_eq!(b.bytes(), b"abcd");
        b.clear();
        assert!(b.is_empty());
    }
}

/// Drives parsers in unit tests and collects what they emit.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod testutil {
    use crate::engine::EngineStats;
    use crate::event::{EventKind, FlowTuple};
    use crate::parser::{DatagramParser, Direction, ParseCtx, StreamParser};
    use mizuban_capture::{Timestamp, VlanTags};

    /// Bytes from a hex string (surrounding white space ignored).
    #[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
    pub(crate) fn hex(s: &str) -> Vec<u8> {
        let s = s.trim();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    pub(crate) fn tuple(proto: u8) -> FlowTuple {
        FlowTuple {
            client: "192.168.1.10:50000".parse().unwrap(),
            server: "192.168.1.20:80".parse().unwrap(),
            proto,
            vlan: VlanTags::default(),
        }
    }

    fn with_ctx(proto: u8, f: impl FnOnce(&mut ParseCtx<'_>)) -> Vec<EventKind> {
        let mut stats = EngineStats::default();
        let mut events = Vec::new();
        let mut sub = 0;
        let mut ctx = ParseCtx::new(
            Timestamp::default(),
            1,
            0,
            1,
            tuple(proto),
            &mut stats,
            &mut events,
            &mut sub,
        );
        f(&mut ctx);
        events.into_iter().map(|e| e.kind).collect()
    }

    /// Feeds each chunk in order, then closes the flow.
    pub(crate) fn stream<P: StreamParser>(
        p: &mut P,
        chunks: &[(Direction, &[u8])],
    ) -> Vec<EventKind> {
        with_ctx(6, |ctx| {
            for (dir, data) in chunks {
                p.on_data(ctx, *dir, data);
            }
            p.on_close(ctx);
        })
    }

    /// Feeds each datagram in order, then closes the flow.
    pub(crate) fn datagrams<P: DatagramParser>(
        p: &mut P,
        dgrams: &[(Direction, &[u8])],
    ) -> Vec<EventKind> {
        with_ctx(17, |ctx| {
            for (dir, data) in dgrams {
                p.on_datagram(ctx, *dir, data);
            }
            p.on_close(ctx);
        })
    }
}
