//! Issue 19 points 3 and 4 end to end: names and OS evidence from NetBIOS, BROWSER,
//! SMB/NTLMSSP reach the inventory with their sources, the alerts name the host by
//! its best name, and `unsupported_os` fires for end-of-support Windows judged at the
//! capture's packet time. Expected values come from tshark's decoding of the same
//! frames (quoted beside each assertion), not from our own output.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use mizuban::config::Config;
use mizuban_detect::inventory::{NameSource, OsSource};
use std::net::IpAddr;

fn replay(p: &std::path::Path) -> mizuban::pipeline::RunResult {
    mizuban::pipeline::collect(&[p.to_path_buf()], &Config::default(), 2).unwrap()
}

fn unsupported(r: &mizuban::pipeline::RunResult) -> Vec<(IpAddr, String, String)> {
    r.alerts
        .iter()
        .filter(|a| a.alert.rule == "unsupported_os")
        .map(|a| {
            (
                a.alert.src_ip.unwrap(),
                a.alert.evidence.get("os").cloned().unwrap_or_default(),
                a.alert
                    .evidence
                    .get("os_source")
                    .cloned()
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// iti_EIP-IPAddressChangeAttempt.pcap: tshark frame 381 `smb.native_os` "Windows
/// Server 2003 R2 3790 Service Pack 2", `ntlmssp.version` 5.2.3790 from the client
/// (192.168.10.22, `ntlmssp.auth.hostname` WIN2K3LAB022, frame 383); frame 382
/// "Windows 5.1" and NTLMSSP 5.1.2600 from the server DBLICENSESERVER (192.168.10.105,
/// `ntlmssp.challenge.target_name`). The capture is from 2008-11-12, when both were
/// still supported: the hints carry their future end dates and nothing is raised.
#[test]
fn smb_names_and_end_of_support_windows() {
    let r = replay(&corpus::path("mixed/iti_EIP-IPAddressChangeAttempt.pcap"));
    let tracker = mizuban_detect::baseline::tracker::lock(&r.tracker);
    let assets = tracker.inventory.assets();
    let client_ip: IpAddr = "192.168.10.22".parse().unwrap();
    let server_ip: IpAddr = "192.168.10.105".parse().unwrap();
    let client = &assets[&client_ip];
    assert_eq!(
        client.names.get("WIN2K3LAB022"),
        Some(&NameSource::Smb),
        "{:?}",
        client.names
    );
    assert_eq!(
        client.os_hints[&OsSource::NtlmsspVersion].evidence,
        "5.2.3790"
    );
    assert_eq!(
        client.best_os().unwrap().os,
        "Windows XP x64 / Windows Server 2003"
    );
    assert_eq!(
        client.os_hints[&OsSource::SmbNativeOs].os,
        "Windows Server 2003",
        "native OS names the server release"
    );
    let server = &assets[&server_ip];
    assert_eq!(
        server.best_name(),
        Some("DBLICENSESERVER"),
        "{:?}",
        server.names
    );
    assert_eq!(
        server.os_hints[&OsSource::SmbNativeOs].evidence,
        "Windows 5.1"
    );
    assert_eq!(server.best_os().unwrap().os, "Windows XP");
    assert_eq!(server.smb_signing_required, Some(false));
    assert_eq!(
        server.best_os().unwrap().support_ends.as_deref(),
        Some("2014-04-08")
    );
    assert_eq!(
        client.os_hints[&OsSource::SmbNativeOs]
            .support_ends
            .as_deref(),
        Some("2015-07-14")
    );
    assert!(unsupported(&r).is_empty(), "{:?}", unsupported(&r));
    // Alerts about the server carry its best name.
    for a in r
        .alerts
        .iter()
        .filter(|a| a.alert.src_ip == Some(server_ip))
    {
        assert_eq!(
            a.alert.src_name.as_deref(),
            Some("DBLICENSESERVER"),
            "{}",
            a.alert.rule
        );
    }
}

/// arkime_wireshark-smb-on-windows10.pcap, captured 2016-10-16: the server says
/// "Windows 8.1 9600" (frame 19) and the client NTLMSSP 10.0.10586 (Windows 10 1511).
/// Both were supported in 2016 (8.1 until 2023-01-10, 1511 until 2018-04-10), so the
/// capture's own date gives no finding, though both have ended by now.
#[test]
fn supported_at_capture_time_is_not_a_finding() {
    let r = replay(&corpus::path("it/arkime_wireshark-smb-on-windows10.pcap"));
    assert!(unsupported(&r).is_empty(), "{:?}", unsupported(&r));
    let tracker = mizuban_detect::baseline::tracker::lock(&r.tracker);
    let server = &tracker.inventory.assets()[&"192.168.199.1".parse::<IpAddr>().unwrap()];
    let h = &server.os_hints[&OsSource::SmbNativeOs];
    assert_eq!(h.os, "Windows 8.1");
    assert_eq!(h.support_ends.as_deref(), Some("2023-01-10"));
    assert!(h.end_of_support.is_none());
}

/// The built NetBIOS capture (tests/common/names_synth.rs, checked against tshark by
/// names_tshark.rs): names from registrations and BROWSER, OS from BROWSER versions.
/// Its packet time is 2026-01-01: Windows 7 (6.1, ended 2020-01-14) and XP (5.1) are
/// end-of-support, Windows 10 (10.0) is not flagged.
#[test]
fn netbios_names_and_browser_os() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("nb.pcap");
    names_synth::write_netbios(std::fs::File::create(&p).unwrap()).unwrap();
    let r = replay(&p);
    let tracker = mizuban_detect::baseline::tracker::lock(&r.tracker);
    let assets = tracker.inventory.assets();
    let win7 = &assets[&IpAddr::V4(names_synth::WIN7.ip)];
    assert_eq!(win7.names.get("HMI-WIN7"), Some(&NameSource::Netbios));
    // The group registration of PLANT is a workgroup, not a host name.
    assert!(!win7.names.contains_key("PLANT"), "{:?}", win7.names);
    assert_eq!(
        win7.best_os().unwrap().os,
        "Windows 7 / Windows Server 2008 R2"
    );
    let srv = &assets[&IpAddr::V4(names_synth::FILESERVER.ip)];
    assert_eq!(srv.names.get("FILESRV"), Some(&NameSource::Netbios));
    let w10 = &assets[&IpAddr::V4(names_synth::WIN10.ip)];
    assert!(w10.best_os().unwrap().end_of_support.is_none());
    let found = unsupported(&r);
    let ips: Vec<IpAddr> = found.iter().map(|f| f.0).collect();
    assert!(ips.contains(&IpAddr::V4(names_synth::WIN7.ip)), "{found:?}");
    assert!(ips.contains(&IpAddr::V4(names_synth::XP.ip)), "{found:?}");
    assert!(
        !ips.contains(&IpAddr::V4(names_synth::WIN10.ip)),
        "{found:?}"
    );
    let msg = &r
        .alerts
        .iter()
        .find(|a| {
            a.alert.rule == "unsupported_os"
                && a.alert.src_ip == Some(IpAddr::V4(names_synth::WIN7.ip))
        })
        .unwrap()
        .alert
        .message;
    assert!(
        msg.contains("HMI-WIN7") && msg.contains("browser.os_major/os_minor"),
        "{msg}"
    );
}

/// The same Windows 7 announcement in a capture dated 2019-06-01, before Windows 7's
/// end of support (2020-01-14): no finding. Packet time decides, not the wall clock.
#[test]
fn end_of_support_is_judged_at_packet_time() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("old.pcap");
    names_synth::write_netbios_at(std::fs::File::create(&p).unwrap(), 1_559_347_200).unwrap();
    let r = replay(&p);
    let found = unsupported(&r);
    let ips: Vec<IpAddr> = found.iter().map(|f| f.0).collect();
    assert!(
        !ips.contains(&IpAddr::V4(names_synth::WIN7.ip)),
        "{found:?}"
    );
    // XP ended in 2014: still a finding in 2019.
    assert!(ips.contains(&IpAddr::V4(names_synth::XP.ip)), "{found:?}");
}

/// The built SMB capture (2026-01-01): a client sending native OS "Windows 2000 2195"
/// and a server answering "Windows Server 2003 3790 Service Pack 2" (both checked by
/// tshark in names_tshark.rs). Both ended: one finding each, naming the field and text.
#[test]
fn smb_native_os_findings_name_the_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("smb.pcap");
    names_synth::write_smb(std::fs::File::create(&p).unwrap()).unwrap();
    let r = replay(&p);
    let by_ip = |ip: std::net::Ipv4Addr| {
        r.alerts
            .iter()
            .find(|a| a.alert.rule == "unsupported_os" && a.alert.src_ip == Some(IpAddr::V4(ip)))
            .unwrap_or_else(|| panic!("no unsupported_os for {ip}: {:?}", unsupported(&r)))
            .alert
            .clone()
    };
    let c = by_ip(names_synth::XP.ip);
    // "Windows 2000 2195" does not say Professional or Server: both names, one date.
    assert_eq!(c.evidence["os"], "Windows 2000 / Windows 2000 Server");
    assert_eq!(c.evidence["os_field"], "smb.native_os");
    assert_eq!(c.evidence["os_evidence"], "Windows 2000 2195");
    assert_eq!(c.evidence["end_of_support"], "2010-07-13");
    assert_eq!(
        c.guideline,
        mizuban_detect::baseline::rules::spec("unsupported_os")
            .unwrap()
            .guideline
    );
    let s = by_ip(names_synth::FILESERVER.ip);
    assert_eq!(s.evidence["os"], "Windows Server 2003");
    let tracker = mizuban_detect::baseline::tracker::lock(&r.tracker);
    let fs = &tracker.inventory.assets()[&IpAddr::V4(names_synth::FILESERVER.ip)];
    // The SMB2 negotiate response on 445 required signing.
    assert_eq!(fs.smb_signing_required, Some(true));
}
