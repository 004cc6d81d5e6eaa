//! Event builders for the rule tests: events are constructed directly, as the parsers
//! would emit them, so each rule is tested without captures.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

use mizuban_capture::{MacAddr, Timestamp, VlanTags};
use mizuban_detect::{AlertLine, AlertStatus, DetectConfig, Detector};
use mizuban_protocols::event::{
    DetectedBy, DirectionStats, FlowEnd, FlowEndReason, FlowStart, ProtocolDetected, TcpState,
};
use mizuban_protocols::{AppProtocol, Event, EventKind, EventOrder, FlowTuple};
use std::net::SocketAddr;

/// 2024-06-01T00:00:00Z.
pub const T0: i64 = 1_717_200_000;

pub fn ts(secs: i64) -> Timestamp {
    Timestamp::from_secs_nanos(T0 + secs, 0)
}

pub fn flow(client: &str, server: &str, proto: u8) -> FlowTuple {
    FlowTuple {
        client: client.parse::<SocketAddr>().unwrap(),
        server: server.parse::<SocketAddr>().unwrap(),
        proto,
        vlan: VlanTags::default(),
    }
}

pub fn tcp(client: &str, server: &str) -> FlowTuple {
    flow(client, server, 6)
}

pub fn udp(client: &str, server: &str) -> FlowTuple {
    flow(client, server, 17)
}

pub fn ev(at: i64, flow: FlowTuple, kind: EventKind) -> Event {
    Event {
        order: EventOrder::default(),
        ts: ts(at),
        file: 0,
        frame: 1,
        flow,
        kind,
    }
}

pub const CLIENT_MAC: MacAddr = MacAddr([0x00, 0x1d, 0x9c, 0x01, 0x02, 0x03]);
pub const GATEWAY_MAC: MacAddr = MacAddr([0x00, 0x00, 0x5e, 0x00, 0x01, 0x01]);

pub fn start(at: i64, flow: FlowTuple) -> Event {
    ev(
        at,
        flow,
        EventKind::FlowStart(FlowStart {
            client_mac: Some(CLIENT_MAC),
            server_mac: Some(GATEWAY_MAC),
            syn: flow.proto == 6,
            encap: None,
        }),
    )
}

/// A flow's end: `(packets, payload bytes)` each way, with the TCP state.
pub fn end(at: i64, flow: FlowTuple, state: TcpState, out: (u64, u64), back: (u64, u64)) -> Event {
    let stats = |(packets, payload): (u64, u64)| DirectionStats {
        packets,
        bytes: packets * 60 + payload,
        payload_bytes: payload,
    };
    ev(
        at,
        flow,
        EventKind::FlowEnd(FlowEnd {
            first_seen: ts(0),
            last_seen: ts(at),
            reason: FlowEndReason::Closed,
            tcp_state: state,
            app: AppProtocol::Unknown,
            to_server: stats(out),
            to_client: stats(back),
            missed_bytes: 0,
            client_mac: Some(CLIENT_MAC),
            server_mac: Some(GATEWAY_MAC),
        }),
    )
}

pub fn detected(at: i64, flow: FlowTuple, protocol: AppProtocol) -> Event {
    ev(
        at,
        flow,
        EventKind::ProtocolDetected(ProtocolDetected {
            protocol,
            by: DetectedBy::Probe,
            server_port: flow.server.port(),
        }),
    )
}

pub fn detector(toml_text: &str) -> Detector {
    let cfg = DetectConfig::from_toml(toml_text).unwrap();
    Detector::new(&cfg).unwrap()
}

/// Runs events through a detector; returns every line including those of `finish`.
pub fn run(d: &mut Detector, events: &[Event]) -> Vec<AlertLine> {
    let mut out = Vec::new();
    for e in events {
        d.on_event(e, &mut out);
    }
    let last = events.last().map_or(ts(0), |e| e.ts);
    d.finish(last, &mut out);
    out
}

pub fn new_lines<'a>(lines: &'a [AlertLine], rule: &str) -> Vec<&'a AlertLine> {
    lines
        .iter()
        .filter(|l| l.status == AlertStatus::New && l.alert.rule == rule)
        .collect()
}

pub fn rules_raised(lines: &[AlertLine]) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = lines
        .iter()
        .filter(|l| l.status == AlertStatus::New)
        .map(|l| l.alert.rule)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}
