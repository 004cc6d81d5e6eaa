//! `mizuban baseline show`: a baseline as text an operator can read.

use super::{BaselineState, Mode};
use mizuban_capture::Timestamp;
use std::fmt::Write;

/// Mode, learning window, counts per set, items dropped by caps, pending findings
/// (with the id to approve each by), then every item, sorted.
pub fn render(st: &BaselineState, with_items: bool) -> String {
    let mut s = String::new();
    let mode = match st.mode {
        Mode::Learning => "learning",
        Mode::Enforcing => "enforcing",
    };
    let ts = |n: Option<i64>| n.map_or_else(|| "-".to_string(), |n| Timestamp(n).to_rfc3339());
    let _ = writeln!(s, "mode: {mode}");
    let _ = writeln!(
        s,
        "learning: {} .. {}",
        ts(st.learn_started_ns),
        ts(st.learn_until_ns)
    );
    let m = &st.model;
    let _ = writeln!(
        s,
        "hosts: {}  macs: {}  conversations: {}  services: {}  ics roles: {}  modbus pairs: {}",
        m.hosts.len(),
        m.macs.len(),
        m.conversations.len(),
        m.services.len(),
        m.ics.len(),
        m.modbus.len()
    );
    let f = &st.full;
    if f.total() > 0 {
        let _ = writeln!(
            s,
            "dropped (sets full): hosts {} macs {} bindings {} conversations {} services {} ics {} modbus_pairs {} pending {}",
            f.hosts,
            f.macs,
            f.bindings,
            f.conversations,
            f.services,
            f.ics,
            f.modbus_pairs,
            f.pending
        );
    }
    let _ = writeln!(s, "pending findings: {}", st.pending.len());
    for (id, p) in &st.pending {
        let _ = writeln!(
            s,
            "  {id}  x{}  {} .. {}  {}",
            p.count,
            Timestamp(p.first_seen_ns).to_rfc3339(),
            Timestamp(p.last_seen_ns).to_rfc3339(),
            p.message
        );
    }
    if with_items {
        let _ = writeln!(s, "items:");
        for item in m.items() {
            let _ = writeln!(s, "  {item}");
        }
    }
    s
}
