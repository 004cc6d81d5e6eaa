//! What survives a restart: the baseline and inventory checkpoint (`[state] dir`), and
//! baseline files made by `mizuban baseline learn`.
//!
//! Every write goes through `mizuban_detect::persist` (temp file, fsync, rename, fsync
//! of the directory), so a process killed at any moment leaves the previous complete
//! file or the new one, never a torn one. A checkpoint thread saves every
//! `checkpoint_interval` of wall time; a run killed with SIGKILL loses at most that.

use crate::config::Config;
use anyhow::Context;
use mizuban_detect::baseline::tracker::lock;
use mizuban_detect::baseline::{AssetTracker, Baseline, BaselineState, SharedTracker};
use mizuban_detect::persist::{self, DetectState};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The checkpoint's file name inside the state directory.
pub const STATE_FILE: &str = "state.json";
/// Shortest checkpoint interval accepted: a full baseline takes a while to serialize,
/// and saving it back to back would only burn the detector's lock.
pub const MIN_CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);

/// `D/state.json`.
pub fn state_path(dir: &Path) -> PathBuf {
    dir.join(STATE_FILE)
}

/// The state directory: the command line's, else `[state] dir`.
pub fn state_dir(cli: Option<&Path>, cfg: &Config) -> Option<PathBuf> {
    cli.map(Path::to_path_buf).or_else(|| cfg.state.dir.clone())
}

/// A tracker for a run: resumed from `state` (a checkpoint) when that file exists,
/// else fresh from the config. `baseline`, when given, replaces the baseline half: an
/// explicit baseline file wins over the one in the checkpoint, and is enforced even if
/// `[detect.baseline] enabled` is off.
pub fn open_tracker(
    cfg: &Config,
    state: Option<&Path>,
    baseline: Option<BaselineState>,
) -> anyhow::Result<SharedTracker> {
    let d = &cfg.detect;
    if let Some(p) = state {
        remove_stale_temp_files(p);
    }
    let mut saved = match state {
        Some(p) if p.exists() => {
            let s = persist::load_state(p)?;
            eprintln!("mizuban: resuming from {}", p.display());
            s
        }
        Some(p) => {
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create state directory {}", dir.display()))?;
            }
            DetectState::default()
        }
        None => DetectState::default(),
    };
    let enabled = baseline.is_some() || d.baseline.enabled;
    if baseline.is_some() {
        saved.baseline = baseline;
    }
    let tracker = AssetTracker::from_state(
        enabled.then(|| d.baseline.clone()),
        d.inventory.clone(),
        saved,
    );
    Ok(Arc::new(Mutex::new(tracker)))
}

/// The state of one run: the tracker to pass in `RunOptions::tracker`, and the
/// checkpointer saving it when a state directory is configured.
pub struct RunState {
    /// `None` = no state directory and no baseline file: the pipeline makes its own.
    pub tracker: Option<SharedTracker>,
    pub checkpointer: Option<Checkpointer>,
}

impl RunState {
    /// Loads `DIR/state.json` if present (the command line's `dir`, else
    /// `[state] dir`) and starts checkpointing to it every `interval` (else
    /// `[state] checkpoint_interval`); `baseline` replaces the baseline half (see
    /// [`open_tracker`]). A newer or corrupt state file is an error: refusing to start
    /// beats overwriting an operator's baseline with an empty one.
    ///
    /// Use: `let st = RunState::open(&cfg, dir, None, None)?;` then
    /// `RunOptions { tracker: st.tracker.clone(), .. }`, run, then `st.finish()?`.
    pub fn open(
        cfg: &Config,
        dir: Option<&Path>,
        baseline: Option<BaselineState>,
        interval: Option<Duration>,
    ) -> anyhow::Result<RunState> {
        let path = state_dir(dir, cfg).map(|d| state_path(&d));
        if baseline.is_none() && path.is_none() {
            return Ok(RunState {
                tracker: None,
                checkpointer: None,
            });
        }
        let tracker = open_tracker(cfg, path.as_deref(), baseline)?;
        let checkpointer = path.map(|p| {
            let every = interval.unwrap_or(cfg.state.checkpoint_interval);
            Checkpointer::start(tracker.clone(), p, every)
        });
        Ok(RunState {
            tracker: Some(tracker),
            checkpointer,
        })
    }

    /// Stops checkpointing and writes the final checkpoint (if any).
    pub fn finish(self) -> anyhow::Result<()> {
        match self.checkpointer {
            Some(c) => c.finish(),
            None => Ok(()),
        }
    }
}

