//! Capture files: pcap (both byte orders, micro/nanosecond) and pcapng, read in pure
//! Rust with bounded memory. STUB: to be implemented (issue 2, point 1).

use crate::link::LinkType;
use crate::time::Timestamp;
use std::path::Path;

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
    pub number: u64,
    /// Byte offset of the record in the file, for error messages.
    pub offset: u64,
}

/// Why a capture file could not be read (further). `Display` is one line naming the
/// byte offset; the caller prefixes the file name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    #[error("I/O error at offset {offset}: {kind}")]
    Io {
        offset: u64,
        kind: std::io::ErrorKind,
    },
    #[error("not a pcap or pcapng file (magic 0x{magic:08x} at offset 0)")]
    NotACapture { magic: u32 },
    #[error("unsupported link type {linktype} at offset {offset}")]
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
}

/// Streaming reader over one capture file.
pub struct CaptureReader {
    _private: (),
}

impl CaptureReader {
    pub fn open(_path: &Path) -> Result<CaptureReader, FileError> {
        Err(FileError::NotACapture { magic: 0 })
    }

    /// Reads the next packet record; `Ok(None)` at a clean end of file.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, FileError> {
        Ok(None)
    }
}
