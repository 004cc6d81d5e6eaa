//! `mizuban report` and `mizuban map` (issue 16): the report of the bundled sample and
//! of a capture set with every kind of finding (tests/common/report_set.rs), checked as
//! data (every alert, section and string in both languages, evidence, escaping, the
//! state-file path giving the same report as the replay) and rendered in a real browser:
//! headless Chromium to PNG and PDF, a non-blank screenshot, no console message (the
//! page's Content-Security-Policy turns any script or fetch into one), and the Japanese
//! text in the PDF as pdftotext reads it.
//!
//! `MIZUBAN_UPDATE_DOCS=1 cargo test --test report` rewrites docs/report-sample.png,
//! the README's screenshot, from the same rendering; `MIZUBAN_REPORT_KEEP=DIR` keeps
//! the HTML, PNG and PDF files rendered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{have_tool, mizuban, png, report_set, rules_builder::config, sample_pcap};
use mizuban::report::{Lang, Origin, Report, html, map};
use std::path::{Path, PathBuf};
use std::process::Command;

fn findings_report() -> (tempfile::TempDir, Vec<PathBuf>, Report) {
    let dir = tempfile::tempdir().unwrap();
    let files = report_set::write(dir.path());
    let cfg = config(report_set::CONFIG);
    let r = mizuban::report::replay(&cfg, &files, None, 2).unwrap();
    assert!(!r.failed);
    let names = mizuban::pipeline::display_names(&files);
    let rep = Report::build(&r.state, Origin::Replay(names));
    (dir, files, rep)
}

#[test]
fn the_finding_set_raises_every_kind_of_finding() {
    let (_d, _f, r) = findings_report();
    let rules: std::collections::BTreeSet<&str> =
        r.alerts.iter().map(|a| a.rule.as_str()).collect();
    for want in [
        "internet_egress",
        "external_dns_query",
        "external_dns_answer",
        "external_service_name",
        "internet_vpn",
        "vpn",
        "zone_violation",
        "remote_access",
        "cleartext_auth",
        "repeated_login_failure",
        "unsupported_os",
        "unauthorized_control_action",
        "control_action_failed",
        "new_host",
        "new_modbus_writer",
        "ics_discovery",
    ] {
        assert!(rules.contains(want), "no {want} in {rules:?}");
    }
    // Every section but "other" has something to show.
    use mizuban::report::model::Section;
    for s in [
        Section::Internet,
        Section::Networks,
        Section::Remote,
        Section::Recon,
        Section::Auth,
        Section::Assets,
        Section::Control,
        Section::Changes,
    ] {
        assert!(r.alerts_in(s).next().is_some(), "section {s:?} is empty");
    }
    assert!(r.alerts_in(Section::Other).next().is_none());
    assert!(!r.controls.is_empty() && r.controls.iter().any(|c| !c.authorized));
    assert!(r.assets.iter().any(|a| a.unsupported_os));
}

#[test]
fn every_string_exists_in_both_languages_and_every_alert_has_its_evidence() {
    let (_d, files, r) = findings_report();
    for lang in [Lang::Ja, Lang::En] {
        let (page, missing) = html::render_checked(&r, lang);
        assert!(missing.is_empty(), "{lang:?}: keys missing: {missing:?}");
        for a in &r.alerts {
            assert!(
                page.contains(&a.id),
                "{lang:?}: alert {} not in the report",
                a.id
            );
        }
        // Frames name the capture they are in, as tshark numbers them.
        for f in &files {
            let name = f.file_name().unwrap().to_string_lossy();
            if r.alerts
                .iter()
                .any(|a| a.first_frame.as_ref().is_some_and(|x| x.file == name))
            {
                assert!(page.contains(&format!("{name} #")), "no frame of {name}");
            }
        }
        // Wire text is text: the markup in the DNS name is escaped, never live.
        assert!(!page.contains(report_set::HOSTILE_NAME));
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;.evil.example"));
        assert!(
            !page.contains("s3cret-never-shown"),
            "a password reached the report"
        );
        assert!(!page.contains("<script"), "the report must hold no script");
        for id in [
            "summary", "internet", "networks", "remote", "recon", "auth", "assets", "control",
            "changes", "map", "health",
        ] {
            assert!(
                page.contains(&format!("<section class=sec id=\"{id}\">")),
                "no section {id}"
            );
        }
    }
    let (ja, _) = html::render_checked(&r, Lang::Ja);
    for term in [
        "閉域網の判定",
        "閉域ではない",
        "インターネットVPN",
        "資産の管理",
        "サポートが終了したOS",
        "主体認証",
    ] {
        assert!(ja.contains(term), "Japanese report lacks {term}");
    }
    // The office zone touched the internet and talked to the control zone.
    // The office zone touched the internet and talked to the DMZ, which did not.
    assert!(ja.contains("ゾーン office はインターネットと接点があり、ゾーン dmz と通信しています"));
}

