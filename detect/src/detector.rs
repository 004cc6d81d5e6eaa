//! The detector: every event in, alerts out. STUB (issues 2 point 8, 4, 5).

use crate::alert::AlertLine;
use crate::config::DetectConfig;
use mizuban_capture::Timestamp;
use mizuban_protocols::Event;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Serialize)]
pub struct DetectorStats {
    pub alerts_by_rule: BTreeMap<&'static str, u64>,
    pub suppressed: u64,
}

/// The closed-network verdict for a run.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Closed,
    NotClosed,
    Undetermined,
}

pub struct Detector {
    stats: DetectorStats,
}

impl Detector {
    pub fn new(_cfg: &DetectConfig) -> Result<Detector, String> {
        Ok(Detector {
            stats: DetectorStats::default(),
        })
    }

    pub fn on_event(&mut self, _ev: &Event, _out: &mut Vec<AlertLine>) {}

    /// End of run at packet time `end`: write updates for alerts whose counts changed.
    pub fn finish(&mut self, _end: Timestamp, _out: &mut Vec<AlertLine>) {}

    pub fn stats(&self) -> &DetectorStats {
        &self.stats
    }
}
