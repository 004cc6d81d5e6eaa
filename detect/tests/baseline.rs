//! Baseline learn/enforce behaviour on hand-built events: each finding must be raised
//! by the change it names and by nothing else.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

#[path = "baseline_support.rs"]
mod support;

use mizuban_capture::DropReason;
use mizuban_detect::Finding;
use mizuban_detect::baseline::{
    Baseline, BaselineConfig, Item, Mode, default_is_internal, diff, rules,
};
use mizuban_protocols::event::TcpState;
use mizuban_protocols::{AppProtocol, Event};
use std::collections::BTreeSet;
use support::*;

fn cfg() -> BaselineConfig {
    BaselineConfig {
        learn_secs: 0,
        ..BaselineConfig::default()
    }
}

/// Learns on `learn`, then enforces on `enforce`; returns the findings.
fn run(learn: &[Event], enforce: &[Event]) -> (Baseline, Vec<Finding>) {
    let mut b = Baseline::new(cfg());
    let mut out = Vec::new();
    for e in learn {
        b.on_event(e, &default_is_internal, &mut out);
    }
    assert!(out.is_empty(), "learning raised {out:?}");
    b.finish_learning(t(100));
    for e in enforce {
        b.on_event(e, &default_is_internal, &mut out);
    }
    (b, out)
}

fn rules_keys(out: &[Finding]) -> BTreeSet<(&'static str, String)> {
    out.iter().map(|f| (f.rule, f.key.clone())).collect()
}

