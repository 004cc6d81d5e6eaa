#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use super::*;
use crate::common::testutil::{hex, stream};
use Direction::{ToClient, ToServer};

fn auths(ev: &[EventKind]) -> Vec<(AuthOutcome, Option<&str>, Option<u32>)> {
    ev.iter()
        .filter_map(|e| match e {
            EventKind::Auth(a) => Some((a.outcome, a.user.as_deref(), a.status)),
            _ => None,
        })
        .collect()
}

/// arkime_wireshark-smb-on-windows10.pcap, TCP stream 2, frames 43-46: NEGOTIATE,
/// CHALLENGE (0xC0000016), AUTHENTICATE for "user", then STATUS_LOGON_FAILURE. tshark:
/// `-Y smb2.cmd==1 -e smb2.nt_status -e ntlmssp.auth.username`.
#[test]
fn real_logon_failure_with_ntlm_user() {
    let f: Vec<Vec<u8>> = [
        include_str!("../../../tests/fixtures/smb/frame43.hex"),
        include_str!("../../../tests/fixtures/smb/frame44.hex"),
        include_str!("../../../tests/fixtures/smb/frame45.hex"),
        include_str!("../../../tests/fixtures/smb/frame46.hex"),
    ]
    .iter()
    .map(|h| hex(h))
    .collect();
    assert_eq!(probe(&f[0], ToServer), Probe::Match);
    let mut p = Parser::new();
    let ev = stream(
        &mut p,
        &[
            (ToServer, &f[0]),
            (ToClient, &f[1]),
            (ToServer, &f[2]),
            (ToClient, &f[3]),
        ],
    );
    assert_eq!(
        auths(&ev),
        [(AuthOutcome::Failure, Some("user"), Some(0xC000_006D))]
    );
    let Some(EventKind::Auth(a)) = ev.iter().find(|e| matches!(e, EventKind::Auth(_))) else {
        panic!()
    };
    assert!(!a.cleartext);
}

/// Same capture, frames 87-88: user "Tim Tester", split into 5-byte segments.
#[test]
fn real_user_with_space_split_segments() {
    let req = hex(include_str!("../../../tests/fixtures/smb/frame87.hex"));
    let resp = hex(include_str!("../../../tests/fixtures/smb/frame88.hex"));
    let mut feed: Vec<_> = req.chunks(5).map(|c| (ToServer, c)).collect();
    feed.extend(resp.chunks(5).map(|c| (ToClient, c)));
    let mut p = Parser::new();
    let ev = stream(&mut p, &feed);
    assert_eq!(
        auths(&ev),
        [(AuthOutcome::Failure, Some("Tim Tester"), Some(0xC000_006D))]
    );
}

/// Hand-built SESSION_SETUP response: direct-TCP header + SMB2 header + 9-byte body.
fn session_setup_response(status: u32) -> Vec<u8> {
    let mut h = vec![0u8; 64];
    h[..4].copy_from_slice(b"\xfeSMB"); // ProtocolId
    h[4..6].copy_from_slice(&64u16.to_le_bytes()); // StructureSize
    h[8..12].copy_from_slice(&status.to_le_bytes()); // Status
    h[12..14].copy_from_slice(&1u16.to_le_bytes()); // Command SESSION_SETUP
    h[16..20].copy_from_slice(&1u32.to_le_bytes()); // Flags: SERVER_TO_REDIR
    h.extend_from_slice(&[9, 0, 0, 0, 0x48, 0, 0, 0, 0]); // StructureSize 9, flags, buffer
    let mut t = vec![0, 0, 0, h.len() as u8]; // direct TCP: zero + 24-bit length
    t.extend_from_slice(&h);
    t
}

#[test]
fn success_and_intermediate_statuses() {
    let mut p = Parser::new();
    let mut wire = session_setup_response(0xC000_0016); // MORE_PROCESSING_REQUIRED: nothing
    wire.extend_from_slice(&session_setup_response(0)); // SUCCESS
    let ev = stream(&mut p, &[(ToClient, &wire)]);
    assert_eq!(auths(&ev), [(AuthOutcome::Success, None, Some(0))]);
}

