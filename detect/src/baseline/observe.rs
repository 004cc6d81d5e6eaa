//! From events to baseline observations: which facts an event proves.
//!
//! Only evidence that a host exists counts as a host: the side that sent a packet, or a
//! server that answered. A SYN to an address proves nothing about it, so a scan of a
//! million addresses adds conversations (capped) but not hosts or services.

use super::types::{Conversation, Mac, Pair, Role, Service};
use mizuban_protocols::event::{
    AppProtocol, DetectedBy, Event, EventKind, FlowEnd, FlowTuple, TcpState,
};
use mizuban_protocols::registry;
use std::net::{IpAddr, Ipv4Addr};

/// IP protocol numbers that have ports (RFC 9293 TCP, RFC 768 UDP, RFC 9260 SCTP).
const TCP: u8 = 6;
const UDP: u8 = 17;
const SCTP: u8 = 132;

/// DHCPACK (RFC 2132 section 9.6, option 53 value 5).
const DHCP_ACK: u8 = 5;

/// One fact an event shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Obs {
    Host {
        ip: IpAddr,
        mac: Option<Mac>,
    },
    /// A MAC with no usable IP (ARP probe, DHCP before an address).
    MacOnly(Mac),
    Conversation(Conversation),
    Service(Service),
    Ics {
        host: IpAddr,
        protocol: AppProtocol,
        role: Role,
    },
    Modbus {
        pair: Pair,
        write: bool,
        function: u8,
        unit_id: u8,
    },
}

/// A host address (see [`is_host_addr`]) that `internal` puts inside: the addresses the
/// baseline and the inventory keep.
pub fn is_internal_host(ip: IpAddr, internal: &dyn Fn(IpAddr) -> bool) -> bool {
    is_host_addr(ip) && internal(ip)
}

/// An address that can name one host: not unspecified, loopback, multicast or the
/// limited broadcast (RFC 919). Subnet broadcasts need masks we do not have.
pub fn is_host_addr(ip: IpAddr) -> bool {
    if ip.is_unspecified() || ip.is_loopback() || ip.is_multicast() {
        return false;
    }
    !matches!(ip, IpAddr::V4(v4) if v4 == Ipv4Addr::BROADCAST)
}

fn has_ports(proto: u8) -> bool {
    matches!(proto, TCP | UDP | SCTP)
}

fn station(mac: Option<mizuban_capture::MacAddr>) -> Option<Mac> {
    mac.map(Mac).filter(|m| m.is_station())
}

/// Whether the server end of a finished flow offered a service: TCP completed the
/// handshake (or was picked up mid-stream, or sent data before a reset); other
/// transports sent anything back.
pub fn server_offered(fe: &FlowEnd, proto: u8) -> bool {
    if proto == TCP {
        match fe.tcp_state {
            TcpState::SynReceived
            | TcpState::Established
            | TcpState::Midstream
            | TcpState::Closed => true,
            TcpState::Reset => fe.to_client.payload_bytes > 0,
            TcpState::None | TcpState::SynSent => false,
        }
    } else {
        fe.to_client.packets > 0
    }
}

/// Whether the flow's server side rests on evidence. A TCP flow picked up mid-stream
/// whose server port is no service port and which carried no identified protocol was
/// oriented by a guess (the lower port): a Windows client on ephemeral port 1630 talking
/// to a server on 4444 must not make 1630 a service (issue 14).
pub fn role_evident(flow: &FlowTuple, fe: &FlowEnd) -> bool {
    flow.proto != TCP
        || fe.tcp_state != TcpState::Midstream
        || fe.app != AppProtocol::Unknown
        || mizuban_protocols::flow::orient::is_service_port(flow.server.port())
}

/// (protocol client, protocol server) of a flow. The flow's client opened the TCP
/// connection; a device that answers on the protocol's registered port is its server
/// even when it opened the connection itself (a reversed connection, seen in
/// ITI modbus_test_data_part1.pcap where 10.0.0.8:502 connects out and sends responses).
pub fn ics_ends(flow: &FlowTuple, p: AppProtocol) -> (IpAddr, IpAddr) {
    let (c, s) = (flow.client_ip(), flow.server_ip());
    match registry::spec(p).server_port() {
        Some(port) if flow.client.port() == port && flow.server.port() != port => (s, c),
        _ => (c, s),
    }
}

