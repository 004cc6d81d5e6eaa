//! The engine end to end on hand-built packets (etherparse `PacketBuilder`, decoded by
//! `mizuban_capture::decode`): flow orientation, TCP state, reassembly gaps and capture
//! loss, identification, idle expiry, eviction, and determinism across shard counts.
//!
//! Expected values come from the packets each test builds (who sent the SYN, which bytes
//! were left out), never from a previous run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use etherparse::PacketBuilder;
use mizuban_capture::{DropReason, LinkType, PacketMeta, Timestamp, Transport, decode, shard_for};
use mizuban_protocols::event::{DetectedBy, FlowEndReason, TcpState};
use mizuban_protocols::{AppProtocol, Engine, EngineConfig, Event, EventKind};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

const MAC_A: [u8; 6] = [2, 0, 0, 0, 0, 0xa];
const MAC_B: [u8; 6] = [2, 0, 0, 0, 0, 0xb];

fn ip(last: u8) -> [u8; 4] {
    [10, 0, 0, last]
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;

/// A TCP packet from `src` to `dst`.
struct Tcp {
    src: (u8, u16),
    dst: (u8, u16),
    seq: u32,
    ack: u32,
    flags: u8,
}

fn tcp_frame(p: &Tcp, payload: &[u8]) -> Vec<u8> {
    let (sm, dm) = if p.src.0 < p.dst.0 {
        (MAC_A, MAC_B)
    } else {
        (MAC_B, MAC_A)
    };
    let mut b = PacketBuilder::ethernet2(sm, dm)
        .ipv4(ip(p.src.0), ip(p.dst.0), 64)
        .tcp(p.src.1, p.dst.1, p.seq, 65535);
    if p.flags & SYN != 0 {
        b = b.syn();
    }
    if p.flags & ACK != 0 {
        b = b.ack(p.ack);
    }
    if p.flags & FIN != 0 {
        b = b.fin();
    }
    if p.flags & RST != 0 {
        b = b.rst();
    }
    if p.flags & PSH != 0 {
        b = b.psh();
    }
    let mut out = Vec::new();
    b.write(&mut out, payload).unwrap();
    out
}

fn udp_frame(src: (u8, u16), dst: (u8, u16), payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4(ip(src.0), ip(dst.0), 64)
        .udp(src.1, dst.1)
        .write(&mut out, payload)
        .unwrap();
    out
}

/// Packets of a run, numbered as the source thread would.
#[derive(Default)]
struct Run {
    packets: Vec<(PacketMeta, Vec<u8>)>,
}

impl Run {
    fn push(&mut self, t_ms: i64, frame: Vec<u8>) {
        let n = self.packets.len() as u64;
        let info = decode(LinkType::Ethernet, &frame, frame.len() as u32);
        assert!(info.ip().is_some(), "decoder did not see IP: {info:?}");
        let meta = PacketMeta {
            seq: n * 2, // leave room for ticks between packets
            file: 0,
            frame: n + 1,
            ts: Timestamp(t_ms * 1_000_000),
            wire_len: frame.len() as u32,
            cap_len: frame.len() as u32,
            info,
        };
        self.packets.push((meta, frame));
    }
    fn tcp(&mut self, t_ms: i64, p: Tcp, payload: &[u8]) {
        self.push(t_ms, tcp_frame(&p, payload));
    }
}

/// Runs packets through `shards` engines, routed by `shard_for`, with a tick every
/// second of packet time (as the pipeline does) and a finish; returns sorted events.
fn run_sharded(run: &Run, cfg: &EngineConfig, shards: usize) -> Vec<Event> {
    let mut engines: Vec<Engine> = (0..shards).map(|_| Engine::new(cfg, shards)).collect();
    let mut out = Vec::new();
    let mut next_tick: Option<i64> = None;
    let mut last_ts = Timestamp(0);
    for (meta, frame) in &run.packets {
        let secs = meta.ts.secs();
        match next_tick {
            None => next_tick = Some(secs + 1),
            Some(t) if secs >= t => {
                let now = Timestamp::from_secs_nanos(secs, 0);
                for e in &mut engines {
                    e.tick(now, meta.seq - 1, &mut out);
                }
                next_tick = Some(secs + 1);
            }
            _ => {}
        }
        let ip = meta.info.ip().unwrap();
        let s = shard_for(ip.src, ip.dst, meta.info.vlan, shards);
        engines[s].process(meta, frame, &mut out);
        last_ts = meta.ts;
    }
    let end_seq = run.packets.len() as u64 * 2 + 1;
    for e in &mut engines {
        e.finish(last_ts, end_seq, &mut out);
    }
    out.sort_by_key(|a| a.sort_key());
    out
}

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.type_name()).collect()
}

