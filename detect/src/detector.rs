//! The detector: every event in, alerts out (issues 2 point 8, 4, 5).
//!
//! Per event: learn what later alerts need (MAC per address, DNS names per client), run
//! the closed-network rules and any other [`FindingSource`] (the baseline), then for each
//! finding apply the per-rule switch and severity, attach the resolved name, drop it if
//! an allow-list entry covers it, and hand it to the [`AlertStore`].

use crate::alert::{AlertLine, Finding};
use crate::config::DetectConfig;
use crate::lru::Lru;
use crate::policy::Policy;
use crate::rules::names::NameCache;
use crate::rules::{Ctx, Rules};
use crate::scan::{ScanConfig, Scans};
use crate::store::{AlertStore, Raised};
use mizuban_capture::{DropCounters, DropReason, MacAddr, Timestamp};
use mizuban_protocols::{Event, EventKind};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

pub use crate::verdict::{CaptureStats, Verdict, VerdictReport};

/// Addresses whose last-seen MAC is remembered (for an internet address that is the
/// gateway's MAC: the way out).
pub const MAC_CACHE_CAP: usize = 16_384;

#[derive(Clone, Debug, Default, Serialize)]
pub struct DetectorStats {
    /// Alerts created, by rule id.
    pub alerts_by_rule: BTreeMap<&'static str, u64>,
    /// New alerts dropped by the rate limit (also `DropReason::AlertRateLimited`).
    pub suppressed: u64,
    /// New alerts refused because the store was full (`alerts.max_alerts`).
    pub store_full: u64,
    /// Findings silenced by an allow-list entry.
    pub allow_listed: u64,
    /// Events seen.
    pub events: u64,
}

/// Something besides the closed-network rules that turns events into findings: the
/// baseline and inventory plug in here (`Detector::add_source`).
pub trait FindingSource: Send {
    fn on_event(&mut self, ev: &Event, policy: &Policy, out: &mut Vec<Finding>);

    /// End of run (or a periodic flush) at packet time `now`.
    fn finish(&mut self, _now: Timestamp, _policy: &Policy, _out: &mut Vec<Finding>) {}

    /// A name for an address (asset inventory), used to fill `src_name`/`dst_name`.
    fn asset_name(&self, _ip: IpAddr) -> Option<String> {
        None
    }
}

pub struct Detector {
    policy: Policy,
    rules: Rules,
    store: AlertStore,
    names: NameCache,
    macs: Lru<IpAddr, MacAddr>,
    sources: Vec<Box<dyn FindingSource>>,
    scans: Scans,
    scratch: Vec<Finding>,
    period: Option<(Timestamp, Timestamp)>,
    capture: CaptureStats,
    stats: DetectorStats,
}

impl Detector {
    pub fn new(cfg: &DetectConfig) -> Result<Detector, String> {
        let policy = Policy::compile(cfg).map_err(|e| e.to_string())?;
        let mut d = Detector::with_policy(policy);
        d.scans = Scans::new(&cfg.scan);
        Ok(d)
    }

    pub fn with_policy(policy: Policy) -> Detector {
        let a = &policy.alerts;
        let store = AlertStore::new(
            a.rate_limit,
            Duration::from_secs(a.rate_window_secs),
            a.max_alerts,
        );
        Detector {
            rules: Rules::new(&policy),
            store,
            names: NameCache::default(),
            macs: Lru::new(MAC_CACHE_CAP),
            sources: Vec::new(),
            scans: Scans::new(&ScanConfig::default()),
            scratch: Vec::new(),
            period: None,
            capture: CaptureStats::default(),
            stats: DetectorStats::default(),
            policy,
        }
    }

