//! Host names and OS evidence (issue 19) against tshark: every shared capture that
//! carries NetBIOS, BROWSER, SMB/NTLMSSP, DHCP, LLMNR, mDNS or SSDP, plus hand-built
//! captures (tests/common/names_synth.rs) for cases the corpus lacks. Each decoded
//! field must equal tshark's for the same frame, and NBNS must never come out as DNS.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::names_synth;
use common::*;
use mizuban::config::Config;
use mizuban_protocols::auth::smb::SmbInfo;
use mizuban_protocols::event::EventKind;
use mizuban_protocols::{Event, netbios};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// tshark rows by frame number: field name -> every occurrence, in order.
type Rows = BTreeMap<u64, BTreeMap<&'static str, Vec<String>>>;

const FIELDS: &[&str] = &[
    "nbns.name",
    "nbns.flags.response",
    "browser.command",
    "browser.server",
    "browser.os_major",
    "browser.os_minor",
    "browser.server_type",
    "nbdgm.source_name",
];

/// Runs tshark once over `pcap` for `filter`, returning the requested fields per frame.
fn tshark(pcap: &Path, filter: &str, fields: &[&'static str]) -> Rows {
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"])
        .arg(pcap)
        .args(["-Y", filter, "-T", "fields"]);
    cmd.args([
        "-E",
        "separator=/t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=\u{1f}",
    ]);
    cmd.args(["-e", "frame.number"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = run_stdout(&mut cmd);
    let mut rows = Rows::new();
    for line in out.lines() {
        let mut cols = line.split('\t');
        let Some(frame) = cols.next().and_then(|c| c.parse().ok()) else {
            continue;
        };
        let mut m = BTreeMap::new();
        for (f, v) in fields.iter().zip(cols) {
            if !v.is_empty() {
                m.insert(*f, v.split('\u{1f}').map(str::to_string).collect());
            }
        }
        rows.insert(frame, m);
    }
    rows
}

fn run(pcap: &Path) -> Vec<Event> {
    mizuban::pipeline::collect(&[pcap.to_path_buf()], &Config::default(), 2)
        .unwrap()
        .events
}

/// tshark appends the suffix's meaning to an answer name: "NAME<20> (Server service)".
fn strip_note(s: &str) -> &str {
    s.split(" (").next().unwrap_or(s)
}

/// Field-by-field differences for the NetBIOS frames of one capture, and the number of
/// fields compared.
fn compare_netbios(name: &str, rows: &Rows, events: &[Event]) -> (Vec<String>, usize) {
    let mut diffs = Vec::new();
    let mut compared = 0;
    let mut ours: BTreeMap<u64, &EventKind> = BTreeMap::new();
    for e in events {
        if matches!(e.kind, EventKind::Nbns(_) | EventKind::Browser(_)) {
            ours.insert(e.frame, &e.kind);
        }
    }
    for (frame, f) in rows {
        let mut check = |field: &str, theirs: Vec<String>, mine: Vec<String>| {
            compared += theirs.len().max(1);
            if theirs != mine {
                diffs.push(format!(
                    "{name} frame {frame} {field}: tshark {theirs:?}, ours {mine:?}"
                ));
            }
        };
        if let Some(names) = f.get("nbns.name") {
            let Some(EventKind::Nbns(m)) = ours.get(frame) else {
                diffs.push(format!(
                    "{name} frame {frame}: tshark nbns, we have no nbns event"
                ));
                continue;
            };
            let theirs = names.iter().map(|n| strip_note(n).to_string()).collect();
            let mut mine: Vec<String> = m.query.iter().map(|q| q.display()).collect();
            mine.extend(m.records.iter().map(|r| r.name.display()));
            check("nbns.name", theirs, mine);
            let resp = f.get("nbns.flags.response").cloned().unwrap_or_default();
            check(
                "nbns.flags.response",
                resp,
                vec![if m.response { "1" } else { "0" }.into()],
            );
        }
        if let Some(cmd) = f.get("browser.command") {
            let Some(EventKind::Browser(a)) = ours.get(frame) else {
                diffs.push(format!(
                    "{name} frame {frame}: tshark browser, we have no browser event"
                ));
                continue;
            };
            check(
                "browser.command",
                cmd.clone(),
                vec![format!("0x{:02x}", a.command)],
            );
            let opt = |k: &str| f.get(k).cloned().unwrap_or_default();
            check(
                "browser.server",
                opt("browser.server"),
                a.server.iter().cloned().collect(),
            );
            check(
                "browser.os_major",
                opt("browser.os_major"),
                a.os_major.iter().map(u8::to_string).collect(),
            );
            check(
                "browser.os_minor",
                opt("browser.os_minor"),
                a.os_minor.iter().map(u8::to_string).collect(),
            );
            check(
                "browser.server_type",
                opt("browser.server_type"),
                a.server_type.iter().map(|t| format!("0x{t:08x}")).collect(),
            );
            check(
                "nbdgm.source_name",
                opt("nbdgm.source_name"),
                a.source_name
                    .iter()
                    .map(netbios::NetbiosName::display)
                    .collect(),
            );
        }
    }
    // Nothing tshark does not see.
    for frame in ours.keys() {
        if !rows.contains_key(frame) {
            diffs.push(format!(
                "{name} frame {frame}: our event, no tshark NetBIOS frame"
            ));
        }
    }
    (diffs, compared)
}

/// Every protocol this file compares; one tshark pass per shared capture finds the
/// captures that carry any of them (cached: the tests share it).
const ANY: &str = "nbns || browser || smb || smb2 || ntlmssp || dhcp || mdns || llmnr || ssdp";

/// (capture, the protocols tshark names in its matching frames).
fn corpus() -> &'static Vec<(PathBuf, String)> {
    static CORPUS: std::sync::OnceLock<Vec<(PathBuf, String)>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(|| {
        let scan = |p: &PathBuf| {
            let out = run_stdout(
                Command::new("tshark")
                    .args([
                        "-n",
                        "-Y",
                        ANY,
                        "-T",
                        "fields",
                        "-e",
                        "frame.protocols",
                        "-r",
                    ])
                    .arg(p),
            );
            (!out.trim().is_empty()).then(|| (p.clone(), out))
        };
        // Two tshark processes at a time (CI has two cores).
        let files = shared_pcaps();
        let (a, b) = files.split_at(files.len() / 2);
        let (mut x, y) = std::thread::scope(|s| {
            let h = s.spawn(|| b.iter().filter_map(scan).collect::<Vec<_>>());
            let x: Vec<_> = a.iter().filter_map(scan).collect();
            (x, h.join().unwrap())
        });
        x.extend(y);
        x
    })
}

/// Shared captures in which tshark finds one of `protos` (names as in frame.protocols).
fn shared_with(protos: &[&str]) -> Vec<PathBuf> {
    corpus()
        .iter()
        .filter(|(_, seen)| {
            seen.lines()
                .any(|l| l.split(':').any(|p| protos.contains(&p)))
        })
        .map(|(p, _)| p.clone())
        .collect()
}

fn synth(
    dir: &Path,
    name: &str,
    write: fn(std::fs::File) -> std::io::Result<std::fs::File>,
) -> PathBuf {
    let p = dir.join(name);
    write(std::fs::File::create(&p).unwrap()).unwrap();
    p
}

#[test]
fn netbios_matches_tshark_on_shared_and_built_captures() {
    if !have_tool("tshark") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let built = synth(tmp.path(), "netbios.pcap", names_synth::write_netbios);
    let mut files = shared_with(&["nbns", "browser"]);
    assert!(
        files.len() >= 3,
        "NetBIOS captures in the shared corpus: {files:?}"
    );
    files.push(built.clone());
    let (mut all, mut compared, mut frames) = (Vec::new(), 0, 0);
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let rows = tshark(f, "nbns || browser", FIELDS);
        let events = run(f);
        let (d, n) = compare_netbios(&name, &rows, &events);
        println!(
            "{name}: {} NetBIOS frames, {n} fields compared, {} diffs",
            rows.len(),
            d.len()
        );
        frames += rows.len();
        compared += n;
        all.extend(d);
        if f == &built {
            // tshark decodes every frame we built, as NBNS or BROWSER.
            assert_eq!(rows.len(), 7, "tshark did not decode the built capture");
        }
    }
    println!(
        "NetBIOS: {} captures, {frames} frames, {compared} fields compared",
        files.len()
    );
    for d in &all {
        println!("{d}");
    }
    assert!(all.is_empty(), "{} differences with tshark", all.len());
}

const SMB_FIELDS: &[&str] = &[
    "smb.native_os",
    "smb.native_lanman",
    "smb.dialect.name",
    "smb.sm.sig_required",
    "smb2.dialect",
    "smb2.sec_mode.sign_required",
    "ntlmssp.messagetype",
    "ntlmssp.version.major",
    "ntlmssp.version.minor",
    "ntlmssp.version.build_number",
    "ntlmssp.auth.hostname",
    "ntlmssp.auth.domain",
    "ntlmssp.challenge.target_name",
    "ntlmssp.challenge.target_info.nb_computer_name",
    "ntlmssp.challenge.target_info.nb_domain_name",
    "ntlmssp.challenge.target_info.dns_computer_name",
    "ntlmssp.challenge.target_info.dns_domain_name",
    "nbss.called_name",
    "nbss.calling_name",
];

/// Our value of one tshark SMB field, from the `smb` events of one frame (in order).
fn smb_field(field: &str, infos: &[&SmbInfo]) -> Vec<String> {
    let b = |x: bool| if x { "1" } else { "0" }.to_string();
    let mut v = Vec::new();
    for i in infos {
        let n = i.ntlmssp.as_ref();
        let s = |x: Option<&String>| x.cloned().into_iter();
        match field {
            "smb.native_os" => v.extend(s(i.native_os.as_ref())),
            "smb.native_lanman" => v.extend(s(i.native_lanman.as_ref())),
            "smb.dialect.name" if i.version == 1 && !i.response => v.extend(i.dialects.clone()),
            "smb.sm.sig_required" if i.version == 1 => v.extend(i.signing_required.map(b)),
            "smb2.dialect" if i.version == 2 => {
                v.extend(i.dialects.clone());
                v.extend(s(i.dialect.as_ref()));
            }
            "smb2.sec_mode.sign_required" if i.version == 2 => v.extend(i.signing_required.map(b)),
            "ntlmssp.messagetype" => v.extend(n.map(|n| format!("0x{:08x}", n.message_type))),
            "ntlmssp.version.major" => v.extend(
                n.and_then(|n| n.version.as_ref())
                    .map(|x| x.major.to_string()),
            ),
            "ntlmssp.version.minor" => v.extend(
                n.and_then(|n| n.version.as_ref())
                    .map(|x| x.minor.to_string()),
            ),
            "ntlmssp.version.build_number" => v.extend(
                n.and_then(|n| n.version.as_ref())
                    .map(|x| x.build.to_string()),
            ),
            // tshark writes an empty NTLMSSP string as NULL.
            "ntlmssp.auth.hostname" if n.is_some_and(|n| n.message_type == 3) => v.push(
                n.and_then(|n| n.hostname.clone())
                    .unwrap_or_else(|| "NULL".into()),
            ),
            "ntlmssp.auth.domain" if n.is_some_and(|n| n.message_type == 3) => v.push(
                n.and_then(|n| n.domain.clone())
                    .unwrap_or_else(|| "NULL".into()),
            ),
            "ntlmssp.challenge.target_name" if n.is_some_and(|n| n.message_type == 2) => v.push(
                n.and_then(|n| n.target_name.clone())
                    .unwrap_or_else(|| "NULL".into()),
            ),
            "ntlmssp.challenge.target_info.nb_computer_name" => {
                v.extend(n.and_then(|n| n.nb_computer_name.clone()))
            }
            "ntlmssp.challenge.target_info.nb_domain_name" => {
                v.extend(n.and_then(|n| n.nb_domain_name.clone()))
            }
            "ntlmssp.challenge.target_info.dns_computer_name" => {
                v.extend(n.and_then(|n| n.dns_computer_name.clone()))
            }
            "ntlmssp.challenge.target_info.dns_domain_name" => {
                v.extend(n.and_then(|n| n.dns_domain_name.clone()))
            }
            "nbss.called_name" => {
                v.extend(i.called_name.as_ref().map(netbios::NetbiosName::display))
            }
            "nbss.calling_name" => {
                v.extend(i.calling_name.as_ref().map(netbios::NetbiosName::display))
            }
            _ => {}
        }
    }
    v
}

/// tshark's SMB2 dialect revisions are hex; ours are names.
fn tshark_value(field: &str, v: &str) -> String {
    match field {
        "smb2.dialect" => {
            let d = u16::from_str_radix(v.trim_start_matches("0x"), 16).unwrap();
            mizuban_protocols::auth::smb::smb2_dialect_name(d)
        }
        _ => v.to_string(),
    }
}

fn compare_smb(name: &str, rows: &Rows, events: &[Event]) -> (Vec<String>, usize) {
    let mut ours: BTreeMap<u64, Vec<&SmbInfo>> = BTreeMap::new();
    for e in events {
        if let EventKind::Smb(i) = &e.kind {
            ours.entry(e.frame).or_default().push(i);
        }
    }
    let (mut diffs, mut compared) = (Vec::new(), 0);
    for (frame, f) in rows {
        let infos = ours.get(frame).cloned().unwrap_or_default();
        for field in SMB_FIELDS {
            let theirs: Vec<String> = f
                .get(field)
                .map(|v| v.iter().map(|x| tshark_value(field, x)).collect())
                .unwrap_or_default();
            let mine = smb_field(field, &infos);
            if theirs.is_empty() && mine.is_empty() {
                continue;
            }
            compared += theirs.len().max(1);
            if theirs != mine {
                diffs.push(format!(
                    "{name} frame {frame} {field}: tshark {theirs:?}, ours {mine:?}"
                ));
            }
        }
    }
    (diffs, compared)
}

#[test]
fn smb_and_ntlmssp_match_tshark() {
    if !have_tool("tshark") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let built = synth(tmp.path(), "smb.pcap", names_synth::write_smb);
    let mut files = shared_with(&["smb", "smb2"]);
    assert!(
        files.len() >= 3,
        "SMB captures in the shared corpus: {files:?}"
    );
    files.push(built.clone());
    let filter =
        "smb.cmd == 0x72 || smb.cmd == 0x73 || smb2.cmd == 0 || smb2.cmd == 1 || nbss.type == 0x81";
    let (mut all, mut compared, mut frames) = (Vec::new(), 0, 0);
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let rows = tshark(f, filter, SMB_FIELDS);
        let events = run(f);
        let (d, n) = compare_smb(&name, &rows, &events);
        println!(
            "{name}: {} SMB frames, {n} fields compared, {} diffs",
            rows.len(),
            d.len()
        );
        if f == &built {
            assert_eq!(rows.len(), 6, "tshark did not decode the built capture");
            assert!(n >= 10, "built capture: only {n} fields compared");
        }
        frames += rows.len();
        compared += n;
        all.extend(d);
    }
    println!(
        "SMB: {} captures, {frames} frames, {compared} fields compared",
        files.len()
    );
    for d in &all {
        println!("{d}");
    }
    assert!(all.is_empty(), "{} differences with tshark", all.len());
}

