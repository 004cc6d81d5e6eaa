//! The alert store: one [`Alert`] per `(rule, key)`, repeats raising its count; a global
//! rate limit on new alerts per window of packet time; a cap on how many are kept.
//!
//! Output: an `AlertLine { status: New }` the moment an alert is created, and
//! `AlertLine { status: Update }` from [`AlertStore::flush`] for every alert whose count,
//! last-seen time or evidence changed since it was last written.

use crate::alert::{Alert, AlertLine, AlertStatus, Finding};
use mizuban_capture::Timestamp;
use std::collections::HashMap;
use std::time::Duration;

/// What [`AlertStore::raise`] did with a finding.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Raised {
    /// A new alert was created and written.
    New,
    /// An existing alert's count (or evidence) was updated.
    Repeat,
    /// Over the rate limit: dropped and counted.
    Suppressed,
    /// The store is at its cap: dropped and counted.
    Full,
    /// An evidence-only finding for an alert that does not exist: nothing to update.
    Ignored,
}

#[derive(Clone, Debug)]
struct Entry {
    alert: Alert,
    dirty: bool,
}

#[derive(Clone, Debug)]
pub struct AlertStore {
    entries: Vec<Entry>,
    /// FNV-1a of (rule, key) -> entry indices with that hash (collisions compare keys).
    index: HashMap<u64, Vec<usize>>,
    keys: Vec<String>,
    dirty: Vec<usize>,
    rate_limit: u32,
    rate_window: Duration,
    window_start: Option<Timestamp>,
    in_window: u32,
    max_alerts: usize,
    suppressed: u64,
    refused_full: u64,
}

impl AlertStore {
    pub fn new(rate_limit: u32, rate_window: Duration, max_alerts: usize) -> AlertStore {
        AlertStore {
            entries: Vec::new(),
            index: HashMap::new(),
            keys: Vec::new(),
            dirty: Vec::new(),
            rate_limit,
            rate_window,
            window_start: None,
            in_window: 0,
            max_alerts,
            suppressed: 0,
            refused_full: 0,
        }
    }

    /// New limits (a policy reload); alerts already stored stay, even above a lower cap.
    pub fn set_limits(&mut self, rate_limit: u32, rate_window: Duration, max_alerts: usize) {
        self.rate_limit = rate_limit;
        self.rate_window = rate_window;
        self.max_alerts = max_alerts;
    }

    fn find(&self, rule: &str, key: &str) -> Option<usize> {
        let h = key_hash(rule, key);
        self.index.get(&h)?.iter().copied().find(|&i| {
            self.entries.get(i).is_some_and(|e| e.alert.rule == rule)
                && self.keys.get(i).is_some_and(|k| k == key)
        })
    }

    /// The alert of `(rule, key)`, if raised.
    pub fn get(&self, rule: &str, key: &str) -> Option<&Alert> {
        self.find(rule, key)
            .and_then(|i| self.entries.get(i))
            .map(|e| &e.alert)
    }

