//! Several capture files read as one stream in timestamp order, like `mergecap`.
//!
//! Each file keeps its next record in its own reader's buffer (no copy at all), and a
//! min-heap keyed by (timestamp, file index) picks the earliest. Records of one file
//! keep their order even when the file itself is not sorted by time, as mergecap does.
//! A file that fails is reported once, with its index, and dropped from the merge; the
//! other files go on.

use super::{CaptureReader, FileError, Frame};
use crate::time::Timestamp;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A frame of the merged stream and the index of the file it came from.
#[derive(Copy, Clone, Debug)]
pub struct MergedFrame<'a> {
    pub file: usize,
    pub frame: Frame<'a>,
}

/// A file of the merge failed; the merge continues with the others.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("file {file}: {error}")]
pub struct MergeError {
    pub file: usize,
    pub error: FileError,
}

/// Merges frames of several files by timestamp; ties go to the lower file index, then
/// to record order.
pub struct MergedReader {
    /// Readers by slot; a slot's file index is in `files`.
    readers: Vec<CaptureReader>,
    files: Vec<usize>,
    /// Slots whose current record is waiting, keyed for the earliest first.
    heap: BinaryHeap<Reverse<(Timestamp, usize, usize)>>,
    /// Slots not read yet: each is primed on the first calls, in order.
    unprimed: usize,
    /// The slot whose record was handed out last: it advances on the next call.
    handed_out: Option<usize>,
}

impl MergedReader {
    /// `inputs` pairs the caller's file index (reported back with every frame and
    /// error) with an opened reader.
    pub fn new(inputs: impl IntoIterator<Item = (usize, CaptureReader)>) -> MergedReader {
        let (files, readers): (Vec<usize>, Vec<CaptureReader>) = inputs.into_iter().unzip();
        MergedReader {
            heap: BinaryHeap::with_capacity(readers.len()),
            readers,
            files,
            unprimed: 0,
            handed_out: None,
        }
    }

    /// The earliest pending frame of all files; `Ok(None)` when every file is done.
    /// An `Err` reports one file's failure; call again to continue with the others.
    pub fn next_frame(&mut self) -> Result<Option<MergedFrame<'_>>, MergeError> {
        if let Some(slot) = self.handed_out.take() {
            self.advance(slot)?;
        }
        while self.unprimed < self.readers.len() {
            let slot = self.unprimed;
            self.unprimed = slot.saturating_add(1);
            self.advance(slot)?;
        }
        let Some(Reverse((_, _, slot))) = self.heap.pop() else {
            return Ok(None);
        };
        self.handed_out = Some(slot);
        let file = self.file(slot);
        Ok(self
            .readers
            .get(slot)
            .and_then(CaptureReader::current)
            .map(|frame| MergedFrame { file, frame }))
    }

    /// Reads the next record of `slot` and queues it; a failed file leaves the merge.
    fn advance(&mut self, slot: usize) -> Result<(), MergeError> {
        let file = self.file(slot);
        let Some(reader) = self.readers.get_mut(slot) else {
            return Ok(());
        };
        match reader.advance() {
            Ok(true) => {
                if let Some(f) = reader.current() {
                    self.heap.push(Reverse((f.ts, file, slot)));
                }
                Ok(())
            }
            Ok(false) => Ok(()),
            Err(error) => Err(MergeError { file, error }),
        }
    }

    fn file(&self, slot: usize) -> usize {
        self.files.get(slot).copied().unwrap_or(slot)
    }
}
