//! `internet_vpn` and `vpn`: a VPN or tunnel protocol. With a peer outside the internal
//! networks it is an internet VPN, which the guideline says makes a network not closed
//! (SSL-VPN, IPsec-VPN); with both ends internal it is noted (`vpn`) so the operator can
//! confirm it runs over a closed carrier IP-VPN.
//!
//! Sources: the VPN parsers' events (IKE, OpenVPN, WireGuard, L2TP, PPTP...), the IP
//! protocol of a flow (ESP 50, AH 51, GRE 47: RFC 4303, 4302, 2784) and protocol
//! identification; and an SSL-VPN heuristic on TLS to a public address: an SNI naming a
//! VPN product, or the ports SSL-VPN appliances listen on (10443, 4433). One alert per
//! (internal end, peer, protocol), counted per flow.

use super::{Ctx, RuleSpec, guideline};
use crate::alert::{Direction, Finding, Severity};
use crate::policy::names::normalize;
use mizuban_protocols::{AppProtocol, Category, Event, EventKind};

pub const INTERNET_VPN: RuleSpec = RuleSpec {
    id: "internet_vpn",
    severity: Severity::High,
    guideline: guideline::NO_INTERNET_VPN,
    summary: "a VPN or SSL-VPN session to or from the internet",
    breach: true,
};

pub const VPN: RuleSpec = RuleSpec {
    id: "vpn",
    severity: Severity::Low,
    guideline: guideline::VPN_INSIDE,
    summary: "a VPN inside the network (must run over a closed carrier IP-VPN)",
    breach: false,
};

/// Ports SSL-VPN gateways listen on besides 443 (FortiGate 10443, several 4433).
pub const SSL_VPN_PORTS: &[u16] = &[10443, 4433];

/// Substrings of an SNI label that name a VPN gateway or product.
pub const SSL_VPN_SNI_PATTERNS: &[&str] = &[
    "vpn",
    "globalprotect",
    "anyconnect",
    "fortigate",
    "forticlient",
    "pulsesecure",
    "netscaler-gateway",
    "remote-access",
];

fn is_vpn_protocol(p: AppProtocol) -> bool {
    p.category() == Category::Vpn
}

fn ip_protocol(proto: u8) -> Option<AppProtocol> {
    match proto {
        47 => Some(AppProtocol::Gre),
        50 => Some(AppProtocol::Esp),
        51 => Some(AppProtocol::Ah),
        _ => None,
    }
}

/// Whether an SNI looks like a VPN gateway's name.
pub fn is_vpn_sni(sni: &str) -> bool {
    sni.split('.')
        .any(|label| SSL_VPN_SNI_PATTERNS.iter().any(|p| label.contains(p)))
}

pub fn check(ev: &Event, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let dir = ctx.direction(&ev.flow);
    let mut ev_fields: Vec<(&'static str, String)> = Vec::new();
    let protocol: &'static str = match &ev.kind {
        EventKind::Vpn(v) => {
            ev_fields.push(("message", v.message.to_owned()));
            if let Some(ver) = v.version {
                ev_fields.push(("version", ver.to_string()));
            }
            ev_fields.push(("detected_by", "parser".to_owned()));
            v.protocol.as_str()
        }
        EventKind::FlowStart(_) => match ip_protocol(ev.flow.proto) {
            Some(p) => {
                ev_fields.push(("detected_by", "ip_protocol".to_owned()));
                p.as_str()
            }
            None => return,
        },
        // ESP, AH and GRE flows already count at their start (by IP protocol).
        EventKind::ProtocolDetected(d)
            if is_vpn_protocol(d.protocol) && ip_protocol(ev.flow.proto).is_none() =>
        {
            ev_fields.push(("detected_by", "protocol_detection".to_owned()));
            d.protocol.as_str()
        }
        EventKind::TlsClientHello(h) => {
            if dir != Direction::Outbound {
                return;
            }
            let sni = h.sni.as_deref().map(normalize);
            let by_name = sni.as_deref().is_some_and(is_vpn_sni);
            let by_port = SSL_VPN_PORTS.contains(&ev.flow.server.port());
            if !by_name && !by_port {
                return;
            }
            if let Some(s) = sni {
                ev_fields.push(("sni", s));
            }
            let by = if by_name { "sni_pattern" } else { "port" };
            ev_fields.push(("detected_by", by.to_owned()));
            "ssl_vpn"
        }
        _ => return,
    };
    let (client, server) = (ev.flow.client.ip(), ev.flow.server.ip());
    let internet = matches!(dir, Direction::Outbound | Direction::Inbound);
    let (spec, key) = match dir {
        Direction::Inbound => (&INTERNET_VPN, format!("{server}|{client}|{protocol}")),
        Direction::Outbound => (&INTERNET_VPN, format!("{client}|{server}|{protocol}")),
        // Two external ends: transit on the monitored segment, still an internet VPN.
        Direction::External => (&INTERNET_VPN, format!("{client}|{server}|{protocol}")),
        Direction::Internal => (&VPN, format!("{client}|{server}|{protocol}")),
    };
    let msg = if matches!(dir, Direction::Internal) {
        format!("{protocol} VPN between internal hosts {client} and {server}")
    } else {
        format!("{protocol} VPN between {client} and {server}: peer is on the internet")
    };
    let mut f = spec
        .finding(ev, key, msg)
        .with_direction(dir)
        .evidence("protocol", protocol)
        .evidence(
            "peer_on_internet",
            if internet || dir == Direction::External {
                "true"
            } else {
                "false"
            },
        );
    for (k, v) in ev_fields {
        f = f.evidence(k, v);
    }
    // The count is flows: the flow's start (ESP/AH/GRE) or its identification counts;
    // the parser's messages within it (every IKE exchange, every OpenVPN packet type)
    // only refresh the evidence once the alert exists.
    if matches!(ev.kind, EventKind::Vpn(_)) && ctx.store.get(spec.id, &f.key).is_some() {
        f.evidence_only = true;
        f.message.clear();
        f.evidence.remove("detected_by");
    }
    out.push(f);
}
