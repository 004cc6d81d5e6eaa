//! pcapng (draft-ietf-opsawg-pcapng).
//!
//! Every block (section 3.1) is `type u32, total length u32, body, total length u32`,
//! in the byte order of the current section. We read:
//!
//! | block | type       | body we use (offsets within the body)                            |
//! |-------|------------|-------------------------------------------------------------------|
//! | SHB   | 0x0A0D0D0A | 0 byte-order magic, 4 major, 6 minor, 8 section length, 16 options |
//! | IDB   | 1          | 0 link type u16, 2 reserved, 4 snaplen, 8 options (if_tsresol 9, if_tsoffset 14) |
//! | EPB   | 6          | 0 interface, 4 ts high, 8 ts low, 12 caplen, 16 orig len, 20 data |
//! | SPB   | 3          | 0 orig len, 4 data (interface 0, no timestamp)                   |
//! | PB    | 2          | 0 interface u16, 2 drops u16, 4 ts high, 8 ts low, 12 caplen, 16 orig len, 20 data (obsolete, Appendix A) |
//!
//! Every other block (NRB, ISB, DSB, custom, unknown) is skipped without being held in
//! memory. A new SHB starts a new section (section 4.1): byte order and interfaces reset.

use super::bytes::Endian;
use super::source::Source;
use super::{
    FileError, MAX_BUFFERED_BLOCK_LEN, MAX_CAPLEN, MAX_INTERFACES, MAX_SKIPPED_BLOCK_LEN, RawFrame,
    truncated,
};
use crate::link::LinkType;
use crate::time::Timestamp;

/// Section 4.1: the SHB type reads the same in both byte orders.
const SHB_TYPE: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
const IDB_TYPE: u32 = 1;
const PB_TYPE: u32 = 2;
const SPB_TYPE: u32 = 3;
const EPB_TYPE: u32 = 6;
/// Blocks tshark shows as frames though they hold no packet: systemd journal export
/// (section 4.9 of the block type registry) and custom blocks (section 4.8), with and
/// without the "may be copied" bit. We skip them but count them in frame numbers.
const SJE_TYPE: u32 = 9;
const CUSTOM_TYPE: u32 = 0x0000_0bad;
const CUSTOM_COPY_TYPE: u32 = 0x4000_0bad;

/// Type and total length before the body, total length after it (section 3.1).
const BLOCK_HEADER_LEN: usize = 8;
const BLOCK_TRAILER_LEN: usize = 4;
const MIN_BLOCK_LEN: usize = BLOCK_HEADER_LEN + BLOCK_TRAILER_LEN;
/// Header, byte-order magic, versions, section length, trailer.
const MIN_SHB_LEN: usize = MIN_BLOCK_LEN + 16;
/// Fixed part of an IDB body: link type, reserved, snaplen.
const IDB_FIXED_LEN: usize = 8;
/// Fixed part of EPB and PB bodies before the packet data.
const EPB_FIXED_LEN: usize = 20;
/// Fixed part of an SPB body: original length.
const SPB_FIXED_LEN: usize = 4;

/// Section 4.2 options.
const OPT_ENDOFOPT: u16 = 0;
const OPT_IF_TSRESOL: u16 = 9;
const OPT_IF_TSOFFSET: u16 = 14;
/// Microseconds: the if_tsresol default (section 4.2).
const DEFAULT_TSRESOL: u8 = 6;

/// How to turn timestamp units of one interface into nanoseconds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum TsScale {
    /// Units of 10^-k s with k <= 9: multiply.
    Mul(u64),
    /// Units of 10^-k s with k > 9: divide (saturated to u128::MAX past 10^38).
    Div(u128),
    /// Units of 2^-k s.
    Pow2(u32),
}

impl TsScale {
    /// if_tsresol (section 4.2): top bit clear means 10^-v, set means 2^-(v & 0x7f).
    fn from_tsresol(v: u8) -> TsScale {
        if v & 0x80 == 0 {
            match 9u32.checked_sub(u32::from(v)) {
                Some(k) => TsScale::Mul(10u64.pow(k)),
                None => TsScale::Div(
                    10u128
                        .checked_pow(u32::from(v).saturating_sub(9))
                        .unwrap_or(u128::MAX),
                ),
            }
        } else {
            TsScale::Pow2(u32::from(v & 0x7f))
        }
    }

