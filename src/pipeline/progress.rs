//! A progress bar on stderr for long replays (only when stderr is a terminal).

use super::source::LiveCounters;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Progress {
    bar: ProgressBar,
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Draws bytes read against the files' total size, refreshed from the source's
/// counters (captured bytes approximate file bytes closely enough for a bar).
pub fn start(files: &[PathBuf], live: Arc<LiveCounters>) -> Progress {
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let done = Arc::new(AtomicBool::new(false));
    let (b, d) = (bar.clone(), done.clone());
    let thread = std::thread::spawn(move || {
        while !d.load(Ordering::Relaxed) {
            b.set_position(live.bytes.load(Ordering::Relaxed));
            b.set_message(format!("{} packets", live.packets.load(Ordering::Relaxed)));
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    Progress {
        bar,
        done,
        thread: Some(thread),
    }
}

impl Progress {
    pub fn finish(mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.bar.finish_and_clear();
    }
}
