//! Bounded per-key distinct counters over a packet-time window, for scan detection.
//!
//! Each key (a source, or a source and a target host) holds at most `threshold` distinct
//! 32-bit hashes of what it reached in its current window, plus a few examples to name in
//! the alert: memory per key is bounded by the threshold, and the number of keys by
//! `max_keys`. A full table evicts with the CLOCK (second-chance) policy: a key hit since
//! the hand last passed survives one round, so an active scanner outlives the one-shot
//! sources of a spoofed flood that fill the table around it. Each insertion moves the
//! hand at most `2 × max_keys` steps, and amortised O(1).

use mizuban_capture::Timestamp;
use smallvec::SmallVec;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::Duration;

/// Distinct hashes a key holds without a heap allocation.
const INLINE_HASHES: usize = 8;

/// Examples of targets kept per key for the alert.
pub const MAX_EXAMPLES: usize = 5;

/// Bytes charged per key on top of its hashes (map entry, ring slot, examples).
pub const KEY_BYTES: u64 = 192;

#[derive(Clone, Debug)]
struct Window<T> {
    start: Timestamp,
    /// Inline for the first few: most keys (a Modbus client's unit ids and functions)
    /// never reach more, and the check then touches no other cache line than the entry.
    seen: SmallVec<[u32; INLINE_HASHES]>,
    examples: Vec<T>,
    /// Hit since the clock hand last passed.
    referenced: bool,
}

/// What [`Tracker::observe`] concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen<T> {
    /// Nothing to report (already seen, or still under the threshold).
    Quiet,
    /// The key reached the threshold: `count` distinct targets within the window that
    /// started at `since`, with examples. Its window restarts.
    Threshold {
        count: usize,
        since: Timestamp,
        examples: Vec<T>,
    },
}

#[derive(Clone, Debug)]
pub struct Tracker<K, T> {
    threshold: usize,
    window: Duration,
    max_keys: usize,
    keys: HashMap<K, Window<T>, ahash::RandomState>,
    ring: VecDeque<K>,
    /// Keys dropped to make room.
    pub evicted: u64,
}

impl<K: Hash + Eq + Clone, T: Clone> Tracker<K, T> {
    pub fn new(threshold: usize, window: Duration, max_keys: usize) -> Tracker<K, T> {
        Tracker {
            threshold: threshold.max(2),
            window,
            max_keys: max_keys.max(1),
            // Fixed keys: iteration order never reaches output, but the hashes of
            // targets must be the same in every run for the counts to be.
            keys: HashMap::with_hasher(ahash::RandomState::with_seeds(1, 4, 1, 4)),
            ring: VecDeque::new(),
            evicted: 0,
        }
    }

    /// `key` reached `target` (hashed as `hash`) at `now`.
    pub fn observe(&mut self, key: &K, hash: u32, target: T, now: Timestamp) -> Seen<T> {
        let (threshold, window) = (self.threshold, self.window);
        // One lookup for a known key: this runs for every flow start and ICS request.
        if let Some(w) = self.keys.get_mut(key) {
            // Only a second hit earns the second chance: one-shot keys go at the hand.
            w.referenced = true;
            return step(w, hash, target, now, threshold, window);
        }
        // Reuse the evicted key's vectors: a flood of one-shot sources then costs no
        // allocation per packet.
        let mut w = self.make_room().unwrap_or(Window {
            start: now,
            seen: SmallVec::new(),
            examples: Vec::new(),
            referenced: false,
        });
        w.start = now;
        w.seen.clear();
        w.examples.clear();
        w.referenced = false;
        let out = step(&mut w, hash, target, now, threshold, window);
        self.keys.insert(key.clone(), w);
        self.ring.push_back(key.clone());
        out
    }