const DISCOVERY_FIELDS: &[&str] = &[
    "dns.qry.name",
    "dns.a",
    "dns.count.auth_rr",
    "dns.count.add_rr",
    "http.request.method",
    "http.response.code",
    "http.server",
    "http.location",
    "http.request.line",
    "http.response.line",
    "http.unknown_header",
    "dhcp.option.hostname",
    "dhcp.option.vendor_class_id",
    "dhcp.option.request_list_item",
];

/// An SSDP header from tshark's header lines ("NAME: value\r\n"): known headers of a
/// request in http.request.line, unknown ones in http.unknown_header, all of a
/// response in http.response.line.
fn unknown_header(f: &BTreeMap<&'static str, Vec<String>>, name: &str) -> Vec<String> {
    f.get("http.request.line")
        .into_iter()
        .chain(f.get("http.response.line"))
        .chain(f.get("http.unknown_header"))
        .flatten()
        .filter_map(|h| {
            let (n, v) = h.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().trim_end_matches("\\r\\n").trim().to_string())
        })
        .collect()
}

fn compare_discovery(name: &str, rows: &Rows, events: &[Event]) -> (Vec<String>, usize) {
    let mut ours: BTreeMap<u64, &EventKind> = BTreeMap::new();
    for e in events {
        if matches!(
            e.kind,
            EventKind::Mdns(_) | EventKind::Llmnr(_) | EventKind::Ssdp(_) | EventKind::Dhcp(_)
        ) {
            ours.insert(e.frame, &e.kind);
        }
    }
    let (mut diffs, mut compared) = (Vec::new(), 0);
    for (frame, f) in rows {
        let get = |k: &str| f.get(k).cloned().unwrap_or_default();
        let mut check = |field: &str, theirs: Vec<String>, mine: Vec<String>| {
            compared += theirs.len().max(1);
            if theirs != mine {
                diffs.push(format!(
                    "{name} frame {frame} {field}: tshark {theirs:?}, ours {mine:?}"
                ));
            }
        };
        match ours.get(frame) {
            Some(EventKind::Mdns(m) | EventKind::Llmnr(m)) => {
                // We keep the first question; tshark lists them all.
                check(
                    "dns.qry.name",
                    get("dns.qry.name").into_iter().take(1).collect(),
                    m.query.iter().cloned().collect(),
                );
                // mDNS events keep every section; LLMNR the answers only.
                let only_answers = matches!(ours.get(frame), Some(EventKind::Mdns(_)))
                    || (get("dns.count.auth_rr") == ["0"] && get("dns.count.add_rr") == ["0"]);
                if only_answers {
                    let mine = m
                        .answers
                        .iter()
                        .filter(|a| a.rtype == 1)
                        .filter_map(|a| a.addr)
                        .map(|a| a.to_string())
                        .collect();
                    check("dns.a", get("dns.a"), mine);
                }
            }
            Some(EventKind::Ssdp(m)) => {
                check(
                    "http.request.method",
                    get("http.request.method"),
                    m.method.iter().cloned().collect(),
                );
                check(
                    "http.response.code",
                    get("http.response.code"),
                    m.status.iter().map(u16::to_string).collect(),
                );
                check(
                    "http.server",
                    get("http.server"),
                    m.server.iter().cloned().collect(),
                );
                check(
                    "http.location",
                    get("http.location"),
                    m.location.iter().cloned().collect(),
                );
                for (h, v) in [
                    ("NT", &m.nt),
                    ("NTS", &m.nts),
                    ("ST", &m.st),
                    ("USN", &m.usn),
                ] {
                    check(h, unknown_header(f, h), v.iter().cloned().collect());
                }
            }
            Some(EventKind::Dhcp(d)) => {
                check(
                    "dhcp.option.hostname",
                    get("dhcp.option.hostname"),
                    d.hostname.iter().cloned().collect(),
                );
                check(
                    "dhcp.option.vendor_class_id",
                    get("dhcp.option.vendor_class_id"),
                    d.vendor_class.iter().cloned().collect(),
                );
                let prl = get("dhcp.option.request_list_item");
                check(
                    "dhcp.option.request_list_item",
                    prl,
                    d.param_request_list.iter().map(u8::to_string).collect(),
                );
            }
            _ => diffs.push(format!(
                "{name} frame {frame}: tshark decodes it, we have no event"
            )),
        }
    }
    for frame in ours.keys().filter(|f| !rows.contains_key(f)) {
        diffs.push(format!("{name} frame {frame}: our event, no tshark frame"));
    }
    (diffs, compared)
}

