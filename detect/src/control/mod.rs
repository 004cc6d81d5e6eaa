//! Control actions (issue 20): one model for every ICS protocol. Analyzers emit
//! `control_action` events ([`mizuban_protocols::facts::ControlAction`]); this module
//! decides whether the client was allowed, counts them for the metrics, records them in
//! the inventory, and raises:
//!
//! - `unauthorized_control_action` (high; critical for program_download,
//!   firmware_update and mode_change): the client is neither an engineering station,
//!   nor covered by a `[[detect.control.allow]]` entry, nor did the baseline learn that
//!   action class from it on that server. While the baseline learns, what is seen is
//!   learned (and allowed); with the baseline off only the configuration allows.
//! - `control_action_failed` (medium): `failed_threshold` refused control requests
//!   (exceptions, error statuses) from one client within `failed_window_secs` of
//!   packet time: brute forcing a PLC or probing writable registers.
//!
//! Both carry protocol, action, function, target and the first frame as evidence.

pub mod config;
pub mod policy;

pub use config::ControlConfig;
pub use policy::ControlPolicy;

use crate::alert::{Finding, Severity};
use crate::spec::RuleSpec;
use mizuban_capture::Timestamp;
use mizuban_protocols::facts::{Action, ControlAction, Outcome, Target};
use mizuban_protocols::{AppProtocol, Event, EventKind};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::IpAddr;

pub const UNAUTHORIZED: &str = "unauthorized_control_action";
pub const FAILED: &str = "control_action_failed";
/// The guideline point both rules serve.
pub const GUIDELINE: &str =
    "control system integrity: only authorised stations change the process or the controllers";

/// The rules of this module with their default severities (critical applies per
/// action, see [`unauthorized_severity`]): its part of [`crate::registry`].
pub const RULES: &[RuleSpec] = &[
    RuleSpec {
        id: UNAUTHORIZED,
        severity: Severity::High,
        guideline: GUIDELINE,
        summary: "a control action (write, operate, program transfer, mode change) from a client the control policy does not allow",
        breach: false,
    },
    RuleSpec {
        id: FAILED,
        severity: Severity::Medium,
        guideline: GUIDELINE,
        summary: "control actions the device refused, repeatedly, from one client",
        breach: false,
    },
];

/// (client, server, protocol, action) pairs the baseline learned, at most this many.
pub const MAX_LEARNED: usize = 65_536;
/// Clients whose refusals are counted at once.
pub const MAX_FAILING_CLIENTS: usize = 4_096;

/// The severity of an unauthorized action of this class.
pub fn unauthorized_severity(a: Action) -> Severity {
    match a {
        Action::ProgramDownload | Action::FirmwareUpdate | Action::ModeChange => Severity::Critical,
        _ => Severity::High,
    }
}

