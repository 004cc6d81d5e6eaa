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
    // NTLMSSP 5.2.3790 alone is "Windows XP x64 / Windows Server 2003"; the native OS
    // string names the release, and takes precedence.
    assert_eq!(
        client.os_hints[&OsSource::NtlmsspVersion].os,
        "Windows XP x64 / Windows Server 2003"
    );
    assert_eq!(client.best_os().unwrap().os, "Windows Server 2003");
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
        mizuban_detect::registry::spec("unsupported_os")
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

/// The built discovery capture (checked against tshark by names_tshark.rs): names
/// from an mDNS announcement and an LLMNR answer, the mDNS service type, UPnP device
/// facts and the Windows version in an SSDP SERVER header.
#[test]
fn discovery_names_services_and_upnp() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("disc.pcap");
    names_synth::write_discovery(std::fs::File::create(&p).unwrap()).unwrap();
    let r = replay(&p);
    let tracker = mizuban_detect::baseline::tracker::lock(&r.tracker);
    let assets = tracker.inventory.assets();
    let fs = &assets[&IpAddr::V4(names_synth::FILESERVER.ip)];
    assert_eq!(
        fs.names.get("printer-7.local"),
        Some(&NameSource::Mdns),
        "{:?}",
        fs.names
    );
    assert!(
        fs.mdns_services.contains("_ipp._tcp.local"),
        "{:?}",
        fs.mdns_services
    );
    assert_eq!(
        fs.upnp.as_ref().unwrap().server.as_deref(),
        Some("Linux/3.14.0 UPnP/1.0 IpBridge/1.26.0")
    );
    let w7 = &assets[&IpAddr::V4(names_synth::WIN7.ip)];
    assert_eq!(
        w7.names.get("hmi-win7"),
        Some(&NameSource::Llmnr),
        "{:?}",
        w7.names
    );
    // From the additional section of an mDNS announcement.
    assert_eq!(
        w7.names.get("hmi-panel.local"),
        Some(&NameSource::Mdns),
        "{:?}",
        w7.names
    );
    assert!(
        w7.mdns_services.contains("_http._tcp.local"),
        "{:?}",
        w7.mdns_services
    );
    let u = w7.upnp.as_ref().unwrap();
    assert_eq!(
        u.device_type.as_deref(),
        Some("urn:schemas-upnp-org:device:MediaServer:1")
    );
    assert_eq!(
        w7.os_hints[&OsSource::SsdpServer].os,
        "Windows 7 / Windows Server 2008 R2"
    );
    // M-SEARCH only asks: the searcher gets no UPnP facts.
    assert!(assets[&IpAddr::V4(names_synth::WIN10.ip)].upnp.is_none());
}