    #[inline]
    fn to_nanos(self, units: u64) -> i128 {
        match self {
            TsScale::Mul(m) => i128::from(units).saturating_mul(i128::from(m)),
            TsScale::Div(d) => {
                i128::try_from(u128::from(units).checked_div(d).unwrap_or(0)).unwrap_or(0)
            }
            TsScale::Pow2(k) => {
                let scaled = u128::from(units).saturating_mul(1_000_000_000);
                i128::try_from(scaled.checked_shr(k).unwrap_or(0)).unwrap_or(i128::MAX)
            }
        }
    }
}

/// What an IDB told us about one interface.
#[derive(Copy, Clone, Debug)]
struct Interface {
    link: LinkType,
    /// Raw link type, for the error message when `link` is unsupported.
    linktype: u32,
    snaplen: u32,
    scale: TsScale,
    /// if_tsoffset: seconds to add to every timestamp.
    offset_secs: i64,
}

impl Interface {
    #[inline]
    fn timestamp(&self, units: u64) -> Timestamp {
        let ns = self
            .scale
            .to_nanos(units)
            .saturating_add(i128::from(self.offset_secs).saturating_mul(1_000_000_000));
        let clamped = ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX));
        Timestamp::from_nanos(i64::try_from(clamped).unwrap_or(i64::MAX))
    }
}

/// State for reading the blocks of a pcapng file.
pub(crate) struct PcapngReader {
    endian: Endian,
    interfaces: Vec<Interface>,
    /// Timestamp of the last packet, given to SPBs, which carry none (section 4.4), so
    /// packet time does not jump to 1970 in the middle of a capture.
    last_ts: Timestamp,
    /// Numbered non-packet blocks seen since the last packet (see [`SJE_TYPE`]).
    number_gap: u64,
}

/// A block header as read from the file.
struct BlockHeader {
    offset: u64,
    btype: u32,
    total: usize,
}

fn corrupt(offset: u64, reason: &'static str) -> FileError {
    FileError::CorruptRecord { offset, reason }
}

impl PcapngReader {
    /// Reads the first SHB if `magic` is the pcapng block type; `Ok(None)` if not.
    pub(crate) fn open(
        src: &mut Source,
        magic: [u8; 4],
    ) -> Result<Option<PcapngReader>, FileError> {
        if magic != SHB_TYPE {
            return Ok(None);
        }
        let mut r = PcapngReader {
            endian: Endian::Little,
            interfaces: Vec::new(),
            last_ts: Timestamp::ZERO,
            number_gap: 0,
        };
        match r.read_shb(src) {
            Ok(()) => Ok(Some(r)),
            // A file that ends inside its first header has nothing to read: corrupt,
            // not a truncated last record.
            Err(FileError::TruncatedRecord { .. }) => {
                Err(corrupt(0, "pcapng section header block truncated"))
            }
            Err(e) => Err(e),
        }
    }

    /// Reads blocks up to the next packet; `Ok(None)` at a clean end of file. Each
    /// iteration consumes a whole block of at least 12 bytes, so the loop ends.
    pub(crate) fn next(&mut self, src: &mut Source) -> Result<Option<RawFrame>, FileError> {
        loop {
            let offset = src.offset();
            let have = src.fill(BLOCK_HEADER_LEN)?;
            if have == 0 {
                return Ok(None);
            }
            let head = src.peek(0, BLOCK_HEADER_LEN);
            if head.get(..4) == Some(&SHB_TYPE[..]) {
                self.read_shb(src)?;
                continue;
            }
            let (Some(btype), Some(total)) =
                (self.endian.u32_at(head, 0), self.endian.u32_at(head, 4))
            else {
                return Err(truncated(offset, BLOCK_HEADER_LEN, have));
            };
            check_block_len(offset, total)?;
            let buffered = matches!(btype, IDB_TYPE | PB_TYPE | SPB_TYPE | EPB_TYPE);
            if !buffered {
                self.skip_block(src, offset, total)?;
                if matches!(btype, SJE_TYPE | CUSTOM_TYPE | CUSTOM_COPY_TYPE) {
                    self.number_gap = self.number_gap.saturating_add(1);
                }
                continue;
            }
            if total > MAX_BUFFERED_BLOCK_LEN {
                return Err(corrupt(offset, "block length above the 1 MiB maximum"));
            }
            // total <= MAX_BUFFERED_BLOCK_LEN fits usize and the buffer.
            let hdr = BlockHeader {
                offset,
                btype,
                total: total as usize,
            };
            self.fill_block(src, &hdr)?;
            if btype == IDB_TYPE {
                self.read_idb(src, &hdr)?;
                src.consume(hdr.total);
                continue;
            }
            let frame = self.read_packet(src, &hdr)?;
            src.consume(hdr.total);
            return Ok(Some(frame));
        }
    }