#[test]
fn llmnr_mdns_ssdp_dhcp_match_tshark() {
    if !have_tool("tshark") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let built = synth(tmp.path(), "discovery.pcap", names_synth::write_discovery);
    let mut files = shared_with(&["llmnr", "mdns", "ssdp", "dhcp"]);
    assert!(
        files.len() >= 2,
        "discovery captures in the shared corpus: {files:?}"
    );
    files.push(built.clone());
    let filter = "llmnr || mdns || ssdp || dhcp";
    let (mut all, mut compared, mut frames) = (Vec::new(), 0, 0);
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let rows = tshark(f, filter, DISCOVERY_FIELDS);
        let events = run(f);
        let (d, n) = compare_discovery(&name, &rows, &events);
        println!(
            "{name}: {} frames, {n} fields compared, {} diffs",
            rows.len(),
            d.len()
        );
        if f == &built {
            assert_eq!(rows.len(), 8, "tshark did not decode the built capture");
        }
        frames += rows.len();
        compared += n;
        all.extend(d);
    }
    println!(
        "discovery: {} captures, {frames} frames, {compared} fields compared",
        files.len()
    );
    for d in all.iter().take(40) {
        println!("{d}");
    }
    assert!(all.is_empty(), "{} differences with tshark", all.len());
}

