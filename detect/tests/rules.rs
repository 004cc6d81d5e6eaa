//! Every closed-network rule: events that must raise it and events that must not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;
use mizuban_detect::alert::Direction;
use mizuban_detect::{AlertStatus, Severity};
use mizuban_protocols::auth::{AuthEvent, AuthOutcome};
use mizuban_protocols::dns::{DnsAnswer, DnsMessage};
use mizuban_protocols::event::TcpState;
use mizuban_protocols::http::HttpRequest;
use mizuban_protocols::remote::RemoteAccess;
use mizuban_protocols::tls::ClientHello;
use mizuban_protocols::vpn::VpnEvent;
use mizuban_protocols::{AppProtocol, EventKind};

fn dns_query(at: i64, client: &str, resolver: &str, name: &str) -> mizuban_protocols::Event {
    ev(
        at,
        udp(client, resolver),
        EventKind::Dns(DnsMessage {
            trans_id: 1,
            response: false,
            opcode: 0,
            rcode: 0,
            query: Some(name.into()),
            qtype: 1,
            answers: vec![],
        }),
    )
}

fn dns_answer(
    at: i64,
    client: &str,
    resolver: &str,
    name: &str,
    addrs: &[&str],
) -> mizuban_protocols::Event {
    ev(
        at,
        udp(client, resolver),
        EventKind::Dns(DnsMessage {
            trans_id: 1,
            response: true,
            opcode: 0,
            rcode: 0,
            query: Some(name.into()),
            qtype: 1,
            answers: addrs
                .iter()
                .map(|a| DnsAnswer {
                    name: name.into(),
                    rtype: 1,
                    addr: Some(a.parse().unwrap()),
                    target: None,
                    ttl: 300,
                })
                .collect(),
        }),
    )
}

fn hello(at: i64, f: mizuban_protocols::FlowTuple, sni: Option<&str>) -> mizuban_protocols::Event {
    ev(
        at,
        f,
        EventKind::TlsClientHello(ClientHello {
            sni: sni.map(str::to_owned),
            version: 0x0303,
            alpn: vec!["h2".into()],
            secures: None,
        }),
    )
}

fn http(
    at: i64,
    f: mizuban_protocols::FlowTuple,
    method: &str,
    uri: &str,
    host: Option<&str>,
) -> mizuban_protocols::Event {
    ev(
        at,
        f,
        EventKind::HttpRequest(HttpRequest {
            method: method.into(),
            uri: uri.into(),
            host: host.map(str::to_owned),
            user_agent: Some("Microsoft-Delivery-Optimization/10.0".into()),
            basic_auth_user: None,
        }),
    )
}

fn auth(
    at: i64,
    f: mizuban_protocols::FlowTuple,
    p: AppProtocol,
    outcome: AuthOutcome,
    cleartext: bool,
    user: Option<&str>,
) -> mizuban_protocols::Event {
    ev(
        at,
        f,
        EventKind::Auth(AuthEvent {
            protocol: p,
            outcome,
            cleartext,
            user: user.map(str::to_owned),
            status: None,
        }),
    )
}

// ---- internet_egress / internet_ingress ---------------------------------------------

#[test]
fn egress_raised_at_start_and_updated_at_end() {
    let mut d = detector("");
    let f = tcp("192.168.1.10:50000", "8.8.8.8:443");
    let lines = run(
        &mut d,
        &[start(1, f), end(2, f, TcpState::SynSent, (3, 0), (0, 0))],
    );
    let new = new_lines(&lines, "internet_egress");
    assert_eq!(new.len(), 1);
    let a = &new[0].alert;
    assert_eq!(a.severity, Severity::High);
    assert!(a.closed_network_breach);
    assert_eq!(a.direction, Some(Direction::Outbound));
    assert_eq!(a.src_ip, Some("192.168.1.10".parse().unwrap()));
    assert_eq!(a.dst_ip, Some("8.8.8.8".parse().unwrap()));
    assert_eq!(a.dst_port, Some(443));
    assert_eq!(a.dst_mac, Some(GATEWAY_MAC));
    assert_eq!(a.evidence.get("ports").map(String::as_str), Some("tcp/443"));
    // The flow's end: an attempt that never got an answer (blocked somewhere).
    let upd: Vec<_> = lines
        .iter()
        .filter(|l| l.status == AlertStatus::Update)
        .collect();
    assert_eq!(upd.len(), 1);
    assert_eq!(upd[0].alert.count, 1);
    assert_eq!(
        upd[0].alert.evidence.get("outcome").map(String::as_str),
        Some("no_answer")
    );
    assert!(
        upd[0].alert.message.contains("no answer"),
        "{}",
        upd[0].alert.message
    );
}

