//! The protocol-neutral ICS facts (`mizuban_protocols::facts`, issue 10 point 3) agree
//! with what the analyzers already proved against tshark, on every bundled Modbus, DNP3
//! and IEC 104 capture:
//! - every state-changing operation is exactly one `control_action` of the same
//!   protocol, request frame and function (the control actions equal tshark's
//!   state-changing requests: tests/control_actions.rs, dnp3_tshark.rs, iec104_tshark.rs);
//! - a Modbus server is the end on TCP 502 whichever end opened the connection;
//! - DNP3 and IEC 104 station addresses are the link source and common address the
//!   events carry.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::corpus;
use mizuban::config::Config;
use mizuban_protocols::event::{AppProtocol, EventKind};
use mizuban_protocols::facts::{self, OperationClass};
use std::collections::BTreeMap;

/// (protocol, request frame, function) -> count.
type Keys = BTreeMap<(AppProtocol, u64, u16), usize>;

fn check(group: &str) -> (usize, usize) {
    let files = corpus::captures_in(group);
    assert!(!files.is_empty(), "{group}");
    let (mut ops, mut changes) = (0, 0);
    for pcap in &files {
        let name = pcap.file_name().unwrap().to_string_lossy().to_string();
        let run =
            mizuban::pipeline::collect(std::slice::from_ref(pcap), &Config::default(), 2).unwrap();
        let (mut from_facts, mut from_actions) = (Keys::new(), Keys::new());
        for ev in &run.events {
            if let EventKind::ControlAction(ca) = &ev.kind {
                *from_actions
                    .entry((ca.protocol, ev.frame, ca.function))
                    .or_default() += 1;
            }
            let Some(f) = facts::of_event(ev) else {
                continue;
            };
            assert!(f.addresses.len() <= facts::MAX_ADDRESSES);
            match &ev.kind {
                EventKind::Modbus(tx) => {
                    let op = f.operation.as_ref().unwrap();
                    assert_eq!(op.unit, Some(u32::from(tx.unit_id)));
                    if ev.flow.client.port() == 502 || ev.flow.server.port() == 502 {
                        assert_eq!(op.server.port(), 502, "{name} frame {}", ev.frame);
                    }
                    // A plain write function is a write; UMAS and diagnostics map
                    // through their control actions.
                    if tx.is_write() {
                        assert_eq!(op.class, OperationClass::Write);
                    }
                }
                EventKind::Dnp3(d) => {
                    assert_eq!(f.addresses[0].value, u32::from(d.link_src));
                    assert_eq!(f.operation.is_some(), !d.is_response() && d.function != 0);
                }
                EventKind::Iec104(x) => {
                    assert_eq!(
                        f.addresses.first().map(|a| a.value),
                        x.common_address.map(u32::from)
                    );
                    if let Some(op) = &f.operation {
                        assert!(x.from_controlling);
                        assert_eq!(op.unit, x.common_address.map(u32::from));
                    }
                }
                other => panic!("facts for {}", other.type_name()),
            }
            if let Some(op) = &f.operation {
                ops += 1;
                assert_ne!(op.client, op.server);
                if op.class.changes_state() {
                    changes += 1;
                    *from_facts
                        .entry((op.protocol, op.request_frame.unwrap(), op.function))
                        .or_default() += 1;
                }
            }
        }
        assert_eq!(
            from_facts, from_actions,
            "{name}: state-changing operations vs control_action events"
        );
    }
    (ops, changes)
}

#[test]
fn modbus_facts_agree_with_control_actions_and_roles() {
    let (ops, changes) = check("modbus");
    println!("modbus: {ops} operations, {changes} state-changing");
    assert!(ops > 1000 && changes >= 170, "{ops} {changes}");
}

#[test]
fn dnp3_facts_agree_with_control_actions_and_addresses() {
    let (ops, changes) = check("dnp3");
    println!("dnp3: {ops} operations, {changes} state-changing");
    assert!(ops > 100 && changes > 0, "{ops} {changes}");
}

#[test]
fn iec104_facts_agree_with_control_actions_and_addresses() {
    let (ops, changes) = check("iec104");
    println!("iec104: {ops} operations, {changes} state-changing");
    assert!(ops > 0, "{ops} {changes}");
}
