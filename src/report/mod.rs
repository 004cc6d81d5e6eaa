//! `mizuban report` and `mizuban map`: the guideline-mapped audit report (one
//! self-contained HTML file, Japanese or English) and the communication map (SVG or
//! DOT), from a replay of capture files or from a sensor's `state.json`.
//!
//! ```text
//! replay FILE... ─┐                       ┌─► html::render (lang) ─► report.html
//!                 ├─► DetectState ─► model::Report
//! state.json ─────┘                       └─► map::build ─► map::svg | map::dot
//! ```

pub mod html;
pub mod i18n;
pub mod map;
pub mod model;

pub use i18n::Lang;
pub use model::{Origin, Report};

use crate::config::Config;
use crate::pipeline::{self, RunHandles, RunOptions, sinks::Sinks, source::BackPressure};
use anyhow::Context;
use mizuban_detect::baseline::BaselineState;
use mizuban_detect::baseline::tracker::lock;
use mizuban_detect::persist::{self, DetectState};
use std::path::{Path, PathBuf};

/// What a replay for a report produced: the state, and whether an input failed.
pub struct Replayed {
    pub state: DetectState,
    pub failed: bool,
}

/// Replays `files` through the whole pipeline (as `mizuban replay` does, with the same
/// config and baseline) and returns the tracker's state: baseline, inventory, evidence.
pub fn replay(
    cfg: &Config,
    files: &[PathBuf],
    baseline: Option<BaselineState>,
    workers: usize,
) -> anyhow::Result<Replayed> {
    // Never the config's [state] dir: a report must not touch a sensor's checkpoint.
    let tracker = match baseline {
        Some(b) => crate::state::open_tracker(cfg, None, Some(b))?,
        None => pipeline::run::new_tracker(cfg),
    };
    let mut src = pipeline::files::FileSource::open(files);
    let opts = RunOptions {
        tracker: Some(tracker.clone()),
        workers,
        back_pressure: BackPressure::Block,
        input_names: pipeline::display_names(files),
        sinks: Sinks::default(),
    };
    let result = pipeline::run(cfg, &mut src, opts, &RunHandles::default())?;
    for (input, path) in result.summary.inputs.iter().zip(files) {
        if let Some(e) = &input.error {
            eprintln!("mizuban: {}: {e}", path.display());
        }
    }
    let failed = result.source.inputs.iter().any(|i| i.fatal);
    let t = lock(&tracker);
    Ok(Replayed {
        state: DetectState {
            baseline: t.baseline.as_ref().map(|b| b.state().clone()),
            inventory: Some(t.inventory.state().clone()),
            evidence: Some(t.evidence.state().clone()),
        },
        failed,
    })
}

/// A sensor's checkpoint (`STATE_DIR/state.json`).
pub fn load_state(path: &Path) -> anyhow::Result<DetectState> {
    let st = persist::load_state(path)?;
    if st.evidence.is_none() {
        eprintln!(
            "mizuban: {}: written by an older mizuban without report evidence: the report \
             shows the inventory and baseline only (alerts, links and capture health \
             appear after the sensor's next checkpoint)",
            path.display()
        );
    }
    Ok(st)
}

/// Writes `text` to `out` ("-" or none: stdout), atomically for a file.
pub fn write_output(out: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match out {
        None => {
            use std::io::Write;
            let mut o = std::io::stdout().lock();
            o.write_all(text.as_bytes())?;
            o.flush()?;
            Ok(())
        }
        Some(p) if p.as_os_str() == "-" => write_output(None, text),
        Some(p) => {
            let dir = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "report".into());
            let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
            std::fs::write(&tmp, text)
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, p).with_context(|| format!("cannot write {}", p.display()))?;
            Ok(())
        }
    }
}