#[test]
fn egress_outcome_keeps_the_strongest_and_sums_bytes() {
    let mut d = detector("");
    let f1 = tcp("10.0.0.5:40001", "198.51.100.7:80");
    let f2 = tcp("10.0.0.5:40002", "198.51.100.7:8080");
    let lines = run(
        &mut d,
        &[
            start(1, f1),
            end(2, f1, TcpState::Closed, (5, 100), (4, 1000)),
            start(3, f2),
            end(4, f2, TcpState::Reset, (1, 0), (1, 0)),
        ],
    );
    assert_eq!(new_lines(&lines, "internet_egress").len(), 1);
    let a = d.alerts().find(|a| a.rule == "internet_egress").unwrap();
    assert_eq!(a.count, 2);
    assert_eq!(a.evidence["outcome"], "payload");
    assert_eq!(a.evidence["ports"], "tcp/80,tcp/8080");
    // bytes = packets * 60 + payload (see common::end): out 5*60+100 + 1*60, in 4*60+1000 + 60.
    assert_eq!(a.evidence["bytes_out"], "460");
    assert_eq!(a.evidence["bytes_in"], "1300");
    assert_eq!(a.first_seen, ts(1));
    assert_eq!(a.last_seen, ts(4));
}

#[test]
fn refused_and_answered_without_data() {
    let mut d = detector("");
    let f = tcp("10.0.0.5:40001", "198.51.100.7:25");
    run(
        &mut d,
        &[start(1, f), end(2, f, TcpState::Reset, (1, 0), (1, 0))],
    );
    assert_eq!(d.alerts().next().unwrap().evidence["outcome"], "refused");
    let mut d = detector("");
    let f = udp("10.0.0.5:40001", "198.51.100.7:123");
    run(
        &mut d,
        &[start(1, f), end(2, f, TcpState::None, (1, 0), (1, 0))],
    );
    assert_eq!(
        d.alerts().next().unwrap().evidence["outcome"],
        "answered_no_payload"
    );
}

#[test]
fn egress_any_ip_protocol() {
    let mut d = detector("");
    let icmp = flow("172.16.3.4:0", "1.1.1.1:0", 1);
    let lines = run(&mut d, &[start(1, icmp)]);
    let a = &new_lines(&lines, "internet_egress")[0].alert;
    assert_eq!(a.transport, Some("icmp"));
    assert_eq!(a.evidence["ports"], "icmp");
}

#[test]
fn no_egress_inside_or_to_group_addresses() {
    let mut d = detector("");
    let lines = run(
        &mut d,
        &[
            start(1, tcp("10.0.0.5:40001", "10.0.0.6:502")),
            start(2, udp("10.0.0.5:5353", "224.0.0.251:5353")),
            start(3, udp("0.0.0.0:68", "255.255.255.255:67")),
            start(4, udp("[fe80::1]:546", "[ff02::1:2]:547")),
            start(5, tcp("100.64.1.1:40001", "100.64.2.2:502")),
            start(6, tcp("[fd00::5]:40001", "[fd00::6]:502")),
        ],
    );
    assert!(lines.is_empty(), "{lines:?}");
}

#[test]
fn ingress_from_the_internet() {
    let mut d = detector("");
    let f = tcp("203.0.113.9:51000", "192.168.10.20:3389");
    let lines = run(
        &mut d,
        &[
            start(1, f),
            end(2, f, TcpState::Established, (10, 500), (10, 900)),
        ],
    );
    assert_eq!(rules_raised(&lines), vec!["internet_ingress"]);
    let a = d.alerts().next().unwrap();
    assert_eq!(a.direction, Some(Direction::Inbound));
    assert_eq!(a.evidence["outcome"], "payload");
    // Bytes out = towards the internet = the internal server's answers.
    assert_eq!(a.evidence["bytes_out"], "1500");
    assert!(
        a.message.starts_with("internet address 203.0.113.9"),
        "{}",
        a.message
    );
}

