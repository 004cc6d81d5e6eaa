//! The compiled policy: internal networks, internal names, zones, allow-list and rule
//! switches, built once from [`DetectConfig`] and read by every rule.

pub mod allow;
pub mod cidr;
pub mod names;
pub mod zones;

use crate::alert::{Finding, Severity};
use crate::config::{
    AlertsConfig, ConfigError, ConfigErrors, DetectConfig, MAX_ALERTS_CAP,
    MAX_FAILED_LOGIN_THRESHOLD, VerdictConfig,
};
use allow::{AllowEntry, MAX_ALLOW_ENTRIES};
use cidr::{NetSet, parse_net};
use mizuban_capture::Timestamp;
use names::{InternalNames, normalize, validate_name};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;
use zones::{ZoneId, Zones};

/// Longest packet-time window the config may ask for (a week).
pub const MAX_WINDOW_SECS: u64 = 7 * 24 * 3600;

/// A rule's effective switch after the config is applied.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RuleSetting {
    pub enabled: bool,
    pub severity: Option<Severity>,
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub internal: NetSet,
    pub names: InternalNames,
    pub zones: Zones,
    pub allow: Vec<AllowEntry>,
    rules: BTreeMap<String, RuleSetting>,
    pub failed_login_threshold: u32,
    pub failed_login_window: Duration,
    pub alerts: AlertsConfig,
    pub verdict: VerdictConfig,
    pub control: crate::control::ControlPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        // The default config is valid (a unit test proves it); an empty policy is the
        // fallback that keeps this infallible.
        Policy::compile_with_rules(&DetectConfig::default(), &[]).unwrap_or_else(|_| Policy {
            internal: NetSet::default(),
            names: InternalNames::default(),
            zones: Zones::default(),
            allow: Vec::new(),
            rules: BTreeMap::new(),
            failed_login_threshold: crate::config::DEFAULT_FAILED_LOGIN_THRESHOLD,
            failed_login_window: Duration::from_secs(
                crate::config::DEFAULT_FAILED_LOGIN_WINDOW_SECS,
            ),
            alerts: AlertsConfig::default(),
            verdict: VerdictConfig::default(),
            control: crate::control::ControlPolicy::default(),
        })
    }
}

