//! IEC 62351-3 (TLS-protected IEC 104 and DNP3) is recognised as such (issue 11, point 2):
//! every ClientHello tshark shows in tests/captures/iec62351_tls.pcap is our
//! `tls_client_hello` on the same frame, and names the protocol its port secures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{have_tool, run_stdout};
use mizuban::config::Config;
use mizuban_protocols::event::{AppProtocol, EventKind};
use std::path::PathBuf;
use std::process::Command;

fn capture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/captures/iec62351_tls.pcap")
}

#[test]
fn tls_sessions_on_62351_ports_name_the_protocol_they_secure() {
    let run = mizuban::pipeline::collect(&[capture()], &Config::default(), 2).unwrap();
    let ours: Vec<(u64, Option<AppProtocol>, Option<String>)> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TlsClientHello(h) => Some((e.frame, h.secures, h.sni.clone())),
            _ => None,
        })
        .collect();
    let sni = Some("rtu-17.plant.example".to_string());
    assert_eq!(
        ours,
        vec![
            (4, Some(AppProtocol::Iec104), sni.clone()),
            (18, Some(AppProtocol::Dnp3), sni)
        ]
    );
    let json = serde_json::to_string(&run.events.iter().find_map(|e| match &e.kind {
        EventKind::TlsClientHello(h) => Some(h.clone()),
        _ => None,
    }))
    .unwrap();
    assert!(json.contains(r#""secures":"iec104""#), "{json}");

    if !have_tool("tshark") {
        return;
    }
    let out = run_stdout(Command::new("tshark").args([
        "-r",
        capture().to_str().unwrap(),
        "-Y",
        "tls.handshake.type == 1",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "tcp.dstport",
    ]));
    let theirs: Vec<(u64, Option<AppProtocol>)> = out
        .lines()
        .map(|l| {
            let (f, p) = l.split_once('\t').unwrap();
            let port: u16 = p.parse().unwrap();
            (
                f.parse().unwrap(),
                mizuban_protocols::registry::secured_by_tls(port),
            )
        })
        .collect();
    let mine: Vec<(u64, Option<AppProtocol>)> = ours.iter().map(|(f, p, _)| (*f, *p)).collect();
    assert_eq!(mine, theirs);
}

#[test]
fn tls_on_other_ports_secures_nothing() {
    assert_eq!(mizuban_protocols::registry::secured_by_tls(443), None);
    assert_eq!(
        mizuban_protocols::registry::secured_by_tls(2404),
        None,
        "plain IEC 104 is not TLS"
    );
}