// ---- zone_violation -------------------------------------------------------------------

const ZONES: &str = r#"
[policy]
internal_networks = ["10.0.0.0/8"]
allowed_zone_pairs = ["office -> dmz", "control <-> scada"]
[[policy.zones]]
name = "control"
networks = ["10.1.0.0/16"]
[[policy.zones]]
name = "scada"
vlans = [20]
[[policy.zones]]
name = "office"
networks = ["10.2.0.0/16"]
[[policy.zones]]
name = "dmz"
networks = ["10.3.0.0/24"]
"#;

#[test]
fn zone_pairs() {
    let mut d = detector(ZONES);
    let lines = run(
        &mut d,
        &[
            start(1, tcp("10.2.0.5:40000", "10.3.0.10:443")), // office -> dmz: allowed
            start(2, tcp("10.3.0.10:40000", "10.2.0.5:445")), // dmz -> office: one way only
            start(3, tcp("10.1.0.5:40000", "10.1.0.6:502")),  // same zone
            start(4, tcp("10.2.0.5:40000", "10.1.0.6:502")),  // office -> control
            start(5, tcp("10.2.0.5:40001", "10.1.0.6:102")),  // same pair, other service
            start(6, tcp("10.9.0.1:40000", "10.1.0.6:502")),  // client in no zone
        ],
    );
    let zv = new_lines(&lines, "zone_violation");
    assert_eq!(zv.len(), 2, "{zv:?}");
    assert_eq!(zv[0].alert.src_zone.as_deref(), Some("dmz"));
    assert_eq!(zv[0].alert.dst_zone.as_deref(), Some("office"));
    let a = d
        .alerts()
        .find(|a| a.src_zone.as_deref() == Some("office"))
        .unwrap();
    assert_eq!(a.count, 2);
    assert_eq!(a.evidence["ports"], "tcp/502,tcp/102");
    assert!(!a.closed_network_breach);
}

#[test]
fn vlan_zones_and_both_way_pairs() {
    let mut d = detector(ZONES);
    let mut f = tcp("10.5.0.5:40000", "10.1.0.6:502");
    f.vlan.outer = Some(20); // scada by VLAN -> control: allowed both ways
    let mut g = tcp("10.1.0.6:40000", "10.5.0.5:502");
    g.vlan.outer = Some(20);
    let mut h = tcp("10.5.0.5:40000", "10.2.0.9:80");
    h.vlan.outer = Some(20); // scada -> office: not allowed
    let lines = run(&mut d, &[start(1, f), start(2, g), start(3, h)]);
    let zv = new_lines(&lines, "zone_violation");
    assert_eq!(zv.len(), 1);
    assert_eq!(zv[0].alert.src_zone.as_deref(), Some("scada"));
    assert_eq!(zv[0].alert.vlan, Some(20));
}

// ---- DNS ------------------------------------------------------------------------------

#[test]
fn external_dns_query() {
    let mut d = detector("[policy]\ninternal_domains = [\"plant.example\"]\n");
    let lines = run(
        &mut d,
        &[
            dns_query(1, "10.0.0.5:5000", "10.0.0.53:53", "update.Vendor.com."),
            dns_query(
                2,
                "10.0.0.5:5000",
                "10.0.0.53:53",
                "historian.plant.example",
            ),
            dns_query(3, "10.0.0.5:5000", "10.0.0.53:53", "wpad"),
            dns_query(4, "10.0.0.5:5000", "10.0.0.53:53", "20.0.0.10.in-addr.arpa"),
            dns_query(5, "10.0.0.5:5000", "224.0.0.251:5353", "hmi.local"),
            dns_query(6, "10.0.0.5:5001", "10.0.0.53:53", "update.vendor.com"),
        ],
    );
    assert_eq!(rules_raised(&lines), vec!["external_dns_query"]);
    let a = d.alerts().next().unwrap();
    assert_eq!(a.evidence["query"], "update.vendor.com");
    assert_eq!(a.evidence["resolver"], "10.0.0.53");
    assert_eq!(a.count, 2);
    assert!(!a.closed_network_breach);
}