    /// Puts a new policy in force (SIGHUP), keeping what was learned: alerts, names,
    /// MACs, the period, the other finding sources. On error the running policy stays.
    /// The failed-login counts restart only if their threshold or window changed.
    pub fn reload(&mut self, cfg: &DetectConfig) -> Result<(), String> {
        let policy = Policy::compile(cfg).map_err(|e| e.to_string())?;
        if policy.failed_login_threshold != self.policy.failed_login_threshold
            || policy.failed_login_window != self.policy.failed_login_window
        {
            self.rules = Rules::new(&policy);
        }
        let a = &policy.alerts;
        self.store.set_limits(
            a.rate_limit,
            Duration::from_secs(a.rate_window_secs),
            a.max_alerts,
        );
        self.policy = policy;
        Ok(())
    }

    /// Plugs in another finding source (the baseline); it sees every event after the
    /// closed-network rules.
    pub fn add_source(&mut self, source: Box<dyn FindingSource>) {
        self.sources.push(source);
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn on_event(&mut self, ev: &Event, out: &mut Vec<AlertLine>) {
        self.stats.events = self.stats.events.saturating_add(1);
        self.period = Some(match self.period {
            None => (ev.ts, ev.ts),
            Some((a, b)) => (a.min(ev.ts), b.max(ev.ts)),
        });
        self.learn(ev);
        let mut findings = std::mem::take(&mut self.scratch);
        let ctx = Ctx {
            policy: &self.policy,
            names: &self.names,
            store: &self.store,
        };
        self.rules.on_event(ev, &ctx, &mut findings);
        self.scans.on_event(ev, &self.policy, &mut findings);
        for s in &mut self.sources {
            s.on_event(ev, &self.policy, &mut findings);
        }
        let at = crate::alert::FrameAt {
            file: ev.file,
            frame: ev.frame,
        };
        for f in findings
            .iter_mut()
            .filter(|f| f.frame.is_none() && ev.frame > 0)
        {
            f.frame = Some(at);
        }
        self.store_findings(&mut findings, ev.ts, out);
        self.scratch = findings;
    }

    /// MACs per address and DNS answers per client, for the alerts that follow.
    fn learn(&mut self, ev: &Event) {
        let (c, s) = (ev.flow.client.ip(), ev.flow.server.ip());
        let mut mac = |ip: IpAddr, m: Option<MacAddr>| {
            if let Some(m) = m.filter(|m| !m.is_multicast())
                && self.macs.get(&ip) != Some(&m)
            {
                self.macs.insert(ip, m);
            }
        };
        match &ev.kind {
            EventKind::FlowStart(f) => {
                mac(c, f.client_mac);
                mac(s, f.server_mac);
            }
            EventKind::FlowEnd(f) => {
                mac(c, f.client_mac);
                mac(s, f.server_mac);
            }
            EventKind::Arp(a) => mac(IpAddr::V4(a.sender_ip), Some(a.sender_mac)),
            EventKind::Dns(m) if m.response && m.rcode == 0 => {
                let q = m.query.as_deref().map(crate::policy::names::normalize);
                let (querier, _) = crate::rules::dns_ends(&ev.flow, &self.policy);
                for a in &m.answers {
                    if let Some(addr) = a.addr {
                        let name = q.clone().unwrap_or_else(|| a.name.to_ascii_lowercase());
                        self.names.record(querier, addr, &name);
                    }
                }
            }
            _ => {}
        }
    }

    fn store_findings(
        &mut self,
        findings: &mut Vec<Finding>,
        ts: Timestamp,
        out: &mut Vec<AlertLine>,
    ) {
        for mut f in findings.drain(..) {
            if !self.policy.rule_enabled(f.rule) {
                continue;
            }
            f.severity = self.policy.severity_for(f.rule, f.severity);
            if let (Some(src), Some(dst)) = (f.src_ip, f.dst_ip)
                && !f.evidence.contains_key("dns_name")
                && let Some(n) = self
                    .names
                    .lookup(src, dst)
                    .or_else(|| self.names.lookup(dst, src))
            {
                f.evidence.insert("dns_name", n.to_owned());
            }
            if self.policy.is_allowed(&f, ts) {
                self.stats.allow_listed = self.stats.allow_listed.saturating_add(1);
                continue;
            }
            let (policy, macs, sources) = (&self.policy, &self.macs, &self.sources);
            let fill = |a: &mut crate::alert::Alert| {
                let vlan = a.vlan;
                let side = |ip: Option<IpAddr>| {
                    let ip = ip?;
                    Some((
                        policy.zone_name(ip, vlan).map(str::to_owned),
                        macs.get(&ip).copied(),
                        sources.iter().find_map(|s| s.asset_name(ip)),
                    ))
                };
                if let Some((zone, mac, name)) = side(a.src_ip) {
                    a.src_zone = zone;
                    a.src_mac = a.src_mac.or(mac);
                    a.src_name = name;
                }
                if let Some((zone, mac, name)) = side(a.dst_ip) {
                    a.dst_zone = zone;
                    a.dst_mac = a.dst_mac.or(mac);
                    a.dst_name = name.or_else(|| a.evidence.get("dns_name").cloned());
                }
            };
            let rule = f.rule;
            match self.store.raise(f, fill, out) {
                Raised::New => {
                    let n = self.stats.alerts_by_rule.entry(rule).or_insert(0);
                    *n = n.saturating_add(1);
                }
                Raised::Suppressed => {
                    self.stats.suppressed = self.stats.suppressed.saturating_add(1)
                }
                Raised::Full => self.stats.store_full = self.stats.store_full.saturating_add(1),
                Raised::Repeat | Raised::Ignored => {}
            }
        }
    }

    /// Periodic flush at packet time `now`: `Update` lines for changed alerts.
    pub fn flush(&mut self, now: Timestamp, out: &mut Vec<AlertLine>) {
        let mut findings = std::mem::take(&mut self.scratch);
        for s in &mut self.sources {
            s.finish(now, &self.policy, &mut findings);
        }
        self.store_findings(&mut findings, now, out);
        self.scratch = findings;
        self.store.flush(now, out);
    }

    /// End of run at packet time `end`: write updates for alerts whose counts changed.
    pub fn finish(&mut self, end: Timestamp, out: &mut Vec<AlertLine>) {
        if end > Timestamp::ZERO
            && let Some((a, b)) = self.period
        {
            self.period = Some((a, b.max(end)));
        }
        self.flush(end, out);
    }

    /// What the pipeline measured about its view, for the verdict: packets seen, TCP
    /// bytes acknowledged by peers, and of those the bytes never captured.
    pub fn set_capture_stats(&mut self, packets: u64, acked_bytes: u64, missed_bytes: u64) {
        self.capture = CaptureStats {
            packets,
            acked_bytes,
            missed_bytes,
            health: self.capture.health,
        };
    }

    /// What the engine learnt about the capture itself (one-sided sessions, duplicates,
    /// unfollowable TCP data), for the verdict.
    pub fn set_capture_health(&mut self, health: crate::verdict::CaptureHealth) {
        self.capture.health = health;
    }

    /// First and last packet time of the events seen.
    pub fn period(&self) -> Option<(Timestamp, Timestamp)> {
        self.period
    }

    /// The closed-network verdict over the period so far.
    pub fn verdict(&self) -> VerdictReport {
        crate::verdict::assess(self.store.alerts(), &self.policy, self.period, self.capture)
    }

    /// Every alert so far, in creation order.
    pub fn alerts(&self) -> impl Iterator<Item = &crate::alert::Alert> {
        self.store.alerts()
    }

    pub fn stats(&self) -> &DetectorStats {
        &self.stats
    }

    /// Drops by reason: rate-limited alerts and refusals of a full store.
    pub fn drop_counters(&self) -> DropCounters {
        let mut d = DropCounters::default();
        d.add(DropReason::AlertRateLimited, self.stats.suppressed);
        d.add(DropReason::InventoryFull, self.stats.store_full);
        d.add(
            DropReason::InventoryFull,
            self.rules.failed_login_clients_dropped(),
        );
        d.add(DropReason::InventoryFull, self.scans.evicted());
        d
    }

    /// Bytes the scan counters account (part of the detector's memory share).
    pub fn scan_bytes(&self) -> u64 {
        self.scans.bytes()
    }
}
