//! Deterministic merge of worker outputs.
//!
//! Workers run concurrently and finish packets in any interleaving, but the detector must
//! see events in one order that does not depend on the worker count. Each worker reports a
//! watermark: every packet and tick up to that sequence number has been processed. Events
//! are held in a heap ordered by [`Event::sort_key`] and released only once every worker's
//! watermark has passed their sequence number.

use super::chunk::EventChunk;
use mizuban_protocols::Event;
use std::collections::VecDeque;

/// One worker's pending output: chunks as they arrived (each sorted by the worker),
/// and how far into the first chunk the merge has read.
#[derive(Default)]
struct Pending {
    chunks: VecDeque<EventChunk>,
    cursor: usize,
}

impl Pending {
    fn head(&self) -> Option<(&Event, &[u8])> {
        self.chunks.front().and_then(|c| c.get(self.cursor))
    }

    /// Moves past the head; a chunk read to its end goes to `spent`.
    fn advance(&mut self, spent: &mut Vec<EventChunk>) {
        self.cursor += 1;
        if self.chunks.front().is_some_and(|c| self.cursor >= c.len()) {
            spent.extend(self.chunks.pop_front());
            self.cursor = 0;
        }
    }
}

/// A k-way merge over the workers' outputs. Each worker sends its events sorted by
/// [`Event::sort_key`] (its packets and ticks are processed in sequence order), so
/// the merge only compares the workers' heads; events and their serialised lines are
/// handed out by reference and never moved, which matters at a million Modbus
/// transactions a second.
pub struct OrderedMerge {
    watermarks: Vec<u64>,
    pending: Vec<Pending>,
    /// Chunks read to the end, for the caller to recycle.
    spent: Vec<EventChunk>,
}

impl OrderedMerge {
    pub fn new(workers: usize) -> OrderedMerge {
        let n = workers.max(1);
        OrderedMerge {
            watermarks: vec![0; n],
            pending: (0..n).map(|_| Pending::default()).collect(),
            spent: Vec::new(),
        }
    }

    /// Adds a worker's events (sorted by sort key) and raises its watermark.
    pub fn push(&mut self, worker: usize, chunk: EventChunk, watermark: u64) {
        match self.pending.get_mut(worker) {
            Some(p) if !chunk.is_empty() => p.chunks.push_back(chunk),
            _ => self.spent.push(chunk),
        }
        if let Some(w) = self.watermarks.get_mut(worker) {
            *w = (*w).max(watermark);
        }
    }

    /// Calls `f` on every event that no worker can still precede, in order, with its
    /// line (empty when events are not serialised).
    pub fn drain_ready(&mut self, mut f: impl FnMut(&Event, &[u8])) {
        let low = self.watermarks.iter().copied().min().unwrap_or(u64::MAX);
        loop {
            let mut best: Option<(usize, (u64, mizuban_protocols::FlowTuple, u32))> = None;
            for (i, p) in self.pending.iter().enumerate() {
                if let Some((ev, _)) = p.head()
                    && ev.order.seq <= low
                {
                    let k = ev.sort_key();
                    if best.as_ref().is_none_or(|(_, b)| k < *b) {
                        best = Some((i, k));
                    }
                }
            }
            let Some((i, _)) = best else { break };
            let Some(p) = self.pending.get_mut(i) else {
                break;
            };
            if let Some((ev, line)) = p.head() {
                f(ev, line);
            }
            p.advance(&mut self.spent);
        }
    }

    /// Chunks the merge is done with.
    pub fn take_spent(&mut self) -> std::vec::Drain<'_, EventChunk> {
        self.spent.drain(..)
    }

    pub fn pending(&self) -> usize {
        self.pending
            .iter()
            .flat_map(|p| p.chunks.iter())
            .map(EventChunk::len)
            .sum()
    }
}

/// Sorts one worker's output for the merge; already in order in the common case, where
/// this is a single pass of comparisons.
pub fn sort_for_merge(events: &mut [Event]) {
    if !events.is_sorted_by_key(Event::sort_key) {
        events.sort_by_key(Event::sort_key);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use mizuban_capture::{Timestamp, VlanTags};
    use mizuban_protocols::event::{Arp, EventKind};
    use mizuban_protocols::{EventOrder, FlowTuple};

    pub fn chunk(events: Vec<Event>) -> EventChunk {
        EventChunk::from_events(events)
    }

    pub fn ev(seq: u64, sub: u32, port: u16) -> Event {
        Event {
            order: EventOrder { seq, sub },
            ts: Timestamp(0),
            file: 0,
            frame: seq,
            flow: FlowTuple {
                client: format!("10.0.0.1:{port}").parse().unwrap(),
                server: "10.0.0.2:502".parse().unwrap(),
                proto: 6,
                vlan: VlanTags::default(),
            },
            kind: EventKind::Arp(Arp {
                operation: 1,
                sender_mac: Default::default(),
                sender_ip: "10.0.0.1".parse().unwrap(),
                target_ip: "10.0.0.2".parse().unwrap(),
            }),
        }
    }

    #[test]
    fn holds_events_until_every_worker_has_passed_them() {
        let mut m = OrderedMerge::new(2);
        let mut out = Vec::new();
        m.push(0, chunk(vec![ev(5, 0, 1000)]), 5);
        m.drain_ready(|e, _| out.push(e.clone()));
        assert!(
            out.is_empty(),
            "worker 1 may still emit something before seq 5"
        );
        m.push(1, chunk(vec![ev(3, 0, 2000)]), 6);
        m.drain_ready(|e, _| out.push(e.clone()));
        let seqs: Vec<u64> = out.iter().map(|e| e.order.seq).collect();
        assert_eq!(seqs, vec![3, 5]);
    }

    #[test]
    fn same_tick_events_from_different_workers_sort_by_flow() {
        // Two workers expire flows at the same tick (seq 9): order must not depend on
        // which worker reported first.
        let mut a = OrderedMerge::new(2);
        a.push(0, chunk(vec![ev(9, 0, 3000)]), 9);
        a.push(1, chunk(vec![ev(9, 0, 1000)]), 9);
        let mut b = OrderedMerge::new(2);
        b.push(1, chunk(vec![ev(9, 0, 1000)]), 9);
        b.push(0, chunk(vec![ev(9, 0, 3000)]), 9);
        let (mut oa, mut ob) = (Vec::new(), Vec::new());
        a.drain_ready(|e, _| oa.push(e.clone()));
        b.drain_ready(|e, _| ob.push(e.clone()));
        assert_eq!(oa, ob);
        assert_eq!(oa[0].flow.client.port(), 1000);
    }
}

#[cfg(test)]
mod tests_support {
    pub use super::tests::ev;
}

#[cfg(test)]
mod sort_tests {
    use super::*;

    #[test]
    fn unsorted_worker_output_is_sorted_before_merging() {
        let mut v = vec![tests_support::ev(9, 0, 3000), tests_support::ev(9, 0, 1000)];
        sort_for_merge(&mut v);
        assert_eq!(v[0].flow.client.port(), 1000);
    }
}
