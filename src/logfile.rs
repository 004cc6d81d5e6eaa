//! JSON-lines log files for a long-running capture: opened for appending (a restart
//! continues the file) and reopened on request, so logrotate can rename a file and
//! have the next line start a fresh one at the same path.
//!
//! Reopen rather than logrotate's `copytruncate`: copy-then-truncate loses whatever is
//! written between the two steps, and a reader following the file sees it shrink. The
//! request is a counter the SIGHUP handler bumps; the writer (the detector thread)
//! compares it before each line and on every flush, so no lock sits on the write path
//! and a line is never split across two files.

use std::fs::{File, OpenOptions};
use std::io::{self, LineWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Shared by the signal handler (which asks) and every [`LogFile`] (which obey).
#[derive(Clone, Default)]
pub struct ReopenRequest(Arc<AtomicU64>);

impl ReopenRequest {
    /// Asks every log file sharing this request to reopen before its next line.
    pub fn request(&self) {
        self.0.fetch_add(1, Ordering::Release);
    }

    fn generation(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// One append-only log file, line buffered.
pub struct LogFile {
    path: PathBuf,
    out: LineWriter<File>,
    request: ReopenRequest,
    generation: u64,
    /// Reopening is only safe between lines; JSON writers emit a line in pieces.
    at_line_start: bool,
    /// The generation whose reopen failed and was reported (reported once, retried
    /// before every line).
    failed_generation: Option<u64>,
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

impl LogFile {
    pub fn open(path: &Path, request: ReopenRequest) -> io::Result<LogFile> {
        let generation = request.generation();
        Ok(LogFile {
            path: path.to_path_buf(),
            out: LineWriter::new(open_append(path)?),
            request,
            generation,
            at_line_start: true,
            failed_generation: None,
        })
    }

    /// Switches to a fresh file at the same path if a reopen was requested. On failure
    /// the old file is kept and the error returned (the line is counted as a sink
    /// error by the caller); the next line tries again.
    fn reopen_if_requested(&mut self) -> io::Result<()> {
        let wanted = self.request.generation();
        if wanted == self.generation || !self.at_line_start {
            return Ok(());
        }
        // What is buffered belongs to the old file.
        self.out.flush()?;
        match open_append(&self.path) {
            Ok(f) => {
                self.out = LineWriter::new(f);
                self.generation = wanted;
                self.failed_generation = None;
                Ok(())
            }
            Err(e) => {
                if self.failed_generation != Some(wanted) {
                    self.failed_generation = Some(wanted);
                    eprintln!("mizuban: cannot reopen {}: {e}", self.path.display());
                }
                Err(e)
            }
        }
    }
}

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.reopen_if_requested()?;
        let n = self.out.write(buf)?;
        if let Some(last) = buf.get(..n).and_then(|b| b.last()) {
            self.at_line_start = *last == b'\n';
        }
        Ok(n)
    }

    /// Also the moment an idle file is reopened: the detector flushes periodically, so
    /// the new file appears soon after the request even when no line is due.
    fn flush(&mut self) -> io::Result<()> {
        self.reopen_if_requested()?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn read(p: &Path) -> String {
        std::fs::read_to_string(p).unwrap_or_default()
    }

    #[test]
    fn appends_and_reopens_between_lines_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.jsonl");
        std::fs::write(&path, "old\n").unwrap();
        let req = ReopenRequest::default();
        let mut f = LogFile::open(&path, req.clone()).unwrap();
        f.write_all(b"one\n").unwrap();
        assert_eq!(read(&path), "old\none\n", "appends, does not truncate");

        // Rotated while a line is half written: the line ends in the old file.
        f.write_all(b"tw").unwrap();
        let rotated = dir.path().join("alerts.jsonl.1");
        std::fs::rename(&path, &rotated).unwrap();
        req.request();
        f.write_all(b"o\n").unwrap();
        f.write_all(b"three\n").unwrap();
        assert_eq!(read(&rotated), "old\none\ntwo\n");
        assert_eq!(read(&path), "three\n");
    }

    #[test]
    fn an_idle_file_is_recreated_on_flush() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let req = ReopenRequest::default();
        let mut f = LogFile::open(&path, req.clone()).unwrap();
        std::fs::rename(&path, dir.path().join("events.jsonl.1")).unwrap();
        f.flush().unwrap();
        assert!(!path.exists(), "no reopen without a request");
        req.request();
        f.flush().unwrap();
        assert!(path.exists());
    }

    #[test]
    fn a_failed_reopen_is_retried() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("logs");
        std::fs::create_dir(&sub).unwrap();
        let path = sub.join("alerts.jsonl");
        let req = ReopenRequest::default();
        let mut f = LogFile::open(&path, req.clone()).unwrap();
        std::fs::rename(&sub, dir.path().join("gone")).unwrap();
        req.request();
        assert!(f.write_all(b"lost\n").is_err(), "no directory to reopen in");
        std::fs::create_dir(&sub).unwrap();
        f.write_all(b"kept\n").unwrap();
        assert_eq!(read(&path), "kept\n");
    }
}
