//! The reader's one buffer: bytes of the file are read into it in large chunks and records
//! are handed out as slices of it, so a packet is copied once (kernel to buffer) and never
//! again. This plays the role of a `BufReader`, but keeps the bytes addressable after they
//! are consumed, which a `BufReader` does not.

use super::FileError;
use std::io::{ErrorKind, Read};

/// A chunked reader over a byte stream with a fixed-size buffer.
pub(crate) struct Source {
    inner: Box<dyn Read + Send>,
    /// Always `buf.len()` bytes long; `pos..end` holds unread file bytes.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// File offset of `buf[pos]`.
    offset: u64,
    eof: bool,
}

impl Source {
    /// `capacity` is allocated once here and bounds every record the reader can return.
    pub(crate) fn new(inner: Box<dyn Read + Send>, capacity: usize) -> Source {
        Source {
            inner,
            buf: vec![0; capacity],
            pos: 0,
            end: 0,
            offset: 0,
            eof: false,
        }
    }

    /// File offset of the next unread byte.
    #[inline]
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    #[inline]
    fn available(&self) -> usize {
        self.end.saturating_sub(self.pos)
    }

    /// Makes `n` unread bytes available if the file has them, and returns how many are
    /// available (less than `n` only at end of file). `n` above the buffer size is
    /// clamped: callers bound their lengths by named constants below it.
    ///
    /// Moves unread bytes to the front of the buffer, so slices returned by
    /// [`Source::slice`] before this call are invalidated by it.
    #[inline]
    pub(crate) fn fill(&mut self, n: usize) -> Result<usize, FileError> {
        let have = self.available();
        if have >= n || self.eof {
            return Ok(have);
        }
        self.refill(n)
    }

    #[cold]
    fn refill(&mut self, n: usize) -> Result<usize, FileError> {
        let n = n.min(self.buf.len());
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end = self.available();
            self.pos = 0;
        }
        while self.end < n {
            let Some(room) = self.buf.get_mut(self.end..) else {
                break;
            };
            match self.inner.read(room) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                // `read` returns at most `room.len()`, so `end` stays within the buffer.
                Ok(k) => self.end = self.end.saturating_add(k).min(self.buf.len()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(FileError::Io {
                        offset: self.offset.saturating_add(self.available() as u64),
                        kind: e.kind(),
                    });
                }
            }
        }
        Ok(self.available())
    }

    /// Unread bytes `at..at + len`, relative to the next unread byte; empty if not
    /// available (callers [`Source::fill`] first).
    #[inline]
    pub(crate) fn peek(&self, at: usize, len: usize) -> &[u8] {
        let start = self.pos.saturating_add(at);
        self.buf
            .get(start..start.saturating_add(len).min(self.end))
            .unwrap_or(&[])
    }

    /// Buffer index of the next unread byte, to remember a record for [`Source::slice`].
    #[inline]
    pub(crate) fn index(&self) -> usize {
        self.pos
    }

    /// A slice of the buffer by absolute index, valid until the next [`Source::fill`].
    #[inline]
    pub(crate) fn slice(&self, start: usize, len: usize) -> &[u8] {
        self.buf
            .get(start..start.saturating_add(len))
            .unwrap_or(&[])
    }

    /// Marks `n` available bytes as read.
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.available());
        self.pos = self.pos.saturating_add(n);
        self.offset = self.offset.saturating_add(n as u64);
    }

    /// Reads and discards `n` bytes without holding them, for blocks we skip. Returns how
    /// many were skipped (less than `n` only at end of file).
    pub(crate) fn skip(&mut self, n: u64) -> Result<u64, FileError> {
        let mut left = n;
        while left > 0 {
            let want = usize::try_from(left)
                .unwrap_or(usize::MAX)
                .min(self.buf.len());
            let have = self.fill(want)?;
            if have == 0 {
                break;
            }
            let step = have.min(want);
            self.consume(step);
            left = left.saturating_sub(step as u64);
        }
        Ok(n.saturating_sub(left))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A reader that hands out one byte per call, to exercise refills.
    struct Trickle(Cursor<Vec<u8>>);
    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let one = buf.get_mut(..1).unwrap_or(&mut []);
            self.0.read(one)
        }
    }

    #[test]
    fn fill_compacts_and_tracks_offset() {
        let data: Vec<u8> = (0..20).collect();
        let mut s = Source::new(Box::new(Trickle(Cursor::new(data))), 8);
        assert_eq!(s.fill(6).unwrap(), 6);
        assert_eq!(s.peek(0, 6), &[0, 1, 2, 3, 4, 5]);
        s.consume(5);
        assert_eq!(s.offset(), 5);
        assert_eq!(s.fill(8).unwrap(), 8);
        assert_eq!(s.peek(0, 8), &[5, 6, 7, 8, 9, 10, 11, 12]);
        assert_eq!(s.skip(100).unwrap(), 15);
        assert_eq!(s.offset(), 20);
        assert_eq!(s.fill(1).unwrap(), 0);
    }
}