    /// Stores a finding. `fill` runs only when a new alert is created, to add what the
    /// detector knows about the endpoints (zones, names, MACs) without paying for it on
    /// every repeat.
    pub fn raise(
        &mut self,
        f: Finding,
        fill: impl FnOnce(&mut Alert),
        out: &mut Vec<AlertLine>,
    ) -> Raised {
        if let Some(i) = self.find(f.rule, &f.key) {
            let Some(e) = self.entries.get_mut(i) else {
                return Raised::Ignored;
            };
            let a = &mut e.alert;
            if !f.evidence_only {
                a.count = a.count.saturating_add(1);
            }
            if f.frame.is_some() {
                if f.ts < a.first_seen || a.first_frame.is_none() {
                    a.first_frame = f.frame;
                }
                if f.ts >= a.last_seen {
                    a.last_frame = f.frame;
                }
            }
            a.first_seen = a.first_seen.min(f.ts);
            a.last_seen = a.last_seen.max(f.ts);
            a.severity = a.severity.max(f.severity);
            a.closed_network_breach |= f.closed_network_breach;
            if f.evidence_only && !f.message.is_empty() {
                a.message = f.message;
            }
            a.evidence.extend(f.evidence);
            if !e.dirty {
                e.dirty = true;
                self.dirty.push(i);
            }
            return Raised::Repeat;
        }
        if f.evidence_only {
            return Raised::Ignored;
        }
        if self.entries.len() >= self.max_alerts {
            self.refused_full = self.refused_full.saturating_add(1);
            return Raised::Full;
        }
        // Fixed windows that start at the first new alert after the previous window ends.
        let in_window = self
            .window_start
            .is_some_and(|s| f.ts >= s && f.ts.since(s) < self.rate_window);
        if !in_window {
            self.window_start = Some(f.ts);
            self.in_window = 0;
        }
        if self.in_window >= self.rate_limit {
            self.suppressed = self.suppressed.saturating_add(1);
            return Raised::Suppressed;
        }
        self.in_window = self.in_window.saturating_add(1);

        let h = key_hash(f.rule, &f.key);
        let mut alert = Alert {
            id: format!("{}-{h:016x}", f.rule),
            rule: f.rule,
            severity: f.severity,
            guideline: f.guideline,
            closed_network_breach: f.closed_network_breach,
            first_seen: f.ts,
            last_seen: f.ts,
            count: 1,
            direction: f.direction,
            transport: f.transport,
            vlan: f.vlan,
            community_id: f.community_id,
            src_ip: f.src_ip,
            src_port: f.src_port,
            src_mac: f.src_mac,
            dst_ip: f.dst_ip,
            dst_port: f.dst_port,
            dst_mac: f.dst_mac,
            message: f.message,
            evidence: f.evidence,
            first_frame: f.frame,
            last_frame: f.frame,
            ..Alert::default()
        };
        fill(&mut alert);
        let i = self.entries.len();
        out.push(AlertLine {
            status: AlertStatus::New,
            alert: alert.clone(),
        });
        self.entries.push(Entry {
            alert,
            dirty: false,
        });
        self.keys.push(f.key);
        self.index.entry(h).or_default().push(i);
        Raised::New
    }

    /// Writes an `Update` line for every alert changed since it was last written, in
    /// creation order. `_now` is the packet time of the flush (kept for the API: a live
    /// pipeline flushes on a packet-time tick).
    pub fn flush(&mut self, _now: Timestamp, out: &mut Vec<AlertLine>) {
        self.dirty.sort_unstable();
        for i in self.dirty.drain(..) {
            if let Some(e) = self.entries.get_mut(i) {
                e.dirty = false;
                out.push(AlertLine {
                    status: AlertStatus::Update,
                    alert: e.alert.clone(),
                });
            }
        }
    }

    /// Every alert, in creation order.
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.entries.iter().map(|e| &e.alert)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// New alerts dropped by the rate limit.
    pub fn suppressed(&self) -> u64 {
        self.suppressed
    }

    /// New alerts refused because the store was at its cap.
    pub fn refused_full(&self) -> u64 {
        self.refused_full
    }
}

/// FNV-1a 64 (http://www.isthe.com/chongo/tech/comp/fnv/) over rule, a 0 byte and key:
/// fixed constants, so alert ids are the same on every run and machine.
pub fn key_hash(rule: &str, key: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    for b in rule.bytes().chain(std::iter::once(0)).chain(key.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(PRIME);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_reference_vectors() {
        // FNV-1a 64 of "" and "a" from the reference test suite; our hash of ("", "")
        // is FNV of the single byte 0, also listed there.
        fn fnv(bytes: &[u8]) -> u64 {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in bytes {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            h
        }
        assert_eq!(fnv(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(key_hash("", ""), 0xaf63_bd4c_8601_b7df);
    }
}
