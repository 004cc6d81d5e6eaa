//! The detector thread: merges worker outputs into one deterministic order, writes
//! events, runs detection and writes alerts.

use super::chunk::ChunkPool;
use super::merge::OrderedMerge;
use super::sinks::Sinks;
use super::worker::WorkerOut;
use crossbeam_channel::Receiver;
use mizuban_detect::{AlertLine, DetectConfig, Detector, DetectorStats, Severity};
use mizuban_protocols::{AppProtocol, EngineStats, Event};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The latest counters of every worker, shared with the metrics exporter.
pub type SharedEngineStats = Arc<Mutex<Vec<EngineStats>>>;

/// What the detector thread publishes for the metrics exporter.
#[derive(Clone, Default)]
pub struct DetectorShared {
    pub stats: DetectorStats,
    /// Protocol events seen, by protocol (flow bookkeeping events are not counted).
    pub events_by_protocol: BTreeMap<AppProtocol, u64>,
    /// Alert occurrences (repeats included) by rule and severity.
    pub alert_occurrences: BTreeMap<(&'static str, Severity), u64>,
    /// Distinct alerts held, by rule.
    pub findings_active: BTreeMap<&'static str, u64>,
    /// The closed-network verdict so far.
    pub verdict: Option<mizuban_detect::verdict::Verdict>,
    /// Bytes the detector's bounded tables account (scan counters).
    pub memory_bytes: u64,
}

pub type SharedDetectorStats = Arc<Mutex<DetectorShared>>;

/// Live capture: how often alerts whose count or last-seen time changed are written
/// again as `update` lines. Never in replay, whose output must not depend on how fast
/// the machine runs.
const LIVE_FLUSH_INTERVAL: Duration = Duration::from_secs(60);

/// How often the detector thread publishes its counters.
const PUBLISH_INTERVAL: Duration = Duration::from_millis(500);

pub struct DetectorOutput {
    pub detector: Detector,
    pub sinks: Sinks,
    pub engine_stats: EngineStats,
    pub events_by_type: BTreeMap<&'static str, u64>,
}

pub fn run(
    (input, chunks): (Receiver<WorkerOut>, ChunkPool),
    workers: usize,
    mut detector: Detector,
    mut sinks: Sinks,
    shared: SharedEngineStats,
    (shared_det, reload): (SharedDetectorStats, Arc<Mutex<Option<DetectConfig>>>),
    // Live capture: the tracker whose evidence gets periodic snapshots for the report.
    live_tracker: Option<mizuban_detect::baseline::SharedTracker>,
) -> DetectorOutput {
    let live = live_tracker.is_some();
    let mut last_snapshot = Instant::now();
    let mut last_flush = Instant::now();
    let mut by_protocol: BTreeMap<AppProtocol, u64> = BTreeMap::new();
    let mut last_publish = Instant::now();
    let mut merge = OrderedMerge::new(workers);
    let mut alerts: Vec<AlertLine> = Vec::new();
    let mut events_by_type: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut finals: Vec<Option<EngineStats>> = vec![None; workers];
    let mut done = 0usize;
    while done < workers {
        // Wake up on a timer too, so a reloaded policy and the metrics are applied on an
        // idle link as well.
        let msg = match input.recv_timeout(PUBLISH_INTERVAL) {
            Ok(m) => m,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                last_publish = Instant::now();
                refresh_capture_stats(&shared, &mut detector);
                publish(&shared_det, &detector, &by_protocol);
                apply_reload(&reload, &mut detector);
                if live && last_flush.elapsed() >= LIVE_FLUSH_INTERVAL {
                    last_flush = Instant::now();
                    flush_updates(&mut detector, &mut sinks, &mut alerts);
                } else if live {
                    // Live files are line buffered, so this writes nothing; it lets a
                    // log file rotated on an idle link reopen now (crate::logfile).
                    sinks.flush();
                }
                if let Some(t) = &live_tracker
                    && last_snapshot.elapsed() >= super::evidence::SNAPSHOT_INTERVAL
                {
                    last_snapshot = Instant::now();
                    snapshot_evidence(t, &shared, &detector);
                }
                continue;
            }
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        };
        if let Some(t) = &live_tracker
            && last_snapshot.elapsed() >= super::evidence::SNAPSHOT_INTERVAL
        {
            last_snapshot = Instant::now();
            snapshot_evidence(t, &shared, &detector);
        }
        if live && last_flush.elapsed() >= LIVE_FLUSH_INTERVAL {
            last_flush = Instant::now();
            flush_updates(&mut detector, &mut sinks, &mut alerts);
        }
        match msg {
            WorkerOut::Events {
                worker,
                chunk,
                watermark,
            } => {
                merge.push(worker, chunk, watermark);
                merge.drain_ready(|ev, line| {
                    handle(
                        (ev, line),
                        &mut detector,
                        &mut sinks,
                        &mut alerts,
                        &mut events_by_type,
                        &mut by_protocol,
                    )
                });
                for c in merge.take_spent() {
                    chunks.give(c);
                }
                if last_publish.elapsed() >= PUBLISH_INTERVAL {
                    last_publish = Instant::now();
                    refresh_capture_stats(&shared, &mut detector);
                    publish(&shared_det, &detector, &by_protocol);
                    apply_reload(&reload, &mut detector);
                }
            }
            WorkerOut::Stats { worker, stats } => {
                if let Ok(mut s) = shared.lock()
                    && let Some(slot) = s.get_mut(worker)
                {
                    *slot = *stats;
                }
            }
            WorkerOut::Done { worker, stats } => {
                if let Ok(mut s) = shared.lock()
                    && let Some(slot) = s.get_mut(worker)
                {
                    *slot = (*stats).clone();
                }
                if let Some(slot) = finals.get_mut(worker) {
                    *slot = Some(*stats);
                }
                done += 1;
            }
        }
    }
    // Every worker is done: release what is left (their watermarks are at the maximum).
    merge.drain_ready(|ev, line| {
        handle(
            (ev, line),
            &mut detector,
            &mut sinks,
            &mut alerts,
            &mut events_by_type,
            &mut by_protocol,
        )
    });
    publish(&shared_det, &detector, &by_protocol);
    let mut engine_stats = EngineStats::default();
    for s in finals.iter().flatten() {
        engine_stats.merge(s);
    }
    DetectorOutput {
        detector,
        sinks,
        engine_stats,
        events_by_type,
    }
}

