//! SSH, RDP and Telnet parsers against tshark on real captures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod it_common;

use it_common::*;
use mizuban_protocols::event::{AppProtocol, EventKind};
use mizuban_protocols::parser::{Direction, Probe};
use mizuban_protocols::remote::{rdp, ssh, telnet};

fn remote(ev: Vec<(u64, EventKind)>) -> Vec<mizuban_protocols::remote::RemoteAccess> {
    ev.into_iter()
        .filter_map(|(_, e)| match e {
            EventKind::RemoteAccess(r) => Some(r),
            _ => None,
        })
        .collect()
}

#[test]
fn ssh_banners_match_tshark() {
    let Some(pcap) = tshark_capture("it/arkime_ssh2.pcap") else {
        return;
    };
    // tshark: ssh.protocol per direction; the server is port 22.
    let rows = fields(&pcap, "ssh.protocol", &["tcp.srcport", "ssh.protocol"]);
    let server = rows.iter().find(|r| r[0] == "22").map(|r| r[1].clone());
    let client = rows.iter().find(|r| r[0] != "22").map(|r| r[1].clone());
    let segs = tcp_segments(&pcap, "tcp", Some(22));
    let first_to_server = segs.iter().find(|s| s.dir == Direction::ToServer).unwrap();
    assert_eq!(
        ssh::probe(&first_to_server.payload, Direction::ToServer),
        Probe::Match
    );
    let r = remote(run_streams(&segs, ssh::Parser::new));
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].protocol, AppProtocol::Ssh);
    assert_eq!(r[0].server_software, server);
    assert_eq!(r[0].client_software, client);
}

#[test]
fn rdp_without_cookie() {
    let Some(pcap) = tshark_capture("it/zeek_rdp-no-cookie-mstshash.pcap") else {
        return;
    };
    // tshark decodes an RDP_NEG_REQ (rdp.neg_type 0x01) and no rdp.rt_cookie.
    let cookies = fields(&pcap, "rdp.rt_cookie", &["rdp.rt_cookie"]);
    assert!(cookies.is_empty());
    let neg = fields(&pcap, "rdp.neg_type==0x01", &["frame.number"]);
    assert_eq!(neg.len(), 1);
    let segs = tcp_segments(&pcap, "tcp", Some(3389));
    let cr = segs
        .iter()
        .find(|s| s.frame.to_string() == neg[0][0])
        .unwrap();
    assert_eq!(rdp::probe(&cr.payload, Direction::ToServer), Probe::Match);
    let r = remote(run_streams(&segs, rdp::Parser::new));
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].protocol, AppProtocol::Rdp);
    assert_eq!(r[0].user, None);
}

#[test]
fn telnet_session_over_mpls() {
    let Some(pcap) = tshark_capture("it/zeek_mixed-vlan-mpls.pcap") else {
        return;
    };
    let rows = fields(&pcap, "telnet", &["tcp.stream"]);
    assert!(!rows.is_empty());
    let segs = tcp_segments(&pcap, "tcp.port==23", Some(23));
    let first = segs.first().unwrap();
    assert_eq!(telnet::probe(&first.payload, first.dir), Probe::Match);
    let r = remote(run_streams(&segs, telnet::Parser::new));
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].protocol, AppProtocol::Telnet);
}
