//! Baseline and inventory together, as one [`FindingSource`] for the detector.
//!
//! The detector owns its sources as `Box<dyn FindingSource>`; the pipeline also needs
//! the state for checkpoints, so it plugs in a [`SharedTracker`] (an `Arc<Mutex<_>>`,
//! locked once per event on the detector thread, uncontended except at a checkpoint).

use super::{Baseline, BaselineConfig};
use crate::alert::Finding;
use crate::detector::FindingSource;
use crate::inventory::{Inventory, InventoryConfig};
use crate::persist::{self, DetectState, Kind, PersistError};
use crate::policy::Policy;
use mizuban_capture::DropCounters;
use mizuban_protocols::Event;
use serde::Serialize;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

pub struct AssetTracker {
    pub baseline: Option<Baseline>,
    pub inventory: Inventory,
    /// Control actions: authorization, counters, refusal windows (issue 20).
    pub control: crate::control::ControlMonitor,
    /// Communication pairs, control actions, alerts and runs for the report.
    pub evidence: crate::evidence::Evidence,
    /// Modbus transactions already folded in without a finding (see `repeat_key`).
    seen_modbus: ahash::AHashSet<ModbusKey>,
}

/// Transactions cached before the memo is cleared; bounds its memory (~40 B a key).
const MAX_SEEN_MODBUS: usize = 65_536;

/// What a Modbus transaction contributes to the inventory and baseline. A poll loop
/// repeats the same few keys millions of times; once one has been folded in without
/// raising a finding, its repeats change nothing and are skipped (the hot path of a
/// plant's traffic). Keys that raised a finding are not cached, so their repeats still
/// reach the baseline and raise the alert's count.
type ModbusKey = (IpAddr, IpAddr, u16, u8, u8, bool, bool);

fn repeat_key(ev: &Event) -> Option<ModbusKey> {
    match &ev.kind {
        mizuban_protocols::EventKind::Modbus(tx) if tx.device_identity.is_none() => Some((
            ev.flow.client.ip(),
            ev.flow.server.ip(),
            ev.flow.server.port(),
            tx.unit_id,
            tx.function,
            tx.is_write(),
            tx.response_frame.is_some(),
        )),
        _ => None,
    }
}

/// Borrowed form of [`DetectState`] so a checkpoint does not copy the state.
#[derive(Serialize)]
struct StateRef<'a> {
    baseline: Option<&'a super::BaselineState>,
    inventory: Option<&'a crate::inventory::InventoryState>,
    evidence: Option<&'a crate::evidence::EvidenceState>,
}

impl AssetTracker {
    /// `baseline: None` = inventory only (no baseline findings).
    pub fn new(baseline: Option<BaselineConfig>, inventory: InventoryConfig) -> AssetTracker {
        AssetTracker {
            baseline: baseline.map(Baseline::new),
            inventory: Inventory::new(inventory),
            control: crate::control::ControlMonitor::default(),
            evidence: crate::evidence::Evidence::default(),
            seen_modbus: ahash::AHashSet::default(),
        }
    }

    /// Resumes from a checkpoint; a missing half starts fresh.
    pub fn from_state(
        baseline: Option<BaselineConfig>,
        inventory: InventoryConfig,
        state: DetectState,
    ) -> AssetTracker {
        AssetTracker {
            baseline: baseline.map(|cfg| match state.baseline {
                Some(b) => Baseline::from_state(cfg, b),
                None => Baseline::new(cfg),
            }),
            inventory: Inventory::from_state(inventory, state.inventory.unwrap_or_default()),
            control: crate::control::ControlMonitor::default(),
            evidence: crate::evidence::Evidence::from_state(state.evidence.unwrap_or_default()),
            seen_modbus: ahash::AHashSet::default(),
        }
    }

