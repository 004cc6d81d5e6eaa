//! A small bounded least-recently-used map for detector state (DNS names per client and
//! address, MAC per address). Eviction order depends only on the order of calls, so a
//! replay is deterministic; no iteration over the hash map reaches any output.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// A bounded LRU map. Recency order is a queue of (tick, key) with lazy deletion: a
/// refresh pushes a new entry and leaves the old one to be skipped when it reaches the
/// front, and the queue is compacted when it holds twice the map. Every operation is
/// amortised O(1), with no tree: the detector calls it for every flow a flood creates.
#[derive(Clone, Debug)]
pub struct Lru<K, V> {
    cap: usize,
    tick: u64,
    map: HashMap<K, (V, u64)>,
    order: VecDeque<(u64, K)>,
    evicted: u64,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    /// `cap` of 0 is raised to 1.
    pub fn new(cap: usize) -> Lru<K, V> {
        Lru {
            cap: cap.max(1),
            tick: 0,
            map: HashMap::new(),
            order: VecDeque::new(),
            evicted: 0,
        }
    }

    pub fn insert(&mut self, k: K, v: V) {
        self.tick = self.tick.wrapping_add(1);
        if let Some((old_v, old_t)) = self.map.get_mut(&k) {
            *old_v = v;
            *old_t = self.tick;
            self.order.push_back((self.tick, k));
            self.compact();
            return;
        }
        while self.map.len() >= self.cap {
            let Some((t, old)) = self.order.pop_front() else {
                break;
            };
            // A stale entry (the key was refreshed later): skip it.
            if self.map.get(&old).is_some_and(|(_, cur)| *cur == t) {
                self.map.remove(&old);
                self.evicted = self.evicted.saturating_add(1);
            }
        }
        self.order.push_back((self.tick, k.clone()));
        self.map.insert(k, (v, self.tick));
        self.compact();
    }

    /// Drops stale queue entries once they outnumber the live ones.
    fn compact(&mut self) {
        if self.order.len() <= self.map.len().saturating_mul(2).max(16) {
            return;
        }
        let map = &self.map;
        self.order
            .retain(|(t, k)| map.get(k).is_some_and(|(_, cur)| cur == t));
    }

    /// Looks up without refreshing recency (lookups are frequent, refresh is not needed
    /// for names that are re-resolved on their own TTL).
    pub fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k).map(|(v, _)| v)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Entries pushed out by the cap since creation.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_inserted() {
        let mut l = Lru::new(2);
        l.insert(1, "a");
        l.insert(2, "b");
        l.insert(1, "a2"); // refreshes 1
        l.insert(3, "c"); // evicts 2
        assert_eq!(l.get(&1), Some(&"a2"));
        assert_eq!(l.get(&2), None);
        assert_eq!(l.get(&3), Some(&"c"));
        assert_eq!(l.len(), 2);
        assert_eq!(l.evicted(), 1);
    }
}