fn sa(last: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip(last))), port)
}

/// Modbus/TCP read holding registers request (MBAP + PDU), transaction id `tid`:
/// trans id, protocol 0, length 6, unit 1, FC 3, address 0, quantity 2.
fn mb_request(tid: u16) -> Vec<u8> {
    let t = tid.to_be_bytes();
    vec![t[0], t[1], 0, 0, 0, 6, 1, 3, 0, 0, 0, 2]
}

/// Its response: length 7 (unit, FC, byte count 4, two registers).
fn mb_response(tid: u16) -> Vec<u8> {
    let t = tid.to_be_bytes();
    vec![t[0], t[1], 0, 0, 0, 7, 1, 3, 4, 0, 1, 0, 2]
}

/// A complete Modbus session: handshake, `n` polls, FIN both ways.
fn modbus_session(run: &mut Run, t0: i64, client: u8, server: u8, cport: u16, n: u16) -> i64 {
    let c = (client, cport);
    let s = (server, 502);
    let (mut cs, mut ss) = (1000u32, 5000u32);
    let mut t = t0;
    run.tcp(
        t,
        Tcp {
            src: c,
            dst: s,
            seq: cs,
            ack: 0,
            flags: SYN,
        },
        &[],
    );
    cs += 1;
    run.tcp(
        t,
        Tcp {
            src: s,
            dst: c,
            seq: ss,
            ack: cs,
            flags: SYN | ACK,
        },
        &[],
    );
    ss += 1;
    run.tcp(
        t,
        Tcp {
            src: c,
            dst: s,
            seq: cs,
            ack: ss,
            flags: ACK,
        },
        &[],
    );
    for i in 0..n {
        t += 100;
        let req = mb_request(i);
        run.tcp(
            t,
            Tcp {
                src: c,
                dst: s,
                seq: cs,
                ack: ss,
                flags: ACK | PSH,
            },
            &req,
        );
        cs += req.len() as u32;
        let resp = mb_response(i);
        run.tcp(
            t + 5,
            Tcp {
                src: s,
                dst: c,
                seq: ss,
                ack: cs,
                flags: ACK | PSH,
            },
            &resp,
        );
        ss += resp.len() as u32;
    }
    t += 100;
    run.tcp(
        t,
        Tcp {
            src: c,
            dst: s,
            seq: cs,
            ack: ss,
            flags: FIN | ACK,
        },
        &[],
    );
    cs += 1;
    run.tcp(
        t,
        Tcp {
            src: s,
            dst: c,
            seq: ss,
            ack: cs,
            flags: FIN | ACK,
        },
        &[],
    );
    ss += 1;
    run.tcp(
        t,
        Tcp {
            src: c,
            dst: s,
            seq: cs,
            ack: ss,
            flags: ACK,
        },
        &[],
    );
    t
}

fn flow_end(events: &[Event]) -> Vec<&mizuban_protocols::event::FlowEnd> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::FlowEnd(f) => Some(f),
            _ => None,
        })
        .collect()
}