fn handle(
    (ev, line): (&Event, &[u8]),
    detector: &mut Detector,
    sinks: &mut Sinks,
    alerts: &mut Vec<AlertLine>,
    by_type: &mut BTreeMap<&'static str, u64>,
    by_protocol: &mut BTreeMap<AppProtocol, u64>,
) {
    *by_type.entry(ev.kind.type_name()).or_insert(0) += 1;
    if let Some(p) = ev.kind.protocol() {
        *by_protocol.entry(p).or_insert(0) += 1;
    }
    sinks.event(ev, line);
    detector.on_event(ev, alerts);
    for line in alerts.drain(..) {
        sinks.alert(&line);
    }
}

fn publish(
    shared: &SharedDetectorStats,
    detector: &Detector,
    by_protocol: &BTreeMap<AppProtocol, u64>,
) {
    let verdict = detector.verdict().verdict;
    if let Ok(mut d) = shared.lock() {
        d.stats = detector.stats().clone();
        d.events_by_protocol = by_protocol.clone();
        d.verdict = Some(verdict);
        d.memory_bytes = detector.scan_bytes();
        d.alert_occurrences.clear();
        d.findings_active.clear();
        for a in detector.alerts() {
            *d.alert_occurrences.entry((a.rule, a.severity)).or_insert(0) += a.count;
            *d.findings_active.entry(a.rule).or_insert(0) += 1;
        }
    }
}

/// The report's evidence from the latest worker counters (live capture).
fn snapshot_evidence(
    tracker: &mizuban_detect::baseline::SharedTracker,
    shared: &SharedEngineStats,
    detector: &Detector,
) {
    let mut total = EngineStats::default();
    if let Ok(all) = shared.lock() {
        for e in all.iter() {
            total.merge(e);
        }
    }
    super::evidence::snapshot(tracker, detector, &total);
}

/// Applies a policy reloaded on SIGHUP, keeping all learned state.
fn apply_reload(slot: &Mutex<Option<DetectConfig>>, detector: &mut Detector) {
    let Some(cfg) = slot.lock().ok().and_then(|mut s| s.take()) else {
        return;
    };
    match detector.reload(&cfg) {
        Ok(()) => eprintln!("mizuban: new policy in force"),
        Err(e) => eprintln!("mizuban: new policy refused, the running one is kept: {e}"),
    }
}

/// Writes `update` lines for alerts that changed, at the packet time last seen.
fn flush_updates(detector: &mut Detector, sinks: &mut Sinks, alerts: &mut Vec<AlertLine>) {
    let now = detector.period().map(|(_, last)| last).unwrap_or_default();
    detector.flush(now, alerts);
    for line in alerts.drain(..) {
        sinks.alert(&line);
    }
    sinks.flush();
}

/// Gives the detector the workers' latest packet and capture-loss counts, so that the
/// verdict exported while a live capture runs can say "undetermined" for a view too thin
/// or too lossy. (At the end of a run the exact totals replace these.)
fn refresh_capture_stats(shared: &SharedEngineStats, detector: &mut Detector) {
    let Ok(all) = shared.lock() else { return };
    let mut total = EngineStats::default();
    for e in all.iter() {
        total.merge(e);
    }
    drop(all);
    detector.set_capture_stats(total.packets, total.acked_bytes, total.missed_bytes);
    detector.set_capture_health(super::health::capture_health(&total));
}
