//! Copies what the report needs from the detector and the counters into the tracker's
//! evidence (saved in `state.json` with the baseline and inventory): the alerts, the
//! verdict and the run's own health. At the end of a run from the summary's exact
//! totals; during live capture every [`SNAPSHOT_INTERVAL`] from the workers' latest
//! counters, so a report from the state directory of a running sensor is current to
//! within the checkpoint interval.

use super::summary::Summary;
use mizuban_capture::DropCounters;
use mizuban_detect::Detector;
use mizuban_detect::baseline::SharedTracker;
use mizuban_detect::baseline::tracker::lock;
use mizuban_detect::evidence::RunRecord;
use mizuban_protocols::EngineStats;
use std::time::Duration;

/// Wall time between live snapshots: copying up to 20,000 alerts costs a few
/// milliseconds, and the default checkpoint interval is five minutes.
pub const SNAPSHOT_INTERVAL: Duration = Duration::from_secs(30);

fn fill_common(run: &mut RunRecord, detector: &Detector) {
    if let Some((a, b)) = detector.period() {
        run.start_ns = a.as_nanos();
        run.end_ns = b.as_nanos();
    }
    let v = detector.verdict();
    run.verdict = v.verdict.as_str().to_owned();
    run.min_packets = v.min_packets;
    run.max_capture_loss = v.max_capture_loss;
    run.tcp_sessions = Some(v.capture_health.tcp_sessions);
    run.one_sided_flows = Some(v.capture_health.one_sided_sessions);
    let st = detector.stats();
    run.alerts_suppressed = st.suppressed.saturating_add(st.store_full);
}

fn drops_map(d: &DropCounters) -> std::collections::BTreeMap<String, u64> {
    d.iter().map(|(r, n)| (r.as_str().to_owned(), n)).collect()
}

/// A live snapshot from the merged worker counters.
pub fn snapshot(tracker: &SharedTracker, detector: &Detector, engine: &EngineStats) {
    let mut t = lock(tracker);
    t.evidence.set_alerts(detector.alerts());
    let run = t.evidence.run_mut();
    fill_common(run, detector);
    run.packets = engine.packets;
    run.bytes = engine.bytes;
    run.flows = engine.flows_created;
    run.acked_bytes = engine.acked_bytes;
    run.missed_bytes = engine.missed_bytes;
    run.drops = drops_map(&engine.drops);
    run.protocols = engine
        .protocols
        .iter()
        .map(|(p, n)| (p.as_str().to_owned(), *n))
        .collect();
}

/// The end of a run, from the summary's totals (source drops included).
pub fn finish(tracker: &SharedTracker, detector: &Detector, summary: &Summary) {
    let mut t = lock(tracker);
    t.evidence.set_alerts(detector.alerts());
    let run = t.evidence.run_mut();
    fill_common(run, detector);
    if let (Some(a), Some(b)) = (summary.first_packet, summary.last_packet) {
        run.start_ns = a.as_nanos();
        run.end_ns = b.as_nanos().max(run.end_ns);
    }
    run.packets = summary.packets;
    run.bytes = summary.bytes;
    run.flows = summary.flows;
    run.acked_bytes = summary.capture_loss.acked_bytes;
    run.missed_bytes = summary.capture_loss.missed_bytes;
    run.drops = summary
        .drops
        .iter()
        .map(|(k, v)| ((*k).to_owned(), *v))
        .collect();
    run.protocols = summary
        .protocols
        .iter()
        .map(|(k, v)| ((*k).to_owned(), *v))
        .collect();
}
