//! Evidence for the audit report (`mizuban report`): who talked to whom over which
//! protocol, who changed which controller, the alerts, and each run's own health, kept
//! in bounded tables and saved with the baseline and inventory in `state.json`, so a
//! report can be written from a live sensor's state directory as well as from a replay.
//!
//! Nothing here judges: the tables are facts (first/last seen, counts, the frame that
//! showed it), filled from the protocol-neutral parts of events (flow start/end, the
//! detected application protocol, `control_action`), so every analyzer added later
//! feeds them without a change here.

pub mod records;

pub use records::{AlertRecord, ControlRecord, FrameRef, Link, RunRecord};

use crate::alert::Alert;
use crate::policy::Policy;
use mizuban_capture::Timestamp;
use mizuban_protocols::{AppProtocol, Event, EventKind};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;

/// Communication pairs kept (client, server, transport, server port); more are counted
/// in [`EvidenceDrops::links`]. A plant has hundreds; a scan would have millions.
pub const MAX_LINKS: usize = 16_384;
/// (client, server, protocol, action, authorized) rows kept.
pub const MAX_CONTROLS: usize = 4_096;
/// Alerts saved in the state (the store keeps up to `[detect.alerts] max_alerts`):
/// bounds the checkpoint's size and the cost of copying them.
pub const MAX_SAVED_ALERTS: usize = 20_000;
/// Runs remembered (each start of the sensor or replay); the oldest go first.
pub const MAX_RUNS: usize = 256;

/// What the tables could not keep.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvidenceDrops {
    pub links: u64,
    pub controls: u64,
    pub alerts: u64,
    pub runs: u64,
}

/// The saved form: plain lists in a stable order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvidenceState {
    pub links: Vec<Link>,
    pub controls: Vec<ControlRecord>,
    /// Alerts of every run, merged by id (counts added, first/last seen widened).
    pub alerts: Vec<AlertRecord>,
    /// Each run's period and health, oldest first; the last is the current one.
    pub runs: Vec<RunRecord>,
    pub dropped: EvidenceDrops,
}

type LinkKey = (IpAddr, IpAddr, u8, u16);
type ControlKey = (IpAddr, IpAddr, String, String, bool);

/// The live tables, with indexes over the saved lists.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    state: EvidenceState,
    links: HashMap<LinkKey, usize>,
    controls: HashMap<ControlKey, usize>,
    /// Alerts saved by earlier runs; the current run's are merged into them.
    carried: Vec<AlertRecord>,
    /// Input names of the current run (file names, interfaces), by index.
    inputs: Vec<String>,
}

impl Evidence {
    /// Resumes from a checkpoint.
    pub fn from_state(state: EvidenceState) -> Evidence {
        let mut e = Evidence {
            carried: state.alerts.clone(),
            ..Evidence::default()
        };
        for (i, l) in state.links.iter().enumerate() {
            e.links.insert(l.key(), i);
        }
        for (i, c) in state.controls.iter().enumerate() {
            e.controls.insert(c.key(), i);
        }
        e.state = state;
        e
    }

    pub fn state(&self) -> &EvidenceState {
        &self.state
    }

    /// A run starts: `inputs` names its files or interfaces, by index.
    pub fn begin_run(&mut self, inputs: &[String]) {
        self.inputs = inputs.to_vec();
        if self.state.runs.len() >= MAX_RUNS {
            self.state.runs.remove(0);
            self.state.dropped.runs = self.state.dropped.runs.saturating_add(1);
        }
        self.state.runs.push(RunRecord {
            inputs: inputs.to_vec(),
            ..RunRecord::default()
        });
    }

    /// The current run's record (a fresh one if no run began).
    pub fn run_mut(&mut self) -> &mut RunRecord {
        if self.state.runs.is_empty() {
            self.state.runs.push(RunRecord::default());
        }
        let last = self.state.runs.len().saturating_sub(1);
        // Not empty: a record was pushed above if there was none.
        #[allow(clippy::indexing_slicing)]
        &mut self.state.runs[last]
    }

    fn frame(&self, ev: &Event) -> FrameRef {
        FrameRef {
            file: self
                .inputs
                .get(usize::from(ev.file))
                .cloned()
                .unwrap_or_default(),
            frame: ev.frame,
        }
    }