/// How the baseline stands, as far as control actions care; the learned set is kept
/// in the baseline's state (saved with it) as `client|server|protocol|action`.
#[derive(Debug)]
pub enum Learning<'a> {
    /// No baseline: only the configuration allows.
    Off,
    /// Learning: what is seen is learned and allowed.
    Learning(&'a mut BTreeSet<String>),
    /// Enforcing: the learned set allows, nothing is added.
    Enforcing(&'a BTreeSet<String>),
}

/// "holding_registers 16 x2", "DB1", "" when the protocol named nothing.
pub fn target_text(t: &Target) -> String {
    let mut s = t.object.clone().unwrap_or_default();
    if let Some(a) = t.address {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(&a.to_string());
    }
    if let Some(q) = t.quantity {
        s.push_str(&format!(" x{q}"));
    }
    s
}

#[derive(Clone, Debug, Default)]
struct Failing {
    times: VecDeque<Timestamp>,
}

/// Control-action state of a run: learned set, counters, refusal windows.
#[derive(Clone, Debug, Default)]
pub struct ControlMonitor {
    /// Actions by (protocol, action, authorized): at most 7 x 11 x 2 series.
    pub counts: BTreeMap<(AppProtocol, Action, bool), u64>,
    failing: BTreeMap<IpAddr, Failing>,
    raised: BTreeSet<(&'static str, String)>,
    /// Learned pairs or failing clients not kept because their set was full.
    pub dropped: u64,
}

impl ControlMonitor {
    /// Whether the action was authorized; pushes the findings it raises.
    pub fn on_event(
        &mut self,
        ev: &Event,
        policy: &ControlPolicy,
        learning: Learning,
        out: &mut Vec<Finding>,
    ) -> Option<bool> {
        let EventKind::ControlAction(ca) = &ev.kind else {
            return None;
        };
        let (client, server) = (ev.flow.client.ip(), ev.flow.server.ip());
        let key = format!(
            "{client}|{server}|{}|{}",
            ca.protocol.as_str(),
            ca.action.as_str()
        );
        let allowed = policy.allows(client, server, ca.protocol, ca.action);
        let authorized = match learning {
            Learning::Off => allowed,
            Learning::Enforcing(set) => allowed || set.contains(&key),
            Learning::Learning(set) => {
                if set.len() < MAX_LEARNED {
                    set.insert(key.clone());
                } else if !set.contains(&key) {
                    self.dropped = self.dropped.saturating_add(1);
                }
                true
            }
        };
        let n = self
            .counts
            .entry((ca.protocol, ca.action, authorized))
            .or_insert(0);
        *n = n.saturating_add(1);
        if !authorized {
            let msg = format!(
                "{client} performed {} ({} {}) on {server}, not allowed for that station",
                ca.action.as_str(),
                ca.protocol.as_str(),
                ca.function_name,
            );
            let first = self.first(UNAUTHORIZED, &key);
            let sev = unauthorized_severity(ca.action);
            out.push(finding(ev, ca, UNAUTHORIZED, sev, key, msg, first));
        }
        if ca.outcome == Outcome::Exception {
            self.refused(ev, ca, policy, out);
        }
        Some(authorized)
    }

    /// Is this the first finding of (rule, key)? Only the first carries `frame`, so the
    /// alert keeps the frame of its first occurrence (the store merges evidence).
    fn first(&mut self, rule: &'static str, key: &str) -> bool {
        let k = (rule, key.to_owned());
        if self.raised.contains(&k) {
            return false;
        }
        if self.raised.len() >= MAX_LEARNED {
            self.raised.clear();
        }
        self.raised.insert(k);
        true
    }

    fn refused(
        &mut self,
        ev: &Event,
        ca: &ControlAction,
        policy: &ControlPolicy,
        out: &mut Vec<Finding>,
    ) {
        let client = ev.flow.client.ip();
        let (now, window) = (ev.ts, policy.failed_window);
        let threshold = usize::try_from(policy.failed_threshold).unwrap_or(usize::MAX);
        if !self.failing.contains_key(&client) && self.failing.len() >= MAX_FAILING_CLIENTS {
            self.failing
                .retain(|_, c| c.times.back().is_some_and(|t| now.since(*t) < window));
            if self.failing.len() >= MAX_FAILING_CLIENTS {
                self.dropped = self.dropped.saturating_add(1);
                return;
            }
        }
        let c = self.failing.entry(client).or_default();
        while c.times.front().is_some_and(|t| now.since(*t) >= window) {
            c.times.pop_front();
        }
        if c.times.len() >= threshold {
            c.times.pop_front();
        }
        c.times.push_back(now);
        if c.times.len() < threshold {
            return;
        }
        c.times.clear();
        let msg = format!(
            "{client}: {threshold} refused control requests within {} s (last: {} {} on {})",
            window.as_secs(),
            ca.protocol.as_str(),
            ca.function_name,
            ev.flow.server.ip()
        );
        let key = client.to_string();
        let first = self.first(FAILED, &key);
        let f = finding(ev, ca, FAILED, Severity::Medium, key, msg, first)
            .evidence("failures", threshold.to_string())
            .evidence("window_secs", window.as_secs().to_string());
        out.push(f);
    }
}

fn finding(
    ev: &Event,
    ca: &ControlAction,
    rule: &'static str,
    severity: Severity,
    key: String,
    message: String,
    first: bool,
) -> Finding {
    let mut f = Finding::new(rule, severity, GUIDELINE, key, ev.ts, message)
        .with_flow(&ev.flow)
        .evidence("protocol", ca.protocol.as_str().to_owned())
        .evidence("action", ca.action.as_str().to_owned())
        .evidence("function", ca.function.to_string())
        .evidence("function_name", ca.function_name.to_owned())
        .evidence("target", target_text(&ca.target))
        .evidence(
            "outcome",
            match ca.outcome {
                Outcome::Ok => "ok",
                Outcome::Exception => "exception",
                Outcome::Unanswered => "unanswered",
            }
            .to_owned(),
        );
    if first {
        f = f.evidence("frame", ev.frame.to_string());
    }
    if let Some(s) = ca.subfunction {
        f = f.evidence("subfunction", s.to_string());
    }
    // Always set: the store merges evidence, and a later success must not keep an
    // earlier refusal's code.
    let code = ca
        .exception
        .map_or_else(|| "none".to_owned(), |e| e.to_string());
    f = f.evidence("exception", code);
    f
}
