//! What the engine learns about its own view of the network and about the pressure it is
//! under (issue 14): one-sided TCP sessions (a SPAN port copying one direction),
//! duplicated frames (the same packet mirrored twice), streams whose sequence numbers
//! cannot be followed, and which flows were evicted to stay within the memory budget.

use super::table::{Flow, PROTO_TCP};
use mizuban_capture::budget::{MemoryUse, Table};

/// A TCP flow with at least this many packets is a session: a lone SYN, a spoofed
/// segment or a scan probe is not, and says nothing about how the port is mirrored.
pub const SESSION_MIN_PACKETS: u64 = 3;

/// Out-of-window segments after which a stream counts as unfollowable when it had no
/// more in-window ones.
pub const GARBAGE_MIN_SEGMENTS: u16 = 4;

/// Why a flow was evicted from a full table, least valuable first.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EvictClass {
    /// Packets in one direction only.
    OneSided,
    /// Both directions, but TCP without a handshake (picked up mid-stream or forged).
    HandshakeLess,
    /// Both directions, but no payload in at least one of them.
    PayloadLess,
    /// An established session that carried data both ways.
    Established,
}

impl EvictClass {
    pub const ALL: [EvictClass; 4] = [
        EvictClass::OneSided,
        EvictClass::HandshakeLess,
        EvictClass::PayloadLess,
        EvictClass::Established,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EvictClass::OneSided => "one_sided",
            EvictClass::HandshakeLess => "handshake_less",
            EvictClass::PayloadLess => "payload_less",
            EvictClass::Established => "established",
        }
    }

    pub fn of(flow: &Flow) -> EvictClass {
        let [a, b] = &flow.stats;
        if a.packets == 0 || b.packets == 0 {
            EvictClass::OneSided
        } else if flow.key.proto == PROTO_TCP && !flow.syn {
            EvictClass::HandshakeLess
        } else if a.payload_bytes == 0 || b.payload_bytes == 0 {
            EvictClass::PayloadLess
        } else {
            EvictClass::Established
        }
    }
}

/// Whether a flow has earned the kept class: data seen both ways (for TCP, with the
/// handshake, or picked up mid-stream with data both ways, as an ICS session already
/// running when the monitor started is).
pub fn deserves_keeping(flow: &Flow) -> bool {
    let [a, b] = &flow.stats;
    a.payload_bytes > 0 && b.payload_bytes > 0
}

/// The engine's counters for issue 14, merged across workers like the rest.
#[derive(Clone, Debug, Default)]
pub struct HealthStats {
    /// Flows evicted to make room, by [`EvictClass`].
    pub evicted: [u64; EvictClass::ALL.len()],
    /// Cheap flows expired early while in emergency mode (shortened timeout).
    pub emergency_expired: u64,
    /// Times a worker entered emergency mode (its table at 90 % of its share).
    pub emergency_entered: u64,
    /// Workers in emergency mode right now.
    pub emergency_active: u64,
    /// TCP sessions ended ([`SESSION_MIN_PACKETS`] packets or more).
    pub tcp_sessions: u64,
    /// Of those, sessions with packets in one direction only.
    pub one_sided_sessions: u64,
    /// TCP flows at least one of whose directions could not be followed (sequence
    /// numbers far outside the window: random, forged, or a broken capture).
    pub unfollowable_flows: u64,
    /// TCP payload bytes seen, and those out of window (not reassembled).
    pub tcp_payload_bytes: u64,
    pub out_of_window_bytes: u64,
    /// Frames that repeat the one just before in the same flow (mirrored twice).
    pub duplicate_frames: u64,
    /// Bytes accounted per table now, and the highest seen.
    pub memory: MemoryUse,
    pub memory_peak: MemoryUse,
}

impl HealthStats {
    pub fn count_eviction(&mut self, class: EvictClass) {
        if let Some(n) = self.evicted.get_mut(class as usize) {
            *n = n.saturating_add(1);
        }
    }

    pub fn evicted_of(&self, class: EvictClass) -> u64 {
        self.evicted.get(class as usize).copied().unwrap_or(0)
    }

    pub fn evicted_total(&self) -> u64 {
        self.evicted.iter().fold(0u64, |a, b| a.saturating_add(*b))
    }

    /// Records what a table holds now, keeping the peak.
    pub fn set_memory(&mut self, table: Table, bytes: u64) {
        self.memory.set(table, bytes);
        if bytes > self.memory_peak.get(table) {
            self.memory_peak.set(table, bytes);
        }
    }

    /// Accounts the end of a flow.
    pub fn on_flow_end(&mut self, flow: &Flow, unfollowable: bool) {
        if flow.key.proto != PROTO_TCP {
            return;
        }
        let [a, b] = &flow.stats;
        if a.packets.saturating_add(b.packets) >= SESSION_MIN_PACKETS {
            self.tcp_sessions = self.tcp_sessions.saturating_add(1);
            if a.packets == 0 || b.packets == 0 {
                self.one_sided_sessions = self.one_sided_sessions.saturating_add(1);
            }
        }
        if unfollowable {
            self.unfollowable_flows = self.unfollowable_flows.saturating_add(1);
        }
    }

    pub fn merge(&mut self, o: &HealthStats) {
        for (a, b) in self.evicted.iter_mut().zip(o.evicted.iter()) {
            *a = a.saturating_add(*b);
        }
        let add = |a: &mut u64, b: u64| *a = a.saturating_add(b);
        add(&mut self.emergency_expired, o.emergency_expired);
        add(&mut self.emergency_entered, o.emergency_entered);
        add(&mut self.emergency_active, o.emergency_active);
        add(&mut self.tcp_sessions, o.tcp_sessions);
        add(&mut self.one_sided_sessions, o.one_sided_sessions);
        add(&mut self.unfollowable_flows, o.unfollowable_flows);
        add(&mut self.tcp_payload_bytes, o.tcp_payload_bytes);
        add(&mut self.out_of_window_bytes, o.out_of_window_bytes);
        add(&mut self.duplicate_frames, o.duplicate_frames);
        self.memory.merge(&o.memory);
        // Peaks of different workers need not coincide: their sum bounds the peak.
        self.memory_peak.merge(&o.memory_peak);
    }
}