    /// Evicts one key if the table is full, returning its window for reuse.
    fn make_room(&mut self) -> Option<Window<T>> {
        if self.keys.len() < self.max_keys {
            return None;
        }
        for _ in 0..self.ring.len().saturating_mul(2).saturating_add(1) {
            let k = self.ring.pop_front()?;
            match self.keys.get_mut(&k) {
                Some(w) if w.referenced => {
                    w.referenced = false;
                    self.ring.push_back(k);
                }
                Some(_) => {
                    self.evicted = self.evicted.saturating_add(1);
                    return self.keys.remove(&k);
                }
                // Not in the map: a stale ring entry, just drop it.
                None => {}
            }
        }
        None
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Bytes this tracker accounts: keys and the hashes they hold.
    pub fn bytes(&self) -> u64 {
        let keys = u64::try_from(self.keys.len()).unwrap_or(u64::MAX);
        let hashes: usize = self.keys.values().map(|w| w.seen.capacity()).sum();
        keys.saturating_mul(KEY_BYTES)
            .saturating_add(u64::try_from(hashes).unwrap_or(u64::MAX).saturating_mul(4))
    }

    /// The most bytes it can ever account.
    pub fn max_bytes(&self) -> u64 {
        let per_key = KEY_BYTES.saturating_add(
            u64::try_from(self.threshold)
                .unwrap_or(u64::MAX)
                .saturating_mul(8),
        );
        u64::try_from(self.max_keys)
            .unwrap_or(u64::MAX)
            .saturating_mul(per_key)
    }
}

/// Counts `hash` in the key's window (restarting a window older than `window`), and
/// reports when the distinct count reaches `threshold`.
fn step<T>(
    w: &mut Window<T>,
    hash: u32,
    target: T,
    now: Timestamp,
    threshold: usize,
    window: Duration,
) -> Seen<T> {
    if now.since(w.start) > window {
        w.start = now;
        w.seen.clear();
        w.examples.clear();
    }
    if w.seen.contains(&hash) {
        return Seen::Quiet;
    }
    w.seen.push(hash);
    if w.examples.len() < MAX_EXAMPLES {
        w.examples.push(target);
    }
    if w.seen.len() < threshold {
        return Seen::Quiet;
    }
    let out = Seen::Threshold {
        count: w.seen.len(),
        since: w.start,
        examples: std::mem::take(&mut w.examples),
    };
    w.start = now;
    w.seen.clear();
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp(s * 1_000_000_000)
    }

    #[test]
    fn threshold_within_window_fires_once_and_restarts() {
        let mut tr: Tracker<u32, u32> = Tracker::new(3, Duration::from_secs(10), 8);
        assert_eq!(tr.observe(&1, 10, 10, t(0)), Seen::Quiet);
        // A repeat is not a new target.
        assert_eq!(tr.observe(&1, 10, 10, t(1)), Seen::Quiet);
        assert_eq!(tr.observe(&1, 11, 11, t(2)), Seen::Quiet);
        let Seen::Threshold {
            count,
            since,
            examples,
        } = tr.observe(&1, 12, 12, t(3))
        else {
            panic!("no threshold");
        };
        assert_eq!((count, since, examples), (3, t(0), vec![10, 11, 12]));
        assert_eq!(tr.observe(&1, 13, 13, t(4)), Seen::Quiet);
    }

    #[test]
    fn targets_spread_over_more_than_the_window_do_not_fire() {
        let mut tr: Tracker<u32, u32> = Tracker::new(3, Duration::from_secs(10), 8);
        for (i, s) in [0, 6, 12, 18, 24].iter().enumerate() {
            assert_eq!(tr.observe(&1, i as u32, 0, t(*s)), Seen::Quiet, "at {s}");
        }
    }

    #[test]
    fn active_key_survives_a_flood_of_one_shot_keys() {
        let mut tr: Tracker<u32, u32> = Tracker::new(3, Duration::from_secs(100), 4);
        tr.observe(&1, 1, 1, t(0));
        for k in 100..1000u32 {
            // The scanner keeps hitting; a new one-shot key arrives each time.
            tr.observe(&k, 7, 7, t(1));
            let hit = tr.observe(&1, k, k, t(1));
            if matches!(hit, Seen::Threshold { .. }) {
                return;
            }
        }
        panic!("the active key was evicted");
    }

    #[test]
    fn memory_stays_within_max_bytes() {
        let mut tr: Tracker<u32, u32> = Tracker::new(25, Duration::from_secs(100), 64);
        for k in 0..10_000u32 {
            tr.observe(&(k % 500), k, k, t(0));
        }
        assert!(tr.len() <= 64);
        assert!(
            tr.bytes() <= tr.max_bytes(),
            "{} > {}",
            tr.bytes(),
            tr.max_bytes()
        );
        assert!(tr.evicted > 0);
    }
}