#[test]
fn bad_transport_header_is_reported() {
    let mut p = Parser::new();
    // 0x90 is no NetBIOS session packet type (RFC 1002 section 4.3.1 defines 0x00 and
    // 0x81-0x85).
    let ev = stream(&mut p, &[(ToClient, b"\x90\x00\x00\x44junk")]);
    assert!(matches!(&ev[..], [EventKind::ParseError(e)] if e.reason == "bad_transport_header"));
}

#[test]
fn big_messages_are_skipped_not_buffered() {
    // A 1 MiB message (a READ response, say), then a failure response.
    let mut wire = vec![0, 0x10, 0x00, 0x00];
    wire.extend_from_slice(b"\xfeSMB");
    wire.resize(4 + 0x10_0000, 0);
    wire.extend_from_slice(&session_setup_response(0xC000_006D));
    let mut p = Parser::new();
    let feed: Vec<_> = wire.chunks(1460).map(|c| (ToClient, c)).collect();
    let ev = stream(&mut p, &feed);
    assert_eq!(
        auths(&ev),
        [(AuthOutcome::Failure, None, Some(0xC000_006D))]
    );
}

/// The same frames: the NTLMSSP version (10.0.10586) of both ends, the server's
/// NetBIOS name in the CHALLENGE and the client's workstation in the AUTHENTICATE
/// (tshark: ntlmssp.version.*, ntlmssp.challenge.target_info.nb_computer_name,
/// ntlmssp.auth.hostname).
#[test]
fn real_session_setup_info() {
    let f: Vec<Vec<u8>> = [
        include_str!("../../../tests/fixtures/smb/frame43.hex"),
        include_str!("../../../tests/fixtures/smb/frame44.hex"),
        include_str!("../../../tests/fixtures/smb/frame45.hex"),
    ]
    .iter()
    .map(|h| hex(h))
    .collect();
    let mut p = Parser::new();
    let ev = stream(
        &mut p,
        &[(ToServer, &f[0]), (ToClient, &f[1]), (ToServer, &f[2])],
    );
    let infos: Vec<&SmbInfo> = ev
        .iter()
        .filter_map(|e| match e {
            EventKind::Smb(i) => Some(i),
            _ => None,
        })
        .collect();
    assert_eq!(infos.len(), 3);
    let n: Vec<&Ntlmssp> = infos.iter().filter_map(|i| i.ntlmssp.as_ref()).collect();
    assert_eq!(
        n.iter().map(|n| n.message_type).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    for m in &n {
        assert_eq!(
            m.version,
            Some(NtlmVersion {
                major: 10,
                minor: 0,
                build: 10586
            })
        );
    }
    assert_eq!(n[1].nb_computer_name.as_deref(), Some("DESKTOP-V1FA0UQ"));
    assert_eq!(n[2].hostname.as_deref(), Some("DESKTOP-2AEFM7G"));
    assert_eq!(infos[0].signing_required, Some(false));
}

#[test]
fn netbios_session_request_is_skipped() {
    // RFC 1002 4.3.2 session request (type 0x81, 68 bytes of names), then a
    // session message with an SMB2 failure.
    let mut wire = vec![0x81, 0, 0, 68];
    wire.extend_from_slice(&[0x20; 68]);
    wire.extend_from_slice(&session_setup_response(0xC000_006D));
    let mut p = Parser::new();
    let ev = stream(&mut p, &[(ToClient, &wire)]);
    assert_eq!(
        auths(&ev),
        [(AuthOutcome::Failure, None, Some(0xC000_006D))]
    );
    assert!(!ev.iter().any(|e| matches!(e, EventKind::ParseError(_))));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn info_decoders_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut d = Vec::new();
            let mut smb1 = b"\xffSMB".to_vec();
            smb1.extend_from_slice(&data);
            let _ = info::smb1(&smb1, &mut d);
            let _ = info::smb2(&data);
            let mut n = b"NTLMSSP\0".to_vec();
            n.extend_from_slice(&data);
            let _ = ntlm::find(&n);
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..800)) {
            let mut p = Parser::new();
            let mut framed = vec![0, 0, (data.len() >> 8) as u8, data.len() as u8];
            framed.extend_from_slice(&data);
            let _ = stream(&mut p, &[(ToServer, &framed), (ToClient, &data)]);
            let mut out = Vec::new();
            scan(&data, &mut Vec::new(), &mut out);
            let _ = ntlm_user(&data);
        }
    }
}