    /// Makes the whole block available and checks its trailing length.
    fn fill_block(&self, src: &mut Source, hdr: &BlockHeader) -> Result<(), FileError> {
        let have = src.fill(hdr.total)?;
        if have < hdr.total {
            return Err(truncated(hdr.offset, hdr.total, have));
        }
        let trailer_at = hdr.total.saturating_sub(BLOCK_TRAILER_LEN);
        let trailer = self.endian.u32_at(src.peek(0, hdr.total), trailer_at);
        if trailer.map(|t| t as usize) != Some(hdr.total) {
            return Err(corrupt(hdr.offset, "block trailing length differs"));
        }
        Ok(())
    }

    /// Section 4.1. The byte-order magic decides how the rest of the section reads.
    fn read_shb(&mut self, src: &mut Source) -> Result<(), FileError> {
        let offset = src.offset();
        let have = src.fill(12)?;
        let head = src.peek(0, 12);
        let Some(bom) = super::bytes::array_at::<4>(head, 8) else {
            return Err(truncated(offset, 12, have));
        };
        let endian = if u32::from_le_bytes(bom) == BYTE_ORDER_MAGIC {
            Endian::Little
        } else if u32::from_be_bytes(bom) == BYTE_ORDER_MAGIC {
            Endian::Big
        } else {
            return Err(corrupt(offset, "bad pcapng byte-order magic"));
        };
        let total = endian.u32_at(head, 4).unwrap_or(0);
        check_block_len(offset, total)?;
        if (total as usize) < MIN_SHB_LEN {
            return Err(corrupt(offset, "section header block too short"));
        }
        if total > MAX_BUFFERED_BLOCK_LEN {
            return Err(corrupt(offset, "block length above the 1 MiB maximum"));
        }
        self.endian = endian;
        let hdr = BlockHeader {
            offset,
            btype: 0,
            total: total as usize,
        };
        self.fill_block(src, &hdr)?;
        let major = endian.u16_at(src.peek(0, hdr.total), 12);
        if major != Some(1) {
            return Err(corrupt(offset, "unsupported pcapng major version"));
        }
        self.interfaces.clear();
        src.consume(hdr.total);
        Ok(())
    }

    /// Section 4.2: one more interface, numbered in order of appearance.
    fn read_idb(&mut self, src: &Source, hdr: &BlockHeader) -> Result<(), FileError> {
        let body = body(src, hdr);
        let e = self.endian;
        let (Some(linktype), Some(snaplen)) = (e.u16_at(body, 0), e.u32_at(body, 4)) else {
            return Err(corrupt(hdr.offset, "interface description block too short"));
        };
        if self.interfaces.len() >= MAX_INTERFACES {
            return Err(corrupt(
                hdr.offset,
                "more than 4096 interfaces in a section",
            ));
        }
        let mut tsresol = DEFAULT_TSRESOL;
        let mut offset_secs = 0i64;
        for (code, value) in Options::new(e, body.get(IDB_FIXED_LEN..).unwrap_or(&[])) {
            match code {
                OPT_IF_TSRESOL => {
                    if let Some(&v) = value.first() {
                        tsresol = v;
                    }
                }
                OPT_IF_TSOFFSET => {
                    if let Some(v) = e.u64_at(value, 0) {
                        offset_secs = v as i64;
                    }
                }
                _ => {}
            }
        }
        let linktype = u32::from(linktype);
        self.interfaces.push(Interface {
            link: LinkType::from_linktype(linktype),
            linktype,
            snaplen,
            scale: TsScale::from_tsresol(tsresol),
            offset_secs,
        });
        Ok(())
    }