#[test]
fn the_report_from_a_state_file_says_what_the_replay_says() {
    let (dir, files, from_replay) = findings_report();
    let state_dir = dir.path().join("state");
    let cfg = dir.path().join("mizuban.toml");
    std::fs::write(&cfg, report_set::CONFIG).unwrap();
    let st = mizuban()
        .args(["replay", "--no-progress", "--config"])
        .arg(&cfg)
        .arg("--state-dir")
        .arg(&state_dir)
        .args(&files)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let state = state_dir.join("state.json");
    let out = dir.path().join("from-state.html");
    let run = mizuban()
        .args(["report", "--lang", "en", "--out"])
        .arg(&out)
        .arg("--from-state")
        .arg(&state)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let loaded = mizuban::report::load_state(&state).unwrap();
    let from_state = Report::build(&loaded, Origin::State(state.display().to_string()));
    assert_eq!(from_state.alerts, from_replay.alerts);
    assert_eq!(from_state.links, from_replay.links);
    assert_eq!(from_state.controls, from_replay.controls);
    assert_eq!(from_state.assets, from_replay.assets);
    assert_eq!(from_state.health, from_replay.health);
    assert_eq!(from_state.verdict, from_replay.verdict);
    let page = std::fs::read_to_string(&out).unwrap();
    for a in &from_replay.alerts {
        assert!(page.contains(&a.id));
    }
    // A second run on the same state adds a run and keeps the alerts, counts added.
    let again = mizuban()
        .args(["replay", "--no-progress", "--config"])
        .arg(&cfg)
        .arg("--state-dir")
        .arg(&state_dir)
        .arg(sample_pcap())
        .output()
        .unwrap();
    assert!(again.status.success());
    let twice = Report::build(
        &mizuban::report::load_state(&state).unwrap(),
        Origin::State(String::new()),
    );
    assert_eq!(twice.health.runs.len(), 2);
    let egress = |r: &Report| {
        r.alerts
            .iter()
            .find(|a| a.rule == "internet_egress" && a.dst_ip == Some([203, 0, 113, 45].into()))
            .map(|a| a.count)
            .unwrap()
    };
    assert!(egress(&twice) > egress(&from_replay));
}

#[test]
fn map_groups_by_zone_and_draws_internet_links_outside() {
    let (_d, _f, r) = findings_report();
    let m = map::build(&r);
    let labels: Vec<&str> = m.groups.iter().map(|g| g.label.as_str()).collect();
    for z in ["control", "office", "dmz"] {
        assert!(labels.contains(&z), "no group {z} in {labels:?}");
    }
    assert!(m.outside.is_some() && m.external_hosts >= 4);
    assert!(m.edges.iter().any(|e| e.kind == map::EdgeKind::Internet));
    assert!(
        m.edges
            .iter()
            .any(|e| e.kind == map::EdgeKind::Ics && e.protocol == "modbus")
    );
    assert_eq!(m.folded_hosts, 0);
    let dot = map::dot(&m);
    assert!(dot.contains("subgraph cluster_internet") && dot.contains("label=\"modbus\""));
    assert!(dot.contains("style=dashed"));
}

// ---- a real browser ----

