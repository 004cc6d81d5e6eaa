//! The alert store (de-duplication, ids, rate limit, cap), the allow-list, per-rule
//! switches, config validation and the verdict.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::*;
use mizuban_capture::DropReason;
use mizuban_detect::store::key_hash;
use mizuban_detect::{AlertStatus, DetectConfig, Severity, Verdict};
use mizuban_protocols::event::TcpState;

#[test]
fn dedup_counts_and_updates() {
    let mut d = detector("");
    let mut out = Vec::new();
    for i in 0..3 {
        d.on_event(
            &start(i, tcp(&format!("10.0.0.5:{}", 40000 + i), "192.0.2.1:443")),
            &mut out,
        );
    }
    // One New line only, at once.
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].status, AlertStatus::New);
    assert_eq!(out[0].alert.count, 1);
    // A periodic flush writes the changed alert once; a second flush nothing.
    d.flush(ts(10), &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].status, AlertStatus::Update);
    assert_eq!(out[1].alert.count, 3);
    assert_eq!(out[1].alert.last_seen, ts(2));
    d.flush(ts(11), &mut out);
    d.finish(ts(12), &mut out);
    assert_eq!(out.len(), 2);
    // id = rule + FNV-1a of "rule\0key": stable across runs and machines.
    let want = format!(
        "internet_egress-{:016x}",
        key_hash("internet_egress", "10.0.0.5|192.0.2.1")
    );
    assert_eq!(out[0].alert.id, want);
    assert_eq!(d.stats().alerts_by_rule.get("internet_egress"), Some(&1));
}

