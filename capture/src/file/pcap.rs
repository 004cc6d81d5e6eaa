//! Classic pcap (draft-ietf-opsawg-pcap).
//!
//! File header, section 4 (24 bytes):
//!
//! | offset | size | field                                   |
//! |--------|------|-----------------------------------------|
//! | 0      | 4    | magic: 0xA1B2C3D4 (us) or 0xA1B23C4D (ns) |
//! | 4      | 2+2  | major, minor version                    |
//! | 8      | 4+4  | reserved (thiszone, sigfigs)            |
//! | 16     | 4    | snaplen                                 |
//! | 20     | 4    | link type (low 26 bits) + FCS info      |
//!
//! Record header, section 5 (16 bytes), then `caplen` bytes of packet:
//!
//! | offset | size | field                         |
//! |--------|------|-------------------------------|
//! | 0      | 4    | timestamp seconds (unsigned)  |
//! | 4      | 4    | microseconds or nanoseconds   |
//! | 8      | 4    | captured length               |
//! | 12     | 4    | original length               |

use super::bytes::Endian;
use super::source::Source;
use super::{FileError, MAX_CAPLEN, RawFrame, truncated};
use crate::link::LinkType;
use crate::time::Timestamp;

const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
const FILE_HEADER_LEN: usize = 24;
const RECORD_HEADER_LEN: usize = 16;
const LINKTYPE_OFFSET: u64 = 20;
/// Section 4: the top bits of the link type field carry FCS information (bits 26-31);
/// the link type itself is the rest (libpcap's LT_LINKTYPE).
const LINKTYPE_MASK: u32 = 0x03ff_ffff;

/// State for reading the records of a pcap file.
pub(crate) struct PcapReader {
    endian: Endian,
    /// Nanoseconds per unit of the fractional timestamp: 1000 (us) or 1 (ns).
    frac_unit: i64,
    link: LinkType,
}

impl PcapReader {
    /// Reads the file header if `magic` is a pcap magic in either byte order;
    /// `Ok(None)` if it is not.
    pub(crate) fn open(src: &mut Source, magic: [u8; 4]) -> Result<Option<PcapReader>, FileError> {
        let (endian, frac_unit) = match (u32::from_le_bytes(magic), u32::from_be_bytes(magic)) {
            (MAGIC_MICROS, _) => (Endian::Little, 1000),
            (MAGIC_NANOS, _) => (Endian::Little, 1),
            (_, MAGIC_MICROS) => (Endian::Big, 1000),
            (_, MAGIC_NANOS) => (Endian::Big, 1),
            _ => return Ok(None),
        };
        if src.fill(FILE_HEADER_LEN)? < FILE_HEADER_LEN {
            return Err(FileError::CorruptRecord {
                offset: 0,
                reason: "pcap file header truncated",
            });
        }
        let raw_link = endian
            .u32_at(src.peek(0, FILE_HEADER_LEN), 20)
            .unwrap_or(u32::MAX);
        let linktype = raw_link & LINKTYPE_MASK;
        let link = LinkType::from_linktype(linktype);
        if !LinkType::is_registered(linktype) {
            return Err(FileError::UnknownLinkType {
                offset: LINKTYPE_OFFSET,
                linktype,
            });
        }
        src.consume(FILE_HEADER_LEN);
        Ok(Some(PcapReader {
            endian,
            frac_unit,
            link,
        }))
    }

    /// Reads the next record; `Ok(None)` at a clean end of file.
    #[inline]
    pub(crate) fn next(&mut self, src: &mut Source) -> Result<Option<RawFrame>, FileError> {
        let offset = src.offset();
        let have = src.fill(RECORD_HEADER_LEN)?;
        if have == 0 {
            return Ok(None);
        }
        let hdr = src.peek(0, RECORD_HEADER_LEN);
        let e = self.endian;
        let (Some(secs), Some(frac), Some(caplen), Some(orig_len)) = (
            e.u32_at(hdr, 0),
            e.u32_at(hdr, 4),
            e.u32_at(hdr, 8),
            e.u32_at(hdr, 12),
        ) else {
            return Err(truncated(offset, RECORD_HEADER_LEN, have));
        };
        if caplen > MAX_CAPLEN {
            return Err(FileError::CorruptRecord {
                offset,
                reason: "captured length above the 256 KiB maximum",
            });
        }
        // caplen <= MAX_CAPLEN, far below usize::MAX and the buffer size.
        let len = caplen as usize;
        let total = RECORD_HEADER_LEN.saturating_add(len);
        let have = src.fill(total)?;
        if have < total {
            return Err(truncated(offset, total, have));
        }
        let start = src.index().saturating_add(RECORD_HEADER_LEN);
        src.consume(total);
        // Seconds are unsigned 32-bit (section 5), so the sum stays far inside i64.
        let ns = i64::from(secs)
            .saturating_mul(1_000_000_000)
            .saturating_add(i64::from(frac).saturating_mul(self.frac_unit));
        Ok(Some(RawFrame {
            ts: Timestamp::from_nanos(ns),
            link: self.link,
            start,
            len,
            // A writer may record orig_len < caplen; the frame promises wire_len >= len.
            wire_len: orig_len.max(caplen),
            interface: 0,
            offset,
            number_gap: 0,
        }))
    }
}