fn browser() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new("sh")
                .arg("-c")
                .arg(format!("command -v {b} >/dev/null 2>&1"))
                .status()
                .is_ok_and(|s| s.success())
        })
        .or_else(|| {
            have_tool("chromium");
            None
        })
}

/// Runs headless Chromium on `page` with `what` (--screenshot=.. or --print-to-pdf=..),
/// failing on any console message the page caused.
fn chromium(bin: &str, page: &Path, what: &str, size: &str) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(bin)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--no-pdf-header-footer",
            "--enable-logging=stderr",
            "--v=0",
            &format!("--window-size={size}"),
            &format!("--user-data-dir={}", profile.path().display()),
            what,
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed: {err}");
    let console: Vec<&str> = err.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(
        console.is_empty(),
        "console messages from {}: {console:#?}",
        page.display()
    );
}

fn assert_rendered(png_path: &Path) {
    let img = png::decode(&std::fs::read(png_path).unwrap());
    assert!(img.width >= 800 && img.height >= 600);
    let ink = img.ink_share();
    assert!(
        ink > 0.05,
        "{}: only {:.1} % of pixels drawn",
        png_path.display(),
        ink * 100.0
    );
    assert!(
        img.colours() > 16,
        "{}: {} colours",
        png_path.display(),
        img.colours()
    );
}