/// `require_smb_signing`: the EIP capture's server (DBLICENSESERVER, frame 380
/// `smb.sm.sig_required` 0) is reported; the built capture's 445 server requires
/// signing (`smb2.sec_mode.sign_required` 1) and is not. Off by default.
#[test]
fn smb_signing_policy() {
    let eip = corpus::path("mixed/iti_EIP-IPAddressChangeAttempt.pcap");
    let count = |r: &mizuban::pipeline::RunResult| {
        r.alerts
            .iter()
            .filter(|a| a.alert.rule == "smb_signing_not_required")
            .map(|a| a.alert.src_ip.unwrap())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert!(count(&replay(&eip)).is_empty());
    let mut cfg = Config::default();
    cfg.detect.inventory.require_smb_signing = true;
    let r = mizuban::pipeline::collect(&[eip], &cfg, 2).unwrap();
    let servers = count(&r);
    assert!(
        servers.contains(&"192.168.10.105".parse::<IpAddr>().unwrap()),
        "{servers:?}"
    );
    let a = r
        .alerts
        .iter()
        .find(|a| a.alert.rule == "smb_signing_not_required")
        .unwrap();
    assert!(
        a.alert.message.contains("DBLICENSESERVER"),
        "{}",
        a.alert.message
    );
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("smb.pcap");
    names_synth::write_smb(std::fs::File::create(&p).unwrap()).unwrap();
    let r = mizuban::pipeline::collect(&[p], &cfg, 2).unwrap();
    let servers = count(&r);
    // The SMB1 server on 139 (security mode 0x03) does not require it; 445 does.
    assert_eq!(servers.len(), 1, "{servers:?}");
}

/// Same output whatever the worker count (the sender of NBNS/SSDP messages and the
/// inventory's side of each fact come from the flow, not from which worker saw it).
#[test]
fn built_captures_replay_the_same_with_any_worker_count() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (n, w) in [
        (
            "nb.pcap",
            names_synth::write_netbios as fn(std::fs::File) -> std::io::Result<std::fs::File>,
        ),
        ("smb.pcap", names_synth::write_smb),
        ("disc.pcap", names_synth::write_discovery),
    ] {
        let p = tmp.path().join(n);
        w(std::fs::File::create(&p).unwrap()).unwrap();
        files.push(p);
    }
    let cfg = Config::default();
    let one = mizuban::pipeline::collect(&files, &cfg, 1).unwrap();
    let four = mizuban::pipeline::collect(&files, &cfg, 4).unwrap();
    assert_eq!(one.events, four.events);
    let ids = |r: &mizuban::pipeline::RunResult| {
        r.alerts
            .iter()
            .map(|a| {
                (
                    a.alert.id.clone(),
                    a.alert.src_name.clone(),
                    a.alert.message.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&one), ids(&four));
    assert!(one.events.len() > 20);
}

/// A malformed name-service datagram on UDP 137 (bad opcode 3) is a `parse_error`
/// event for `nbns` and is counted in `mizuban_drops_total{reason="parse_error"}`.
#[test]
fn nbns_parse_errors_are_counted() {
    use mizuban::synth::TraceWriter;
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("bad.pcap");
    let mut w = TraceWriter::new(
        std::fs::File::create(&p).unwrap(),
        mizuban_capture::Timestamp::from_secs_nanos(1_767_225_600, 0),
    )
    .unwrap();
    let mut bad = names_synth::nbns_registration(7, "HMI", 0, false, [192, 168, 20, 71]);
    bad[2] = 0x18; // opcode 3: not defined by RFC 1002
    w.udp(names_synth::WIN7, names_synth::BCAST, 137, 137, &bad)
        .unwrap();
    drop(w.into_inner());
    let r = replay(&p);
    let errors: Vec<_> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            mizuban_protocols::EventKind::ParseError(pe) => Some((pe.protocol, pe.reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        errors,
        [(mizuban_protocols::AppProtocol::Nbns, "bad_opcode")]
    );
    assert_eq!(
        r.engine.drops.get(mizuban_capture::DropReason::ParseError),
        1
    );
}

/// The built RDP capture (clientBuild 7601 and clientName "ENG-WIN7" checked against
/// tshark by names_tshark.rs): the client gets the name from RDP and an OS hint from its
/// build; Windows 7's support had ended by the capture's date (2026-01-01), so
/// `unsupported_os` names rdp.client.build. The TLS client shows nothing of the kind.
#[test]
fn rdp_client_build_and_name() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("rdp.pcap");
    names_synth::write_rdp(std::fs::File::create(&p).unwrap()).unwrap();
    let r = replay(&p);
    let tracker = mizuban_detect::baseline::tracker::lock(&r.tracker);
    let assets = tracker.inventory.assets();
    let w7 = &assets[&IpAddr::V4(names_synth::WIN7.ip)];
    assert_eq!(w7.names.get("ENG-WIN7"), Some(&NameSource::Rdp));
    let hint = &w7.os_hints[&OsSource::RdpClientBuild];
    assert_eq!(hint.evidence, "clientBuild 7601");
    assert_eq!(hint.os, "Windows 7 / Windows Server 2008 R2");
    let w10 = &assets[&IpAddr::V4(names_synth::WIN10.ip)];
    assert!(w10.os_hints.is_empty() && w10.names.is_empty(), "{w10:?}");
    drop(tracker);
    assert_eq!(
        unsupported(&r),
        [(
            IpAddr::V4(names_synth::WIN7.ip),
            "Windows 7 / Windows Server 2008 R2".to_string(),
            "rdp_client_build".to_string()
        )]
    );
}
