//! Which end of a new flow is the client.
//!
//! - TCP: the SYN sender; a SYN-ACK seen first makes its sender the server. Picked up
//!   mid-stream (no handshake seen), the side on a service port is the server; when both
//!   or neither are, the lower port is.
//! - UDP: the first sender, unless it sends from a service port to a non-service port
//!   (the reply was seen first).
//! - ICMP: the first sender, unless the first packet is an echo reply.
//! - Other protocols (ESP, GRE, ...): the first sender.

use mizuban_capture::{PacketInfo, TcpFlags, Transport};

/// Ports at or above 1024 that are servers in the networks we watch: ICS protocols,
/// VPNs and remote-access tools (IANA registrations and vendor defaults).
pub const SERVICE_PORTS: &[u16] = &[
    1194,  // OpenVPN
    1433,  // MS SQL (historians)
    1701,  // L2TP
    1723,  // PPTP
    1911,  // Niagara Fox
    2222,  // EtherNet/IP implicit I/O
    2404,  // IEC 60870-5-104
    3306,  // MySQL
    3389,  // RDP
    4500,  // IKE NAT-T
    4840,  // OPC UA
    5432,  // PostgreSQL
    5900,  // VNC
    5938,  // TeamViewer
    7070,  // AnyDesk
    8000,  // HTTP alternative
    8080,  // HTTP alternative
    8443,  // HTTPS alternative
    9600,  // OMRON FINS
    18245, // GE SRTP
    20000, // DNP3
    44818, // EtherNet/IP
    47808, // BACnet/IP
    51820, // WireGuard
];

/// A port a server listens on: well-known (below 1024) or in [`SERVICE_PORTS`].
pub fn is_service_port(port: u16) -> bool {
    (port != 0 && port < 1024) || SERVICE_PORTS.binary_search(&port).is_ok()
}

/// Whether the packet's source is the client of the flow it starts, and whether it is a
/// bare SYN (a proper start).
pub fn source_is_client(info: &PacketInfo) -> (bool, bool) {
    match info.transport {
        Transport::Tcp(t) => {
            if is_bare_syn(t.flags) {
                (true, true)
            } else if is_syn_ack(t.flags) {
                (false, false)
            } else {
                (!server_side_is_src(t.src_port, t.dst_port, true), false)
            }
        }
        Transport::Udp { src_port, dst_port } => {
            (!server_side_is_src(src_port, dst_port, false), false)
        }
        // Echo reply (RFC 792 type 0, RFC 4443 type 129): the sender answered.
        Transport::Icmp { icmp_type: 0, .. } | Transport::Icmpv6 { icmp_type: 129, .. } => {
            (false, false)
        }
        _ => (true, false),
    }
}

/// A connection request: SYN without ACK, and without FIN or RST (SYN+FIN and SYN+RST are
/// invalid combinations, seen in scans and fuzzed traffic, that say nothing about who
/// opened the connection).
pub fn is_bare_syn(f: TcpFlags) -> bool {
    f.syn() && !f.ack() && !f.fin() && !f.rst()
}

/// The answer to a connection request (SYN+ACK, no FIN or RST).
pub fn is_syn_ack(f: TcpFlags) -> bool {
    f.syn() && f.ack() && !f.fin() && !f.rst()
}

/// Mid-stream (TCP) or first-datagram (UDP) orientation from the ports alone.
fn server_side_is_src(src: u16, dst: u16, tcp: bool) -> bool {
    match (is_service_port(src), is_service_port(dst)) {
        (true, false) => true,
        (false, true) => false,
        // Both service ports (DNS 53 <-> 53, DHCP 68 -> 67): the lower one serves.
        (true, true) => src < dst,
        // Neither: TCP guesses the lower port; UDP trusts the first sender.
        (false, false) => tcp && src < dst,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_ports_sorted_for_binary_search() {
        assert!(SERVICE_PORTS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn ports() {
        assert!(is_service_port(502));
        assert!(is_service_port(20000));
        assert!(!is_service_port(0));
        assert!(!is_service_port(49152));
        // Client 49152 -> server 502 picked up mid-stream, either way round.
        assert!(!server_side_is_src(49152, 502, true));
        assert!(server_side_is_src(502, 49152, true));
        // Modbus on a non-standard port: the lower of two ephemeral-range ports.
        assert!(server_side_is_src(5020, 50000, true));
        // UDP: first sender is client when neither port is a service.
        assert!(!server_side_is_src(5020, 50000, false));
        // DHCP 68 -> 67 and back.
        assert!(!server_side_is_src(68, 67, false));
        assert!(server_side_is_src(67, 68, false));
    }
}
