//! The end-of-run summary: human form on stderr, JSON with `--summary-json`.
//!
//! The JSON form holds only what follows from the capture (no wall-clock time, no worker
//! count) so that it is identical whatever the number of workers.

use super::source::{InputStats, SourceStats};
use mizuban_capture::{DropReason, Timestamp};
use mizuban_detect::DetectorStats;
use mizuban_protocols::EngineStats;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

#[derive(Clone, Debug, Serialize)]
pub struct CaptureLoss {
    /// Bytes the TCP peers acknowledged.
    pub acked_bytes: u64,
    /// Of those, bytes the monitor never saw.
    pub missed_bytes: u64,
    /// missed / acked (0 when nothing was acknowledged).
    pub ratio: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ModbusSummary {
    pub transactions: u64,
    pub unanswered: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub version: &'static str,
    pub inputs: Vec<InputStats>,
    pub first_packet: Option<Timestamp>,
    pub last_packet: Option<Timestamp>,
    pub packets: u64,
    pub bytes: u64,
    pub flows: u64,
    pub flows_evicted: u64,
    pub drops: BTreeMap<&'static str, u64>,
    /// Packets decapsulated, by encapsulation (ERSPAN, GRE, VXLAN, PPPoE, QinQ, MPLS).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub encapsulated: BTreeMap<&'static str, u64>,
    pub protocols: BTreeMap<&'static str, u64>,
    pub events: BTreeMap<&'static str, u64>,
    pub alerts_by_rule: BTreeMap<&'static str, u64>,
    pub alerts_suppressed: u64,
    pub capture_loss: CaptureLoss,
    pub modbus: ModbusSummary,
    /// Who changed which controller: `client -> server: action,...` (inventory).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub control_actions: Vec<String>,
    /// Flows evicted to make room, by class (issue 14), and expired early in emergency
    /// mode.
    pub evictions: BTreeMap<&'static str, u64>,
    /// Bytes accounted per table against the memory budget (human form only: the peak of
    /// each worker's share depends on the worker count).
    #[serde(skip)]
    pub memory: super::health::MemorySummary,
    pub verdict: serde_json::Value,
    #[serde(skip)]
    pub verdict_text: String,
}

impl Summary {
    pub fn build(
        source: &SourceStats,
        engine: &EngineStats,
        events: &BTreeMap<&'static str, u64>,
        detector: &DetectorStats,
        verdict: serde_json::Value,
        verdict_text: String,
        sink_errors: u64,
    ) -> Summary {
        let mut drops = BTreeMap::new();
        let mut all = source.drops.clone();
        all.merge(&engine.drops);
        all.add(DropReason::SinkError, sink_errors);
        for (r, n) in all.iter() {
            drops.insert(r.as_str(), n);
        }
        let protocols = engine
            .protocols
            .iter()
            .map(|(p, n)| (p.as_str(), *n))
            .collect();
        let ratio = if engine.acked_bytes == 0 {
            0.0
        } else {
            engine.missed_bytes as f64 / engine.acked_bytes as f64
        };
        Summary {
            evictions: super::health::evictions(engine),
            memory: super::health::MemorySummary::default(),
            control_actions: Vec::new(),
            version: env!("CARGO_PKG_VERSION"),
            inputs: source.inputs.clone(),
            first_packet: source.first_ts,
            last_packet: source.last_ts,
            packets: source.packets,
            bytes: source.bytes,
            flows: engine.flows_created,
            flows_evicted: engine.flows_evicted,
            drops,
            encapsulated: mizuban_capture::encap::EncapKind::ALL
                .into_iter()
                .map(|k| (k.as_str(), source.encap.get(k)))
                .filter(|(_, n)| *n > 0)
                .collect(),
            protocols,
            events: events.clone(),
            alerts_by_rule: detector.alerts_by_rule.clone(),
            alerts_suppressed: detector.suppressed,
            capture_loss: CaptureLoss {
                acked_bytes: engine.acked_bytes,
                missed_bytes: engine.missed_bytes,
                ratio,
            },
            modbus: ModbusSummary {
                transactions: engine.modbus.transactions_by_function.iter().sum(),
                unanswered: engine.modbus.unanswered,
            },
            verdict,
            verdict_text,
        }
    }
}

/// The shortest run whose speed the summary reports, in seconds.
const MIN_SPEED_SECS: f64 = 1.0;

impl Summary {
    /// The human summary for stderr, with the run's speed when known.
    pub fn render_human(&self, elapsed: Option<Duration>, workers: usize) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "mizuban {} summary", self.version);
        // The verdict below states the period, the packet count and the capture loss; they
        // are said here only when there is no verdict, so each is stated once (one input's
        // packet count is the total).
        let verdict = !self.verdict_text.is_empty();
        let single = verdict && self.inputs.len() == 1;
        for i in &self.inputs {
            if single {
                let _ = write!(s, "  input {}: {} bytes", i.name, i.bytes);
            } else {
                let _ = write!(
                    s,
                    "  input {}: {} packets, {} bytes",
                    i.name, i.packets, i.bytes
                );
            }
            if let Some(e) = &i.error {
                let _ = write!(s, " (stopped: {e})");
            }
            s.push('\n');
        }
        if !verdict && let (Some(a), Some(b)) = (self.first_packet, self.last_packet) {
            let _ = writeln!(
                s,
                "  period: {a} .. {b} ({:.3} s)",
                b.since(a).as_secs_f64()
            );
        }
        if single {
            let _ = writeln!(
                s,
                "  flows: {} (evicted {})",
                self.flows, self.flows_evicted
            );
        } else if verdict {
            let _ = writeln!(
                s,
                "  bytes: {}  flows: {} (evicted {})",
                self.bytes, self.flows, self.flows_evicted
            );
        } else {
            let _ = writeln!(
                s,
                "  packets: {}  bytes: {}  flows: {} (evicted {})",
                self.packets, self.bytes, self.flows, self.flows_evicted
            );
        }
        // A rate over less than a second is start-up cost, not speed.
        if let Some(e) = elapsed.filter(|e| e.as_secs_f64() >= MIN_SPEED_SECS) {
            let secs = e.as_secs_f64();
            let _ = writeln!(
                s,
                "  speed: {:.0} packets/s, {:.3} Gbit/s with {} worker(s) in {:.1} s",
                self.packets as f64 / secs,
                self.bytes as f64 * 8.0 / secs / 1e9,
                workers,
                secs
            );
        }
        if !verdict {
            let loss = &self.capture_loss;
            let _ = writeln!(
                s,
                "  capture loss: {:.4}% ({} of {} acknowledged TCP bytes never seen)",
                loss.ratio * 100.0,
                loss.missed_bytes,
                loss.acked_bytes
            );
        }
        write_map(&mut s, "drops", &self.drops);
        if self.evictions.values().any(|n| *n > 0) {
            write_map(&mut s, "evictions", &self.evictions);
        }
        if self.memory.limit > 0 {
            let _ = writeln!(s, "  {}", self.memory.render());
        }
        write_map(&mut s, "protocols (flows)", &self.protocols);
        write_map(&mut s, "events", &self.events);
        write_map(&mut s, "alerts by rule", &self.alerts_by_rule);
        if self.alerts_suppressed > 0 {
            let _ = writeln!(
                s,
                "  alerts suppressed by rate limit: {}",
                self.alerts_suppressed
            );
        }
        if self.modbus.transactions > 0 {
            let _ = writeln!(
                s,
                "  modbus: {} transactions, {} unanswered",
                self.modbus.transactions, self.modbus.unanswered
            );
        }
        if !self.control_actions.is_empty() {
            // One line: the first few pairs, then how many more (`mizuban assets` has all).
            const SHOWN: usize = 4;
            let mut line = self
                .control_actions
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ");
            if self.control_actions.len() > SHOWN {
                line.push_str(&format!("; +{} more", self.control_actions.len() - SHOWN));
            }
            let _ = writeln!(s, "  control actions: {line}");
        }
        if !self.verdict_text.is_empty() {
            let _ = writeln!(s, "{}", self.verdict_text.trim_end());
        }
        s
    }
}

fn write_map(s: &mut String, title: &str, m: &BTreeMap<&'static str, u64>) {
    if m.is_empty() {
        let _ = writeln!(s, "  {title}: none");
        return;
    }
    let items: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let _ = writeln!(s, "  {title}: {}", items.join(" "));
}
