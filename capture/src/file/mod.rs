//! Capture files: pcap (both byte orders, micro/nanosecond) and pcapng, read in pure
//! Rust with bounded memory.
//!
//! One [`CaptureReader`] streams one file through a single fixed buffer
//! ([`READ_BUF_LEN`]); each [`Frame`] borrows its bytes from that buffer, so reading
//! allocates nothing per packet. Every length read from the file is checked against a
//! named bound before it is used. [`MergedReader`] interleaves several files in
//! timestamp order, as `mergecap` does.
//!
//! Link types: a value in the tcpdump.org LINKTYPE registry that mizuban does not decode
//! (IEEE 802.15.4, USB, ...) is handed on as [`LinkType::Unknown`] for the decoder to
//! count; a value outside the registry means the file is damaged or not what it claims,
//! and is [`FileError::UnknownLinkType`]: at open for pcap, at the first packet of that
//! interface for pcapng (an interface nobody captured on harms nothing).
//!
//! Formats: pcap per draft-ietf-opsawg-pcap, pcapng per draft-ietf-opsawg-pcapng (the
//! section numbers in the submodules refer to those drafts).

mod bytes;
mod merge;
mod pcap;
mod pcapng;
mod source;

pub use merge::{MergeError, MergedFrame, MergedReader};

use crate::link::LinkType;
use crate::time::Timestamp;
use source::Source;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Largest captured length of one packet we accept. Wireshark's limit for the common
/// link types (WTAP_MAX_PACKET_SIZE_STANDARD); a record claiming more is corrupt.
pub const MAX_CAPLEN: u32 = 256 * 1024;

/// Largest pcapng block we hold in memory whole (packet blocks, SHB, IDB): room for a
/// [`MAX_CAPLEN`] packet plus generous options.
pub const MAX_BUFFERED_BLOCK_LEN: u32 = 1024 * 1024;

/// Largest pcapng block we skip without reading it (name resolution, statistics,
/// decryption secrets, custom blocks). Skipping streams, so this bounds time spent on a
/// corrupt length, not memory. Wireshark uses the same 16 MiB cap.
pub const MAX_SKIPPED_BLOCK_LEN: u32 = 16 * 1024 * 1024;

/// Most interfaces one pcapng section may describe.
pub const MAX_INTERFACES: usize = 4096;

/// Size of the reader's buffer: bytes are read from the file in chunks of up to this
/// size. It must hold the largest block we buffer, [`MAX_BUFFERED_BLOCK_LEN`].
pub const READ_BUF_LEN: usize = MAX_BUFFERED_BLOCK_LEN as usize;

/// One record from a capture file, borrowed from the reader's buffer.
#[derive(Copy, Clone, Debug)]
pub struct Frame<'a> {
    pub ts: Timestamp,
    pub link: LinkType,
    pub data: &'a [u8],
    /// Length on the wire (>= data.len() when the capture truncated it).
    pub wire_len: u32,
    /// pcapng interface id (0 for pcap).
    pub interface: u32,
    /// 1-based frame number within the file, counting every packet record as tshark does.
    /// In pcapng, tshark also numbers custom and systemd journal export blocks, which
    /// carry no packet: numbers skip them, so they match tshark's `frame.number`.
    pub number: u64,
    /// Byte offset of the record in the file, for error messages.
    pub offset: u64,
}

/// Why a capture file could not be read (further). `Display` is one line naming the
/// byte offset; the caller prefixes the file name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The path names nothing (the message is the one `ls` gives, so it reads familiar).
    #[error("no such file or directory")]
    NotFound,
    #[error("is a directory, not a capture file")]
    IsDirectory,
    #[error("file is empty (0 bytes), not a capture")]
    Empty,
    #[error("I/O error at offset {offset}: {kind}")]
    Io {
        offset: u64,
        kind: std::io::ErrorKind,
    },
    #[error("not a pcap or pcapng file (magic 0x{magic:08x} at offset 0)")]
    NotACapture { magic: u32 },
    #[error("unknown link type {linktype} at offset {offset}")]
    UnknownLinkType { offset: u64, linktype: u32 },
    #[error("last record truncated at offset {offset}: needs {needed} bytes, {available} present")]
    TruncatedRecord {
        offset: u64,
        needed: u64,
        available: u64,
    },
    #[error("corrupt record header at offset {offset}: {reason}")]
    CorruptRecord { offset: u64, reason: &'static str },
}

impl FileError {
    /// A truncated last record ends the file normally (everything before it was read);
    /// every other error is a failure of the run.
    pub fn is_fatal(&self) -> bool {
        !matches!(self, FileError::TruncatedRecord { .. })
    }

    /// Byte offset in the file the error refers to.
    pub fn offset(&self) -> u64 {
        match *self {
            FileError::Io { offset, .. }
            | FileError::UnknownLinkType { offset, .. }
            | FileError::TruncatedRecord { offset, .. }
            | FileError::CorruptRecord { offset, .. } => offset,
            FileError::NotACapture { .. }
            | FileError::NotFound
            | FileError::IsDirectory
            | FileError::Empty => 0,
        }
    }
}