#[test]
fn handshake_orients_and_closes() {
    let mut run = Run::default();
    let t = modbus_session(&mut run, 0, 7, 3, 40000, 3);
    // Closed at t; a tick past the closed timeout (10 s) ends it.
    run.push(t + 11_000, udp_frame((100, 5000), (101, 5001), b"x"));
    let ev = run_sharded(&run, &EngineConfig::default(), 1);
    let modbus: Vec<_> = ev
        .iter()
        .filter(|e| e.kind.type_name() == "modbus")
        .collect();
    assert_eq!(modbus.len(), 3, "{:?}", kinds(&ev));
    let start = &ev[0];
    assert_eq!(start.kind.type_name(), "flow_start");
    // The client (10.0.0.7) sent the SYN, though 10.0.0.3 is the lower address.
    assert_eq!(start.flow.client, sa(7, 40000));
    assert_eq!(start.flow.server, sa(3, 502));
    let detected = ev
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::ProtocolDetected(p) => Some(p.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(detected.protocol, AppProtocol::Modbus);
    assert_eq!(detected.by, DetectedBy::Probe);
    assert_eq!(detected.server_port, 502);
    let ends = flow_end(&ev);
    let end = ends.iter().find(|f| f.app == AppProtocol::Modbus).unwrap();
    assert_eq!(end.reason, FlowEndReason::Closed);
    assert_eq!(end.tcp_state, TcpState::Closed);
    // SYN, ACK, 3 requests, FIN, ACK from the client; SYN-ACK, 3 responses, FIN.
    assert_eq!(end.to_server.packets, 7);
    assert_eq!(end.to_client.packets, 5);
    assert_eq!(end.to_server.payload_bytes, 3 * 12);
    assert_eq!(end.to_client.payload_bytes, 3 * 13);
    assert_eq!(end.missed_bytes, 0);
    assert_eq!(end.client_mac.unwrap().0, MAC_B);
    assert_eq!(end.server_mac.unwrap().0, MAC_A);
}

#[test]
fn syn_ack_seen_first_flips_orientation() {
    let mut run = Run::default();
    run.tcp(
        0,
        Tcp {
            src: (3, 502),
            dst: (7, 40000),
            seq: 5000,
            ack: 1001,
            flags: SYN | ACK,
        },
        &[],
    );
    let ev = run_sharded(&run, &EngineConfig::default(), 1);
    assert_eq!(ev[0].flow.client, sa(7, 40000));
    assert_eq!(ev[0].flow.server, sa(3, 502));
    assert_eq!(flow_end(&ev)[0].tcp_state, TcpState::SynReceived);
}

#[test]
fn midstream_pickup_orients_by_service_port_and_still_parses() {
    let mut run = Run::default();
    // Picked up with a server response: the server (port 502) sends first.
    let resp = mb_response(9);
    run.tcp(
        0,
        Tcp {
            src: (3, 502),
            dst: (7, 40000),
            seq: 77_000,
            ack: 9_000,
            flags: ACK | PSH,
        },
        &resp,
    );
    let req = mb_request(10);
    run.tcp(
        100,
        Tcp {
            src: (7, 40000),
            dst: (3, 502),
            seq: 9_000,
            ack: 77_013,
            flags: ACK | PSH,
        },
        &req,
    );
    run.tcp(
        105,
        Tcp {
            src: (3, 502),
            dst: (7, 40000),
            seq: 77_013,
            ack: 9_012,
            flags: ACK | PSH,
        },
        &mb_response(10),
    );
    let ev = run_sharded(&run, &EngineConfig::default(), 1);
    assert_eq!(ev[0].flow.client, sa(7, 40000));
    let tx: Vec<_> = ev
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Modbus(t) => Some(t),
            _ => None,
        })
        .collect();
    assert!(
        tx.iter()
            .any(|t| t.trans_id == 10 && t.response_frame == Some(3)),
        "{tx:?}"
    );
    let end = flow_end(&ev)[0];
    assert_eq!(end.tcp_state, TcpState::Midstream);
    assert_eq!(end.app, AppProtocol::Modbus);
}

