//! Threads and channels of the packet path (see ../shared/DESIGN.md "Data path").
//!
//! ```text
//! source (this thread) --batches--> workers 1..N --events+watermarks--> detector --> sinks
//! ```

pub mod batch;
pub mod chunk;
pub mod detector;
pub mod evidence;
pub mod files;
pub mod health;
pub mod merge;
pub mod progress;
pub mod run;
pub mod sinks;
pub mod source;
pub mod summary;
pub mod worker;

pub use run::{RunHandles, RunOptions, RunResult, collect, run};

use std::path::Path;

/// The name a capture file goes by in events and the summary: its file name.
pub fn display_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// The names of several inputs: their file names, except that inputs whose file names
/// collide (two `capture.pcap` from different sites) go by their paths as given, so the
/// summary and the events' `file` tell them apart.
pub fn display_names(paths: &[std::path::PathBuf]) -> Vec<String> {
    let short: Vec<String> = paths.iter().map(|p| display_name(p)).collect();
    short
        .iter()
        .zip(paths)
        .map(|(name, path)| {
            if short.iter().filter(|n| *n == name).count() > 1 {
                path.display().to_string()
            } else {
                name.clone()
            }
        })
        .collect()
}