    /// Sections 4.3 (EPB), 4.4 (SPB) and Appendix A (PB).
    fn read_packet(&mut self, src: &Source, hdr: &BlockHeader) -> Result<RawFrame, FileError> {
        let body = body(src, hdr);
        let e = self.endian;
        let short = || corrupt(hdr.offset, "packet block too short");
        let (interface, ts, caplen, orig_len, data_at) = if hdr.btype == SPB_TYPE {
            let orig_len = e.u32_at(body, 0).ok_or_else(short)?;
            let iface = self.interface(hdr.offset, 0)?;
            // Section 4.4: the captured length is the original length cut to the
            // snaplen; the block must hold it (the rest of the body is padding).
            let mut caplen = orig_len;
            if iface.snaplen != 0 {
                caplen = caplen.min(iface.snaplen);
            }
            let caplen = check_caplen(hdr.offset, caplen, body.len(), SPB_FIXED_LEN)?;
            (0, self.last_ts, caplen, orig_len, SPB_FIXED_LEN)
        } else {
            let interface = if hdr.btype == EPB_TYPE {
                e.u32_at(body, 0)
            } else {
                e.u16_at(body, 0).map(u32::from)
            }
            .ok_or_else(short)?;
            let (Some(hi), Some(lo), Some(caplen), Some(orig_len)) = (
                e.u32_at(body, 4),
                e.u32_at(body, 8),
                e.u32_at(body, 12),
                e.u32_at(body, 16),
            ) else {
                return Err(short());
            };
            let caplen = check_caplen(hdr.offset, caplen, body.len(), EPB_FIXED_LEN)?;
            let units = (u64::from(hi) << 32) | u64::from(lo);
            let ts = self.interface(hdr.offset, interface)?.timestamp(units);
            self.last_ts = ts;
            (interface, ts, caplen, orig_len, EPB_FIXED_LEN)
        };
        let iface = self.interface(hdr.offset, interface)?;
        if !LinkType::is_registered(iface.linktype) {
            return Err(FileError::UnknownLinkType {
                offset: hdr.offset,
                linktype: iface.linktype,
            });
        }
        // caplen <= MAX_CAPLEN or the block size, both below u32::MAX.
        let caplen_u32 = u32::try_from(caplen).unwrap_or(u32::MAX);
        Ok(RawFrame {
            ts,
            link: iface.link,
            start: src
                .index()
                .saturating_add(BLOCK_HEADER_LEN)
                .saturating_add(data_at),
            len: caplen,
            wire_len: orig_len.max(caplen_u32),
            interface,
            offset: hdr.offset,
            number_gap: std::mem::take(&mut self.number_gap),
        })
    }

    fn interface(&self, offset: u64, id: u32) -> Result<&Interface, FileError> {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.interfaces.get(i))
            .ok_or_else(|| corrupt(offset, "packet block names an undefined interface"))
    }

    /// Skips a block we do not interpret, without buffering it, and checks its trailer.
    fn skip_block(&self, src: &mut Source, offset: u64, total: u32) -> Result<(), FileError> {
        if total > MAX_SKIPPED_BLOCK_LEN {
            return Err(corrupt(offset, "block length above the 16 MiB maximum"));
        }
        let before_trailer = u64::from(total).saturating_sub(BLOCK_TRAILER_LEN as u64);
        let skipped = src.skip(before_trailer)?;
        let have = src.fill(BLOCK_TRAILER_LEN)?;
        if skipped < before_trailer || have < BLOCK_TRAILER_LEN {
            let available = usize::try_from(skipped)
                .unwrap_or(usize::MAX)
                .saturating_add(have);
            return Err(truncated(offset, total as usize, available));
        }
        let trailer = self.endian.u32_at(src.peek(0, BLOCK_TRAILER_LEN), 0);
        if trailer != Some(total) {
            return Err(corrupt(offset, "block trailing length differs"));
        }
        src.consume(BLOCK_TRAILER_LEN);
        Ok(())
    }
}

