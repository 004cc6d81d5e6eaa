//! Event builders shared by the baseline and inventory tests (included with `#[path]`;
//! as its own test target it holds no tests).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

use mizuban_capture::{MacAddr, Timestamp, VlanTags};
use mizuban_protocols::dhcp::DhcpMessage;
use mizuban_protocols::dns::{DnsAnswer, DnsMessage};
use mizuban_protocols::event::{
    Arp, DetectedBy, DirectionStats, FlowEnd, FlowEndReason, FlowStart, ProtocolDetected, TcpState,
};
use mizuban_protocols::http::HttpRequest;
use mizuban_protocols::modbus::{DeviceIdentity, FunctionClass, Transaction};
use mizuban_protocols::{AppProtocol, Event, EventKind, EventOrder, FlowTuple};
use std::net::{IpAddr, SocketAddr};

pub const TCP: u8 = 6;
pub const UDP: u8 = 17;

pub fn t(secs: i64) -> Timestamp {
    Timestamp::from_secs_nanos(1_700_000_000 + secs, 0)
}

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub fn mac(last: u8) -> MacAddr {
    // 00:80:F4 is Telemecanique (Schneider) in the IEEE registry.
    MacAddr([0x00, 0x80, 0xf4, 0x00, 0x00, last])
}

pub fn flow(client: &str, server: &str, proto: u8) -> FlowTuple {
    FlowTuple {
        client: client.parse::<SocketAddr>().unwrap(),
        server: server.parse::<SocketAddr>().unwrap(),
        proto,
        vlan: VlanTags::default(),
    }
}

pub fn ev(secs: i64, flow: FlowTuple, kind: EventKind) -> Event {
    Event {
        order: EventOrder {
            seq: secs as u64,
            sub: 0,
        },
        ts: t(secs),
        file: 0,
        frame: 1,
        flow,
        kind,
    }
}

pub fn start(client_mac: Option<MacAddr>, server_mac: Option<MacAddr>) -> EventKind {
    EventKind::FlowStart(FlowStart {
        client_mac,
        server_mac,
        syn: true,
        encap: None,
    })
}

pub fn dir(packets: u64, bytes: u64, payload: u64) -> DirectionStats {
    DirectionStats {
        packets,
        bytes,
        payload_bytes: payload,
    }
}

/// A finished TCP flow in `state`, with `answered` packets back from the server.
pub fn end(
    state: TcpState,
    app: AppProtocol,
    to_server: DirectionStats,
    to_client: DirectionStats,
) -> EventKind {
    EventKind::FlowEnd(FlowEnd {
        first_seen: t(0),
        last_seen: t(1),
        reason: FlowEndReason::Closed,
        tcp_state: state,
        app,
        to_server,
        to_client,
        missed_bytes: 0,
        client_mac: None,
        server_mac: None,
    })
}

pub fn detected(protocol: AppProtocol, port: u16) -> EventKind {
    EventKind::ProtocolDetected(ProtocolDetected {
        protocol,
        by: DetectedBy::Probe,
        server_port: port,
    })
}

/// A Modbus transaction with a response. Classes per the Modbus Application Protocol
/// v1.1b3 section 6: 3 read holding registers, 6 write single register, 16 write
/// multiple registers, 43 encapsulated interface.
pub fn modbus(function: u8, unit_id: u8) -> EventKind {
    let (name, class) = match function {
        1 => ("read_coils", FunctionClass::Read),
        3 => ("read_holding_registers", FunctionClass::Read),
        4 => ("read_input_registers", FunctionClass::Read),
        5 => ("write_single_coil", FunctionClass::Write),
        6 => ("write_single_register", FunctionClass::Write),
        16 => ("write_multiple_registers", FunctionClass::Write),
        43 => (
            "encapsulated_interface_transport",
            FunctionClass::Encapsulated,
        ),
        _ => ("unknown", FunctionClass::Unknown),
    };
    EventKind::Modbus(Transaction {
        request_frame: Some(1),
        response_frame: Some(2),
        trans_id: 1,
        unit_id,
        function,
        function_name: name,
        class,
        subfunction: None,
        address: Some(0),
        quantity: Some(1),
        write_address: None,
        exception: None,
        response_time_us: Some(1000),
        written: None,
        device_identity: None,
    })
}

