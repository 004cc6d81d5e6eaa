//! SMB2 logon failures against tshark on a real capture.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod it_common;

use it_common::*;
use mizuban_protocols::auth::{AuthOutcome, smb};
use mizuban_protocols::event::EventKind;

#[test]
fn smb_logon_failures_match_tshark() {
    let Some(pcap) = tshark_capture("it/arkime_wireshark-smb-on-windows10.pcap") else {
        return;
    };
    // Reference: final SESSION_SETUP responses and the user of the AUTHENTICATE before.
    let rows = fields(
        &pcap,
        "smb2.cmd==1",
        &[
            "tcp.stream",
            "smb2.flags.response",
            "smb2.nt_status",
            "ntlmssp.auth.username",
        ],
    );
    let mut want = Vec::new();
    let mut user_by_stream = std::collections::BTreeMap::new();
    for r in &rows {
        if r[1] == "0" || r[1] == "False" {
            if !r[3].is_empty() {
                user_by_stream.insert(r[0].clone(), r[3].clone());
            }
        } else if r[2] == "0xc000006d" || r[2] == "0x00000000" {
            let outcome = if r[2] == "0x00000000" {
                AuthOutcome::Success
            } else {
                AuthOutcome::Failure
            };
            want.push((outcome, user_by_stream.get(&r[0]).cloned()));
        }
    }
    assert!(want.iter().any(|w| w.0 == AuthOutcome::Failure));
    let segs = tcp_segments(&pcap, "tcp.port==445", Some(445));
    let got: Vec<_> = run_streams(&segs, smb::Parser::new)
        .into_iter()
        .filter_map(|(_, e)| match e {
            EventKind::Auth(a) => Some((a.outcome, a.user)),
            _ => None,
        })
        .collect();
    // Streams are run one parser each but events come in capture order, as tshark's.
    assert_eq!(got, want);
}