/// The PDF's pages (form feeds) and its words as one space-separated text
/// (pdftotext breaks lines where the layout does).
fn pdf_text(pdf: &Path) -> (usize, String) {
    let out = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    let raw = String::from_utf8_lossy(&out.stdout);
    let pages = raw.matches('\u{c}').count();
    (pages, raw.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[test]
fn reports_render_in_chromium_to_png_and_pdf() {
    let Some(bin) = browser() else { return };
    if !have_tool("pdftotext") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let set = report_set::write(dir.path());
    let cfg = dir.path().join("mizuban.toml");
    std::fs::write(&cfg, report_set::CONFIG).unwrap();
    let cases: [(&str, &str, Vec<PathBuf>, bool); 3] = [
        ("sample", "ja", vec![sample_pcap()], false),
        ("findings", "ja", set.clone(), true),
        ("findings", "en", set, true),
    ];
    for (name, lang, files, zones) in cases {
        let html_path = dir.path().join(format!("{name}-{lang}.html"));
        let mut cmd = mizuban();
        cmd.args(["report", "--lang", lang, "--out"])
            .arg(&html_path);
        if zones {
            cmd.arg("--config").arg(&cfg);
        }
        let out = cmd.args(&files).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The screen rendering once per capture set (the English one is checked in print).
        let shot = dir.path().join(format!("{name}-{lang}.png"));
        if lang == "ja" {
            chromium(
                bin,
                &html_path,
                &format!("--screenshot={}", shot.display()),
                "1280,1800",
            );
            assert_rendered(&shot);
        }
        let pdf = dir.path().join(format!("{name}-{lang}.pdf"));
        chromium(
            bin,
            &html_path,
            &format!("--print-to-pdf={}", pdf.display()),
            "1280,1800",
        );
        let (pages, text) = pdf_text(&pdf);
        // The running header names the sensor and the period on every page.
        assert!(pages >= 8, "{name}-{lang}: {pages} pages");
        let header = text.matches("water-plant.pcap").count();
        assert!(
            header >= pages,
            "{name}-{lang}: header on {header} of {pages} pages"
        );
        if lang == "ja" {
            for term in [
                "閉域網の判定",
                "閉域ではない",
                "インターネットとの接点",
                "資産の管理",
                "監視の健全性",
                "通信マップ",
            ] {
                assert!(text.contains(term), "{name}-{lang}: PDF lacks {term}");
            }
        } else {
            assert!(text.contains("Closed-network verdict") && text.contains("NOT CLOSED"));
        }
        if name == "findings" {
            // Shown as text, markup and all (table cells may break it across lines).
            let joined: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            assert!(
                joined.contains("<imgsrc=xonerror=alert(1)>.evil.example"),
                "the hostile name is not shown as text"
            );
        }
        // MIZUBAN_REPORT_KEEP=DIR keeps what was rendered, to look at.
        if let Some(keep) = std::env::var_os("MIZUBAN_REPORT_KEEP") {
            for p in files
                .iter()
                .chain([&html_path, &shot, &pdf])
                .filter(|p| p.exists())
            {
                std::fs::copy(p, Path::new(&keep).join(p.file_name().unwrap())).unwrap();
            }
        }
        if name == "sample" && std::env::var_os("MIZUBAN_UPDATE_DOCS").is_some() {
            let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
            std::fs::create_dir_all(&docs).unwrap();
            let small = dir.path().join("small.png");
            chromium(
                bin,
                &html_path,
                &format!("--screenshot={}", small.display()),
                "1000,1400",
            );
            std::fs::copy(&small, docs.join("report-sample.png")).unwrap();
        }
    }
    // The map alone, as an SVG document.
    let svg = dir.path().join("map.svg");
    let out = mizuban()
        .args(["map", "--format", "svg", "--lang", "ja", "--out"])
        .arg(&svg)
        .arg(sample_pcap())
        .output()
        .unwrap();
    assert!(out.status.success());
    let shot = dir.path().join("map.png");
    chromium(
        bin,
        &svg,
        &format!("--screenshot={}", shot.display()),
        "1000,700",
    );
    assert_rendered(&shot);
    // A 200-host plant, drawn whole, in a page (scaled to its width).
    let big = dir.path().join("map-200.html");
    let tr = mizuban::report::i18n::Tr::new(Lang::En);
    let page = format!(
        "<!DOCTYPE html><html><head><meta charset=utf-8></head><body style=\"margin:0\">{}</body></html>",
        map::svg(&map::build(&big_plant(200)), &tr).replace(
            "class=netmap",
            "class=netmap style=\"width:100%;height:auto\""
        )
    );
    std::fs::write(&big, page).unwrap();
    let big_shot = dir.path().join("map-200.png");
    chromium(
        bin,
        &big,
        &format!("--screenshot={}", big_shot.display()),
        "1600,1400",
    );
    assert_rendered(&big_shot);
    if let Some(keep) = std::env::var_os("MIZUBAN_REPORT_KEEP") {
        for p in [&shot, &big_shot] {
            std::fs::copy(p, Path::new(&keep).join(p.file_name().unwrap())).unwrap();
        }
    }
}

/// A plant of `n` internal hosts in four /24s: in each, two HMIs poll every PLC over
/// Modbus and every host talks DNS to a server; one workstation reaches the internet.
fn big_plant(n: usize) -> Report {
    use mizuban_detect::evidence::{EvidenceState, FrameRef, Link};
    use std::net::{IpAddr, Ipv4Addr};
    let host = |i: usize| IpAddr::V4(Ipv4Addr::new(10, 0, (i / 100) as u8, (i % 100 + 1) as u8));
    let link = |c: IpAddr, s: IpAddr, port: u16, proto: &str, ics: bool, inside: bool| Link {
        client: c,
        server: s,
        transport: "tcp".into(),
        port,
        protocol: proto.into(),
        category: if ics { "ics" } else { "naming" }.into(),
        client_internal: true,
        server_internal: inside,
        client_zone: None,
        server_zone: None,
        flows: 3,
        packets: 30,
        bytes: 3000,
        first_ns: 0,
        last_ns: 1,
        first: FrameRef::default(),
    };
    let mut links = Vec::new();
    for i in 0..n {
        let subnet = i / 100;
        let (hmi_a, hmi_b) = (host(subnet * 100), host(subnet * 100 + 1));
        if i % 100 >= 2 && i % 3 == 0 {
            links.push(link(hmi_a, host(i), 502, "modbus", true, true));
            links.push(link(hmi_b, host(i), 502, "modbus", true, true));
        }
        if i != 2 {
            links.push(link(host(i), host(2), 53, "dns", false, true));
        }
    }
    links.push(link(
        host(5),
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)),
        443,
        "tls",
        false,
        false,
    ));
    let state = mizuban_detect::persist::DetectState {
        evidence: Some(EvidenceState {
            links,
            ..EvidenceState::default()
        }),
        ..Default::default()
    };
    Report::build(&state, Origin::State("big".into()))
}

