//! Closed-network rules on captures (issue 4 point 4): for every rule, a capture built
//! here that must raise it and a near miss that must not, replayed through the whole
//! pipeline (pcap reader, decoding, flows, parsers, detection); then the real captures
//! of tests/corpus/it that cover a rule.
//!
//! Expected values come from how each capture is built (hosts, names, banners, users
//! written into the bytes) or, for real captures, from tshark. Each built capture is
//! checked once with tshark so its bytes are the protocol, not only what our parser takes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::corpus;
use common::rules_builder::{
    Replay, ah_packet, assert_tshark, build, config, esp_packet, http_basic_get, http_get,
    http_response, ike_v2_sa_init, internet, l2tp_sccrq, lan, openvpn_hard_reset_client, pptp_gre,
    pptp_start_control_request, rdp_connection_confirm, rdp_connection_request, replay,
    smb2_negotiate, tshark_count, tshark_fields, wireguard_initiation,
};
use mizuban::config::Config;
use mizuban::synth::{
    CLOUD_IP, CLOUD_NAME, DNS_SERVER, ENG_WS, HMI, Host, PLCS, TcpSession, TraceWriter,
    dns_message, modbus_adu, tls_client_hello,
};
use mizuban_detect::alert::{Alert, Direction, Severity};
use std::io;
use std::net::IpAddr;

const PLC: Host = PLCS[0];
/// The vendor cloud of the sample (TEST-NET-3), behind the gateway.
const CLOUD: Host = internet([203, 0, 113, 45]);
/// An internet host that reaches in, or that the plant reaches out to (TEST-NET-2).
const REMOTE: Host = internet([198, 51, 100, 7]);
/// A second plant server (historian, file share).
const SERVER: Host = lan([192, 168, 10, 60]);
const OFFICE_PC: Host = lan([192, 168, 20, 30]);
const DMZ_SERVER: Host = lan([192, 168, 30, 5]);

/// Three zones: office may reach the DMZ, nothing else crosses.
const ZONES: &str = r#"
[detect.policy]
allowed_zone_pairs = ["office -> dmz"]

[[detect.policy.zones]]
name = "control"
networks = ["192.168.10.0/24"]

[[detect.policy.zones]]
name = "office"
networks = ["192.168.20.0/24"]

[[detect.policy.zones]]
name = "dmz"
networks = ["192.168.30.0/24"]
"#;

fn ip(h: Host) -> Option<IpAddr> {
    Some(IpAddr::V4(h.ip))
}

fn ev<'a>(a: &'a Alert, key: &str) -> &'a str {
    a.evidence
        .get(key)
        .map(String::as_str)
        .unwrap_or_else(|| panic!("{} has no evidence {key}: {:#?}", a.rule, a.evidence))
}

fn defaults() -> Config {
    Config::default()
}

/// The alert of `rule` between `src` and `dst`.
fn between<'a>(r: &'a Replay, rule: &str, src: Host, dst: Host) -> &'a Alert {
    let v: Vec<_> = r
        .rule(rule)
        .into_iter()
        .filter(|a| a.src_ip == ip(src) && a.dst_ip == ip(dst))
        .collect();
    assert_eq!(
        v.len(),
        1,
        "want one {rule} {} -> {}, got {:#?}",
        src.ip,
        dst.ip,
        r.alerts
    );
    v[0]
}

/// A TCP connection carrying one request and its answer, then closed.
fn tcp_exchange(
    w: &mut TraceWriter<Vec<u8>>,
    (client, server, sport, dport): (Host, Host, u16, u16),
    req: &[u8],
    resp: &[u8],
) -> io::Result<()> {
    let mut s = TcpSession::new(client, server, sport, dport, 1_000 + u32::from(sport));
    s.handshake(w)?;
    w.advance_micros(1_000);
    s.exchange(w, req, resp, 2_000)?;
    w.advance_micros(1_000);
    s.ack(w, true)?;
    w.advance_micros(10_000);
    s.close(w)
}

// ---- internet_egress / internet_ingress ----

#[test]
fn internet_egress_names_outcome_and_resolved_name() {
    let cap = build("egress", |w| {
        // The name is resolved first: the egress alert carries it as dst_name.
        w.udp(
            ENG_WS,
            DNS_SERVER,
            53_100,
            53,
            &dns_message(7, CLOUD_NAME, false, &[]),
        )?;
        w.advance_micros(5_000);
        w.udp(
            DNS_SERVER,
            ENG_WS,
            53,
            53_100,
            &dns_message(7, CLOUD_NAME, true, &[CLOUD_IP]),
        )?;
        w.advance_micros(5_000);
        tcp_exchange(w, (ENG_WS, CLOUD, 50_001, 8883), b"hello", b"world")?;
        w.advance_micros(100_000);
        // A SYN nobody answers: blocked somewhere, still a finding.
        TcpSession::new(ENG_WS, REMOTE, 50_002, 443, 9).syn(w)
    });
    assert_tshark(
        &cap.path,
        "tcp.flags.syn == 1 && tcp.flags.ack == 0 && ip.dst == 198.51.100.7",
    );
    let r = replay(&cap.path, &defaults());
    let a = between(&r, "internet_egress", ENG_WS, CLOUD);
    assert_eq!(a.direction, Some(Direction::Outbound));
    assert!(a.closed_network_breach);
    assert_eq!(a.severity, Severity::High);
    assert_eq!(a.dst_port, Some(8883));
    assert_eq!(ev(a, "ports"), "tcp/8883");
    assert_eq!(ev(a, "outcome"), "payload");
    assert_eq!(a.dst_name.as_deref(), Some(CLOUD_NAME));
    let blocked = between(&r, "internet_egress", ENG_WS, REMOTE);
    assert_eq!(ev(blocked, "outcome"), "no_answer");
    r.none("internet_ingress");
}