#[test]
fn external_dns_answer_names_later_egress() {
    let mut d = detector("");
    let lines = run(
        &mut d,
        &[
            dns_answer(
                1,
                "10.0.0.5:5000",
                "10.0.0.53:53",
                "plc.local",
                &["10.0.0.7"],
            ),
            dns_answer(
                2,
                "10.0.0.5:5000",
                "10.0.0.53:53",
                "av.example.net",
                &["203.0.113.80", "10.9.9.9"],
            ),
            start(3, tcp("10.0.0.5:40000", "203.0.113.80:443")),
            // Another host did not resolve it: no name on its alert.
            start(4, tcp("10.0.0.6:40000", "203.0.113.80:443")),
        ],
    );
    let ans = new_lines(&lines, "external_dns_answer");
    assert_eq!(ans.len(), 1);
    assert_eq!(ans[0].alert.evidence["addresses"], "203.0.113.80");
    assert!(ans[0].alert.closed_network_breach);
    let eg = new_lines(&lines, "internet_egress");
    assert_eq!(eg.len(), 2);
    assert_eq!(
        eg[0].alert.evidence.get("dns_name").map(String::as_str),
        Some("av.example.net")
    );
    assert_eq!(eg[0].alert.dst_name.as_deref(), Some("av.example.net"));
    assert_eq!(eg[1].alert.evidence.get("dns_name"), None);
}

#[test]
fn dns_answer_with_only_internal_addresses_or_error_is_quiet() {
    let mut d = detector("");
    let mut nx = dns_answer(
        2,
        "10.0.0.5:5000",
        "10.0.0.53:53",
        "x.example.com",
        &["198.51.100.1"],
    );
    if let EventKind::Dns(m) = &mut nx.kind {
        m.rcode = 3;
    }
    let lines = run(
        &mut d,
        &[
            dns_answer(
                1,
                "10.0.0.5:5000",
                "10.0.0.53:53",
                "split.example.com",
                &["10.1.1.1"],
            ),
            nx,
        ],
    );
    assert!(new_lines(&lines, "external_dns_answer").is_empty());
}

// ---- external_service_name ------------------------------------------------------------

#[test]
fn sni_and_http_on_egress() {
    let mut d = detector("");
    let out = tcp("10.0.0.5:40000", "203.0.113.80:443");
    let web = tcp("10.0.0.5:40001", "203.0.113.81:80");
    let inside = tcp("10.0.0.5:40002", "10.0.0.80:443");
    let lines = run(
        &mut d,
        &[
            hello(1, out, Some("Sigs.AV-Vendor.example")),
            http(
                2,
                web,
                "GET",
                "/v10/update.cab",
                Some("download.vendor.example:80"),
            ),
            hello(3, inside, Some("historian.corp.example")),
            http(
                4,
                tcp("10.0.0.5:40003", "10.0.0.80:80"),
                "GET",
                "/",
                Some("hmi"),
            ),
        ],
    );
    let s = new_lines(&lines, "external_service_name");
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].alert.evidence["sni"], "sigs.av-vendor.example");
    assert_eq!(s[0].alert.evidence["alpn"], "h2");
    assert_eq!(s[1].alert.evidence["http_host"], "download.vendor.example");
    assert_eq!(
        s[1].alert.evidence["user_agent"],
        "Microsoft-Delivery-Optimization/10.0"
    );
    assert_eq!(s[1].alert.evidence["uri"], "/v10/update.cab");
}

#[test]
fn http_through_an_internal_proxy() {
    let mut d = detector("");
    let proxy = tcp("10.0.0.5:40000", "10.0.0.3:3128");
    let lines = run(
        &mut d,
        &[
            http(
                1,
                proxy,
                "CONNECT",
                "update.vendor.example:443",
                Some("update.vendor.example:443"),
            ),
            http(2, proxy, "GET", "http://10.0.0.9/status", Some("10.0.0.9")),
        ],
    );
    let s = new_lines(&lines, "external_service_name");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].alert.evidence["http_host"], "update.vendor.example");
    assert_eq!(s[0].alert.evidence["proxy"], "10.0.0.3");
}

// ---- VPN ------------------------------------------------------------------------------

fn vpn(
    at: i64,
    f: mizuban_protocols::FlowTuple,
    p: AppProtocol,
    msg: &'static str,
) -> mizuban_protocols::Event {
    ev(
        at,
        f,
        EventKind::Vpn(VpnEvent {
            protocol: p,
            version: Some(2),
            message: msg,
        }),
    )
}