fn push_roles(out: &mut Vec<Obs>, client: IpAddr, server: IpAddr, protocol: AppProtocol) {
    out.push(Obs::Ics {
        host: client,
        protocol,
        role: Role::Client,
    });
    out.push(Obs::Ics {
        host: server,
        protocol,
        role: Role::Server,
    });
}

/// Appends what `ev` proves to `out`, hosts before the facts about them.
pub fn observe(ev: &Event, out: &mut Vec<Obs>) {
    let flow = &ev.flow;
    let (client, server) = (flow.client_ip(), flow.server_ip());
    match &ev.kind {
        EventKind::FlowStart(fs) => {
            out.push(Obs::Host {
                ip: client,
                mac: station(fs.client_mac),
            });
            // Picked up mid-stream: the server has been talking already.
            if flow.proto == TCP && !fs.syn {
                out.push(Obs::Host {
                    ip: server,
                    mac: station(fs.server_mac),
                });
            }
            out.push(Obs::Conversation(Conversation::new(
                client, server, flow.proto,
            )));
        }
        EventKind::FlowEnd(fe) => {
            out.push(Obs::Host {
                ip: client,
                mac: station(fe.client_mac),
            });
            if fe.to_client.packets > 0 {
                out.push(Obs::Host {
                    ip: server,
                    mac: station(fe.server_mac),
                });
            }
            if has_ports(flow.proto) && server_offered(fe, flow.proto) && role_evident(flow, fe) {
                out.push(Obs::Service(Service {
                    server,
                    transport: flow.proto,
                    port: flow.server.port(),
                }));
                // The roles again, now that the server is known to exist (the
                // detection may have come before its first answer).
                if fe.app.is_ics() {
                    let (c, s) = ics_ends(flow, fe.app);
                    push_roles(out, c, s, fe.app);
                }
            }
        }
        EventKind::ProtocolDetected(pd) if pd.by == DetectedBy::Probe => {
            if has_ports(flow.proto) {
                out.push(Obs::Service(Service {
                    server,
                    transport: flow.proto,
                    port: pd.server_port,
                }));
            }
            if pd.protocol.is_ics() {
                let (c, s) = ics_ends(flow, pd.protocol);
                push_roles(out, c, s, pd.protocol);
            }
        }
        EventKind::Modbus(tx) => {
            // The parser decided the roles (see mizuban_protocols::facts).
            let Some(op) = mizuban_protocols::facts::of_event(ev).and_then(|f| f.operation) else {
                return;
            };
            let (client, server) = (op.client.ip(), op.server.ip());
            // A transaction proves the client exists, and the server too if it answered.
            out.push(Obs::Host {
                ip: client,
                mac: None,
            });
            if op.answered {
                out.push(Obs::Host {
                    ip: server,
                    mac: None,
                });
            }
            out.push(Obs::Modbus {
                pair: Pair { client, server },
                write: tx.is_write(),
                function: tx.function,
                unit_id: tx.unit_id,
            });
        }
        EventKind::Arp(arp) => {
            let mac = Mac(arp.sender_mac);
            if !mac.is_station() {
                return;
            }
            // An ARP probe (RFC 5227) has sender IP 0.0.0.0: the MAC alone is news.
            if arp.sender_ip.is_unspecified() {
                out.push(Obs::MacOnly(mac));
            } else {
                out.push(Obs::Host {
                    ip: IpAddr::V4(arp.sender_ip),
                    mac: Some(mac),
                });
            }
        }
        EventKind::Dhcp(d) => {
            let mac = Mac(d.client_mac);
            if !mac.is_station() {
                return;
            }
            match d.your_ip {
                Some(ip) if d.message_type == DHCP_ACK && !ip.is_unspecified() => {
                    out.push(Obs::Host {
                        ip: IpAddr::V4(ip),
                        mac: Some(mac),
                    });
                }
                _ => out.push(Obs::MacOnly(mac)),
            }
        }
        _ => {}
    }
}