    pub fn on_event(
        &mut self,
        ev: &Event,
        is_internal: &dyn Fn(IpAddr) -> bool,
        out: &mut Vec<Finding>,
    ) {
        let key = repeat_key(ev);
        if let Some(k) = &key
            && self.seen_modbus.contains(k)
        {
            return;
        }
        let before = out.len();
        self.inventory.on_event(ev, is_internal, out);
        if let Some(b) = &mut self.baseline {
            b.on_event(ev, is_internal, out);
        }
        if let Some(k) = key
            && out.len() == before
        {
            if self.seen_modbus.len() >= MAX_SEEN_MODBUS {
                self.seen_modbus.clear();
            }
            self.seen_modbus.insert(k);
        }
    }

    /// [`Self::on_event`] plus the control-action policy (`[detect.control]`): who
    /// was allowed, counted per (protocol, action, authorized), and recorded per server
    /// in the inventory.
    pub fn on_event_with_policy(&mut self, ev: &Event, policy: &Policy, out: &mut Vec<Finding>) {
        use crate::control::Learning;
        self.on_event(ev, &|ip| policy.is_internal(ip), out);
        let learning = match self.baseline.as_mut() {
            None => Learning::Off,
            Some(b) => b.control_learning(),
        };
        let authorized = self.control.on_event(ev, &policy.control, learning, out);
        if authorized.is_some()
            && let mizuban_protocols::EventKind::ControlAction(ca) = &ev.kind
        {
            self.inventory
                .record_control(ev.flow.server.ip(), ev.flow.client.ip(), ca.action);
        }
        self.evidence.on_event(ev, policy, authorized);
    }

    /// Atomic checkpoint of both halves (see [`persist`]).
    pub fn save(&self, path: &Path) -> Result<(), PersistError> {
        let s = StateRef {
            baseline: self.baseline.as_ref().map(|b| b.state()),
            inventory: Some(self.inventory.state()),
            evidence: Some(self.evidence.state()),
        };
        persist::save(path, Kind::State, &s)
    }

    /// Items dropped by full sets, as `DropReason::InventoryFull`.
    pub fn drops(&self) -> DropCounters {
        let mut d = self.inventory.drops();
        d.add(
            mizuban_capture::DropReason::InventoryFull,
            self.control.dropped,
        );
        // The report's tables: links, control rows and alerts they could not keep.
        let e = &self.evidence.state().dropped;
        d.add(
            mizuban_capture::DropReason::InventoryFull,
            e.links.saturating_add(e.controls).saturating_add(e.alerts),
        );
        if let Some(b) = &self.baseline {
            d.merge(&b.drops());
        }
        d
    }

    /// The first name the inventory has for `ip` (DNS or DHCP).
    pub fn asset_name(&self, ip: IpAddr) -> Option<String> {
        self.inventory
            .assets()
            .get(&ip)
            .and_then(|a| a.best_name().map(str::to_owned))
    }
}

impl FindingSource for AssetTracker {
    fn on_event(&mut self, ev: &Event, policy: &Policy, out: &mut Vec<Finding>) {
        self.on_event_with_policy(ev, policy, out);
    }

    fn asset_name(&self, ip: IpAddr) -> Option<String> {
        AssetTracker::asset_name(self, ip)
    }
}

/// A tracker the pipeline can share with the detector (for checkpoints).
pub type SharedTracker = Arc<Mutex<AssetTracker>>;

/// Locks a shared tracker; a panic on another thread while holding the lock cannot
/// leave the sets half-updated in a way that matters more than losing the tracker.
pub fn lock(t: &SharedTracker) -> MutexGuard<'_, AssetTracker> {
    t.lock().unwrap_or_else(|e| e.into_inner())
}

impl FindingSource for SharedTracker {
    fn on_event(&mut self, ev: &Event, policy: &Policy, out: &mut Vec<Finding>) {
        lock(self).on_event_with_policy(ev, policy, out);
    }

    fn asset_name(&self, ip: IpAddr) -> Option<String> {
        lock(self).asset_name(ip)
    }
}