/// Removes temporary files a killed process left beside `state` (persist names them
/// `.NAME.tmp.PID`); the rename that would have replaced the state never happened, so
/// they hold nothing the state file lacks. Ours (this PID) is left alone.
fn remove_stale_temp_files(state: &Path) {
    let (Some(dir), Some(name)) = (state.parent(), state.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.tmp.", name.to_string_lossy());
    let ours = format!("{prefix}{}", std::process::id());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let n = e.file_name();
        let n = n.to_string_lossy();
        if n.starts_with(&prefix) && n != ours {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// A tracker whose baseline learns until told (`learn_secs = 0`), for `baseline learn`.
pub fn learning_tracker(cfg: &Config) -> SharedTracker {
    let mut b = cfg.detect.baseline.clone();
    b.enabled = true;
    b.learn_secs = 0;
    Arc::new(Mutex::new(AssetTracker::new(
        Some(b),
        cfg.detect.inventory.clone(),
    )))
}

/// Saves a tracker's checkpoint (both halves), holding its lock for the write.
pub fn save_tracker(tracker: &SharedTracker, path: &Path) -> anyhow::Result<()> {
    lock(tracker).save(path)?;
    Ok(())
}

/// A baseline file as `baseline learn` writes it (`kind: baseline`).
pub fn load_baseline(path: &Path) -> anyhow::Result<BaselineState> {
    Ok(persist::load_baseline(path)?)
}

pub fn save_baseline(path: &Path, b: &Baseline) -> anyhow::Result<()> {
    Ok(persist::save_baseline(path, b.state())?)
}

/// Periodic checkpoints of a running tracker, and a final one at the end.
///
/// A thread waits on a condition variable for `interval` (wall time: a checkpoint
/// protects against losing work, which is wall-clock), then locks the tracker and
/// saves. [`Checkpointer::finish`] (or drop) stops the thread and saves once more.
pub struct Checkpointer {
    tracker: SharedTracker,
    path: PathBuf,
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
    finished: bool,
}

impl Checkpointer {
    /// Starts saving `tracker` to `path` every `interval` (at least
    /// [`MIN_CHECKPOINT_INTERVAL`]). A failed save is reported on stderr once per
    /// failure and retried at the next interval; the run goes on.
    pub fn start(tracker: SharedTracker, path: PathBuf, interval: Duration) -> Checkpointer {
        let interval = interval.max(MIN_CHECKPOINT_INTERVAL);
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let (t, p, s) = (tracker.clone(), path.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("mizuban-checkpoint".into())
            .spawn(move || checkpoint_loop(&t, &p, &s, interval))
            .map_err(|e| eprintln!("mizuban: cannot start the checkpoint thread: {e}"))
            .ok();
        Checkpointer {
            tracker,
            path,
            stop,
            thread,
            finished: false,
        }
    }

    /// Stops the thread and writes the final checkpoint.
    pub fn finish(mut self) -> anyhow::Result<()> {
        self.finish_inner()
    }

    fn finish_inner(&mut self) -> anyhow::Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        {
            let (m, cv) = &*self.stop;
            *m.lock().unwrap_or_else(|e| e.into_inner()) = true;
            cv.notify_all();
        }
        if let Some(h) = self.thread.take() {
            let _ = h.join();
        }
        save_tracker(&self.tracker, &self.path)
            .with_context(|| format!("final checkpoint to {}", self.path.display()))
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        if let Err(e) = self.finish_inner() {
            eprintln!("mizuban: {e:#}");
        }
    }
}

fn checkpoint_loop(
    tracker: &SharedTracker,
    path: &Path,
    stop: &(Mutex<bool>, Condvar),
    interval: Duration,
) {
    let (m, cv) = stop;
    let mut stopped = m.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let (g, _) = cv
            .wait_timeout_while(stopped, interval, |s| !*s)
            .unwrap_or_else(|e| e.into_inner());
        stopped = g;
        if *stopped {
            return;
        }
        // Not holding the stop lock while saving: finish() must not wait on a save
        // to signal, only to join.
        drop(stopped);
        if let Err(e) = save_tracker(tracker, path) {
            eprintln!("mizuban: checkpoint to {} failed: {e:#}", path.display());
        }
        stopped = m.lock().unwrap_or_else(|e| e.into_inner());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn tracker() -> SharedTracker {
        crate::pipeline::run::new_tracker(&Config::default())
    }

    #[test]
    fn checkpointer_saves_periodically_and_at_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = state_path(dir.path());
        let c = Checkpointer::start(tracker(), path.clone(), MIN_CHECKPOINT_INTERVAL);
        // Bounded wait for the first periodic save (not a timing assertion).
        let mut polls = 0;
        while !path.exists() {
            polls += 1;
            assert!(polls < 3_000, "no periodic checkpoint");
            std::thread::sleep(Duration::from_millis(10));
        }
        std::fs::remove_file(&path).unwrap();
        c.finish().unwrap();
        let st = persist::load_state(&path).unwrap();
        assert!(st.baseline.is_some() && st.inventory.is_some());
    }

    #[test]
    fn dropping_a_checkpointer_saves() {
        let dir = tempfile::tempdir().unwrap();
        let path = state_path(dir.path());
        drop(Checkpointer::start(
            tracker(),
            path.clone(),
            Duration::from_secs(3600),
        ));
        assert!(persist::load_state(&path).is_ok());
    }

    #[test]
    fn no_dir_and_no_baseline_leaves_the_tracker_to_the_pipeline() {
        let st = RunState::open(&Config::default(), None, None, None).unwrap();
        assert!(st.tracker.is_none() && st.checkpointer.is_none());
    }

    #[test]
    fn a_baseline_file_wins_over_the_checkpoint_and_is_enforced_even_if_disabled() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = Config::default();
        cfg.detect.baseline.enabled = false;
        let b = BaselineState {
            mode: mizuban_detect::baseline::Mode::Enforcing,
            ..BaselineState::default()
        };
        let st = RunState::open(&cfg, Some(dir.path()), Some(b.clone()), None).unwrap();
        let t = st.tracker.clone().unwrap();
        assert_eq!(lock(&t).baseline.as_ref().map(|x| x.state()), Some(&b));
        st.finish().unwrap();
        let saved = persist::load_state(&state_path(dir.path())).unwrap();
        assert_eq!(saved.baseline, Some(b));
    }

    #[test]
    fn stale_temp_files_are_removed_but_not_ours() {
        let dir = tempfile::tempdir().unwrap();
        let path = state_path(dir.path());
        let stale = dir.path().join(".state.json.tmp.1");
        let ours = dir
            .path()
            .join(format!(".state.json.tmp.{}", std::process::id()));
        let other = dir.path().join("keep.txt");
        for p in [&stale, &ours, &other] {
            std::fs::write(p, "x").unwrap();
        }
        remove_stale_temp_files(&path);
        assert!(!stale.exists() && ours.exists() && other.exists());
    }
}