#[test]
fn internal_traffic_is_not_egress() {
    let cap = build("internal", |w| {
        tcp_exchange(w, (ENG_WS, SERVER, 50_001, 8883), b"hello", b"world")?;
        tcp_exchange(
            w,
            (HMI, PLC, 50_002, 502),
            &modbus_adu(1, 1, &[0x03, 0, 0, 0, 1]),
            &modbus_adu(1, 1, &[0x03, 2, 0, 42]),
        )
    });
    assert_tshark(&cap.path, "mbtcp");
    let r = replay(&cap.path, &defaults());
    r.none("internet_egress");
    r.none("internet_ingress");
}

#[test]
fn internet_ingress_to_a_plc() {
    let poll = |w: &mut TraceWriter<Vec<u8>>, client: Host| {
        tcp_exchange(
            w,
            (client, PLC, 40_000, 502),
            &modbus_adu(1, 1, &[0x03, 0, 0, 0, 1]),
            &modbus_adu(1, 1, &[0x03, 2, 0, 42]),
        )
    };
    let cap = build("ingress", |w| poll(w, REMOTE));
    assert_tshark(&cap.path, "mbtcp && ip.src == 198.51.100.7");
    let r = replay(&cap.path, &defaults());
    let a = between(&r, "internet_ingress", REMOTE, PLC);
    assert_eq!(a.direction, Some(Direction::Inbound));
    assert!(a.closed_network_breach);
    assert_eq!(ev(a, "ports"), "tcp/502");
    assert_eq!(ev(a, "outcome"), "payload");
    r.none("internet_egress");

    let near = build("ingress-near", |w| poll(w, HMI));
    let r = replay(&near.path, &defaults());
    r.none("internet_ingress");
}

// ---- zone_violation ----

