//! Baseline: learn what is normal on a control network, then report what is new.
//!
//! Two modes. While learning (for [`BaselineConfig::learn_secs`] of packet time from
//! the first event, or until [`Baseline::finish_learning`]) every fact an event proves
//! (see [`observe`]) is recorded in a bounded [`Model`]. While enforcing, a fact
//! missing from the model raises a [`Finding`] each time it is seen (the alert store
//! de-duplicates and counts); nothing is added until an operator approves it
//! ([`Baseline::approve_alert`], [`Baseline::approve_host`]). This is Zeek's
//! known-hosts pattern (zeek/zeek `scripts/policy/protocols/conn/known-hosts.zeek`)
//! with a frozen set instead of first-insertion alerts, so an unsanctioned change keeps
//! alerting until someone accepts it.
//!
//! Scope: hosts, bindings, ICS roles and services only for internal addresses; a
//! conversation only when both ends are internal (traffic crossing the boundary is the
//! closed-network rules' business); a Modbus pair when the server is internal.

pub mod config;
mod enforce;
pub mod model;
pub mod observe;
pub mod rules;
pub mod show;
pub mod tracker;
pub mod types;

pub use config::BaselineConfig;
pub use model::{Diff, FullCounters, Model, diff};
pub use tracker::{AssetTracker, SharedTracker};
pub use types::{Item, Mac};

use crate::alert::Finding;
use enforce::Raised;
use mizuban_capture::{DropCounters, DropReason, Timestamp};
use mizuban_protocols::Event;
use model::{Caps, Insert};
use observe::{Obs, is_internal_host, observe};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;
use types::{ByteSet, IcsUse};

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Learning,
    Enforcing,
}

/// A finding raised while enforcing, kept so an operator can list and approve it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pending {
    pub rule: String,
    pub key: String,
    pub message: String,
    pub first_seen_ns: i64,
    pub last_seen_ns: i64,
    pub count: u64,
    /// Modbus client and writer findings: the function codes, unit ids and writes
    /// they covered, accepted with them (no second round of findings after approval).
    #[serde(default, skip_serializing_if = "ByteSet::is_empty")]
    pub functions: ByteSet,
    #[serde(default, skip_serializing_if = "ByteSet::is_empty")]
    pub unit_ids: ByteSet,
    #[serde(default)]
    pub wrote: bool,
}

impl Pending {
    fn absorb(&mut self, r: &Raised) {
        if let Some(f) = r.function {
            self.functions.insert(f);
        }
        if let Some(u) = r.unit_id {
            self.unit_ids.insert(u);
        }
        self.wrote |= r.wrote;
    }
}

/// Everything a baseline saves: mode, learning window, facts, pending findings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BaselineState {
    pub mode: Mode,
    /// Packet time of the first event learned from (ns since the epoch).
    pub learn_started_ns: Option<i64>,
    /// Packet time learning ended (or will end, while learning with a span).
    pub learn_until_ns: Option<i64>,
    pub model: Model,
    /// By finding id (`rule:key`), at most `max_pending`.
    pub pending: BTreeMap<String, Pending>,
    /// Items dropped because a set was full, by set.
    pub full: FullCounters,
    /// Control actions learned, as `client|server|protocol|action` (at most
    /// [`crate::control::MAX_LEARNED`]); see [`crate::control`].
    #[serde(skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub control: std::collections::BTreeSet<String>,
}

/// Why an approval failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApproveError {
    #[error(
        "{0:?} is not a pending baseline finding (expected an alert id, or rule:key, e.g. new_host:10.0.0.5)"
    )]
    BadId(String),
    #[error("rule {0:?} is not a baseline rule")]
    NotBaselineRule(String),
}

/// The baseline engine: config, state, and the internal-address test.
pub struct Baseline {
    cfg: BaselineConfig,
    caps: Caps,
    state: BaselineState,
    scratch: Vec<Obs>,
}

/// Default internal ranges when no policy is configured: RFC 1918, RFC 6598 shared
/// space, link-local (RFC 3927, RFC 4291) and IPv6 unique-local (RFC 4193).
pub fn default_is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private() || v4.is_link_local() || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments()[0];
            (s & 0xfe00) == 0xfc00 || (s & 0xffc0) == 0xfe80
        }
    }
}

/// The id the alert store gives the alert of a finding (`crate::store`).
pub fn store_alert_id(rule: &str, key: &str) -> String {
    format!("{rule}-{:016x}", crate::store::key_hash(rule, key))
}

/// The id an operator approves a finding by: `rule:key`.
pub fn finding_id(rule: &str, key: &str) -> String {
    format!("{rule}:{key}")
}