#[test]
fn json_line_is_deterministic() {
    let make = || {
        let mut d = detector("");
        let f = tcp("10.0.0.5:40000", "192.0.2.1:443");
        let lines = run(
            &mut d,
            &[
                start(1, f),
                end(2, f, TcpState::Established, (3, 10), (3, 20)),
            ],
        );
        lines
            .iter()
            .map(|l| serde_json::to_string(l).unwrap())
            .collect::<Vec<_>>()
    };
    let a = make();
    assert_eq!(a, make());
    let v: serde_json::Value = serde_json::from_str(&a[1]).unwrap();
    assert_eq!(v["status"], "update");
    assert_eq!(v["rule"], "internet_egress");
    assert_eq!(v["first_seen"], "2024-06-01T00:00:01.000000Z");
    assert_eq!(v["src_mac"], "00:1d:9c:01:02:03");
    assert_eq!(v["direction"], "outbound");
    assert_eq!(v["evidence"]["outcome"], "payload");
    // Evidence keys in sorted order.
    let keys: Vec<_> = v["evidence"].as_object().unwrap().keys().cloned().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn rate_limit_in_packet_time() {
    let mut d = detector("[alerts]\nrate_limit = 3\nrate_window_secs = 60\n");
    let scan: Vec<_> = (1..=10)
        .map(|i| start(i, tcp("10.0.0.5:40000", &format!("198.51.100.{i}:22"))))
        .collect();
    let lines = run(&mut d, &scan);
    assert_eq!(new_lines(&lines, "internet_egress").len(), 3);
    assert_eq!(d.stats().suppressed, 7);
    assert_eq!(d.drop_counters().get(DropReason::AlertRateLimited), 7);
    // A minute of packet time later the window is fresh.
    let mut out = Vec::new();
    d.on_event(
        &start(70, tcp("10.0.0.5:40000", "198.51.100.99:22")),
        &mut out,
    );
    assert_eq!(out.len(), 1);
    // A repeat of an alert that exists is never rate-limited.
    d.on_event(
        &start(71, tcp("10.0.0.5:40001", "198.51.100.1:22")),
        &mut out,
    );
    assert_eq!(d.stats().suppressed, 7);
}

#[test]
fn store_cap_refuses_and_counts() {
    let mut d = detector("[alerts]\nmax_alerts = 2\n");
    let evs: Vec<_> = (1..=4)
        .map(|i| start(i, tcp("10.0.0.5:40000", &format!("198.51.100.{i}:22"))))
        .collect();
    run(&mut d, &evs);
    assert_eq!(d.alerts().count(), 2);
    assert_eq!(d.stats().store_full, 2);
}

#[test]
fn allow_list_expires_in_packet_time() {
    // T0 is 2024-06-01; the entry is valid through 2024-06-02 (UTC).
    let cfg = r#"
[[policy.allow]]
peer = "203.0.113.10"
expires = "2024-06-02"
reason = "NTP until the GPS clock is installed"
"#;
    let mut d = detector(cfg);
    let f = udp("10.0.0.5:123", "203.0.113.10:123");
    let day = 86_400;
    let mut out = Vec::new();
    d.on_event(&start(100, f), &mut out);
    d.on_event(&start(2 * day - 1, f), &mut out);
    assert!(out.is_empty());
    assert_eq!(d.stats().allow_listed, 2);
    d.on_event(&start(2 * day, f), &mut out);
    assert_eq!(out.len(), 1, "expired entries stop applying");
}

#[test]
fn allow_list_by_name_and_rule() {
    let cfg = r#"
[[policy.allow]]
peer = "*.windowsupdate.example"
rules = ["internet_egress", "external_service_name"]
"#;
    let mut d = detector(cfg);
    let lines = run(
        &mut d,
        &[
            common::ev(
                1,
                udp("10.0.0.5:5000", "10.0.0.53:53"),
                mizuban_protocols::EventKind::Dns(mizuban_protocols::dns::DnsMessage {
                    trans_id: 7,
                    response: true,
                    opcode: 0,
                    rcode: 0,
                    query: Some("dl.windowsupdate.example".into()),
                    qtype: 1,
                    answers: vec![mizuban_protocols::dns::DnsAnswer {
                        name: "dl.windowsupdate.example".into(),
                        rtype: 1,
                        addr: Some("192.0.2.50".parse().unwrap()),
                        target: None,
                        ttl: 60,
                    }],
                }),
            ),
            start(2, tcp("10.0.0.5:40000", "192.0.2.50:443")),
            start(3, tcp("10.0.0.5:40000", "192.0.2.51:443")),
        ],
    );
    // The answer is still reported (the rule is not in the entry's list); the egress to
    // the resolved address is silenced by name; the other address is not.
    assert_eq!(new_lines(&lines, "external_dns_answer").len(), 1);
    let eg = new_lines(&lines, "internet_egress");
    assert_eq!(eg.len(), 1);
    assert_eq!(eg[0].alert.dst_ip, Some("192.0.2.51".parse().unwrap()));
}

#[test]
fn rule_switches_and_severity_override() {
    let cfg = "[rules.internet_egress]\nenabled = false\n[rules.internet_ingress]\nseverity = \"critical\"\n";
    let mut d = detector(cfg);
    let lines = run(
        &mut d,
        &[
            start(1, tcp("10.0.0.5:40000", "192.0.2.1:443")),
            start(2, tcp("192.0.2.1:40000", "10.0.0.5:22")),
        ],
    );
    assert_eq!(rules_raised(&lines), vec!["internet_ingress"]);
    assert_eq!(lines[0].alert.severity, Severity::Critical);
}

#[test]
fn operator_replaces_internal_networks() {
    // A plant that uses public space internally declares it; RFC 1918 is then external.
    let mut d = detector("[policy]\ninternal_networks = [\"130.1.0.0/16\"]\n");
    let lines = run(
        &mut d,
        &[
            start(1, tcp("130.1.2.3:40000", "130.1.9.9:502")),
            start(2, tcp("130.1.2.3:40000", "10.0.0.1:502")),
        ],
    );
    let eg = new_lines(&lines, "internet_egress");
    assert_eq!(eg.len(), 1);
    assert_eq!(eg[0].alert.dst_ip, Some("10.0.0.1".parse().unwrap()));
}

// ---- config ---------------------------------------------------------------------------

#[test]
fn default_config_is_valid() {
    assert!(DetectConfig::default().validate().is_ok());
}

#[test]
fn validation_names_every_key() {
    let cfg = DetectConfig::from_toml(
        r#"
[policy]
internal_networks = ["10.0.0.0/8", "10.0.0.1/33"]
internal_domains = ["bad domain"]
allowed_zone_pairs = ["control -> nowhere", "control"]
failed_login_threshold = 0
[[policy.zones]]
name = "control"
networks = ["10.1.0.0/16"]
vlans = [5000]
[[policy.allow]]
peer = "192.0.2.1"
expires = "next week"
rules = ["internet_egres"]
[rules.no_such_rule]
enabled = true
[rules.vpn]
severity = "urgent"
[alerts]
rate_limit = 0
[verdict]
max_capture_loss = 2.0
"#,
    )
    .unwrap();
    let errs = cfg.validate().unwrap_err();
    let keys: Vec<&str> = errs.0.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "policy.internal_networks[1]",
            "policy.internal_domains[0]",
            "policy.zones[0].vlans[0]",
            "policy.allowed_zone_pairs[0]",
            "policy.allowed_zone_pairs[1]",
            "policy.allow[0].expires",
            "policy.allow[0].rules[0]",
            "policy.failed_login_threshold",
            "rules.no_such_rule",
            "rules.vpn.severity",
            "alerts.rate_limit",
            "verdict.max_capture_loss",
        ]
    );
    assert!(
        errs.to_string().contains("unknown zone \"nowhere\""),
        "{errs}"
    );
}