#[test]
fn maps_beyond_200_hosts_fold_the_plain_ones_and_say_so() {
    let small = map::build(&big_plant(200));
    assert_eq!(small.internal_hosts, 200);
    assert_eq!(small.folded_hosts, 0);
    let big = map::build(&big_plant(350));
    assert_eq!(big.internal_hosts, 350);
    assert_eq!(big.folded_hosts, 350 - map::MAX_HOSTS);
    // Industrial hosts are kept: every Modbus client and server is drawn.
    let drawn: std::collections::BTreeSet<_> = big.nodes.iter().filter_map(|n| n.ip).collect();
    let r = big_plant(350);
    for l in r.links.iter().filter(|l| l.is_ics()) {
        assert!(drawn.contains(&l.client) && drawn.contains(&l.server));
    }
    let tr = mizuban::report::i18n::Tr::new(Lang::Ja);
    let svg = map::svg(&big, &tr);
    assert!(
        svg.contains("150 台をグループごとに「ほか N 台」にまとめています"),
        "the picture says it folded"
    );
    assert!(
        svg.contains("ほか 50 台") || svg.contains("ほか "),
        "a cluster node is drawn"
    );
}

#[test]
fn the_language_follows_the_locale_unless_given() {
    let dir = tempfile::tempdir().unwrap();
    for (env, flag, want) in [
        (("LANG", "ja_JP.UTF-8"), None, "ja"),
        (("LANG", "C.UTF-8"), None, "en"),
        (("LC_ALL", "ja_JP.UTF-8"), None, "ja"),
        (("LANG", "ja_JP.UTF-8"), Some("en"), "en"),
    ] {
        let out = dir.path().join("r.html");
        let mut cmd = mizuban();
        cmd.env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env(env.0, env.1)
            .args(["report", "--out"])
            .arg(&out);
        if let Some(l) = flag {
            cmd.args(["--lang", l]);
        }
        let run = cmd.arg(sample_pcap()).output().unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let page = std::fs::read_to_string(&out).unwrap();
        assert!(
            page.contains(&format!("<html lang=\"{want}\">")),
            "{env:?} {flag:?}: not {want}"
        );
    }
}

#[test]
fn a_one_sided_mirror_is_stated_and_makes_the_verdict_undetermined() {
    use mizuban::synth::{HMI, PLCS, TcpSession, modbus_adu};
    // Only the HMI's side of ten Modbus sessions: a SPAN port copying one direction.
    let cap = common::rules_builder::build("one-sided", |w| {
        for (i, plc) in PLCS.iter().cycle().take(10).enumerate() {
            let mut s = TcpSession::new(HMI, *plc, 40_000 + i as u16, 502, 5_000 * i as u32);
            for t in 0..4u16 {
                s.send(w, true, &modbus_adu(t, 1, &[0x03, 0, 0, 0, 1]))?;
                w.advance_micros(100_000);
            }
        }
        Ok(())
    });
    let cfg = mizuban::config::Config::default();
    let rep = mizuban::report::replay(&cfg, std::slice::from_ref(&cap.path), None, 1).unwrap();
    let r = Report::build(&rep.state, Origin::Replay(vec!["one-sided.pcap".into()]));
    assert_eq!(r.health.tcp_sessions, Some(10));
    assert_eq!(r.health.one_sided_flows, Some(10));
    assert_eq!(r.verdict, mizuban_detect::verdict::Verdict::Undetermined);
    let (page, missing) = html::render_checked(&r, Lang::Ja);
    assert!(missing.is_empty());
    assert!(page.contains("100.00 % (TCPセッション 10 件中 10 件が片方向のみ)"));
    assert!(page.contains("ミラーポートが片方向しか複製していない可能性があります"));
}