#[test]
fn zone_violation_only_for_forbidden_pairs() {
    let cfg = config(ZONES);
    let req = modbus_adu(1, 1, &[0x03, 0, 0, 0, 1]);
    let resp = modbus_adu(1, 1, &[0x03, 2, 0, 42]);
    let bad = build("zones-bad", |w| {
        tcp_exchange(w, (OFFICE_PC, PLC, 41_000, 502), &req, &resp)
    });
    assert_tshark(&bad.path, "mbtcp && ip.src == 192.168.20.30");
    let r = replay(&bad.path, &cfg);
    let a = between(&r, "zone_violation", OFFICE_PC, PLC);
    assert_eq!(a.src_zone.as_deref(), Some("office"));
    assert_eq!(a.dst_zone.as_deref(), Some("control"));
    assert_eq!(ev(a, "ports"), "tcp/502");
    assert!(!a.closed_network_breach);

    // office -> dmz is allowed; same-zone traffic always is.
    let ok = build("zones-ok", |w| {
        tcp_exchange(
            w,
            (OFFICE_PC, DMZ_SERVER, 41_001, 8080),
            &http_get("historian.plant.example", "/", "Mozilla/5.0"),
            &http_response("200 OK"),
        )?;
        tcp_exchange(w, (HMI, PLC, 41_002, 502), &req, &resp)
    });
    assert_tshark(&ok.path, "http.request && ip.dst == 192.168.30.5");
    let r = replay(&ok.path, &cfg);
    r.none("zone_violation");
    // The same capture without the allowed pair: office -> dmz is reported.
    let strict = config(&ZONES.replace(r#"["office -> dmz"]"#, "[]"));
    let r = replay(&ok.path, &strict);
    let a = between(&r, "zone_violation", OFFICE_PC, DMZ_SERVER);
    assert_eq!(ev(a, "ports"), "tcp/8080");
    // Without zones nothing is a zone violation.
    let r = replay(&bad.path, &defaults());
    r.none("zone_violation");
}

// ---- external_dns_query / external_dns_answer ----

#[test]
fn external_dns_query_and_public_answer() {
    let cap = build("dns-ext", |w| {
        w.udp(
            ENG_WS,
            DNS_SERVER,
            53_200,
            53,
            &dns_message(0x1234, CLOUD_NAME, false, &[]),
        )?;
        w.advance_micros(8_000);
        w.udp(
            DNS_SERVER,
            ENG_WS,
            53,
            53_200,
            &dns_message(0x1234, CLOUD_NAME, true, &[CLOUD_IP]),
        )
    });
    let filter = format!("dns.qry.name == \"{CLOUD_NAME}\" && dns.a == {CLOUD_IP}");
    assert_tshark(&cap.path, &filter);
    let r = replay(
        &cap.path,
        &config("[detect.policy]\ninternal_domains = [\"plant.example\"]\n"),
    );
    let q = r.one("external_dns_query");
    assert_eq!(q.src_ip, ip(ENG_WS));
    assert_eq!(ev(q, "query"), CLOUD_NAME);
    assert_eq!(ev(q, "qtype"), "1");
    assert_eq!(ev(q, "resolver"), DNS_SERVER.ip.to_string());
    let a = r.one("external_dns_answer");
    assert_eq!(a.src_ip, ip(ENG_WS));
    assert_eq!(ev(a, "query"), CLOUD_NAME);
    assert_eq!(ev(a, "addresses"), CLOUD_IP.to_string());
    assert!(a.closed_network_breach);
}

#[test]
fn internal_domain_lookup_raises_no_dns_alert() {
    let name = "historian.plant.example";
    let cap = build("dns-int", |w| {
        w.udp(
            ENG_WS,
            DNS_SERVER,
            53_201,
            53,
            &dns_message(0x4321, name, false, &[]),
        )?;
        w.advance_micros(8_000);
        w.udp(
            DNS_SERVER,
            ENG_WS,
            53,
            53_201,
            &dns_message(0x4321, name, true, &[SERVER.ip]),
        )
    });
    assert_tshark(&cap.path, "dns.a == 192.168.10.60");
    let cfg = config("[detect.policy]\ninternal_domains = [\"plant.example\"]\n");
    let r = replay(&cap.path, &cfg);
    r.none("external_dns_query");
    r.none("external_dns_answer");
    // The same lookup without the internal domain declared is an internet name; its
    // answer is still an internal address, so only the query is reported.
    let r = replay(&cap.path, &defaults());
    assert_eq!(ev(r.one("external_dns_query"), "query"), name);
    r.none("external_dns_answer");
}

// ---- external_service_name ----

#[test]
fn external_service_names_from_sni_and_http() {
    let av = internet([198, 51, 100, 80]);
    let cap = build("svc", |w| {
        tcp_exchange(
            w,
            (ENG_WS, CLOUD, 50_010, 443),
            &tls_client_hello(CLOUD_NAME),
            &[0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00],
        )?;
        tcp_exchange(
            w,
            (HMI, av, 50_011, 80),
            &http_get("av-updates.example.net", "/sig/daily.cvd", "AVAgent/3.1"),
            &http_response("200 OK"),
        )
    });
    assert_tshark(
        &cap.path,
        &format!("tls.handshake.extensions_server_name == \"{CLOUD_NAME}\""),
    );
    assert_tshark(&cap.path, "http.user_agent == \"AVAgent/3.1\"");
    let r = replay(&cap.path, &defaults());
    assert_eq!(r.rule("external_service_name").len(), 2, "{:#?}", r.alerts);
    let tls = between(&r, "external_service_name", ENG_WS, CLOUD);
    assert_eq!(ev(tls, "sni"), CLOUD_NAME);
    assert!(tls.closed_network_breach);
    let http = between(&r, "external_service_name", HMI, av);
    assert_eq!(ev(http, "http_host"), "av-updates.example.net");
    assert_eq!(ev(http, "user_agent"), "AVAgent/3.1");
    assert_eq!(ev(http, "uri"), "/sig/daily.cvd");
    // A named service on the internet is no VPN.
    r.none("internet_vpn");
}

#[test]
fn internal_service_names_are_not_reported() {
    let cap = build("svc-int", |w| {
        tcp_exchange(
            w,
            (ENG_WS, SERVER, 50_012, 443),
            &tls_client_hello("historian.plant.example"),
            &[0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00],
        )?;
        tcp_exchange(
            w,
            (HMI, SERVER, 50_013, 80),
            &http_get("historian.plant.example", "/trend", "Mozilla/5.0"),
            &http_response("200 OK"),
        )
    });
    assert_tshark(&cap.path, "tls.handshake.extensions_server_name");
    let r = replay(&cap.path, &defaults());
    r.none("external_service_name");
}

// ---- internet_vpn / vpn ----

#[test]
fn internet_vpns_by_protocol() {
    let ike_peer = internet([198, 51, 100, 20]);
    let wg_peer = internet([198, 51, 100, 21]);
    let ssl_peer = internet([198, 51, 100, 22]);
    let cap = build("vpn-inet", |w| {
        w.udp(GATEWAY_LAN, ike_peer, 500, 500, &ike_v2_sa_init())?;
        w.advance_micros(10_000);
        for seq in 1..=3 {
            w.ip(GATEWAY_LAN, ike_peer, 50, &esp_packet(seq))?;
            w.advance_micros(1_000);
        }
        // WireGuard away from its default port: found by the handshake probe.
        w.udp(ENG_WS, wg_peer, 40_001, 41_414, &wireguard_initiation())?;
        w.advance_micros(10_000);
        tcp_exchange(
            w,
            (ENG_WS, ssl_peer, 50_020, 443),
            &tls_client_hello("vpn.contractor.example.net"),
            &[0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00],
        )
    });
    assert_tshark(&cap.path, "isakmp.exchangetype == 34");
    assert_tshark(&cap.path, "esp.spi == 0x0000c0de");
    assert_tshark(&cap.path, "udp.port == 41414 && wg.type == 1");
    let r = replay(&cap.path, &defaults());
    let find = |proto: &str, peer: Host| -> &Alert {
        let v: Vec<_> = r
            .rule("internet_vpn")
            .into_iter()
            .filter(|a| {
                a.evidence.get("protocol").map(String::as_str) == Some(proto)
                    && (a.dst_ip == ip(peer) || a.src_ip == ip(peer))
            })
            .collect();
        assert_eq!(v.len(), 1, "internet_vpn {proto}: {:#?}", r.alerts);
        v[0]
    };
    let ike = find("ike", ike_peer);
    assert_eq!(ike.src_ip, ip(GATEWAY_LAN));
    assert_eq!(ev(ike, "peer_on_internet"), "true");
    assert_eq!(ev(ike, "version"), "2");
    assert!(ike.closed_network_breach);
    let esp = find("esp", ike_peer);
    assert_eq!(esp.transport, Some("esp"));
    let wg = find("wireguard", wg_peer);
    assert_eq!(wg.src_ip, ip(ENG_WS));
    assert_eq!(wg.dst_port, Some(41_414));
    let ssl = find("ssl_vpn", ssl_peer);
    assert_eq!(ev(ssl, "sni"), "vpn.contractor.example.net");
    assert_eq!(ev(ssl, "detected_by"), "sni_pattern");
    r.none("vpn");
}

/// The plant router's inside address, which terminates IPsec tunnels.
const GATEWAY_LAN: Host = lan([192, 168, 10, 1]);

#[test]
fn ike_between_internal_hosts_is_vpn_not_internet_vpn() {
    let site_b = lan([10, 20, 0, 1]);
    let cap = build("vpn-int", |w| {
        w.udp(GATEWAY_LAN, site_b, 500, 500, &ike_v2_sa_init())?;
        w.advance_micros(10_000);
        w.ip(GATEWAY_LAN, site_b, 50, &esp_packet(1))
    });
    assert_tshark(&cap.path, "isakmp && ip.dst == 10.20.0.1");
    let r = replay(&cap.path, &defaults());
    r.none("internet_vpn");
    let ike: Vec<_> = r
        .rule("vpn")
        .into_iter()
        .filter(|a| a.evidence.get("protocol").map(String::as_str) == Some("ike"))
        .collect();
    assert_eq!(ike.len(), 1, "{:#?}", r.alerts);
    assert_eq!(ike[0].src_ip, ip(GATEWAY_LAN));
    assert_eq!(ike[0].dst_ip, ip(site_b));
    assert_eq!(ev(ike[0], "peer_on_internet"), "false");
    assert!(!ike[0].closed_network_breach);
    assert_eq!(ike[0].severity, Severity::Low);
}

#[test]
fn openvpn_pptp_l2tp_ah_to_the_internet_and_openvpn_inside() {
    let peers = [
        internet([198, 51, 100, 30]),
        internet([198, 51, 100, 31]),
        internet([198, 51, 100, 32]),
        internet([198, 51, 100, 33]),
    ];
    let cap = build("vpn-more", |w| {
        w.udp(ENG_WS, peers[0], 40_100, 1194, &openvpn_hard_reset_client())?;
        w.advance_micros(5_000);
        let mut s = TcpSession::new(ENG_WS, peers[1], 40_101, 1723, 3);
        s.handshake(w)?;
        s.send(w, true, &pptp_start_control_request())?;
        w.advance_micros(2_000);
        s.ack(w, false)?;
        w.ip(ENG_WS, peers[1], 47, &pptp_gre(0))?;
        w.advance_micros(5_000);
        w.udp(ENG_WS, peers[2], 1701, 1701, &l2tp_sccrq())?;
        w.advance_micros(5_000);
        w.ip(GATEWAY_LAN, peers[3], 51, &ah_packet(1))?;
        w.advance_micros(5_000);
        // The same OpenVPN between two plant hosts: a VPN, not an internet VPN.
        w.udp(HMI, SERVER, 40_102, 1194, &openvpn_hard_reset_client())
    });
    assert_tshark(&cap.path, "openvpn.opcode == 7");
    assert_tshark(&cap.path, "pptp.control_message_type == 1");
    assert_tshark(&cap.path, "gre.proto == 0x880b");
    assert_tshark(&cap.path, "l2tp.avp.message_type == 1");
    assert_tshark(&cap.path, "ah.spi == 0x0000a11a");
    let r = replay(&cap.path, &defaults());
    for (peer, protos) in [
        (peers[0], &["openvpn"][..]),
        (peers[1], &["pptp", "gre"][..]),
        (peers[2], &["l2tp"][..]),
        (peers[3], &["ah"][..]),
    ] {
        for proto in protos {
            let found = r.rule("internet_vpn").into_iter().any(|a| {
                a.dst_ip == ip(peer)
                    && a.evidence.get("protocol").map(String::as_str) == Some(*proto)
                    && a.evidence.get("peer_on_internet").map(String::as_str) == Some("true")
            });
            assert!(
                found,
                "no internet_vpn {proto} to {}: {:#?}",
                peer.ip, r.alerts
            );
        }
    }
    let inside = r.one("vpn");
    assert_eq!(inside.src_ip, ip(HMI));
    assert_eq!(inside.dst_ip, ip(SERVER));
    assert_eq!(ev(inside, "protocol"), "openvpn");
    assert!(
        r.rule("internet_vpn")
            .iter()
            .all(|a| a.src_ip != ip(HMI) && a.dst_ip != ip(SERVER))
    );
}

// ---- remote_access ----

#[test]
fn remote_access_rdp_user_and_ssh_banners() {
    const SSH_CLIENT: &str = "SSH-2.0-PuTTY_Release_0.81";
    const SSH_SERVER: &str = "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13";
    let cap = build("remote", |w| {
        tcp_exchange(
            w,
            (ENG_WS, HMI, 50_030, 3389),
            &rdp_connection_request("operator"),
            &rdp_connection_confirm(),
        )?;
        let mut s = TcpSession::new(ENG_WS, SERVER, 50_031, 22, 77);
        s.handshake(w)?;
        w.advance_micros(2_000);
        s.send(w, false, format!("{SSH_SERVER}\r\n").as_bytes())?;
        w.advance_micros(2_000);
        s.send(w, true, format!("{SSH_CLIENT}\r\n").as_bytes())?;
        w.advance_micros(2_000);
        s.ack(w, false)?;
        s.close(w)?;
        // The same RDP from the internet.
        tcp_exchange(
            w,
            (REMOTE, HMI, 50_032, 3389),
            &rdp_connection_request("vendor"),
            &rdp_connection_confirm(),
        )
    });
    if let Some(cookies) = tshark_fields(&cap.path, "rdp", "rdp.rt_cookie") {
        assert!(
            cookies.iter().any(|c| c.contains("mstshash=operator")),
            "{cookies:?}"
        );
    }
    if let Some(banners) = tshark_fields(&cap.path, "ssh.protocol", "ssh.protocol") {
        assert_eq!(banners, [SSH_SERVER, SSH_CLIENT]);
    }
    let r = replay(&cap.path, &defaults());
    let rdp = between(&r, "remote_access", ENG_WS, HMI);
    assert_eq!(ev(rdp, "protocol"), "rdp");
    assert_eq!(ev(rdp, "user"), "operator");
    assert_eq!(ev(rdp, "reach"), "internal");
    assert_eq!(rdp.severity, Severity::Low);
    assert!(!rdp.closed_network_breach);
    let ssh = between(&r, "remote_access", ENG_WS, SERVER);
    assert_eq!(ev(ssh, "protocol"), "ssh");
    assert_eq!(ev(ssh, "client_software"), SSH_CLIENT);
    assert_eq!(ev(ssh, "server_software"), SSH_SERVER);
    let inet = between(&r, "remote_access", REMOTE, HMI);
    assert_eq!(ev(inet, "reach"), "internet");
    assert_eq!(ev(inet, "user"), "vendor");
    assert_eq!(inet.severity, Severity::High);
    assert!(inet.closed_network_breach);
}

#[test]
fn smb_is_remote_access_only_across_zones() {
    let negotiate = |w: &mut TraceWriter<Vec<u8>>, client: Host| {
        let mut s = TcpSession::new(client, SERVER, 50_040, 445, 5);
        s.handshake(w)?;
        w.advance_micros(1_000);
        s.send(w, true, &smb2_negotiate())?;
        w.advance_micros(1_000);
        s.ack(w, false)?;
        s.close(w)
    };
    let inside = build("smb-zone", |w| negotiate(w, ENG_WS));
    assert_tshark(&inside.path, "smb2.cmd == 0 && smb2.dialect == 0x0202");
    let cfg = config(ZONES);
    let r = replay(&inside.path, &cfg);
    r.none("remote_access");

    let across = build("smb-cross", |w| negotiate(w, OFFICE_PC));
    let r = replay(&across.path, &cfg);
    let a = between(&r, "remote_access", OFFICE_PC, SERVER);
    assert_eq!(ev(a, "protocol"), "smb");
    assert_eq!(ev(a, "reach"), "cross_zone");
    assert_eq!(a.severity, Severity::Medium);
}

#[test]
fn vnc_is_remote_access() {
    let cap = build("vnc", |w| {
        let mut s = TcpSession::new(ENG_WS, HMI, 50_035, 5900, 11);
        s.handshake(w)?;
        w.advance_micros(1_000);
        s.send(w, false, b"RFB 003.008\n")?;
        w.advance_micros(1_000);
        s.send(w, true, b"RFB 003.008\n")?;
        w.advance_micros(1_000);
        s.ack(w, false)?;
        s.close(w)
    });
    assert_tshark(&cap.path, "vnc.server_proto_ver == \"003.008\"");
    let r = replay(&cap.path, &defaults());
    let a = between(&r, "remote_access", ENG_WS, HMI);
    assert_eq!(ev(a, "protocol"), "vnc");
    assert_eq!(ev(a, "reach"), "internal");
}

#[test]
fn teamviewer_to_the_internet_breaks_the_closed_network() {
    let relay = internet([198, 51, 100, 40]);
    // nDPI's TeamViewer signature (protocols/teamviewer.c): a TCP payload longer than 2
    // bytes starting 0x17 0x24. tshark has no TeamViewer dissector: it confirms the port
    // and the magic.
    let hello = [0x17, 0x24, 0x0a, 0x20, 0x00, 0x00, 0x00, 0x00];
    let cap = build("teamviewer", |w| {
        tcp_exchange(w, (ENG_WS, relay, 50_036, 5938), &hello, &hello)
    });
    assert_tshark(
        &cap.path,
        "tcp.dstport == 5938 && tcp.payload[0:2] == 17:24",
    );
    let r = replay(&cap.path, &defaults());
    let a = between(&r, "remote_access", ENG_WS, relay);
    assert_eq!(ev(a, "protocol"), "teamviewer");
    assert_eq!(ev(a, "reach"), "internet");
    assert_eq!(a.severity, Severity::High);
    assert!(a.closed_network_breach);

    // TLS on TeamViewer's port is TLS: internet egress, not remote access.
    let near = build("teamviewer-tls", |w| {
        tcp_exchange(
            w,
            (ENG_WS, relay, 50_037, 5938),
            &tls_client_hello("updates.example.net"),
            &[0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00],
        )
    });
    let r = replay(&near.path, &defaults());
    r.none("remote_access");
    between(&r, "internet_egress", ENG_WS, relay);
}

// ---- cleartext_auth ----

const FTP_SERVER: Host = lan([192, 168, 10, 70]);
const PASSWORD: &str = "Tr0ub4dor-and-3";

/// An FTP control connection: banner, then for each entry of `logins` a USER/PASS pair
/// answered 230 (true) or 530 (false), `gap_us` apart.
fn ftp_logins(
    w: &mut TraceWriter<Vec<u8>>,
    sport: u16,
    logins: &[bool],
    gap_us: u64,
) -> io::Result<()> {
    let mut s = TcpSession::new(ENG_WS, FTP_SERVER, sport, 21, 31);
    s.handshake(w)?;
    w.advance_micros(1_000);
    s.send(w, false, b"220 plant FTP ready\r\n")?;
    for &ok in logins {
        w.advance_micros(gap_us);
        s.exchange(w, b"USER operator\r\n", b"331 Password required\r\n", 1_000)?;
        w.advance_micros(1_000);
        let answer: &[u8] = if ok {
            b"230 Login successful\r\n"
        } else {
            b"530 Login incorrect\r\n"
        };
        s.exchange(w, format!("PASS {PASSWORD}\r\n").as_bytes(), answer, 1_000)?;
    }
    w.advance_micros(1_000);
    s.exchange(w, b"QUIT\r\n", b"221 Goodbye\r\n", 1_000)?;
    s.close(w)
}

#[test]
fn cleartext_ftp_and_telnet_logins_report_the_user_never_the_password() {
    let cap = build("cleartext", |w| {
        ftp_logins(w, 50_050, &[true], 1_000)?;
        // Telnet: option negotiation, login prompt, user, password prompt, password.
        let mut s = TcpSession::new(ENG_WS, PLC, 50_051, 23, 41);
        s.handshake(w)?;
        w.advance_micros(1_000);
        s.send(w, false, &[0xff, 0xfd, 0x18, 0xff, 0xfd, 0x1f])?;
        w.advance_micros(1_000);
        s.send(w, true, &[0xff, 0xfc, 0x18, 0xff, 0xfc, 0x1f])?;
        w.advance_micros(1_000);
        s.send(w, false, b"\r\nplc-1 login: ")?;
        w.advance_micros(1_000);
        s.send(w, true, b"maint\r\n")?;
        w.advance_micros(1_000);
        s.send(w, false, b"Password: ")?;
        w.advance_micros(1_000);
        s.send(w, true, format!("{PASSWORD}\r\n").as_bytes())?;
        w.advance_micros(1_000);
        s.send(w, false, b"\r\nWelcome to plc-1\r\n# ")?;
        w.advance_micros(1_000);
        s.ack(w, true)?;
        s.close(w)
    });
    assert_tshark(&cap.path, "ftp.request.command == \"USER\"");
    assert_tshark(&cap.path, "telnet");
    let r = replay(&cap.path, &defaults());
    let ftp = between(&r, "cleartext_auth", ENG_WS, FTP_SERVER);
    assert_eq!(ev(ftp, "protocol"), "ftp");
    assert_eq!(ev(ftp, "user"), "operator");
    assert_eq!(ftp.severity, Severity::Medium);
    let telnet = between(&r, "cleartext_auth", ENG_WS, PLC);
    assert_eq!(ev(telnet, "protocol"), "telnet");
    assert_eq!(ev(telnet, "user"), "maint");
    let json = r.json();
    assert!(!json.contains(PASSWORD), "password in alerts: {json}");
    let events = format!("{:?}", r.events);
    assert!(!events.contains(PASSWORD), "password in events");
    // Telnet is also remote access.
    assert_eq!(
        ev(between(&r, "remote_access", ENG_WS, PLC), "protocol"),
        "telnet"
    );
}

#[test]
fn ftp_without_credentials_is_not_cleartext_auth() {
    let cap = build("ftp-nocred", |w| ftp_logins(w, 50_052, &[], 1_000));
    assert_tshark(&cap.path, "ftp.response.code == 220");
    let r = replay(&cap.path, &defaults());
    r.none("cleartext_auth");
    r.none("repeated_login_failure");
}

// ---- repeated_login_failure ----

#[test]
fn five_ftp_failures_in_the_window_raise_four_do_not() {
    let five = build("ftp-5", |w| ftp_logins(w, 50_060, &[false; 5], 2_000_000));
    assert_eq!(
        tshark_count(&five.path, "ftp.response.code == 530").unwrap_or(5),
        5
    );
    let r = replay(&five.path, &defaults());
    let a = r.one("repeated_login_failure");
    assert_eq!(a.src_ip, ip(ENG_WS));
    assert_eq!(a.dst_ip, None);
    assert_eq!(ev(a, "failures"), "5");
    assert_eq!(ev(a, "window_secs"), "300");
    assert_eq!(ev(a, "protocols"), "ftp");
    assert_eq!(ev(a, "servers"), FTP_SERVER.ip.to_string());
    assert_eq!(ev(a, "users"), "operator");
    assert!(!r.json().contains(PASSWORD));

    let four = build("ftp-4", |w| ftp_logins(w, 50_061, &[false; 4], 2_000_000));
    let r = replay(&four.path, &defaults());
    r.none("repeated_login_failure");
    assert!(!r.rule("cleartext_auth").is_empty());

    // Five failures 80 s apart span 320 s of packet time: never five in one window.
    let slow = build("ftp-slow", |w| {
        ftp_logins(w, 50_062, &[false; 5], 80_000_000)
    });
    let r = replay(&slow.path, &defaults());
    r.none("repeated_login_failure");
    // With a 10-minute window the same capture is a burst.
    let cfg = config("[detect.policy]\nfailed_login_window_secs = 600\n");
    let r = replay(&slow.path, &cfg);
    assert_eq!(ev(r.one("repeated_login_failure"), "window_secs"), "600");
}

#[test]
fn http_basic_is_cleartext_and_its_401s_count_as_failures() {
    let web = lan([192, 168, 10, 80]);
    let logins = |w: &mut TraceWriter<Vec<u8>>, n: u16, with_credentials: bool| {
        for i in 0..n {
            let req = if with_credentials {
                http_basic_get("plc-web", "/config", "scada", PASSWORD)
            } else {
                http_get("plc-web", "/config", "Mozilla/5.0")
            };
            tcp_exchange(
                w,
                (ENG_WS, web, 50_070 + i, 80),
                &req,
                &http_response("401 Unauthorized"),
            )?;
            w.advance_micros(3_000_000);
        }
        Ok(())
    };
    let cap = build("http-basic", |w| logins(w, 5, true));
    assert_tshark(&cap.path, "http.authbasic == \"scada:Tr0ub4dor-and-3\"");
    let r = replay(&cap.path, &defaults());
    let a = between(&r, "cleartext_auth", ENG_WS, web);
    assert_eq!(ev(a, "protocol"), "http");
    assert_eq!(ev(a, "user"), "scada");
    let f = r.one("repeated_login_failure");
    assert_eq!(ev(f, "protocols"), "http");
    assert_eq!(ev(f, "users"), "scada");
    assert!(!r.json().contains(PASSWORD));
    assert!(!format!("{:?}", r.events).contains(PASSWORD));

    // A 401 to a request without credentials is the server's challenge, not a failure.
    let near = build("http-challenge", |w| logins(w, 5, false));
    assert_tshark(&near.path, "http.response.code == 401");
    let r = replay(&near.path, &defaults());
    r.none("repeated_login_failure");
    r.none("cleartext_auth");
}

// ---- real captures (tests/corpus/it) ----

fn it_pcap(name: &str) -> Option<std::path::PathBuf> {
    let p = corpus::path(&format!("it/{name}"));
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIP: {} missing", p.display());
        None
    }
}

#[test]
fn real_rdp_without_cookie_is_remote_access() {
    let Some(p) = it_pcap("zeek_rdp-no-cookie-mstshash.pcap") else {
        return;
    };
    // tshark: 10.128.36.245 opens RDP to 10.132.153.76:3389, no routing cookie.
    if let Some(c) = tshark_fields(&p, "rdp", "rdp.rt_cookie") {
        assert!(c.is_empty(), "{c:?}");
    }
    let r = replay(&p, &defaults());
    let a = r.one("remote_access");
    assert_eq!(a.src_ip, Some("10.128.36.245".parse().unwrap()));
    assert_eq!(a.dst_ip, Some("10.132.153.76".parse().unwrap()));
    assert_eq!(a.dst_port, Some(3389));
    assert_eq!(ev(a, "protocol"), "rdp");
    assert!(!a.evidence.contains_key("user"));
    r.none("internet_egress");
}

#[test]
fn real_smb_logon_failures_are_repeated_login_failure() {
    let Some(p) = it_pcap("arkime_wireshark-smb-on-windows10.pcap") else {
        return;
    };
    // tshark: five SMB2 SESSION_SETUP answers STATUS_LOGON_FAILURE from .133 to .132
    // within 20 s, users "user" (four times) and "Tim Tester".
    if let Some(n) = tshark_count(&p, "smb2.nt_status == 0xc000006d") {
        assert_eq!(n, 5);
    }
    let r = replay(&p, &defaults());
    let a = r.one("repeated_login_failure");
    assert_eq!(a.src_ip, Some("192.168.199.132".parse().unwrap()));
    assert_eq!(ev(a, "failures"), "5");
    assert_eq!(ev(a, "protocols"), "smb");
    assert_eq!(ev(a, "servers"), "192.168.199.133");
    assert_eq!(ev(a, "users"), "user,Tim Tester");
    // One zone, inside: SMB is not remote access there.
    r.none("remote_access");
}

#[test]
fn real_dns_answer_from_a_public_resolver() {
    let Some(p) = it_pcap("zeek_dns53.pcap") else {
        return;
    };
    // tshark: one response, 207.158.192.40 -> 10.20.1.31, us.v27.distributed.net A,
    // 8 public addresses; the query itself is not in the capture.
    let addrs = tshark_fields(&p, "dns.flags.response == 1", "dns.a");
    let r = replay(&p, &defaults());
    r.none("external_dns_query");
    let a = r.one("external_dns_answer");
    assert_eq!(a.src_ip, Some("10.20.1.31".parse().unwrap()));
    assert_eq!(a.dst_ip, Some("207.158.192.40".parse().unwrap()));
    assert_eq!(ev(a, "query"), "us.v27.distributed.net");
    assert_eq!(ev(a, "resolver"), "207.158.192.40");
    if let Some(addrs) = addrs {
        let want: Vec<&str> = addrs.iter().flat_map(|l| l.split(',')).collect();
        let got: Vec<&str> = ev(a, "addresses").split(',').collect();
        assert!(!got.is_empty());
        assert!(got.iter().all(|g| want.contains(g)), "{got:?} vs {want:?}");
    }
    // A public resolver answering is internet contact. Both ports are 53 and only the
    // answer is captured, so the flow's client is its first sender (the resolver, by the
    // documented UDP rule of protocols/src/flow/orient.rs): either boundary rule may
    // carry it, but one must, between these two addresses.
    assert!(a.closed_network_breach);
    let resolver: Option<IpAddr> = Some("207.158.192.40".parse().unwrap());
    let boundary: Vec<_> = r
        .alerts
        .iter()
        .filter(|x| matches!(x.rule, "internet_egress" | "internet_ingress"))
        .filter(|x| x.src_ip == resolver || x.dst_ip == resolver)
        .collect();
    assert_eq!(boundary.len(), 1, "{:#?}", r.alerts);
    assert!(boundary[0].closed_network_breach);
}

#[test]
fn real_ssh_banners_are_remote_access() {
    let Some(p) = it_pcap("arkime_ssh2.pcap") else {
        return;
    };
    // 10.0.0.0/8 is internal by default (RFC 1918).
    let banners = tshark_fields(&p, "ssh.protocol", "ssh.protocol");
    let r = replay(&p, &defaults());
    let a = r.one("remote_access");
    assert_eq!(a.src_ip, Some("10.0.0.1".parse().unwrap()));
    assert_eq!(a.dst_ip, Some("10.0.0.2".parse().unwrap()));
    assert_eq!(ev(a, "protocol"), "ssh");
    assert_eq!(ev(a, "reach"), "internal");
    if let Some(b) = banners {
        // tshark lists the server's banner first (10.0.0.2), then the client's.
        assert_eq!(b, ["SSH-1.99-OpenSSH_3.9p1", "SSH-2.0-OpenSSH_5.3"]);
    }
    assert_eq!(ev(a, "server_software"), "SSH-1.99-OpenSSH_3.9p1");
    assert_eq!(ev(a, "client_software"), "SSH-2.0-OpenSSH_5.3");
}

#[test]
fn real_telnet_over_mpls_is_remote_access_without_login() {
    let Some(p) = it_pcap("zeek_mixed-vlan-mpls.pcap") else {
        return;
    };
    // tshark: 10.1.2.1 -> 10.34.0.1:23, client side only (option negotiation and one
    // CRLF): no login prompt, so no credentials. The HTTP between 141.42.64.125 and
    // 125.190.109.199 is transit between two internet hosts, not the plant's egress.
    if let Some(n) = tshark_count(&p, "telnet && ip.dst == 10.34.0.1") {
        assert!(n > 0);
    }
    let r = replay(&p, &defaults());
    let a = r.one("remote_access");
    assert_eq!(a.src_ip, Some("10.1.2.1".parse().unwrap()));
    assert_eq!(a.dst_ip, Some("10.34.0.1".parse().unwrap()));
    assert_eq!(ev(a, "protocol"), "telnet");
    r.none("cleartext_auth");
    r.none("internet_egress");
    r.none("internet_ingress");
}
