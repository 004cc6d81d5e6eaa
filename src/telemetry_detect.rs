//! The detector's side of the metrics: which rules exist, the inventory and baseline.

use mizuban_detect::Severity;
use mizuban_detect::baseline::AssetTracker;
use mizuban_detect::baseline::Mode;
use mizuban_exporter::MetricsSnapshot;
use mizuban_exporter::snapshot::BaselineMode;

/// Every rule with its default severity, declared at zero at startup so the first alert
/// of a rule is a rise Prometheus can see.
pub fn declared_rules() -> Vec<(&'static str, Severity)> {
    mizuban_detect::registry::all()
        .map(|r| (r.id, r.severity))
        .collect()
}

/// Assets known and the baseline's mode.
pub fn fill_assets(s: &mut MetricsSnapshot, t: &AssetTracker) {
    s.assets_known = t.inventory.assets().len() as u64;
    s.control_actions = t.control.counts.clone();
    s.baseline_mode = match t.baseline.as_ref().map(|b| b.mode()) {
        None => BaselineMode::Off,
        Some(Mode::Learning) => BaselineMode::Learning,
        Some(Mode::Enforcing) => BaselineMode::Enforcing,
    };
    s.baseline_learning_progress = match s.baseline_mode {
        BaselineMode::Enforcing => 1.0,
        _ => 0.0,
    };
}