impl Baseline {
    /// A fresh baseline, learning.
    pub fn new(cfg: BaselineConfig) -> Baseline {
        Baseline::from_state(cfg, BaselineState::default())
    }

    /// Resumes from saved state (its mode and learning window are kept).
    pub fn from_state(cfg: BaselineConfig, state: BaselineState) -> Baseline {
        Baseline {
            caps: Caps::from_config(&cfg),
            cfg,
            state,
            scratch: Vec::new(),
        }
    }

    pub fn state(&self) -> &BaselineState {
        &self.state
    }

    pub fn into_state(self) -> BaselineState {
        self.state
    }

    pub fn mode(&self) -> Mode {
        self.state.mode
    }

    pub fn model(&self) -> &Model {
        &self.state.model
    }

    /// Ends learning now (`at` = packet time of the last event learned from).
    pub fn finish_learning(&mut self, at: Timestamp) {
        if self.state.mode == Mode::Learning {
            self.state.mode = Mode::Enforcing;
            self.state.learn_until_ns = Some(at.as_nanos());
        }
    }

    /// The learned control actions, as the control policy reads them.
    pub fn control_learning(&mut self) -> crate::control::Learning<'_> {
        match self.state.mode {
            Mode::Learning => crate::control::Learning::Learning(&mut self.state.control),
            Mode::Enforcing => crate::control::Learning::Enforcing(&self.state.control),
        }
    }

    /// Items dropped because a set was full, as a drop counter.
    pub fn drops(&self) -> DropCounters {
        let mut d = DropCounters::default();
        d.add(DropReason::InventoryFull, self.state.full.total());
        d
    }

    /// One event in; findings out while enforcing.
    pub fn on_event(
        &mut self,
        ev: &Event,
        is_internal: &dyn Fn(IpAddr) -> bool,
        out: &mut Vec<Finding>,
    ) {
        if !self.cfg.enabled {
            return;
        }
        self.advance_clock(ev.ts);
        let mut obs = std::mem::take(&mut self.scratch);
        obs.clear();
        observe(ev, &mut obs);
        for o in &obs {
            match self.state.mode {
                Mode::Learning => self.learn(o, is_internal),
                Mode::Enforcing => self.enforce(o, ev.ts, is_internal, out),
            }
        }
        self.scratch = obs;
    }

    fn advance_clock(&mut self, ts: Timestamp) {
        if self.state.learn_started_ns.is_none() {
            self.state.learn_started_ns = Some(ts.as_nanos());
            if self.state.mode == Mode::Learning {
                self.state.learn_until_ns = self
                    .cfg
                    .learn_span()
                    .map(|d| ts.saturating_add(d).as_nanos());
            }
        }
        if self.state.mode == Mode::Learning
            && self
                .state
                .learn_until_ns
                .is_some_and(|until| ts.as_nanos() >= until)
        {
            self.state.mode = Mode::Enforcing;
        }
    }

    fn learn(&mut self, o: &Obs, internal: &dyn Fn(IpAddr) -> bool) {
        let (m, caps, full) = (&mut self.state.model, &self.caps, &mut self.state.full);
        match o {
            Obs::Host { ip, mac } => {
                if !is_internal_host(*ip, internal) {
                    return;
                }
                if m.add_host(*ip, caps, full) == Insert::Full {
                    return;
                }
                if let Some(mac) = mac {
                    m.add_mac(*mac, caps, full);
                    m.add_binding(*ip, *mac, full);
                }
            }
            Obs::MacOnly(mac) => {
                m.add_mac(*mac, caps, full);
            }
            Obs::Conversation(c) => {
                if in_scope_pair(c.a, c.b, internal) {
                    m.add_conversation(*c, caps, full);
                }
            }
            Obs::Service(s) => {
                if is_internal_host(s.server, internal) {
                    m.add_service(*s, caps, full);
                }
            }
            Obs::Ics {
                host,
                protocol,
                role,
            } => {
                if is_internal_host(*host, internal) {
                    let u = IcsUse {
                        host: *host,
                        protocol: protocol.as_str().to_string(),
                        role: *role,
                    };
                    m.add_ics(u, caps, full);
                }
            }
            Obs::Modbus {
                pair,
                write,
                function,
                unit_id,
            } => {
                if !is_internal_host(pair.server, internal) {
                    return;
                }
                if let Some(prof) = m.pair_mut(*pair, caps, full) {
                    prof.wrote |= *write;
                    prof.functions.insert(*function);
                    prof.unit_ids.insert(*unit_id);
                }
            }
        }
    }

    fn enforce(
        &mut self,
        o: &Obs,
        ts: Timestamp,
        internal: &dyn Fn(IpAddr) -> bool,
        out: &mut Vec<Finding>,
    ) {
        let mut found: Vec<Raised> = Vec::new();
        enforce::check(&self.state.model, o, internal, &mut found);
        for r in found {
            self.emit(r, ts, out);
        }
    }

    fn emit(&mut self, r: Raised, ts: Timestamp, out: &mut Vec<Finding>) {
        let Some(spec) = crate::registry::spec(r.rule) else {
            return;
        };
        let id = finding_id(r.rule, &r.key);
        let t = ts.as_nanos();
        if let Some(p) = self.state.pending.get_mut(&id) {
            p.count = p.count.saturating_add(1);
            p.last_seen_ns = p.last_seen_ns.max(t);
            p.absorb(&r);
        } else if self.state.pending.len() < self.cfg.max_pending {
            let mut p = Pending {
                rule: r.rule.to_string(),
                key: r.key.clone(),
                message: r.message.clone(),
                first_seen_ns: t,
                last_seen_ns: t,
                count: 1,
                functions: ByteSet::default(),
                unit_ids: ByteSet::default(),
                wrote: false,
            };
            p.absorb(&r);
            self.state.pending.insert(id, p);
        } else {
            self.state.full.pending = self.state.full.pending.saturating_add(1);
        }
        let mut f = Finding::new(r.rule, spec.severity, spec.guideline, r.key, ts, r.message);
        f.src_ip = r.src;
        f.dst_ip = r.dst;
        if let Some(fc) = r.function {
            f = f.evidence("modbus_function", fc.to_string());
        }
        out.push(f);
    }

    /// Adds an approved pending finding's item, and the write functions a writer
    /// finding covered.
    fn accept(&mut self, item: &Item, pending: Option<&Pending>) {
        let mut full = FullCounters::default();
        self.state.model.add_item(item, &Caps::UNBOUNDED, &mut full);
        if let (Item::ModbusPair(p) | Item::ModbusWrites(p), Some(pend)) = (item, pending)
            && let Some(prof) = self.state.model.pair_mut(*p, &Caps::UNBOUNDED, &mut full)
        {
            prof.wrote |= pend.wrote;
            for f in pend.functions.iter() {
                prof.functions.insert(f);
            }
            for u in pend.unit_ids.iter() {
                prof.unit_ids.insert(u);
            }
        }
    }

    /// Accepts a finding by id: either `rule:key` (as listed in
    /// [`BaselineState::pending`]) or the alert id the alert store gave it
    /// (`rule-<16 hex digits>`, `crate::store::key_hash` of rule and key), looked up
    /// among the pending findings. Its item joins the baseline and stops alerting.
    pub fn approve_alert(&mut self, id: &str) -> Result<Item, ApproveError> {
        let (rule, key) = match id.split_once(':') {
            Some(rk) => rk,
            None => {
                let p = self
                    .state
                    .pending
                    .values()
                    .find(|p| store_alert_id(&p.rule, &p.key) == id)
                    .ok_or_else(|| ApproveError::BadId(id.to_string()))?;
                let rk = finding_id(&p.rule, &p.key);
                return self.approve_alert(&rk);
            }
        };
        if !rules::is_baseline_rule(rule) {
            return Err(ApproveError::NotBaselineRule(rule.to_string()));
        }
        let item = Item::parse(rule, key).ok_or_else(|| ApproveError::BadId(id.to_string()))?;
        let pending = self.state.pending.remove(id);
        self.accept(&item, pending.as_ref());
        Ok(item)
    }

    /// Accepts a host and every pending finding that involves it. Returns the items
    /// added (the host first).
    pub fn approve_host(&mut self, ip: IpAddr) -> Vec<Item> {
        let mut full = FullCounters::default();
        let host = Item::Host { ip };
        self.state
            .model
            .add_item(&host, &Caps::UNBOUNDED, &mut full);
        let mut added = vec![host.clone()];
        let ids: Vec<String> = self
            .state
            .pending
            .iter()
            .filter(|(_, p)| Item::parse(&p.rule, &p.key).is_some_and(|i| i.involves(ip)))
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            if let Some(p) = self.state.pending.remove(&id)
                && let Some(item) = Item::parse(&p.rule, &p.key)
                && item != host
            {
                self.accept(&item, Some(&p));
                added.push(item);
            }
        }
        added
    }
}

fn in_scope_pair(a: IpAddr, b: IpAddr, internal: &dyn Fn(IpAddr) -> bool) -> bool {
    a != b && is_internal_host(a, internal) && is_internal_host(b, internal)
}