    /// Folds one event in. `authorized` is the control policy's decision when the
    /// event is a control action.
    pub fn on_event(&mut self, ev: &Event, policy: &Policy, authorized: Option<bool>) {
        match &ev.kind {
            EventKind::FlowStart(_) => {
                if let Some(l) = self.link(ev, policy) {
                    l.flows = l.flows.saturating_add(1);
                }
            }
            EventKind::ProtocolDetected(p) => {
                if let Some(l) = self.link(ev, policy) {
                    l.set_protocol(p.protocol);
                }
            }
            EventKind::FlowEnd(f) => {
                if let Some(l) = self.link(ev, policy) {
                    l.set_protocol(f.app);
                    let bytes = f.to_server.bytes.saturating_add(f.to_client.bytes);
                    l.bytes = l.bytes.saturating_add(bytes);
                    l.packets = l
                        .packets
                        .saturating_add(f.to_server.packets)
                        .saturating_add(f.to_client.packets);
                    l.last_ns = l.last_ns.max(f.last_seen.as_nanos());
                }
            }
            EventKind::ControlAction(ca) => self.control(ev, ca, authorized.unwrap_or(true)),
            _ => {}
        }
    }

    /// The link of the event's flow, created on first sight (None when the table is
    /// full: counted).
    fn link(&mut self, ev: &Event, policy: &Policy) -> Option<&mut Link> {
        let f = &ev.flow;
        let key = (f.client.ip(), f.server.ip(), f.proto, f.server.port());
        let i = match self.links.get(&key) {
            Some(&i) => i,
            None => {
                if self.state.links.len() >= MAX_LINKS {
                    self.state.dropped.links = self.state.dropped.links.saturating_add(1);
                    return None;
                }
                let vlan = f.vlan.innermost();
                let zone = |ip| policy.zone_name(ip, vlan).map(str::to_owned);
                let link = Link {
                    client: key.0,
                    server: key.1,
                    transport: f.transport().to_owned(),
                    port: key.3,
                    protocol: AppProtocol::Unknown.as_str().to_owned(),
                    category: AppProtocol::Unknown.category().as_str().to_owned(),
                    client_internal: policy.is_internal(key.0),
                    server_internal: policy.is_internal(key.1),
                    client_zone: zone(key.0),
                    server_zone: zone(key.1),
                    flows: 0,
                    packets: 0,
                    bytes: 0,
                    first_ns: ev.ts.as_nanos(),
                    last_ns: ev.ts.as_nanos(),
                    first: self.frame(ev),
                };
                let i = self.state.links.len();
                self.state.links.push(link);
                self.links.insert(key, i);
                i
            }
        };
        let l = self.state.links.get_mut(i)?;
        l.first_ns = l.first_ns.min(ev.ts.as_nanos());
        l.last_ns = l.last_ns.max(ev.ts.as_nanos());
        Some(l)
    }

    fn control(
        &mut self,
        ev: &Event,
        ca: &mizuban_protocols::facts::ControlAction,
        authorized: bool,
    ) {
        let key: ControlKey = (
            ev.flow.client.ip(),
            ev.flow.server.ip(),
            ca.protocol.as_str().to_owned(),
            ca.action.as_str().to_owned(),
            authorized,
        );
        let frame = self.frame(ev);
        let i = match self.controls.get(&key) {
            Some(&i) => i,
            None => {
                if self.state.controls.len() >= MAX_CONTROLS {
                    self.state.dropped.controls = self.state.dropped.controls.saturating_add(1);
                    return;
                }
                let i = self.state.controls.len();
                self.state
                    .controls
                    .push(ControlRecord::new(&key, ev, frame.clone()));
                self.controls.insert(key, i);
                i
            }
        };
        if let Some(c) = self.state.controls.get_mut(i) {
            c.add(ev, ca, frame);
        }
    }

    /// Replaces the current run's alerts (a snapshot of the alert store), merged with
    /// those of earlier runs by id.
    pub fn set_alerts<'a>(&mut self, alerts: impl Iterator<Item = &'a Alert>) {
        let mut merged = self.carried.clone();
        let mut index: HashMap<String, usize> = merged
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.clone(), i))
            .collect();
        let mut dropped = 0u64;
        for a in alerts {
            let rec = AlertRecord::from_alert(a, &self.inputs);
            let len = merged.len();
            match index.get(&rec.id).copied().and_then(|i| merged.get_mut(i)) {
                Some(old) => old.merge(rec),
                None if len < MAX_SAVED_ALERTS => {
                    index.insert(rec.id.clone(), len);
                    merged.push(rec);
                }
                None => dropped = dropped.saturating_add(1),
            }
        }
        self.state.alerts = merged;
        self.state.dropped.alerts = dropped;
    }
}

/// Nanoseconds since the epoch as a timestamp.
pub fn ts(ns: i64) -> Timestamp {
    Timestamp::from_nanos(ns)
}
