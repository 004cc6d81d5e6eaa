//! Wiring: one source thread, N workers, one detector thread, joined by bounded
//! crossbeam channels. Replay and live capture share it; only the source and the
//! back-pressure mode differ.

use super::batch::{PacketBatch, WorkerMsg};
use super::chunk::ChunkPool;
use super::detector::{self, DetectorOutput, SharedDetectorStats, SharedEngineStats};
use super::sinks::Sinks;
use super::source::{BackPressure, FrameSource, LiveCounters, Source, SourceConfig, SourceStats};
use super::summary::Summary;
use super::worker;
use crate::config::Config;
use anyhow::Context;
use crossbeam_channel::bounded;
use mizuban_capture::DropCounters;
use mizuban_detect::baseline::{AssetTracker, SharedTracker};
use mizuban_detect::{AlertLine, Detector};
use mizuban_exporter::event_line::FileNames;
use mizuban_protocols::{Engine, EngineStats, Event};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Handles other threads (the exporter, signal handlers) use to watch or stop a run.
#[derive(Clone, Default)]
pub struct RunHandles {
    pub stop: Arc<AtomicBool>,
    pub live: Arc<LiveCounters>,
    pub engine: SharedEngineStats,
    /// Drops counted by the source thread, published with each batch flush.
    pub source_drops: Arc<Mutex<DropCounters>>,
    pub detector: SharedDetectorStats,
    /// The run's baseline and inventory, once the run has started.
    pub tracker: Arc<Mutex<Option<SharedTracker>>>,
    /// A new detection policy to apply (SIGHUP), taken by the detector thread.
    pub reload: Arc<Mutex<Option<mizuban_detect::DetectConfig>>>,
    /// Asks the alert and event files to reopen (SIGHUP, after logrotate moved them).
    pub reopen_logs: crate::logfile::ReopenRequest,
    /// What the syslog output sent and lost (zero without one).
    pub syslog: Arc<crate::syslog::SyslogStats>,
    /// The run's memory budget, in bytes (`[limits] memory`), for the exporter.
    pub memory_limit: Arc<std::sync::atomic::AtomicU64>,
}