/// Issue 19 point 6: NBNS traffic never produces a `dns` event.
#[test]
fn nbns_is_never_reported_as_dns() {
    let mut files = vec![
        corpus::path("mixed/iti_EIP-IPAddressChangeAttempt.pcap"),
        corpus::path("other/iti_c37118_1100_unclean.pcap"),
    ];
    let tmp = tempfile::tempdir().unwrap();
    files.push(synth(
        tmp.path(),
        "netbios.pcap",
        names_synth::write_netbios,
    ));
    for f in &files {
        let events = run(f);
        let nbns = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Nbns(_)))
            .count();
        assert!(nbns > 0, "{}: no nbns event", f.display());
        for e in &events {
            if let EventKind::Dns(m) = &e.kind {
                let ports = [e.flow.client.port(), e.flow.server.port()];
                assert!(
                    !ports.contains(&137) && !ports.contains(&138),
                    "{}: dns event on NetBIOS ports: {m:?}",
                    f.display()
                );
                let q = m.query.as_deref().unwrap_or("");
                assert!(
                    !(q.len() == 32
                        && q.bytes()
                            .all(|c| (b'A'..=b'P').contains(&c.to_ascii_uppercase()))),
                    "{}: encoded NetBIOS name as DNS: {q}",
                    f.display()
                );
            }
        }
    }
}

