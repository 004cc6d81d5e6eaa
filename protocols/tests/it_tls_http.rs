//! TLS ClientHello and HTTP heads against tshark on real captures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod it_common;

use it_common::*;
use mizuban_protocols::event::EventKind;
use mizuban_protocols::{http, tls};

#[test]
fn tls_client_hello_matches_tshark() {
    let Some(pcap) = tshark_capture("it/arkime_tls13.pcap") else {
        return;
    };
    let want = fields(
        &pcap,
        "tls.handshake.type==1",
        &[
            "tls.handshake.extensions_server_name",
            "tls.handshake.version",
            "tls.handshake.extensions_alpn_str",
        ],
    );
    let segs = tcp_segments(&pcap, "tcp", Some(443));
    let got: Vec<_> = run_streams(&segs, tls::Parser::new)
        .into_iter()
        .filter_map(|(_, e)| match e {
            EventKind::TlsClientHello(h) => Some(h),
            _ => None,
        })
        .collect();
    assert_eq!(got.len(), want.len());
    for (h, w) in got.iter().zip(&want) {
        assert_eq!(h.sni.as_deref(), Some(w[0].as_str()));
        assert_eq!(format!("0x{:04x}", h.version), w[1]);
        assert_eq!(h.alpn.join(","), w[2]);
    }
}

#[test]
fn http_heads_match_tshark() {
    if !have_tshark() {
        return;
    }
    let mut compared = 0;
    for c in ["it/zeek_http-vlan-0.pcap", "it/zeek_mixed-vlan-mpls.pcap"] {
        let pcap = corpus::path(c);
        if !have_capture(&pcap) {
            continue;
        }
        let want_req = fields(
            &pcap,
            "http.request",
            &[
                "http.request.method",
                "http.request.uri",
                "http.host",
                "http.user_agent",
            ],
        );
        let want_resp = fields(
            &pcap,
            "http.response",
            &["http.response.code", "http.server"],
        );
        let segs = tcp_segments(&pcap, "tcp", Some(80));
        let ev = run_streams(&segs, http::Parser::new);
        let reqs: Vec<_> = ev
            .iter()
            .filter_map(|(_, e)| match e {
                EventKind::HttpRequest(r) => Some(r),
                _ => None,
            })
            .collect();
        let resps: Vec<_> = ev
            .iter()
            .filter_map(|(_, e)| match e {
                EventKind::HttpResponse(r) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(reqs.len(), want_req.len(), "{c}");
        assert_eq!(resps.len(), want_resp.len(), "{c}");
        for (r, w) in reqs.iter().zip(&want_req) {
            assert_eq!(r.method, w[0], "{c}");
            assert_eq!(r.uri, w[1], "{c}");
            assert_eq!(r.host.as_deref().unwrap_or(""), w[2], "{c}");
            assert_eq!(r.user_agent.as_deref().unwrap_or(""), w[3], "{c}");
            compared += 1;
        }
        for (r, w) in resps.iter().zip(&want_resp) {
            assert_eq!(r.status.to_string(), w[0], "{c}");
            assert_eq!(r.server.as_deref().unwrap_or(""), w[1], "{c}");
            compared += 1;
        }
    }
    assert!(compared >= 4, "compared {compared}");
}