impl RunHandles {
    pub fn memory_limit(&self) -> u64 {
        self.memory_limit.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// (depth, capacity) of each worker queue, as last sampled by the source.
    pub fn queue_depths(&self) -> Vec<(u64, u64)> {
        self.live
            .queue_depths
            .lock()
            .map(|q| q.clone())
            .unwrap_or_default()
    }
}

pub struct RunOptions {
    /// Baseline and inventory state to continue from; a fresh one from the config when
    /// `None`. Shared so a checkpoint thread can save it while the run goes on.
    pub tracker: Option<SharedTracker>,
    pub workers: usize,
    pub back_pressure: BackPressure,
    pub input_names: Vec<String>,
    pub sinks: Sinks,
}

pub struct RunResult {
    pub summary: Summary,
    pub source: SourceStats,
    pub engine: EngineStats,
    pub events: Vec<Event>,
    pub alerts: Vec<AlertLine>,
    pub elapsed: Duration,
    pub detector: Detector,
    pub tracker: SharedTracker,
}

/// A baseline and inventory tracker as the config asks for.
pub fn new_tracker(cfg: &Config) -> SharedTracker {
    let d = &cfg.detect;
    let baseline = d.baseline.enabled.then(|| d.baseline.clone());
    Arc::new(Mutex::new(AssetTracker::new(baseline, d.inventory.clone())))
}

pub fn run(
    cfg: &Config,
    src: &mut dyn FrameSource,
    opts: RunOptions,
    handles: &RunHandles,
) -> anyhow::Result<RunResult> {
    let workers = opts.workers.max(1);
    let mut detector = Detector::new(&cfg.detect)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("detection config")?;
    let tracker = opts.tracker.clone().unwrap_or_else(|| new_tracker(cfg));
    detector.add_source(Box::new(tracker.clone()));
    mizuban_detect::baseline::tracker::lock(&tracker)
        .evidence
        .begin_run(&opts.input_names);
    if let Ok(mut slot) = handles.tracker.lock() {
        *slot = Some(tracker.clone());
    }
    let engine_cfg = cfg.engine();
    handles
        .memory_limit
        .store(cfg.limits.memory, std::sync::atomic::Ordering::Relaxed);
    let queue = cfg.pipeline.queue_batches.max(1);
    let started = Instant::now();
    if let Ok(mut s) = handles.engine.lock() {
        *s = vec![EngineStats::default(); workers];
    }

    let (recycle_tx, recycle_rx) = bounded::<PacketBatch>(workers * queue + workers);
    let (out_tx, out_rx) = bounded(workers * queue.max(4));
    // Every chunk in flight (the output queue and one per worker) can come back.
    let chunks = ChunkPool::new(workers * queue.max(4) + 2 * workers);
    let lines = opts
        .sinks
        .events
        .is_some()
        .then(|| Arc::new(FileNames::new(&opts.sinks.file_names)));
    let mut worker_txs = Vec::with_capacity(workers);
    let mut worker_handles = Vec::with_capacity(workers);
    for id in 0..workers {
        let (tx, rx) = bounded::<WorkerMsg>(queue);
        worker_txs.push(tx);
        let engine = Engine::new(&engine_cfg, workers);
        let io = worker::WorkerIo {
            output: out_tx.clone(),
            recycle: recycle_tx.clone(),
            chunks: chunks.clone(),
            lines: lines.clone(),
        };
        let h = std::thread::Builder::new()
            .name(format!("mizuban-worker-{id}"))
            .spawn(move || worker::run(id, engine, rx, io))
            .context("spawning a worker thread")?;
        worker_handles.push(h);
    }
    drop(out_tx);
    drop(recycle_tx);

    let shared = handles.engine.clone();
    let shared_det = (handles.detector.clone(), handles.reload.clone());
    let live = opts.back_pressure == BackPressure::Drop;
    let sinks = opts.sinks;
    let det_tracker = tracker.clone();
    let det_handle = std::thread::Builder::new()
        .name("mizuban-detector".into())
        .spawn(move || {
            detector::run(
                (out_rx, chunks),
                workers,
                detector,
                sinks,
                shared,
                shared_det,
                live.then_some(det_tracker),
            )
        })
        .context("spawning the detector thread")?;

    // The source runs on this thread: it is the one that owns the capture handle.
    let source_cfg = SourceConfig {
        batch_size: cfg.pipeline.batch_size,
        back_pressure: opts.back_pressure,
        tick_secs: 1,
    };
    let source = Source::new(
        &worker_txs,
        &recycle_rx,
        source_cfg,
        opts.input_names,
        handles.live.clone(),
        handles.source_drops.clone(),
    );
    let source_stats = source.run(src, &handles.stop);
    drop(worker_txs);

    for h in worker_handles {
        if h.join().is_err() {
            anyhow::bail!("a worker thread panicked");
        }
    }
    let DetectorOutput {
        mut detector,
        mut sinks,
        engine_stats,
        events_by_type,
    } = det_handle
        .join()
        .map_err(|_| anyhow::anyhow!("the detector thread panicked"))?;

    let end = source_stats.last_ts.unwrap_or_default();
    detector.set_capture_stats(
        source_stats.packets,
        engine_stats.acked_bytes,
        engine_stats.missed_bytes,
    );
    detector.set_capture_health(super::health::capture_health(&engine_stats));
    let mut tail: Vec<AlertLine> = Vec::new();
    detector.finish(end, &mut tail);
    for line in &tail {
        sinks.alert(line);
    }
    sinks.flush();
    let (verdict, verdict_text) = verdict_of(&detector);
    let mut summary = Summary::build(
        &source_stats,
        &engine_stats,
        &events_by_type,
        detector.stats(),
        verdict,
        verdict_text,
        sinks.write_errors,
    );
    summary.control_actions = control_pairs(&tracker);
    summary.memory = super::health::MemorySummary::new(
        cfg.limits.budget(),
        &engine_stats,
        detector.scan_bytes(),
    );
    super::evidence::finish(&tracker, &detector, &summary);
    Ok(RunResult {
        summary,
        source: source_stats,
        engine: engine_stats,
        events: std::mem::take(&mut sinks.collected_events),
        alerts: std::mem::take(&mut sinks.collected_alerts),
        elapsed: started.elapsed(),
        detector,
        tracker,
    })
}

/// `client -> server: actions` for every controller a client changed (inventory).
fn control_pairs(tracker: &SharedTracker) -> Vec<String> {
    let t = mizuban_detect::baseline::tracker::lock(tracker);
    let mut out = Vec::new();
    for (server, a) in t.inventory.assets() {
        for (client, actions) in &a.control_clients {
            let acts: Vec<&str> = actions.iter().map(String::as_str).collect();
            out.push(format!("{client} -> {server}: {}", acts.join(",")));
        }
    }
    out
}

/// The closed-network verdict as JSON and as text.
fn verdict_of(detector: &Detector) -> (serde_json::Value, String) {
    let v = detector.verdict();
    (
        serde_json::to_value(&v).unwrap_or(serde_json::Value::Null),
        v.render_human(),
    )
}

/// Shorthand used by tests and tools: replay files, keep every event and alert in memory.
pub fn collect(
    files: &[std::path::PathBuf],
    cfg: &Config,
    workers: usize,
) -> anyhow::Result<RunResult> {
    let mut src = super::files::FileSource::open(files);
    let names = files.iter().map(|p| super::display_name(p)).collect();
    let sinks = Sinks {
        collect: true,
        file_names: super::display_names(files),
        ..Sinks::default()
    };
    let opts = RunOptions {
        tracker: None,
        workers,
        back_pressure: BackPressure::Block,
        input_names: names,
        sinks,
    };
    run(cfg, &mut src, opts, &RunHandles::default())
}

#[allow(dead_code)]
fn _assert_send() {
    fn is_send<T: Send>() {}
    is_send::<Mutex<Vec<EngineStats>>>();
}