#[test]
fn unknown_keys_are_rejected_by_name() {
    let e = DetectConfig::from_toml("[policy]\ninternal_network = []\n").unwrap_err();
    assert!(e.contains("internal_network"), "{e}");
    let e = DetectConfig::from_toml("[[policy.zones]]\nname = \"a\"\ncidrs = []\n").unwrap_err();
    assert!(e.contains("cidrs"), "{e}");
}

// ---- verdict --------------------------------------------------------------------------

#[test]
fn verdict_closed() {
    let mut d = detector("");
    run(
        &mut d,
        &[
            start(1, tcp("10.0.0.5:40000", "10.0.0.6:502")),
            start(3601, tcp("10.0.0.5:40001", "10.0.0.6:502")),
        ],
    );
    d.set_capture_stats(5000, 1_000_000, 1000);
    let v = d.verdict();
    assert_eq!(v.verdict, Verdict::Closed);
    assert_eq!(v.period_seconds, 3600);
    assert_eq!(v.packets, 5000);
    assert!((v.capture_loss - 0.001).abs() < 1e-12);
    assert!(v.render_human().contains("closed-network verdict: CLOSED"));
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["verdict"], "closed");
}

#[test]
fn verdict_not_closed_groups_by_internal_host() {
    let mut d = detector("");
    run(
        &mut d,
        &[
            start(1, tcp("10.0.0.5:40000", "192.0.2.1:443")),
            start(2, tcp("192.0.2.9:40000", "10.0.0.5:3389")),
            start(3, tcp("10.0.0.7:40000", "192.0.2.1:443")),
            // Not a breach: a zone-less internal remote session.
            mizuban_protocols::Event {
                ..detected(
                    4,
                    tcp("10.0.0.7:50000", "10.0.0.8:22"),
                    mizuban_protocols::AppProtocol::Ssh,
                )
            },
        ],
    );
    // Few packets and heavy loss do not weaken proof of contact.
    d.set_capture_stats(10, 100, 90);
    let v = d.verdict();
    assert_eq!(v.verdict, Verdict::NotClosed);
    let hosts: Vec<String> = v
        .hosts
        .iter()
        .map(|h| h.host.unwrap().to_string())
        .collect();
    assert_eq!(hosts, vec!["10.0.0.5", "10.0.0.7"]);
    let rules: Vec<&str> = v.hosts[0].findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, vec!["internet_egress", "internet_ingress"]);
    assert_eq!(v.hosts[1].findings.len(), 1);
    assert_eq!(
        v.hosts[0].findings[1].peer,
        Some("192.0.2.9".parse().unwrap())
    );
    let text = v.render_human();
    assert!(
        text.contains("NOT CLOSED") && text.contains("10.0.0.5"),
        "{text}"
    );
}

#[test]
fn verdict_undetermined_on_little_traffic_or_loss() {
    let mut d = detector("[verdict]\nmin_packets = 100\nmax_capture_loss = 0.05\n");
    run(&mut d, &[start(1, tcp("10.0.0.5:40000", "10.0.0.6:502"))]);
    d.set_capture_stats(99, 0, 0);
    let v = d.verdict();
    assert_eq!(v.verdict, Verdict::Undetermined);
    assert!(v.reasons[0].contains("99 packets"), "{:?}", v.reasons);
    d.set_capture_stats(1000, 1000, 51);
    let v = d.verdict();
    assert_eq!(v.verdict, Verdict::Undetermined);
    assert!(
        v.reasons[0].contains("capture loss 5.10 %"),
        "{:?}",
        v.reasons
    );
    d.set_capture_stats(1000, 1000, 50);
    assert_eq!(d.verdict().verdict, Verdict::Closed);
}
