//! Community ID v1: the flow hash that Zeek, Suricata, Arkime, Malcolm and Wireshark
//! write beside their own flow ids, so an analyst can pivot between tools on one string.
//!
//! Specification: corelight/community-id-spec, README "Pseudo code" and "Technical
//! details" (version 1). The hashed bytes are, in network byte order:
//!
//! | field | size |
//! | --- | --- |
//! | seed | 2 |
//! | smaller address | 4 or 16 |
//! | larger address | 4 or 16 |
//! | IP protocol | 1 |
//! | padding (0) | 1 |
//! | source port, destination port (TCP, UDP, SCTP only) | 2 + 2 |
//!
//! The endpoints are ordered so that the smaller (address, port) comes first, which makes
//! the id the same for both directions. The result is `1:` and the base64 (standard
//! alphabet, padded) of the SHA-1 digest.
//!
//! ICMP and ICMPv6 hash the type and a "counter type" in place of the ports; mizuban keys
//! ICMP flows by host pair (echo, errors and replies in one flow), so one of its ICMP
//! flows has no single Community ID, and none is given (the specification allows an
//! empty value for what a monitor does not support).

use base64::Engine;
use sha1::{Digest, Sha1};
use std::net::{IpAddr, SocketAddr};

/// Length of a v1 id: `1:` plus 28 base64 characters.
pub const LEN: usize = 30;

const PROTO_ICMP: u8 = 1;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
const PROTO_ICMPV6: u8 = 58;
const PROTO_SCTP: u8 = 132;

/// The Community ID of a flow between `a` and `b` over IP protocol `proto`, or `None`
/// where it has none: ICMP (see the module comment), protocol 0 (ARP pseudo-flows) and
/// mixed address families. Ports count only for TCP, UDP and SCTP.
pub fn v1(a: SocketAddr, b: SocketAddr, proto: u8, seed: u16) -> Option<[u8; LEN]> {
    if matches!(proto, 0 | PROTO_ICMP | PROTO_ICMPV6) {
        return None;
    }
    let ports = matches!(proto, PROTO_TCP | PROTO_UDP | PROTO_SCTP);
    let key = |s: &SocketAddr| (octets(s.ip()), if ports { s.port() } else { 0 });
    let (lo, hi) = if key(&a) <= key(&b) { (a, b) } else { (b, a) };
    let mut h = Sha1::new();
    h.update(seed.to_be_bytes());
    match (lo.ip(), hi.ip()) {
        (IpAddr::V4(x), IpAddr::V4(y)) => {
            h.update(x.octets());
            h.update(y.octets());
        }
        (IpAddr::V6(x), IpAddr::V6(y)) => {
            h.update(x.octets());
            h.update(y.octets());
        }
        _ => return None,
    }
    h.update([proto, 0]);
    if ports {
        h.update(lo.port().to_be_bytes());
        h.update(hi.port().to_be_bytes());
    }
    let digest = h.finalize();
    let mut out = [0u8; LEN];
    let (prefix, text) = out.split_at_mut(2);
    prefix.copy_from_slice(b"1:");
    // 20 digest bytes are 28 base64 characters: the slice is exactly long enough.
    base64::engine::general_purpose::STANDARD
        .encode_slice(digest, text)
        .ok()?;
    Some(out)
}

/// An address as bytes in network order, for the ordering (IPv4 before IPv6 never
/// matters: both ends of a flow have the same family).
fn octets(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// [`v1`] as a string.
pub fn v1_string(a: SocketAddr, b: SocketAddr, proto: u8, seed: u16) -> Option<String> {
    v1(a, b, proto, seed).map(|id| id.iter().map(|&c| char::from(c)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(a: &str, b: &str, proto: u8) -> Option<String> {
        v1_string(a.parse().unwrap(), b.parse().unwrap(), proto, 0)
    }

    // The reference implementation's values for these tuples (PyPI communityid 1.5,
    // `CommunityID().calc(FlowTuple.make_tcp(...))`); tests/community_id.rs checks
    // every flow of several captures against it.
    #[test]
    fn matches_the_specifications_baseline() {
        assert_eq!(
            id("128.232.110.120:34855", "66.35.250.204:80", PROTO_TCP).as_deref(),
            Some("1:LQU9qZlK+B5F3KDmev6m5PMibrg=")
        );
        assert_eq!(
            id("192.168.1.52:54585", "8.8.8.8:53", PROTO_UDP).as_deref(),
            Some("1:d/FP5EW3wiY1vCndhwleRRKHowQ=")
        );
    }

    #[test]
    fn same_for_both_directions() {
        assert_eq!(
            id("10.0.0.1:1234", "127.0.0.1:80", PROTO_TCP),
            id("127.0.0.1:80", "10.0.0.1:1234", PROTO_TCP)
        );
        assert_eq!(
            id("[2001:db8::1]:1234", "[2001:db8::2]:80", PROTO_UDP),
            id("[2001:db8::2]:80", "[2001:db8::1]:1234", PROTO_UDP)
        );
    }

    #[test]
    fn no_id_for_icmp_arp_or_mixed_families() {
        assert_eq!(id("10.0.0.1:0", "10.0.0.2:0", PROTO_ICMP), None);
        assert_eq!(id("[::1]:0", "[::2]:0", PROTO_ICMPV6), None);
        assert_eq!(id("10.0.0.1:0", "10.0.0.2:0", 0), None);
        assert_eq!(id("10.0.0.1:1", "[::2]:2", PROTO_TCP), None);
    }

    #[test]
    fn portless_protocols_ignore_ports() {
        assert_eq!(
            id("10.0.0.1:0", "10.0.0.2:0", 47),
            id("10.0.0.1:5", "10.0.0.2:9", 47)
        );
        assert!(id("10.0.0.1:0", "10.0.0.2:0", 47).is_some());
    }
}