#[test]
fn same_traffic_raises_nothing() {
    let (_, out) = run(&plant_day(0), &plant_day(1000));
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn new_host_and_its_consequences() {
    // A laptop (10.0.0.99) appears and reads from PLC .20.
    let mut extra = plant_day(1000);
    let f = flow("10.0.0.99:41000", "10.0.0.20:502", TCP);
    extra.push(ev(1010, f, start(Some(mac(99)), None)));
    extra.push(ev(1010, f, detected(AppProtocol::Modbus, 502)));
    extra.push(ev(1011, f, modbus(3, 1)));
    let (_, out) = run(&plant_day(0), &extra);
    let got = rules_keys(&out);
    let want: BTreeSet<_> = [
        (rules::NEW_HOST, "10.0.0.99".to_string()),
        (
            rules::NEW_CONVERSATION,
            "10.0.0.20|10.0.0.99|tcp".to_string(),
        ),
        (
            rules::NEW_ICS_PROTOCOL,
            "10.0.0.99|modbus|client".to_string(),
        ),
        (rules::NEW_MODBUS_CLIENT, "10.0.0.99|10.0.0.20".to_string()),
    ]
    .into_iter()
    .collect();
    assert_eq!(got, want);
    let host = out.iter().find(|f| f.rule == rules::NEW_HOST).unwrap();
    assert_eq!(host.src_ip, Some(ip("10.0.0.99")));
    assert_eq!(host.guideline, rules::GUIDELINE_ASSETS);
}

#[test]
fn external_addresses_are_out_of_scope() {
    let mut extra = plant_day(1000);
    let f = flow("10.0.0.10:41000", "8.8.8.8:53", UDP);
    extra.push(ev(1010, f, start(Some(mac(10)), None)));
    extra.push(ev(
        1011,
        f,
        end(
            TcpState::None,
            AppProtocol::Dns,
            dir(1, 80, 40),
            dir(1, 120, 80),
        ),
    ));
    let (_, out) = run(&plant_day(0), &extra);
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn ip_mac_change() {
    let mut extra = plant_day(1000);
    // PLC .20 replaced: same IP, another interface.
    extra.push(ev(
        1010,
        flow("10.0.0.20:0", "10.0.0.255:0", 0),
        arp(mac(77), "10.0.0.20"),
    ));
    let (_, out) = run(&plant_day(0), &extra);
    assert_eq!(
        rules_keys(&out),
        [(
            rules::IP_MAC_CHANGE,
            "10.0.0.20|00:80:f4:00:00:4d".to_string()
        )]
        .into_iter()
        .collect()
    );
}

#[test]
fn new_mac_without_address() {
    let mut extra = plant_day(1000);
    // DHCPDISCOVER (RFC 2131, type 1) from an unknown interface.
    extra.push(ev(
        1010,
        flow("0.0.0.0:68", "255.255.255.255:67", UDP),
        dhcp(1, mac(55), None, None, None, &[]),
    ));
    // ... and one from a known interface: nothing.
    extra.push(ev(
        1010,
        flow("0.0.0.0:68", "255.255.255.255:67", UDP),
        dhcp(1, mac(20), None, None, None, &[]),
    ));
    let (_, out) = run(&plant_day(0), &extra);
    assert_eq!(
        rules_keys(&out),
        [(rules::NEW_HOST, "mac|00:80:f4:00:00:37".to_string())]
            .into_iter()
            .collect()
    );
}

#[test]
fn new_service_needs_an_answer() {
    let mut extra = plant_day(1000);
    // HMI -> PLC .20 on TCP 80: a SYN that got no answer (scan-like) ...
    let f80 = flow("10.0.0.10:41001", "10.0.0.20:80", TCP);
    extra.push(ev(
        1010,
        f80,
        end(
            TcpState::SynSent,
            AppProtocol::Unknown,
            dir(1, 60, 0),
            dir(0, 0, 0),
        ),
    ));
    // ... and a refused one (RST, no payload) are not services.
    extra.push(ev(
        1010,
        f80,
        end(
            TcpState::Reset,
            AppProtocol::Unknown,
            dir(1, 60, 0),
            dir(1, 60, 0),
        ),
    ));
    let (_, out) = run(&plant_day(0), &extra);
    assert!(out.is_empty(), "{out:?}");

    // An answered HTTP connection is.
    let mut extra = plant_day(1000);
    extra.push(ev(
        1010,
        f80,
        end(
            TcpState::Closed,
            AppProtocol::Http,
            dir(5, 600, 200),
            dir(5, 900, 500),
        ),
    ));
    let (_, out) = run(&plant_day(0), &extra);
    assert_eq!(
        rules_keys(&out),
        [(rules::NEW_SERVICE, "10.0.0.20|tcp|80".to_string())]
            .into_iter()
            .collect()
    );
}

#[test]
fn new_ics_protocol_on_a_known_pair() {
    let mut extra = plant_day(1000);
    // The HMI also speaks DNP3 to PLC .21 over the existing conversation.
    let f = flow("10.0.0.10:40001", "10.0.0.21:20000", TCP);
    extra.push(ev(1010, f, detected(AppProtocol::Dnp3, 20000)));
    let (_, out) = run(&plant_day(0), &extra);
    assert_eq!(
        rules_keys(&out),
        [
            (rules::NEW_ICS_PROTOCOL, "10.0.0.10|dnp3|client".to_string()),
            (rules::NEW_ICS_PROTOCOL, "10.0.0.21|dnp3|server".to_string()),
            (rules::NEW_SERVICE, "10.0.0.21|tcp|20000".to_string()),
        ]
        .into_iter()
        .collect()
    );
}

#[test]
fn new_modbus_writer_only_for_a_read_only_pair() {
    let mut extra = plant_day(1000);
    // Write to .20, which the HMI only read from: writer. Write to .21: known writer.
    extra.push(ev(
        1010,
        flow("10.0.0.10:40000", "10.0.0.20:502", TCP),
        modbus(6, 1),
    ));
    extra.push(ev(
        1010,
        flow("10.0.0.10:40000", "10.0.0.21:502", TCP),
        modbus(6, 1),
    ));
    let (_, out) = run(&plant_day(0), &extra);
    assert_eq!(
        rules_keys(&out),
        [(rules::NEW_MODBUS_WRITER, "10.0.0.10|10.0.0.20".to_string())]
            .into_iter()
            .collect()
    );
    assert_eq!(out[0].severity, mizuban_detect::Severity::High);
}

#[test]
fn new_modbus_function_and_unit() {
    let mut extra = plant_day(1000);
    let f = flow("10.0.0.10:40000", "10.0.0.21:502", TCP);
    extra.push(ev(1010, f, modbus(16, 1))); // a write code never seen on this writer pair
    extra.push(ev(1010, f, modbus(3, 2))); // known code, new unit id
    let (_, out) = run(&plant_day(0), &extra);
    assert_eq!(
        rules_keys(&out),
        [
            (
                rules::NEW_MODBUS_FUNCTION,
                "10.0.0.10|10.0.0.21|fc=16".to_string()
            ),
            (
                rules::NEW_MODBUS_FUNCTION,
                "10.0.0.10|10.0.0.21|unit=2".to_string()
            ),
        ]
        .into_iter()
        .collect()
    );
}

#[test]
fn repeats_keep_alerting_until_approved() {
    let mut extra = plant_day(1000);
    let w = ev(
        1010,
        flow("10.0.0.10:40000", "10.0.0.20:502", TCP),
        modbus(6, 1),
    );
    extra.push(w.clone());
    extra.push(w.clone());
    let (mut b, out) = run(&plant_day(0), &extra);
    assert_eq!(out.len(), 2);
    let pending = &b.state().pending;
    assert_eq!(pending.len(), 1);
    let (id, p) = pending.iter().next().unwrap();
    assert_eq!(id, "new_modbus_writer:10.0.0.10|10.0.0.20");
    assert_eq!(p.count, 2);

    let item = b.approve_alert(&id.clone()).unwrap();
    assert_eq!(
        item,
        Item::ModbusWrites(mizuban_detect::baseline::types::Pair {
            client: ip("10.0.0.10"),
            server: ip("10.0.0.20")
        })
    );
    assert!(b.state().pending.is_empty());
    let mut out = Vec::new();
    b.on_event(&w, &default_is_internal, &mut out);
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn approve_host_accepts_everything_it_did() {
    let mut extra = plant_day(1000);
    let f = flow("10.0.0.99:41000", "10.0.0.20:502", TCP);
    extra.push(ev(1010, f, start(Some(mac(99)), None)));
    extra.push(ev(1010, f, detected(AppProtocol::Modbus, 502)));
    extra.push(ev(1011, f, modbus(3, 1)));
    let (mut b, out) = run(&plant_day(0), &extra);
    // new_host (seen twice: flow start, transaction), conversation, ICS role, client.
    assert_eq!(rules_keys(&out).len(), 4);
    assert_eq!(b.state().pending.len(), 4);
    let added = b.approve_host(ip("10.0.0.99"));
    assert_eq!(added.len(), 4, "{added:?}");
    assert!(b.state().pending.is_empty());
    let mut out = Vec::new();
    for e in &extra {
        b.on_event(e, &default_is_internal, &mut out);
    }
    // Its MAC was never bound (it appeared while enforcing), so no binding change.
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn approve_rejects_bad_ids() {
    let mut b = Baseline::new(cfg());
    assert!(b.approve_alert("no colon").is_err());
    assert!(b.approve_alert("internet_egress:10.0.0.1|8.8.8.8").is_err());
    assert!(
        b.approve_alert("unsupported_os:10.0.0.1|Windows XP")
            .is_err()
    );
    assert!(b.approve_alert("new_host:not-an-ip").is_err());
    assert!(b.approve_alert("new_service:10.0.0.1|tcp|99999").is_err());
    assert_eq!(
        b.approve_alert("new_service:10.0.0.1|tcp|8080")
            .unwrap()
            .to_string(),
        "service 10.0.0.1 tcp/8080"
    );
}

#[test]
fn learning_ends_after_the_configured_span() {
    let mut b = Baseline::new(BaselineConfig {
        learn_secs: 60,
        ..BaselineConfig::default()
    });
    let mut out = Vec::new();
    for e in plant_day(0) {
        b.on_event(&e, &default_is_internal, &mut out);
    }
    assert_eq!(b.mode(), Mode::Learning);
    // 61 s after the first event: enforcing, and this new host is reported.
    let late = ev(
        61,
        flow("10.0.0.50:0", "10.0.0.255:0", 0),
        arp(mac(50), "10.0.0.50"),
    );
    b.on_event(&late, &default_is_internal, &mut out);
    assert_eq!(b.mode(), Mode::Enforcing);
    assert_eq!(
        rules_keys(&out),
        [(rules::NEW_HOST, "10.0.0.50".to_string())]
            .into_iter()
            .collect()
    );
}

#[test]
fn disabled_baseline_is_silent() {
    let mut b = Baseline::new(BaselineConfig {
        enabled: false,
        ..cfg()
    });
    b.finish_learning(t(0));
    let mut out = Vec::new();
    for e in plant_day(0) {
        b.on_event(&e, &default_is_internal, &mut out);
    }
    assert!(out.is_empty());
}

#[test]
fn caps_bound_a_scan_and_count_drops() {
    let mut b = Baseline::new(BaselineConfig {
        max_hosts: 100,
        max_conversations: 50,
        ..cfg()
    });
    let mut out = Vec::new();
    // One host ARPs as 10 000 addresses and opens a flow to 10 000 more.
    for i in 0..10_000u32 {
        let [_, _, c, d] = i.to_be_bytes();
        let a = format!("10.1.{c}.{d}");
        let e = ev(
            1,
            flow(&format!("{a}:0"), "10.1.255.255:0", 0),
            arp(mac(1), &a),
        );
        b.on_event(&e, &default_is_internal, &mut out);
        let s = ev(
            1,
            flow("10.0.0.10:40000", &format!("10.2.{c}.{d}:502"), TCP),
            start(None, None),
        );
        b.on_event(&s, &default_is_internal, &mut out);
    }
    let st = b.state();
    assert_eq!(st.model.hosts.len(), 100);
    assert_eq!(st.model.conversations.len(), 50);
    // 10 000 ARP hosts + the HMI (10.0.0.10, a flow client each time) minus the 100 kept.
    assert!(st.full.hosts >= 9_900, "{:?}", st.full);
    assert_eq!(st.full.conversations, 10_000 - 50);
    assert_eq!(b.drops().get(DropReason::InventoryFull), st.full.total());
    // Enforcing: pending findings are capped too.
    let mut b = Baseline::new(BaselineConfig {
        max_pending: 10,
        ..cfg()
    });
    b.finish_learning(t(0));
    for i in 0..1_000u32 {
        let [_, _, c, d] = i.to_be_bytes();
        let a = format!("10.1.{c}.{d}");
        let e = ev(
            1,
            flow(&format!("{a}:0"), "10.1.255.255:0", 0),
            arp(mac(1), &a),
        );
        b.on_event(&e, &default_is_internal, &mut out);
    }
    assert_eq!(out.len(), 1_000);
    assert_eq!(b.state().pending.len(), 10);
    assert_eq!(b.state().full.pending, 990);
}

#[test]
fn diff_lists_added_and_removed_in_order() {
    let learn = |evs: &[Event]| {
        let mut b = Baseline::new(cfg());
        let mut out = Vec::new();
        for e in evs {
            b.on_event(e, &default_is_internal, &mut out);
        }
        b.into_state().model
    };
    let old = learn(&plant_day(0));
    let mut more = plant_day(0);
    more.retain(|e| e.flow.server.port() != 502 || e.flow.server.ip() != ip("10.0.0.21"));
    more.push(ev(
        5,
        flow("10.0.0.30:0", "10.0.0.255:0", 0),
        arp(mac(30), "10.0.0.30"),
    ));
    let new = learn(&more);
    let d = diff(&old, &new);
    let added: Vec<String> = d.added.iter().map(|i| i.to_string()).collect();
    assert_eq!(
        added,
        [
            "host 10.0.0.30",
            "mac 00:80:f4:00:00:1e",
            "binding 10.0.0.30 -> 00:80:f4:00:00:1e"
        ]
    );
    let removed: Vec<String> = d.removed.iter().map(|i| i.to_string()).collect();
    assert_eq!(
        removed,
        [
            "conversation 10.0.0.10 <-> 10.0.0.21 tcp",
            "service 10.0.0.21 tcp/502",
            "ics 10.0.0.21 modbus server",
            "modbus 10.0.0.10 -> 10.0.0.21",
            "modbus 10.0.0.10 -> 10.0.0.21 writes",
            "modbus 10.0.0.10 -> 10.0.0.21 function 3",
            "modbus 10.0.0.10 -> 10.0.0.21 function 6",
            "modbus 10.0.0.10 -> 10.0.0.21 unit 1",
        ]
    );
    assert!(diff(&old, &old).is_empty());
    assert!(d.render().starts_with("+ host 10.0.0.30\n"));
}

#[test]
fn reversed_modbus_connection_keeps_protocol_roles() {
    // The PLC (port 502) opened the TCP connection, as 10.0.0.8 does in ITI
    // modbus_test_data_part1.pcap: it is still the Modbus server.
    let rev = flow("10.0.0.20:502", "10.0.0.10:4446", TCP);
    let (b, out) = run(&[ev(0, rev, modbus(3, 1))], &[]);
    assert!(out.is_empty());
    let pairs: Vec<_> = b
        .model()
        .modbus
        .keys()
        .map(|p| (p.client.to_string(), p.server.to_string()))
        .collect();
    assert_eq!(pairs, [("10.0.0.10".to_string(), "10.0.0.20".to_string())]);
}

#[test]
fn show_lists_pending_ids_and_items() {
    let mut extra = plant_day(1000);
    extra.push(ev(
        1010,
        flow("10.0.0.10:40000", "10.0.0.20:502", TCP),
        modbus(6, 1),
    ));
    let (b, _) = run(&plant_day(0), &extra);
    let text = mizuban_detect::baseline::show::render(b.state(), true);
    assert!(text.starts_with("mode: enforcing\n"), "{text}");
    assert!(
        text.contains(
            "hosts: 3  macs: 3  conversations: 2  services: 2  ics roles: 3  modbus pairs: 2"
        ),
        "{text}"
    );
    assert!(
        text.contains("  new_modbus_writer:10.0.0.10|10.0.0.20  x1  "),
        "{text}"
    );
    assert!(
        text.contains("  modbus 10.0.0.10 -> 10.0.0.21 writes\n"),
        "{text}"
    );
}

/// Through the real detector and alert store: the alert ids it writes approve the
/// finding, and the same traffic then raises no alert.
#[test]
fn approve_by_the_alert_stores_id() {
    use mizuban_detect::baseline::{AssetTracker, tracker};
    use mizuban_detect::inventory::InventoryConfig;
    use mizuban_detect::{DetectConfig, Detector};
    use std::sync::{Arc, Mutex};

    let shared = Arc::new(Mutex::new(AssetTracker::new(
        Some(cfg()),
        InventoryConfig::default(),
    )));
    let mut det = Detector::new(&DetectConfig::default()).unwrap();
    det.add_source(Box::new(shared.clone()));
    let mut lines = Vec::new();
    for e in plant_day(0) {
        det.on_event(&e, &mut lines);
    }
    tracker::lock(&shared)
        .baseline
        .as_mut()
        .unwrap()
        .finish_learning(t(100));
    let w = ev(
        1010,
        flow("10.0.0.10:40000", "10.0.0.20:502", TCP),
        modbus(6, 1),
    );
    det.on_event(&w, &mut lines);
    let writer: Vec<_> = lines
        .iter()
        .filter(|l| l.alert.rule == rules::NEW_MODBUS_WRITER)
        .collect();
    assert_eq!(writer.len(), 1, "{lines:#?}");
    let id = writer[0].alert.id.clone();
    assert!(id.starts_with("new_modbus_writer-"), "{id}");
    let item = tracker::lock(&shared)
        .baseline
        .as_mut()
        .unwrap()
        .approve_alert(&id)
        .unwrap();
    assert_eq!(item.to_string(), "modbus 10.0.0.10 -> 10.0.0.20 writes");
    let mut out = Vec::new();
    let mut b = tracker::lock(&shared);
    b.on_event(
        &ev(1020, w.flow, modbus(6, 1)),
        &default_is_internal,
        &mut out,
    );
    assert!(out.is_empty(), "{out:?}");
}