#[test]
fn ike_to_the_internet_and_inside() {
    let mut d = detector("");
    let lines = run(
        &mut d,
        &[
            vpn(
                1,
                udp("10.0.0.1:500", "198.51.100.20:500"),
                AppProtocol::IkeIpsec,
                "ike_sa_init",
            ),
            vpn(
                2,
                udp("10.0.0.1:500", "10.200.0.1:500"),
                AppProtocol::IkeIpsec,
                "ike_sa_init",
            ),
        ],
    );
    let i = new_lines(&lines, "internet_vpn");
    assert_eq!(i.len(), 1);
    assert_eq!(i[0].alert.evidence["peer_on_internet"], "true");
    assert_eq!(i[0].alert.evidence["protocol"], "ike");
    assert_eq!(i[0].alert.evidence["version"], "2");
    assert!(i[0].alert.closed_network_breach);
    let v = new_lines(&lines, "vpn");
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].alert.evidence["peer_on_internet"], "false");
    assert!(!v[0].alert.closed_network_breach);
}

#[test]
fn esp_by_ip_protocol_and_wireguard_on_any_port() {
    let mut d = detector("");
    let lines = run(
        &mut d,
        &[
            start(1, flow("10.0.0.1:0", "198.51.100.20:0", 50)),
            vpn(
                2,
                udp("10.0.0.1:40000", "198.51.100.21:9999"),
                AppProtocol::WireGuard,
                "handshake_initiation",
            ),
        ],
    );
    let i = new_lines(&lines, "internet_vpn");
    assert_eq!(i.len(), 2);
    assert_eq!(i[0].alert.evidence["protocol"], "esp");
    assert_eq!(i[0].alert.evidence["detected_by"], "ip_protocol");
    assert_eq!(i[1].alert.evidence["protocol"], "wireguard");
}

#[test]
fn ssl_vpn_heuristics() {
    let mut d = detector("");
    let lines = run(
        &mut d,
        &[
            hello(
                1,
                tcp("10.0.0.5:40000", "198.51.100.30:443"),
                Some("sslvpn.example.com"),
            ),
            hello(2, tcp("10.0.0.5:40001", "198.51.100.31:10443"), None),
            hello(
                3,
                tcp("10.0.0.5:40002", "198.51.100.32:443"),
                Some("www.example.com"),
            ),
            hello(
                4,
                tcp("10.0.0.5:40003", "10.0.0.99:10443"),
                Some("vpn.plant.example"),
            ),
        ],
    );
    let i = new_lines(&lines, "internet_vpn");
    assert_eq!(i.len(), 2, "{i:?}");
    assert_eq!(i[0].alert.evidence["detected_by"], "sni_pattern");
    assert_eq!(i[0].alert.evidence["sni"], "sslvpn.example.com");
    assert_eq!(i[1].alert.evidence["detected_by"], "port");
    assert_eq!(i[1].alert.dst_port, Some(10443));
}

// ---- remote_access --------------------------------------------------------------------

fn remote(
    at: i64,
    f: mizuban_protocols::FlowTuple,
    p: AppProtocol,
    user: Option<&str>,
    c: Option<&str>,
    s: Option<&str>,
) -> mizuban_protocols::Event {
    ev(
        at,
        f,
        EventKind::RemoteAccess(RemoteAccess {
            protocol: p,
            client_software: c.map(str::to_owned),
            server_software: s.map(str::to_owned),
            user: user.map(str::to_owned),
        }),
    )
}