/// Which container a file turned out to be (by magic, not by file name: several
/// `.pcap` files in the wild are pcapng).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Pcap,
    Pcapng,
}

/// A packet record found by a format reader: where its bytes lie in the buffer.
#[derive(Copy, Clone, Debug)]
pub(crate) struct RawFrame {
    pub(crate) ts: Timestamp,
    pub(crate) link: LinkType,
    /// Buffer index and length of the captured bytes (see [`Source::slice`]).
    pub(crate) start: usize,
    pub(crate) len: usize,
    pub(crate) wire_len: u32,
    pub(crate) interface: u32,
    pub(crate) offset: u64,
    /// Records before this one that tshark numbers as frames but that carry no packet
    /// (pcapng custom and systemd journal blocks): frame numbers skip them too.
    pub(crate) number_gap: u64,
}

enum Format {
    Pcap(pcap::PcapReader),
    Pcapng(pcapng::PcapngReader),
}

/// Streaming reader over one capture file.
///
/// After `next_frame` returns an error, it returns `Ok(None)` forever: a file is read
/// up to its first problem and no further.
pub struct CaptureReader {
    src: Source,
    format: Format,
    /// The last record read, valid until the next read.
    current: Option<RawFrame>,
    /// Packet records returned so far.
    number: u64,
    done: bool,
}

impl CaptureReader {
    /// Opens a file and reads its header. Errors name offset 0 for the header.
    pub fn open(path: &Path) -> Result<CaptureReader, FileError> {
        let open_error = |e: std::io::Error| match e.kind() {
            std::io::ErrorKind::NotFound => FileError::NotFound,
            std::io::ErrorKind::IsADirectory => FileError::IsDirectory,
            kind => FileError::Io { offset: 0, kind },
        };
        // Opening a directory succeeds on Linux; only reading it fails, with a less
        // clear message, so look first.
        if std::fs::metadata(path).map_err(open_error)?.is_dir() {
            return Err(FileError::IsDirectory);
        }
        let file = File::open(path).map_err(open_error)?;
        CaptureReader::from_reader(file)
    }

    /// Reads a capture from any byte stream (tests, fuzzing, stdin).
    pub fn from_reader(reader: impl Read + Send + 'static) -> Result<CaptureReader, FileError> {
        let mut src = Source::new(Box::new(reader), READ_BUF_LEN);
        let have = src.fill(4)?;
        if have == 0 {
            return Err(FileError::Empty);
        }
        let magic_bytes = bytes::array_at::<4>(src.peek(0, 4), 0).unwrap_or_else(|| {
            // Shorter than a magic: report what is there, zero-padded.
            let mut b = [0u8; 4];
            for (d, s) in b.iter_mut().zip(src.peek(0, have)) {
                *d = *s;
            }
            b
        });
        let format = if let Some(p) = pcap::PcapReader::open(&mut src, magic_bytes)? {
            Format::Pcap(p)
        } else if let Some(p) = pcapng::PcapngReader::open(&mut src, magic_bytes)? {
            Format::Pcapng(p)
        } else {
            return Err(FileError::NotACapture {
                magic: u32::from_be_bytes(magic_bytes),
            });
        };
        Ok(CaptureReader {
            src,
            format,
            current: None,
            number: 0,
            done: false,
        })
    }

    /// Which container the file is.
    pub fn format(&self) -> FileFormat {
        match self.format {
            Format::Pcap(_) => FileFormat::Pcap,
            Format::Pcapng(_) => FileFormat::Pcapng,
        }
    }

    /// Reads the next packet record; `Ok(None)` at a clean end of file.
    #[inline]
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, FileError> {
        if self.advance()? {
            Ok(self.current())
        } else {
            Ok(None)
        }
    }

    /// Reads the next packet record into `current`; `Ok(false)` at the end.
    #[inline]
    pub(crate) fn advance(&mut self) -> Result<bool, FileError> {
        self.current = None;
        if self.done {
            return Ok(false);
        }
        let next = match &mut self.format {
            Format::Pcap(p) => p.next(&mut self.src),
            Format::Pcapng(p) => p.next(&mut self.src),
        };
        match next {
            Ok(Some(raw)) => {
                self.number = self.number.saturating_add(raw.number_gap).saturating_add(1);
                self.current = Some(raw);
                Ok(true)
            }
            Ok(None) => {
                self.done = true;
                Ok(false)
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    /// The record the last [`CaptureReader::advance`] read, if any.
    #[inline]
    pub(crate) fn current(&self) -> Option<Frame<'_>> {
        let raw = self.current?;
        Some(Frame {
            ts: raw.ts,
            link: raw.link,
            data: self.src.slice(raw.start, raw.len),
            wire_len: raw.wire_len,
            interface: raw.interface,
            number: self.number,
            offset: raw.offset,
        })
    }
}

/// The error for a record of `needed` bytes at `offset` of which only `available` exist.
pub(crate) fn truncated(offset: u64, needed: usize, available: usize) -> FileError {
    FileError::TruncatedRecord {
        offset,
        needed: needed as u64,
        available: available as u64,
    }
}
