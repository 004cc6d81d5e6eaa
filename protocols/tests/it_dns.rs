//! DNS parser against tshark on every real capture here that carries DNS over UDP.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod it_common;

use it_common::*;
use mizuban_protocols::dns::{self, DnsMessage};
use mizuban_protocols::event::EventKind;
use mizuban_protocols::parser::Probe;

const CAPTURES: &[&str] = &[
    "it/zeek_dns53.pcap",
    "other/iti_c37118_1100_unclean.pcap",
    "modbus/zeek_modbusSmall.pcap",
];

#[test]
fn dns_fields_match_tshark() {
    if !have_tshark() {
        return;
    }
    let mut compared = 0;
    for c in CAPTURES {
        let pcap = corpus::path(c);
        if !have_capture(&pcap) {
            continue;
        }
        let rows = fields(
            &pcap,
            "dns && udp && !icmp",
            &[
                "frame.number",
                "dns.id",
                "dns.flags.response",
                "dns.qry.name",
                "dns.qry.type",
                "dns.flags.rcode",
                "dns.a",
                "udp.payload",
            ],
        );
        assert!(!rows.is_empty(), "{c}: tshark found no DNS");
        for r in rows {
            let payload = hex(&r[7]);
            let m: DnsMessage =
                dns::parse_message(&payload).unwrap_or_else(|e| panic!("{c} frame {}: {e}", r[0]));
            let id = u16::from_str_radix(r[1].trim_start_matches("0x"), 16).unwrap();
            assert_eq!(m.trans_id, id, "{c} frame {}", r[0]);
            assert_eq!(
                m.response,
                r[2] == "1" || r[2] == "True",
                "{c} frame {}",
                r[0]
            );
            let first_q = r[3].split(',').next().filter(|s| !s.is_empty());
            assert_eq!(m.query.as_deref(), first_q, "{c} frame {}", r[0]);
            if let Some(t) = r[4].split(',').next().filter(|s| !s.is_empty()) {
                assert_eq!(m.qtype.to_string(), t, "{c} frame {}", r[0]);
            }
            // tshark shows the rcode of responses only.
            if !r[5].is_empty() {
                assert_eq!(m.rcode.to_string(), r[5], "{c} frame {}", r[0]);
            }
            // tshark lists A records of every section; ours are the answer section's.
            let all_a: Vec<&str> = r[6].split(',').filter(|s| !s.is_empty()).collect();
            for a in m.answers.iter().filter_map(|a| a.addr) {
                assert!(
                    all_a.contains(&a.to_string().as_str()),
                    "{c} frame {}: {a} not in tshark's",
                    r[0]
                );
            }
            if m.response {
                assert_eq!(
                    dns::probe(&payload, mizuban_protocols::Direction::ToClient),
                    Probe::Match
                );
            }
            compared += 1;
        }
    }
    assert!(compared > 100, "compared only {compared} messages");
}

#[test]
fn dns_parser_emits_one_event_per_datagram() {
    let Some(pcap) = tshark_capture("it/zeek_dns53.pcap") else {
        return;
    };
    let segs = udp_payloads(&pcap, "dns", 53);
    let ev = run_datagrams(&segs, dns::Parser::new);
    assert_eq!(ev.len(), segs.len());
    assert!(ev.iter().all(|(_, e)| matches!(e, EventKind::Dns(_))));
}