#[test]
fn remote_access_by_reach() {
    let mut d = detector(ZONES);
    let lines = run(
        &mut d,
        &[
            remote(
                1,
                tcp("10.1.0.5:50000", "10.1.0.6:3389"),
                AppProtocol::Rdp,
                Some("operator"),
                None,
                None,
            ),
            remote(
                2,
                tcp("10.1.0.5:50001", "203.0.113.5:22"),
                AppProtocol::Ssh,
                None,
                Some("SSH-2.0-OpenSSH_9.6"),
                Some("SSH-2.0-dropbear_2022.83"),
            ),
            remote(
                3,
                tcp("10.2.0.5:50002", "10.1.0.6:5900"),
                AppProtocol::Vnc,
                None,
                Some("RFB 003.008"),
                Some("RFB 003.008"),
            ),
        ],
    );
    let r: Vec<_> = new_lines(&lines, "remote_access");
    assert_eq!(r.len(), 3);
    assert_eq!(
        (r[0].alert.severity, r[0].alert.evidence["reach"].as_str()),
        (Severity::Low, "internal")
    );
    assert_eq!(r[0].alert.evidence["user"], "operator");
    assert!(r[0].alert.message.contains("\"operator\""));
    assert_eq!(
        (r[1].alert.severity, r[1].alert.evidence["reach"].as_str()),
        (Severity::High, "internet")
    );
    assert!(r[1].alert.closed_network_breach);
    assert_eq!(
        r[1].alert.evidence["server_software"],
        "SSH-2.0-dropbear_2022.83"
    );
    assert_eq!(
        (r[2].alert.severity, r[2].alert.evidence["reach"].as_str()),
        (Severity::Medium, "cross_zone")
    );
}

#[test]
fn smb_only_across_zones_or_internet() {
    let mut d = detector(ZONES);
    let lines = run(
        &mut d,
        &[
            detected(1, tcp("10.1.0.5:50000", "10.1.0.6:445"), AppProtocol::Smb),
            detected(2, tcp("10.2.0.5:50000", "10.1.0.6:445"), AppProtocol::Smb),
            detected(
                3,
                tcp("10.1.0.5:50000", "10.1.0.6:502"),
                AppProtocol::Modbus,
            ),
        ],
    );
    let r = new_lines(&lines, "remote_access");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].alert.evidence["protocol"], "smb");
    assert_eq!(r[0].alert.evidence["reach"], "cross_zone");
}

// ---- cleartext_auth -------------------------------------------------------------------

#[test]
fn cleartext_login_reports_user_and_counts_attempts() {
    let mut d = detector("");
    let f = tcp("10.0.0.5:50000", "10.0.0.6:23");
    let lines = run(
        &mut d,
        &[
            auth(
                1,
                f,
                AppProtocol::Telnet,
                AuthOutcome::Attempt,
                true,
                Some("admin"),
            ),
            auth(
                2,
                f,
                AppProtocol::Telnet,
                AuthOutcome::Failure,
                true,
                Some("admin"),
            ),
            auth(
                3,
                tcp("10.0.0.5:50001", "10.0.0.6:445"),
                AppProtocol::Smb,
                AuthOutcome::Attempt,
                false,
                Some("bob"),
            ),
        ],
    );
    let c = new_lines(&lines, "cleartext_auth");
    assert_eq!(c.len(), 1);
    let a = d.alerts().find(|a| a.rule == "cleartext_auth").unwrap();
    assert_eq!(a.count, 1);
    assert_eq!(a.evidence["user"], "admin");
    assert_eq!(a.evidence["outcome"], "failure");
    assert_eq!(a.severity, Severity::Medium);
    let json = serde_json::to_string(&lines).unwrap();
    assert!(!json.to_ascii_lowercase().contains("pass"), "{json}");
}

// ---- repeated_login_failure -----------------------------------------------------------

#[test]
fn failed_logins_threshold_within_window() {
    let ftp = |at, port| {
        auth(
            at,
            tcp(&format!("10.0.0.5:{port}"), "10.0.0.21:21"),
            AppProtocol::Ftp,
            AuthOutcome::Failure,
            true,
            Some("root"),
        )
    };
    // Four failures: below the default threshold of 5.
    let mut d = detector("");
    let lines = run(
        &mut d,
        &(0..4)
            .map(|i| ftp(i * 10, 50000 + i as u16))
            .collect::<Vec<_>>(),
    );
    assert!(new_lines(&lines, "repeated_login_failure").is_empty());
    // Five within 300 s: one alert.
    let mut d = detector("");
    let lines = run(
        &mut d,
        &(0..5)
            .map(|i| ftp(i * 60, 50000 + i as u16))
            .collect::<Vec<_>>(),
    );
    let r = new_lines(&lines, "repeated_login_failure");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].alert.evidence["failures"], "5");
    assert_eq!(r[0].alert.evidence["users"], "root");
    assert_eq!(r[0].alert.evidence["protocols"], "ftp");
    assert_eq!(r[0].alert.first_seen, ts(240));
    // Five spread over 400 s (one every 100 s): never five within 300 s.
    let mut d = detector("");
    let lines = run(
        &mut d,
        &(0..5)
            .map(|i| ftp(i * 100, 50000 + i as u16))
            .collect::<Vec<_>>(),
    );
    assert!(new_lines(&lines, "repeated_login_failure").is_empty());
}