/// A packet block's captured length: at most [`MAX_CAPLEN`], and within the body after
/// the block's `fixed_len` bytes of fixed fields.
fn check_caplen(
    offset: u64,
    caplen: u32,
    body_len: usize,
    fixed_len: usize,
) -> Result<usize, FileError> {
    if caplen > MAX_CAPLEN {
        return Err(corrupt(offset, "captured length above the 256 KiB maximum"));
    }
    let caplen = caplen as usize;
    if caplen > body_len.saturating_sub(fixed_len) {
        return Err(corrupt(offset, "captured length beyond the block"));
    }
    Ok(caplen)
}

/// Section 3.1: a block's total length covers header and trailer and is a multiple of 4.
fn check_block_len(offset: u64, total: u32) -> Result<(), FileError> {
    if (total as usize) < MIN_BLOCK_LEN || total & 3 != 0 {
        return Err(corrupt(
            offset,
            "block length below 12 or not a multiple of 4",
        ));
    }
    Ok(())
}

/// The body of a block that [`PcapngReader::fill_block`] made available.
fn body<'a>(src: &'a Source, hdr: &BlockHeader) -> &'a [u8] {
    let len = hdr.total.saturating_sub(MIN_BLOCK_LEN);
    src.peek(BLOCK_HEADER_LEN, len)
}

/// Iterator over the options of a block body (section 3.5): code u16, length u16,
/// value padded to 32 bits, up to opt_endofopt or the end of the body. An option that
/// runs past the body ends the list; each step consumes at least 4 bytes.
struct Options<'a> {
    endian: Endian,
    rest: &'a [u8],
}

impl<'a> Options<'a> {
    fn new(endian: Endian, rest: &'a [u8]) -> Options<'a> {
        Options { endian, rest }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<(u16, &'a [u8])> {
        let code = self.endian.u16_at(self.rest, 0)?;
        let len = usize::from(self.endian.u16_at(self.rest, 2)?);
        if code == OPT_ENDOFOPT {
            self.rest = &[];
            return None;
        }
        let value = self.rest.get(4..4usize.saturating_add(len));
        let padded = len.saturating_add(3) & !3;
        self.rest = self
            .rest
            .get(4usize.saturating_add(padded)..)
            .unwrap_or(&[]);
        if value.is_none() {
            self.rest = &[];
        }
        Some((code, value?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsresol_decimal_and_binary() {
        assert_eq!(TsScale::from_tsresol(6), TsScale::Mul(1000));
        assert_eq!(TsScale::from_tsresol(9), TsScale::Mul(1));
        assert_eq!(TsScale::from_tsresol(0), TsScale::Mul(1_000_000_000));
        assert_eq!(TsScale::from_tsresol(12), TsScale::Div(1000));
        assert_eq!(TsScale::from_tsresol(0x8a), TsScale::Pow2(10));
        // 1.5 s in units of 2^-10 s.
        assert_eq!(TsScale::Pow2(10).to_nanos(1536), 1_500_000_000);
        // 1 ps units: 2500 ps = 2 ns (truncated).
        assert_eq!(TsScale::Div(1000).to_nanos(2500), 2);
    }

    #[test]
    fn absurd_resolutions_do_not_overflow() {
        assert_eq!(TsScale::from_tsresol(0x7f).to_nanos(u64::MAX), 0);
        assert_eq!(TsScale::from_tsresol(0xff).to_nanos(u64::MAX), 0);
        assert!(TsScale::from_tsresol(0x80).to_nanos(u64::MAX) > 0);
    }

    #[test]
    fn options_stop_at_overrun_and_end() {
        // if_tsresol=9, then an option claiming 200 bytes in a 4-byte remainder.
        let body = [9, 0, 1, 0, 9, 0, 0, 0, 2, 0, 200, 0];
        let got: Vec<_> = Options::new(Endian::Little, &body).collect();
        assert_eq!(got, vec![(9u16, &[9u8][..])]);
        let end = [0, 0, 0, 0, 9, 0, 1, 0, 9, 0, 0, 0];
        assert_eq!(Options::new(Endian::Little, &end).count(), 0);
    }
}
