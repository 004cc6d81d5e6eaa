//! Deterministic merge of worker outputs.
//!
//! Workers run concurrently and finish packets in any interleaving, but the detector must
//! see events in one order that does not depend on the worker count. Each worker reports a
//! watermark: every packet and tick up to that sequence number has been processed. Events
//! are held in a heap ordered by [`Event::sort_key`] and released only once every worker's
//! watermark has passed their sequence number.

use mizuban_protocols::Event;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

struct Keyed(Event);

impl PartialEq for Keyed {
    fn eq(&self, other: &Self) -> bool {
        self.0.sort_key() == other.0.sort_key()
    }
}
impl Eq for Keyed {}
impl PartialOrd for Keyed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Keyed {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.sort_key().cmp(&other.0.sort_key())
    }
}

pub struct OrderedMerge {
    watermarks: Vec<u64>,
    heap: BinaryHeap<Reverse<Keyed>>,
}

impl OrderedMerge {
    pub fn new(workers: usize) -> OrderedMerge {
        OrderedMerge {
            watermarks: vec![0; workers.max(1)],
            heap: BinaryHeap::new(),
        }
    }

    /// Adds a worker's events and raises its watermark.
    pub fn push(&mut self, worker: usize, events: Vec<Event>, watermark: u64) {
        for ev in events {
            self.heap.push(Reverse(Keyed(ev)));
        }
        if let Some(w) = self.watermarks.get_mut(worker) {
            *w = (*w).max(watermark);
        }
    }

    /// Moves every event that no worker can still precede into `out`, in order.
    pub fn pop_ready(&mut self, out: &mut Vec<Event>) {
        let low = self.watermarks.iter().copied().min().unwrap_or(u64::MAX);
        while let Some(Reverse(top)) = self.heap.peek() {
            if top.0.order.seq > low {
                break;
            }
            if let Some(Reverse(Keyed(ev))) = self.heap.pop() {
                out.push(ev);
            }
        }
    }

    pub fn pending(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mizuban_capture::{Timestamp, VlanTags};
    use mizuban_protocols::event::{Arp, EventKind};
    use mizuban_protocols::{EventOrder, FlowTuple};

    fn ev(seq: u64, sub: u32, port: u16) -> Event {
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
        m.push(0, vec![ev(5, 0, 1000)], 5);
        m.pop_ready(&mut out);
        assert!(
            out.is_empty(),
            "worker 1 may still emit something before seq 5"
        );
        m.push(1, vec![ev(3, 0, 2000)], 6);
        m.pop_ready(&mut out);
        let seqs: Vec<u64> = out.iter().map(|e| e.order.seq).collect();
        assert_eq!(seqs, vec![3, 5]);
    }

    #[test]
    fn same_tick_events_from_different_workers_sort_by_flow() {
        // Two workers expire flows at the same tick (seq 9): order must not depend on
        // which worker reported first.
        let mut a = OrderedMerge::new(2);
        a.push(0, vec![ev(9, 0, 3000)], 9);
        a.push(1, vec![ev(9, 0, 1000)], 9);
        let mut b = OrderedMerge::new(2);
        b.push(1, vec![ev(9, 0, 1000)], 9);
        b.push(0, vec![ev(9, 0, 3000)], 9);
        let (mut oa, mut ob) = (Vec::new(), Vec::new());
        a.pop_ready(&mut oa);
        b.pop_ready(&mut ob);
        assert_eq!(oa, ob);
        assert_eq!(oa[0].flow.client.port(), 1000);
    }
}