#[test]
fn modbus_port_with_other_bytes_is_not_protocol() {
    let mut run = Run::default();
    run.tcp(
        0,
        Tcp {
            src: (7, 40000),
            dst: (3, 502),
            seq: 1,
            ack: 1,
            flags: ACK | PSH,
        },
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    let ev = run_sharded(&run, &EngineConfig::default(), 1);
    let not: Vec<_> = ev
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::NotProtocol(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(not.len(), 1);
    assert_eq!(not[0].protocol, AppProtocol::Modbus);
    assert!(!ev.iter().any(|e| e.kind.type_name() == "modbus"));
    assert_ne!(flow_end(&ev)[0].app, AppProtocol::Modbus);
}

#[test]
fn modbus_on_another_port_is_found_by_probe() {
    let mut run = Run::default();
    run.tcp(
        0,
        Tcp {
            src: (7, 40000),
            dst: (3, 5020),
            seq: 1,
            ack: 1,
            flags: ACK | PSH,
        },
        &mb_request(1),
    );
    run.tcp(
        5,
        Tcp {
            src: (3, 5020),
            dst: (7, 40000),
            seq: 1,
            ack: 13,
            flags: ACK | PSH,
        },
        &mb_response(1),
    );
    let ev = run_sharded(&run, &EngineConfig::default(), 1);
    let detected: Vec<_> = ev
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ProtocolDetected(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(detected.len(), 1);
    assert_eq!(detected[0].protocol, AppProtocol::Modbus);
    assert_eq!(detected[0].by, DetectedBy::Probe);
    assert_eq!(detected[0].server_port, 5020);
}

#[test]
fn udp_reply_seen_first_is_oriented_by_service_port() {
    let mut run = Run::default();
    run.push(0, udp_frame((3, 53), (7, 40000), b"\x00\x01"));
    let ev = run_sharded(&run, &EngineConfig::default(), 1);
    assert_eq!(ev[0].flow.client, sa(7, 40000));
    assert_eq!(ev[0].flow.server, sa(3, 53));
    let end = flow_end(&ev)[0];
    assert_eq!(end.to_client.packets, 1);
    assert_eq!(end.to_server.packets, 0);
}

#[test]
fn lost_segment_acked_by_peer_is_a_gap_and_capture_loss() {
    let cfg = EngineConfig::default();
    let mut run = Run::default();
    let c = (7, 40000);
    let s = (3, 502);
    run.tcp(
        0,
        Tcp {
            src: c,
            dst: s,
            seq: 100,
            ack: 0,
            flags: SYN,
        },
        &[],
    );
    run.tcp(
        0,
        Tcp {
            src: s,
            dst: c,
            seq: 900,
            ack: 101,
            flags: SYN | ACK,
        },
        &[],
    );
    run.tcp(
        0,
        Tcp {
            src: c,
            dst: s,
            seq: 101,
            ack: 901,
            flags: ACK,
        },
        &[],
    );
    run.tcp(
        10,
        Tcp {
            src: c,
            dst: s,
            seq: 101,
            ack: 901,
            flags: ACK | PSH,
        },
        &mb_request(1),
    );
    // Request 2 (12 bytes at 113) is lost; the server's ACK covers it.
    run.tcp(
        20,
        Tcp {
            src: s,
            dst: c,
            seq: 901,
            ack: 125,
            flags: ACK,
        },
        &[],
    );
    run.tcp(
        30,
        Tcp {
            src: c,
            dst: s,
            seq: 125,
            ack: 901,
            flags: ACK | PSH,
        },
        &mb_request(3),
    );
    let mut engine = Engine::new(&cfg, 1);
    let mut out = Vec::new();
    for (m, f) in &run.packets {
        engine.process(m, f, &mut out);
    }
    let st = engine.stats();
    assert_eq!(st.reassembly_gaps, 1);
    assert_eq!(st.missed_bytes, 12);
    // The server acknowledged 24 request bytes; the client none of the server's.
    assert_eq!(st.acked_bytes, 24);
    assert_eq!(st.drops.get(DropReason::ReassemblyGap), 12);
    engine.finish(Timestamp(1_000_000_000), 1000, &mut out);
    let end = flow_end(&out)[0].clone();
    assert_eq!(end.missed_bytes, 12);
}

#[test]
fn idle_flows_expire_only_on_ticks() {
    let mut cfg = EngineConfig::default();
    cfg.flows.udp_idle_timeout = Duration::from_secs(60);
    let mut run = Run::default();
    run.push(0, udp_frame((7, 40000), (3, 9999), b"a"));
    // Far later, another flow: processing it must not expire the first.
    run.push(600_000, udp_frame((8, 40000), (3, 9999), b"b"));
    let mut engine = Engine::new(&cfg, 1);
    let mut out = Vec::new();
    for (m, f) in &run.packets {
        engine.process(m, f, &mut out);
    }
    assert!(flow_end(&out).is_empty());
    assert_eq!(engine.flow_count(), 2);
    // A tick before the first flow's deadline (0 + 60 s) ends nothing.
    engine.tick(Timestamp::from_secs_nanos(59, 0), 10, &mut out);
    assert!(flow_end(&out).is_empty());
    engine.tick(Timestamp::from_secs_nanos(600, 0), 11, &mut out);
    let ends = flow_end(&out);
    assert_eq!(ends.len(), 1);
    assert_eq!(ends[0].reason, FlowEndReason::Idle);
    let ev = out
        .iter()
        .find(|e| e.kind.type_name() == "flow_end")
        .unwrap();
    assert_eq!(ev.order.seq, 11);
    assert_eq!(ev.flow.client, sa(7, 40000));
    assert_eq!(engine.flow_count(), 1);
    assert_eq!(engine.stats().flows_active, 1);
}

#[test]
fn full_table_evicts_least_recently_seen() {
    let mut cfg = EngineConfig::default();
    cfg.flows.max_flows = 2;
    let mut run = Run::default();
    run.push(0, udp_frame((7, 40001), (3, 9999), b"a"));
    run.push(1, udp_frame((7, 40002), (3, 9999), b"b"));
    // Flow 1 seen again: flow 2 is now the least recently seen.
    run.push(2, udp_frame((7, 40001), (3, 9999), b"c"));
    run.push(3, udp_frame((7, 40003), (3, 9999), b"d"));
    let mut engine = Engine::new(&cfg, 1);
    let mut out = Vec::new();
    for (m, f) in &run.packets {
        engine.process(m, f, &mut out);
    }
    let ends: Vec<_> = out
        .iter()
        .filter(|e| e.kind.type_name() == "flow_end")
        .collect();
    assert_eq!(ends.len(), 1);
    assert_eq!(ends[0].flow.client, sa(7, 40002));
    assert_eq!(flow_end(&out)[0].reason, FlowEndReason::Evicted);
    assert_eq!(engine.stats().flows_evicted, 1);
    assert_eq!(engine.stats().drops.get(DropReason::FlowTableFull), 1);
    assert_eq!(engine.flow_count(), 2);
}

#[test]
fn rst_closes_and_a_new_syn_starts_a_new_flow() {
    let mut cfg = EngineConfig::default();
    cfg.flows.tcp_closed_timeout = Duration::from_secs(10);
    let mut run = Run::default();
    let c = (7, 40000);
    let s = (3, 502);
    run.tcp(
        0,
        Tcp {
            src: c,
            dst: s,
            seq: 1,
            ack: 0,
            flags: SYN,
        },
        &[],
    );
    run.tcp(
        0,
        Tcp {
            src: s,
            dst: c,
            seq: 0,
            ack: 2,
            flags: RST | ACK,
        },
        &[],
    );
    run.tcp(
        500,
        Tcp {
            src: c,
            dst: s,
            seq: 7777,
            ack: 0,
            flags: SYN,
        },
        &[],
    );
    let ev = run_sharded(&run, &cfg, 1);
    let starts = ev
        .iter()
        .filter(|e| e.kind.type_name() == "flow_start")
        .count();
    assert_eq!(starts, 2);
    let ends = flow_end(&ev);
    assert_eq!(ends[0].reason, FlowEndReason::Closed);
    assert_eq!(ends[0].tcp_state, TcpState::Reset);
    assert_eq!(ends[1].reason, FlowEndReason::EndOfCapture);
    assert_eq!(ends[1].tcp_state, TcpState::SynSent);
}

#[test]
fn arp_is_an_event_without_a_flow() {
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(MAC_A, [0xff; 6])
        .arp(
            etherparse::ArpPacket::new(
                etherparse::ArpHardwareId::ETHERNET,
                etherparse::EtherType::IPV4,
                etherparse::ArpOperation::REQUEST,
                &MAC_A,
                &ip(7),
                &[0; 6],
                &ip(3),
            )
            .unwrap(),
        )
        .write(&mut frame)
        .unwrap();
    let info = decode(LinkType::Ethernet, &frame, frame.len() as u32);
    let meta = PacketMeta {
        seq: 0,
        file: 0,
        frame: 1,
        ts: Timestamp(0),
        wire_len: frame.len() as u32,
        cap_len: frame.len() as u32,
        info,
    };
    let mut engine = Engine::new(&EngineConfig::default(), 1);
    let mut out = Vec::new();
    engine.process(&meta, &frame, &mut out);
    assert_eq!(kinds(&out), vec!["arp"]);
    let EventKind::Arp(a) = &out[0].kind else {
        unreachable!()
    };
    assert_eq!(a.operation, 1);
    assert_eq!(a.sender_ip, Ipv4Addr::from(ip(7)));
    assert_eq!(a.target_ip, Ipv4Addr::from(ip(3)));
    assert_eq!(engine.flow_count(), 0);
}

/// Many hosts, Modbus sessions with losses and reordering, UDP chatter and idle gaps:
/// one engine and two engines (split by `shard_for`) emit the same sorted events.
#[test]
fn one_and_two_engines_emit_the_same_events() {
    let mut cfg = EngineConfig::default();
    cfg.flows.udp_idle_timeout = Duration::from_secs(5);
    cfg.flows.tcp_closed_timeout = Duration::from_secs(2);
    let mut run = Run::default();
    let mut t = 0i64;
    for round in 0..4u16 {
        for h in 0..12u8 {
            let client = 20 + h;
            let server = 1 + h % 4;
            let cport = 40000 + round * 100 + u16::from(h);
            t = modbus_session(&mut run, t, client, server, cport, 2 + u16::from(h % 3)) + 50;
            run.push(t, udp_frame((client, 5353), (server, 9999), &[h, 1, 2]));
            if h % 5 == 0 {
                // A midstream fragment with a hole the server acknowledges.
                run.tcp(
                    t,
                    Tcp {
                        src: (client, 41000),
                        dst: (server, 502),
                        seq: 10,
                        ack: 1,
                        flags: ACK | PSH,
                    },
                    &mb_request(1),
                );
                run.tcp(
                    t + 1,
                    Tcp {
                        src: (server, 502),
                        dst: (client, 41000),
                        seq: 1,
                        ack: 46,
                        flags: ACK,
                    },
                    &[],
                );
                run.tcp(
                    t + 2,
                    Tcp {
                        src: (client, 41000),
                        dst: (server, 502),
                        seq: 34,
                        ack: 1,
                        flags: ACK | PSH,
                    },
                    &mb_request(3),
                );
            }
        }
        // A quiet spell: UDP flows idle out on ticks.
        t += 8_000;
    }
    let one = run_sharded(&run, &cfg, 1);
    let two = run_sharded(&run, &cfg, 2);
    assert!(one.len() > 200, "{}", one.len());
    assert!(
        one.iter()
            .any(|e| matches!(&e.kind, EventKind::FlowEnd(f) if f.reason == FlowEndReason::Idle))
    );
    assert_eq!(one.len(), two.len());
    for (a, b) in one.iter().zip(&two) {
        assert_eq!(a, b);
    }
    // Two shards really split the work.
    let shards: std::collections::BTreeSet<usize> = run
        .packets
        .iter()
        .map(|(m, _)| {
            let ip = m.info.ip().unwrap();
            shard_for(ip.src, ip.dst, m.info.vlan, 2)
        })
        .collect();
    assert_eq!(shards.len(), 2);
}

#[test]
fn decoded_tcp_packet_has_transport() {
    // Guards the helpers: the decoder must give the TCP header for these frames.
    let f = tcp_frame(
        &Tcp {
            src: (7, 1),
            dst: (3, 2),
            seq: 5,
            ack: 0,
            flags: SYN,
        },
        b"",
    );
    let info = decode(LinkType::Ethernet, &f, f.len() as u32);
    assert!(matches!(info.transport, Transport::Tcp(t) if t.seq == 5 && t.flags.syn()));
}

#[test]
fn dns_query_is_identified_by_probe() {
    // RFC 1035 section 4.1: id 0x1234, RD set, one question "example.com" A IN.
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    q.extend(b"\x07example\x03com\x00");
    q.extend([0, 1, 0, 1]);
    let mut run = Run::default();
    run.push(0, udp_frame((7, 40000), (3, 53), &q));
    let ev = run_sharded(&run, &EngineConfig::default(), 1);
    let detected = ev
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::ProtocolDetected(p) => Some(p.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(detected.protocol, AppProtocol::Dns);
    assert_eq!(detected.by, DetectedBy::Probe);
    assert!(ev.iter().any(|e| e.kind.type_name() == "dns"));
}

#[test]
fn unknown_payload_on_unknown_port_stays_unknown() {
    let mut run = Run::default();
    let c = (7, 40000);
    let s = (3, 7777);
    let mut seq = 1u32;
    for i in 0..6u8 {
        let junk = [0xA5, i, 0x5A, 0xFF, 0x10, 0x20, 0x30];
        run.tcp(
            i64::from(i),
            Tcp {
                src: c,
                dst: s,
                seq,
                ack: 1,
                flags: ACK | PSH,
            },
            &junk,
        );
        seq += junk.len() as u32;
    }
    let ev = run_sharded(&run, &EngineConfig::default(), 1);
    assert_eq!(kinds(&ev), vec!["flow_start", "flow_end"]);
    assert_eq!(flow_end(&ev)[0].app, AppProtocol::Unknown);
    assert_eq!(flow_end(&ev)[0].to_server.payload_bytes, 42);
}

#[test]
fn esp_is_identified_by_ip_protocol() {
    let mut frame = Vec::new();
    // IPv4 + ESP (protocol 50): SPI 0x1000, sequence 1, 8 opaque bytes.
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4(ip(7), ip(200), 64)
        .write(
            &mut frame,
            etherparse::IpNumber(50),
            &[0, 0, 0x10, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8],
        )
        .unwrap();
    let mut run = Run::default();
    run.push(0, frame);
    let ev = run_sharded(&run, &EngineConfig::default(), 1);
    let detected = ev
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::ProtocolDetected(p) => Some(p.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(detected.protocol, AppProtocol::Esp);
    assert_eq!(flow_end(&ev)[0].app, AppProtocol::Esp);
    assert_eq!(ev[0].flow.proto, 50);
}

/// A DNS query over UDP, cut into two IPv4 fragments (RFC 791 section 2.3): the engine
/// reassembles it and handles the datagram as one packet, stamped with the frame that
/// completed it.
#[test]
fn fragmented_datagram_is_reassembled_and_identified() {
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    q.extend(b"\x07example\x03com\x00");
    q.extend([0, 1, 0, 1]);
    // The whole UDP datagram (header + payload), as the IP payload to fragment.
    let mut whole = Vec::new();
    PacketBuilder::ipv4(ip(7), ip(3), 64)
        .udp(40000, 53)
        .write(&mut whole, &q)
        .unwrap();
    let udp = whole[20..].to_vec();
    let cut = 16; // a multiple of 8, inside the DNS payload
    let mut run = Run::default();
    for (offset, part, more) in [(0usize, &udp[..cut], true), (cut, &udp[cut..], false)] {
        let mut h = etherparse::Ipv4Header::new(
            part.len() as u16,
            64,
            etherparse::IpNumber::UDP,
            ip(7),
            ip(3),
        )
        .unwrap();
        h.identification = 0x4242;
        h.more_fragments = more;
        h.fragment_offset = etherparse::IpFragOffset::try_new((offset / 8) as u16).unwrap();
        h.header_checksum = h.calc_header_checksum();
        let mut f = Vec::new();
        etherparse::Ethernet2Header {
            source: MAC_A,
            destination: MAC_B,
            ether_type: etherparse::EtherType::IPV4,
        }
        .write(&mut f)
        .unwrap();
        h.write(&mut f).unwrap();
        f.extend_from_slice(part);
        run.push(0, f);
    }
    let ev = run_sharded(&run, &EngineConfig::default(), 1);
    let dns: Vec<_> = ev.iter().filter(|e| e.kind.type_name() == "dns").collect();
    assert_eq!(dns.len(), 1, "{:?}", kinds(&ev));
    assert_eq!(dns[0].frame, 2);
    assert_eq!(dns[0].flow.client, sa(7, 40000));
    assert_eq!(dns[0].flow.server, sa(3, 53));
    let starts = ev
        .iter()
        .filter(|e| e.kind.type_name() == "flow_start")
        .count();
    assert_eq!(starts, 1);
}

#[test]
fn same_tuple_on_two_vlans_is_two_flows() {
    let mut run = Run::default();
    for vlan in [10u16, 20] {
        let mut f = Vec::new();
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .single_vlan(etherparse::VlanId::try_new(vlan).unwrap())
            .ipv4(ip(7), ip(3), 64)
            .udp(40000, 9999)
            .write(&mut f, b"x")
            .unwrap();
        run.push(0, f);
    }
    let ev = run_sharded(&run, &EngineConfig::default(), 1);
    let vlans: Vec<_> = ev
        .iter()
        .filter(|e| e.kind.type_name() == "flow_start")
        .map(|e| e.flow.vlan.innermost())
        .collect();
    assert_eq!(vlans, vec![Some(10), Some(20)]);
}
