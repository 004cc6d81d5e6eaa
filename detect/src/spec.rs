//! The one rule description every finding source uses: closed-network rules
//! (`rules/`), baseline and inventory rules (`baseline/rules.rs`) and control rules
//! (`control/`). [`crate::registry`] lists them all.

use crate::alert::{Finding, Severity};
use mizuban_protocols::Event;

/// A rule's fixed attributes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RuleSpec {
    /// snake_case and stable: it labels metrics and keys the `[detect.rules.<id>]` config.
    pub id: &'static str,
    /// Default severity (the config may override it).
    pub severity: Severity,
    /// The guideline point the rule serves.
    pub guideline: &'static str,
    /// One line saying what the rule reports.
    pub summary: &'static str,
    /// A finding proves the network is not closed (feeds the verdict).
    pub breach: bool,
}

impl RuleSpec {
    /// A finding of this rule with its defaults; the detector applies overrides.
    pub fn finding(&self, ev: &Event, key: String, message: String) -> Finding {
        Finding::new(self.id, self.severity, self.guideline, key, ev.ts, message)
            .with_flow(&ev.flow)
            .breach(self.breach)
    }
}
