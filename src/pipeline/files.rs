//! Capture files as a [`FrameSource`]: several files merged in packet-time order by
//! `mizuban_capture::file::MergedReader` (no copy per packet).

use super::source::{FrameSource, SourceItem};
use mizuban_capture::file::{CaptureReader, FileError, MergedReader};
use std::path::Path;

pub struct FileSource {
    merged: MergedReader,
    /// Files that could not even be opened, reported first.
    open_errors: Vec<(u16, FileError)>,
}

fn index(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

impl FileSource {
    pub fn open(paths: &[impl AsRef<Path>]) -> FileSource {
        let mut open_errors = Vec::new();
        let mut readers = Vec::with_capacity(paths.len());
        for (i, p) in paths.iter().enumerate() {
            match CaptureReader::open(p.as_ref()) {
                Ok(r) => readers.push((i, r)),
                Err(e) => open_errors.push((index(i), e)),
            }
        }
        open_errors.reverse();
        FileSource {
            merged: MergedReader::new(readers),
            open_errors,
        }
    }
}

impl FrameSource for FileSource {
    fn next_item(&mut self) -> SourceItem<'_> {
        if let Some((file, error)) = self.open_errors.pop() {
            return SourceItem::Error { file, error };
        }
        match self.merged.next_frame() {
            Ok(Some(m)) => SourceItem::Frame {
                file: index(m.file),
                frame: m.frame,
            },
            Ok(None) => SourceItem::End,
            Err(e) => SourceItem::Error {
                file: index(e.file),
                error: e.error,
            },
        }
    }
}
