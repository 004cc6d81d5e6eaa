//! The report's evidence tables (detect/src/evidence): links from flow events with the
//! registry's category, control actions per (client, server, action, authorized) with
//! their frames, alerts merged by id across runs, the caps counted, and the whole
//! surviving a save and load of the state file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

#[path = "baseline_support.rs"]
mod support;

use mizuban_detect::alert::{Alert, FrameAt, Severity};
use mizuban_detect::baseline::AssetTracker;
use mizuban_detect::evidence::{Evidence, MAX_LINKS};
use mizuban_detect::persist::{self, DetectState};
use mizuban_detect::{DetectConfig, Policy};
use mizuban_protocols::AppProtocol;
use mizuban_protocols::event::TcpState;
use support::*;

fn policy() -> Policy {
    Policy::compile(&DetectConfig::default()).unwrap()
}

#[test]
fn links_take_the_protocol_and_category_and_count_flows_and_bytes() {
    let p = policy();
    let mut e = Evidence::default();
    e.begin_run(&["plant.pcap".to_owned()]);
    let f = flow("192.168.0.10:40000", "192.168.0.20:502", TCP);
    let mut first = ev(0, f, start(None, None));
    first.frame = 7;
    e.on_event(&first, &p, None);
    e.on_event(&ev(0, f, detected(AppProtocol::Modbus, 502)), &p, None);
    e.on_event(
        &ev(
            1,
            f,
            end(
                TcpState::Closed,
                AppProtocol::Modbus,
                dir(3, 300, 36),
                dir(3, 200, 30),
            ),
        ),
        &p,
        None,
    );
    let l = &e.state().links[0];
    assert_eq!(
        (l.protocol.as_str(), l.category.as_str()),
        ("modbus", "ics")
    );
    assert!(l.is_ics() && l.client_internal && l.server_internal);
    assert_eq!((l.flows, l.packets, l.bytes), (1, 6, 500));
    assert_eq!((l.first.file.as_str(), l.first.frame), ("plant.pcap", 7));
    // Another connection on another client port is the same link.
    let g = flow("192.168.0.10:40001", "192.168.0.20:502", TCP);
    e.on_event(&ev(5, g, start(None, None)), &p, None);
    assert_eq!(e.state().links.len(), 1);
    assert_eq!(e.state().links[0].flows, 2);
}

#[test]
fn the_link_table_is_capped_and_counts_what_it_drops() {
    let p = policy();
    let mut e = Evidence::default();
    for i in 0..(MAX_LINKS + 10) {
        let port = 1024 + (i % 60_000) as u16;
        let server = format!("10.{}.{}.1:{port}", (i / 60_000) % 250, (i / 250) % 250);
        let f = flow("10.0.0.1:40000", &server, TCP);
        e.on_event(&ev(0, f, start(None, None)), &p, None);
    }
    assert_eq!(e.state().links.len(), MAX_LINKS);
    assert_eq!(e.state().dropped.links, 10);
}

fn alert(id: &str, count: u64, first: i64, last: i64, frame: u64) -> Alert {
    Alert {
        id: id.to_owned(),
        rule: "internet_egress",
        severity: Severity::High,
        closed_network_breach: true,
        first_seen: t(first),
        last_seen: t(last),
        count,
        first_frame: Some(FrameAt { file: 0, frame }),
        last_frame: Some(FrameAt {
            file: 0,
            frame: frame + 1,
        }),
        ..Alert::default()
    }
}

#[test]
fn alerts_of_a_resumed_run_add_to_the_saved_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let mut t1 = AssetTracker::new(None, Default::default());
    t1.evidence.begin_run(&["a.pcap".to_owned()]);
    t1.evidence.set_alerts([alert("x-1", 3, 10, 20, 5)].iter());
    t1.save(&path).unwrap();

    let st: DetectState = persist::load_state(&path).unwrap();
    let mut t2 = AssetTracker::from_state(None, Default::default(), st);
    t2.evidence.begin_run(&["b.pcap".to_owned()]);
    t2.evidence
        .set_alerts([alert("x-1", 2, 30, 40, 9), alert("y-2", 1, 31, 31, 1)].iter());
    // A later snapshot of the same run replaces this run's part, never adds it twice.
    t2.evidence
        .set_alerts([alert("x-1", 4, 30, 50, 9), alert("y-2", 1, 31, 31, 1)].iter());
    let s = t2.evidence.state();
    assert_eq!(s.runs.len(), 2);
    let x = s.alerts.iter().find(|a| a.id == "x-1").unwrap();
    assert_eq!(x.count, 7);
    assert_eq!(
        (x.first_ns, x.last_ns),
        (t(10).as_nanos(), t(50).as_nanos())
    );
    let ff = x.first_frame.as_ref().unwrap();
    assert_eq!((ff.file.as_str(), ff.frame), ("a.pcap", 5));
    let lf = x.last_frame.as_ref().unwrap();
    assert_eq!((lf.file.as_str(), lf.frame), ("b.pcap", 10));
    assert_eq!(s.alerts.len(), 2);
}
