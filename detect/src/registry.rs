//! The rule registry: every rule this crate raises, each described by one
//! [`RuleSpec`]. Each finding source adds its own list:
//! - closed-network rules: [`crate::rules::ALL`] (one module per rule in `rules/`);
//! - baseline rules: [`crate::baseline::rules::RULES`];
//! - inventory rules: [`crate::baseline::rules::INVENTORY_RULES`];
//! - control rules: [`crate::control::RULES`];
//! - scan rules: [`crate::scan::RULES`].
//!
//! A new rule: write its module, give it a `pub const SPEC: RuleSpec`, and add the spec
//! to its family's list. The config's `[detect.rules.<id>]` and allow entries, the
//! metrics declared at startup and the docs all read the registry.
//!
//! The policy does not read this module (that would make policy, rules and registry
//! one cycle): [`Policy::compile`] here hands it the known ids.

use crate::config::{ConfigErrors, DetectConfig};
use crate::policy::Policy;
pub use crate::spec::RuleSpec;

/// Every rule, closed-network rules first, in documentation order.
pub fn all() -> impl Iterator<Item = &'static RuleSpec> {
    crate::rules::ALL
        .iter()
        .copied()
        .chain(crate::baseline::rules::RULES)
        .chain(crate::baseline::rules::INVENTORY_RULES)
        .chain(crate::control::RULES)
        .chain(crate::scan::RULES)
}

/// The spec of a rule, by id.
pub fn spec(id: &str) -> Option<&'static RuleSpec> {
    all().find(|r| r.id == id)
}

pub fn known_rule_ids() -> Vec<&'static str> {
    all().map(|r| r.id).collect()
}

pub fn is_known_rule(id: &str) -> bool {
    spec(id).is_some()
}

impl Policy {
    /// Compiles and checks the detection config, rule ids against the registry.
    pub fn compile(cfg: &DetectConfig) -> Result<Policy, ConfigErrors> {
        Policy::compile_with_rules(cfg, &known_rule_ids())
    }
}

impl DetectConfig {
    /// Checks every value; each error names its key.
    pub fn validate(&self) -> Result<(), ConfigErrors> {
        Policy::compile(self).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn ids_are_unique_snake_case_and_described() {
        let mut seen = BTreeSet::new();
        for r in all() {
            assert!(seen.insert(r.id), "{} registered twice", r.id);
            assert!(
                r.id.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{}",
                r.id
            );
            assert!(!r.summary.is_empty() && !r.guideline.is_empty(), "{}", r.id);
        }
        assert!(is_known_rule("new_modbus_client") && !is_known_rule("nope"));
    }
}