#[test]
fn failed_login_config_and_http_challenges() {
    let mut d = detector("[policy]\nfailed_login_threshold = 2\nfailed_login_window_secs = 10\n");
    let f = tcp("10.0.0.5:50000", "10.0.0.80:80");
    let lines = run(
        &mut d,
        &[
            // 401 challenges to requests without credentials: not failed logins.
            auth(1, f, AppProtocol::Http, AuthOutcome::Failure, false, None),
            auth(2, f, AppProtocol::Http, AuthOutcome::Failure, false, None),
            auth(
                3,
                f,
                AppProtocol::Http,
                AuthOutcome::Failure,
                true,
                Some("u"),
            ),
            auth(
                4,
                f,
                AppProtocol::Http,
                AuthOutcome::Failure,
                true,
                Some("u"),
            ),
            // A second burst raises the same alert's count.
            auth(
                5,
                f,
                AppProtocol::Http,
                AuthOutcome::Failure,
                true,
                Some("u"),
            ),
            auth(
                6,
                f,
                AppProtocol::Http,
                AuthOutcome::Failure,
                true,
                Some("u"),
            ),
        ],
    );
    assert_eq!(new_lines(&lines, "repeated_login_failure").len(), 1);
    let a = d
        .alerts()
        .find(|a| a.rule == "repeated_login_failure")
        .unwrap();
    assert_eq!(a.count, 2);
}

#[test]
fn one_session_counts_once() {
    let mut d = detector("");
    let f = tcp("10.0.0.5:50000", "10.0.0.6:22");
    let ike = udp("10.0.0.1:500", "198.51.100.20:500");
    let lines = run(
        &mut d,
        &[
            detected(1, f, AppProtocol::Ssh),
            remote(
                2,
                f,
                AppProtocol::Ssh,
                None,
                Some("SSH-2.0-PuTTY"),
                Some("SSH-2.0-OpenSSH_8.0"),
            ),
            detected(3, ike, AppProtocol::IkeIpsec),
            vpn(4, ike, AppProtocol::IkeIpsec, "ike_sa_init"),
            vpn(5, ike, AppProtocol::IkeIpsec, "ike_auth"),
        ],
    );
    assert_eq!(new_lines(&lines, "remote_access").len(), 1);
    let r = d.alerts().find(|a| a.rule == "remote_access").unwrap();
    assert_eq!(r.count, 1);
    assert_eq!(r.evidence["client_software"], "SSH-2.0-PuTTY");
    assert_eq!(r.evidence["detected_by"], "probe");
    let v = d.alerts().find(|a| a.rule == "internet_vpn").unwrap();
    assert_eq!(v.count, 1);
    assert_eq!(v.evidence["message"], "ike_auth");
}

#[test]
fn dns_response_only_capture_is_oriented_by_port() {
    // zeek_dns53.pcap holds one response 207.158.192.40:53 -> 10.20.1.31:53; a flow
    // oriented from its first packet has the resolver as client.
    let mut d = detector("");
    let lines = run(
        &mut d,
        &[
            dns_answer(
                1,
                "207.158.192.40:53",
                "10.20.1.31:53",
                "us.v27.distributed.net",
                &["206.109.64.186"],
            ),
            start(2, tcp("10.20.1.31:40000", "206.109.64.186:2064")),
        ],
    );
    let a = &new_lines(&lines, "external_dns_answer")[0].alert;
    assert_eq!(a.src_ip, Some("10.20.1.31".parse().unwrap()));
    assert_eq!(a.dst_ip, Some("207.158.192.40".parse().unwrap()));
    assert_eq!(
        a.direction,
        Some(mizuban_detect::alert::Direction::Outbound)
    );
    let e = &new_lines(&lines, "internet_egress")[0].alert;
    assert_eq!(e.evidence["dns_name"], "us.v27.distributed.net");
}