impl Policy {
    /// Compiles and checks `cfg`; `known_rules` are the rule ids its `[detect.rules]`
    /// and allow entries may name (`Policy::compile` passes the registry's).
    pub fn compile_with_rules(
        cfg: &DetectConfig,
        known_rules: &[&str],
    ) -> Result<Policy, ConfigErrors> {
        let mut errors = Vec::new();
        let p = &cfg.policy;

        let mut nets = Vec::new();
        for (i, n) in p.internal_networks.iter().enumerate() {
            match parse_net(n) {
                Ok(net) => nets.push(net),
                Err(e) => errors.push(ConfigError::new(
                    format!("policy.internal_networks[{i}]"),
                    e,
                )),
            }
        }
        let internal = NetSet::new(nets);

        let mut domains = Vec::new();
        for (i, d) in p.internal_domains.iter().enumerate() {
            let n = normalize(d);
            let n = n.strip_prefix("*.").unwrap_or(&n).to_owned();
            match validate_name(&n) {
                Ok(()) => domains.push(n),
                Err(e) => errors.push(ConfigError::new(format!("policy.internal_domains[{i}]"), e)),
            }
        }

        let zones = Zones::compile(&p.zones, &p.allowed_zone_pairs, &mut errors);

        let known = |r: &str| known_rules.contains(&r);
        if p.allow.len() > MAX_ALLOW_ENTRIES {
            errors.push(ConfigError::new(
                "policy.allow",
                format!("{} entries; at most {MAX_ALLOW_ENTRIES}", p.allow.len()),
            ));
        }
        let allow = p
            .allow
            .iter()
            .take(MAX_ALLOW_ENTRIES)
            .enumerate()
            .filter_map(|(i, a)| AllowEntry::compile(i, a, &known, &mut errors))
            .collect();

        if p.failed_login_threshold == 0 || p.failed_login_threshold > MAX_FAILED_LOGIN_THRESHOLD {
            errors.push(ConfigError::new(
                "policy.failed_login_threshold",
                format!("must be 1..={MAX_FAILED_LOGIN_THRESHOLD}"),
            ));
        }
        check_window(
            "policy.failed_login_window_secs",
            p.failed_login_window_secs,
            &mut errors,
        );

        let mut rules = BTreeMap::new();
        for (id, r) in &cfg.rules {
            let key = format!("rules.{id}");
            if !known(id) {
                errors.push(ConfigError::new(
                    key.clone(),
                    format!("unknown rule id (known: {})", known_rules.join(", ")),
                ));
            }
            let severity = match r.severity.as_deref() {
                None => None,
                Some(s) => match Severity::parse(s) {
                    Some(v) => Some(v),
                    None => {
                        errors.push(ConfigError::new(
                            format!("{key}.severity"),
                            format!("{s:?}: one of info, low, medium, high, critical"),
                        ));
                        None
                    }
                },
            };
            rules.insert(
                id.clone(),
                RuleSetting {
                    enabled: r.enabled.unwrap_or(true),
                    severity,
                },
            );
        }

        let a = &cfg.alerts;
        if a.rate_limit == 0 {
            errors.push(ConfigError::new(
                "alerts.rate_limit",
                "must be at least 1 new alert per window",
            ));
        }
        check_window("alerts.rate_window_secs", a.rate_window_secs, &mut errors);
        if a.max_alerts == 0 || a.max_alerts > MAX_ALERTS_CAP {
            errors.push(ConfigError::new(
                "alerts.max_alerts",
                format!("must be 1..={MAX_ALERTS_CAP}"),
            ));
        }
        let v = &cfg.verdict;
        for (key, r) in [
            ("verdict.max_capture_loss", v.max_capture_loss),
            ("verdict.max_one_sided", v.max_one_sided),
            ("verdict.max_unfollowable", v.max_unfollowable),
        ] {
            if !(0.0..=1.0).contains(&r) {
                errors.push(ConfigError::new(key, "a ratio in 0.0..=1.0 (0.05 = 5 %)"));
            }
        }

        if let Err(e) = cfg.scan.validate() {
            let (key, msg) = e.split_once(": ").unwrap_or(("", e.as_str()));
            errors.push(ConfigError::new(format!("scan.{key}"), msg.to_owned()));
        }

        let control = crate::control::ControlPolicy::compile(&cfg.control, &mut errors);

        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }
        Ok(Policy {
            internal,
            names: InternalNames::new(domains),
            zones,
            allow,
            rules,
            failed_login_threshold: p.failed_login_threshold,
            failed_login_window: Duration::from_secs(p.failed_login_window_secs),
            alerts: a.clone(),
            verdict: v.clone(),
            control,
        })
    }

    pub fn is_internal(&self, ip: IpAddr) -> bool {
        self.internal.contains(ip)
    }

    /// `name` must be normalized ([`names::normalize`]).
    pub fn is_internal_name(&self, name: &str) -> bool {
        self.names.is_internal(name, &self.internal)
    }

    pub fn zone_of(&self, ip: IpAddr, vlan: Option<u16>) -> Option<ZoneId> {
        self.zones.zone_of(ip, vlan)
    }

    pub fn zone_name(&self, ip: IpAddr, vlan: Option<u16>) -> Option<&str> {
        self.zone_of(ip, vlan).and_then(|z| self.zones.name(z))
    }

    pub fn rule_enabled(&self, id: &str) -> bool {
        self.rules.get(id).is_none_or(|r| r.enabled)
    }

    pub fn severity_for(&self, id: &str, default: Severity) -> Severity {
        self.rules
            .get(id)
            .and_then(|r| r.severity)
            .unwrap_or(default)
    }

    /// Whether an allow-list entry silences `f` at packet time `ts`.
    pub fn is_allowed(&self, f: &Finding, ts: Timestamp) -> bool {
        self.allow.iter().any(|a| a.silences(f, ts))
    }
}

fn check_window(key: &str, secs: u64, errors: &mut Vec<ConfigError>) {
    if secs == 0 || secs > MAX_WINDOW_SECS {
        errors.push(ConfigError::new(
            key,
            format!("must be 1..={MAX_WINDOW_SECS} seconds"),
        ));
    }
}