/// RDP client core data (clientBuild and clientName) equal tshark's, on the one built
/// capture that carries them: no shared capture uses standard RDP security.
#[test]
fn rdp_client_data_matches_tshark() {
    if !have_tool("tshark") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let built = synth(tmp.path(), "rdp.pcap", names_synth::write_rdp);
    let fields = &[
        "rdp.client.build",
        "rdp.client.name",
        "rdp.desktop.width",
        "rdp.desktop.height",
    ];
    let rows = tshark(&built, "rdp.client.build", fields);
    assert_eq!(
        rows.len(),
        1,
        "tshark decodes one client core block: {rows:?}"
    );
    let events = run(&built);
    let infos: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::RdpClient(i) => Some((e.frame, i)),
            _ => None,
        })
        .collect();
    assert_eq!(infos.len(), 1, "the TLS connection shows no client data");
    let (frame, info) = infos[0];
    let row = rows
        .get(&frame)
        .unwrap_or_else(|| panic!("tshark has no row for frame {frame}"));
    let one = |f: &str| row[f].first().cloned().unwrap_or_default();
    assert_eq!(one("rdp.client.build"), info.client_build.to_string());
    assert_eq!(one("rdp.client.name"), info.client_name);
    assert_eq!(one("rdp.desktop.width"), info.desktop_width.to_string());
    assert_eq!(one("rdp.desktop.height"), info.desktop_height.to_string());
}