pub fn modbus_identity(vendor: &str, product: &str) -> EventKind {
    let EventKind::Modbus(mut tx) = modbus(43, 1) else {
        unreachable!()
    };
    tx.subfunction = Some(14);
    tx.device_identity = Some(DeviceIdentity {
        vendor_name: Some(vendor.to_string()),
        product_code: Some(product.to_string()),
        revision: Some("V1.0".to_string()),
        ..DeviceIdentity::default()
    });
    EventKind::Modbus(tx)
}

pub fn arp(sender_mac: MacAddr, sender_ip: &str) -> EventKind {
    EventKind::Arp(Arp {
        operation: 1,
        sender_mac,
        sender_ip: sender_ip.parse().unwrap(),
        target_ip: "10.0.0.254".parse().unwrap(),
    })
}

pub fn dhcp(
    message_type: u8,
    client_mac: MacAddr,
    your_ip: Option<&str>,
    hostname: Option<&str>,
    vendor_class: Option<&str>,
    prl: &[u8],
) -> EventKind {
    EventKind::Dhcp(DhcpMessage {
        message_type,
        client_mac,
        hostname: hostname.map(str::to_string),
        vendor_class: vendor_class.map(str::to_string),
        param_request_list: prl.to_vec(),
        requested_ip: None,
        your_ip: your_ip.map(|s| s.parse().unwrap()),
    })
}

pub fn dns_answer(name: &str, addr: &str) -> EventKind {
    EventKind::Dns(DnsMessage {
        trans_id: 7,
        response: true,
        opcode: 0,
        rcode: 0,
        query: Some(name.to_string()),
        qtype: 1,
        answers: vec![DnsAnswer {
            name: name.to_string(),
            rtype: 1,
            addr: Some(ip(addr)),
            target: None,
            ttl: 60,
        }],
    })
}

pub fn http_ua(ua: &str) -> EventKind {
    EventKind::HttpRequest(HttpRequest {
        method: "GET".to_string(),
        uri: "/".to_string(),
        host: Some("hmi".to_string()),
        user_agent: Some(ua.to_string()),
        basic_auth_user: None,
    })
}

/// A normal day on a small plant: an HMI (10.0.0.10) polls two PLCs (.20, .21) over
/// Modbus/TCP, reading from .20 and reading and writing .21; everyone ARPs.
pub fn plant_day(offset: i64) -> Vec<Event> {
    let hmi = "10.0.0.10:40000";
    let mut v = vec![
        ev(
            offset,
            flow("10.0.0.10:0", "10.0.0.255:0", 0),
            arp(mac(10), "10.0.0.10"),
        ),
        ev(
            offset,
            flow("10.0.0.20:0", "10.0.0.255:0", 0),
            arp(mac(20), "10.0.0.20"),
        ),
        ev(
            offset,
            flow("10.0.0.21:0", "10.0.0.255:0", 0),
            arp(mac(21), "10.0.0.21"),
        ),
    ];
    for (plc, fcs) in [
        ("10.0.0.20:502", &[3u8][..]),
        ("10.0.0.21:502", &[3, 6][..]),
    ] {
        let f = flow(hmi, plc, TCP);
        v.push(ev(offset + 1, f, start(Some(mac(10)), None)));
        v.push(ev(offset + 1, f, detected(AppProtocol::Modbus, 502)));
        for fc in fcs {
            v.push(ev(offset + 2, f, modbus(*fc, 1)));
        }
        v.push(ev(
            offset + 3,
            f,
            end(
                TcpState::Closed,
                AppProtocol::Modbus,
                dir(10, 800, 120),
                dir(10, 900, 200),
            ),
        ));
    }
    v
}
