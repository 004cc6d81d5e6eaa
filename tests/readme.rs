//! The README says what really happens: its sample block is the real output of the
//! Quick start command, its counts of lines and alerts are the real counts, its usage
//! block lists every option `--help` shows, and `--help` tells a build without the
//! `live` feature that `capture` exists.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use std::collections::BTreeSet;
use std::path::Path;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The text between `<!-- NAME:start -->` and `<!-- NAME:end -->`, without the fences.
fn block(text: &str, name: &str) -> String {
    let start = text
        .find(&format!("<!-- {name}:start -->"))
        .unwrap_or_else(|| panic!("README lacks the {name}:start marker"));
    let end = text
        .find(&format!("<!-- {name}:end -->"))
        .unwrap_or_else(|| panic!("README lacks the {name}:end marker"));
    text[start..end]
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("```"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn number_word(n: usize) -> &'static str {
    [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ]
    .get(n)
    .copied()
    .unwrap_or("many")
}

/// The Quick start replay: (stdout lines, stderr lines).
fn quick_start() -> (Vec<String>, Vec<String>) {
    let out = mizuban()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["replay", "--alerts", "-", "samples/water-plant.pcap"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    (lines(&out.stdout), lines(&out.stderr))
}

#[test]
fn the_sample_block_is_the_real_output_in_order() {
    let (stdout, stderr) = quick_start();
    let real: Vec<&String> = stdout.iter().chain(&stderr).collect();
    let mut at = 0;
    for want in block(&readme(), "sample").lines().filter(|l| *l != "...") {
        match real[at..].iter().position(|l| *l == want) {
            Some(i) => at += i + 1,
            None => panic!(
                "README sample line not in the real output (or out of order):\n{want}\n\
                 real output:\n{}",
                real.iter()
                    .map(|l| l.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }
}

#[test]
fn the_sample_counts_in_the_text_are_the_real_counts() {
    let (stdout, stderr) = quick_start();
    let new = stdout
        .iter()
        .filter(|l| l.contains(r#""status":"new""#))
        .count();
    let update = stdout
        .iter()
        .filter(|l| l.contains(r#""status":"update""#))
        .count();
    let breach = stdout
        .iter()
        .filter(|l| {
            l.contains(r#""status":"new""#) && l.contains(r#""closed_network_breach":true"#)
        })
        .count();
    assert_eq!(new + update, stdout.len(), "every stdout line is an alert");
    let text = readme().split_whitespace().collect::<Vec<_>>().join(" ");
    for claim in [
        format!("raises {} alerts", number_word(new)),
        format!("prints {} lines", number_word(stdout.len())),
        format!(
            "counts {} of them as contact with the internet",
            number_word(breach)
        ),
    ] {
        assert!(text.contains(&claim), "README should say {claim:?}");
    }
    assert_eq!(update, 1, "the README explains one update line");
    let verdict = format!("{breach} alert(s) show contact with the internet");
    assert!(stderr.iter().any(|l| l.contains(&verdict)), "{stderr:#?}");
}

/// The human summary states the period, the packet count and the capture loss once, and
/// a speed only over a run long enough to mean one.
#[test]
fn the_summary_states_each_fact_once() {
    let (_, stderr) = quick_start();
    let count = |needle: &str| stderr.iter().filter(|l| l.contains(needle)).count();
    assert_eq!(count("period:"), 1, "{stderr:#?}");
    assert_eq!(count("6071"), 1, "{stderr:#?}");
    assert_eq!(count("capture loss"), 1, "{stderr:#?}");
    for l in stderr.iter().filter(|l| l.contains("speed:")) {
        let secs: f64 = l
            .rsplit(" in ")
            .next()
            .and_then(|t| t.trim_end_matches(" s").parse().ok())
            .unwrap_or_else(|| panic!("{l}"));
        assert!(secs >= 1.0, "{l}");
    }
    assert!(
        stderr
            .iter()
            .any(|l| l == "  192.168.10.50 (ENG-WS01): 3 finding(s)"),
        "host lines carry the host's name: {stderr:#?}"
    );
}

/// Every `--long` option of `mizuban ARGS --help` (help and version aside).
fn options(args: &[&str]) -> BTreeSet<String> {
    let out = run_stdout(mizuban().args(args).arg("--help"));
    out.lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| {
            l.split([',', ' '])
                .find(|t| t.starts_with("--"))
                .map(str::to_string)
        })
        .filter(|o| o != "--help" && o != "--version")
        .collect()
}

#[test]
fn the_usage_block_lists_every_option_of_help() {
    let usage = block(&readme(), "usage");
    let mut commands: Vec<(&str, Vec<&str>)> = vec![
        ("mizuban replay", vec!["replay"]),
        ("mizuban baseline learn", vec!["baseline", "learn"]),
        ("mizuban baseline show", vec!["baseline", "show"]),
        ("mizuban baseline approve", vec!["baseline", "approve"]),
        ("mizuban baseline show", vec!["baseline", "diff"]),
        ("mizuban assets", vec!["assets"]),
        ("mizuban report", vec!["report"]),
        ("mizuban map", vec!["map"]),
        ("mizuban check-config", vec!["check-config"]),
    ];
    if cfg!(feature = "live") {
        commands.push(("mizuban capture", vec!["capture"]));
    }
    let mut missing = Vec::new();
    for (prefix, args) in commands {
        // The command's usage: its first line and the indented lines after it.
        let text: String = usage
            .lines()
            .skip_while(|l| !l.starts_with(prefix))
            .enumerate()
            .take_while(|(i, l)| *i == 0 || l.starts_with(' '))
            .map(|(_, l)| format!("{l} "))
            .collect();
        assert!(!text.is_empty(), "usage block lacks {prefix}");
        for o in options(&args) {
            if !text.contains(&format!("{o} ")) && !text.contains(&format!("{o}]")) {
                missing.push(format!("{prefix}: {o}"));
            }
        }
    }
    assert!(missing.is_empty(), "README usage block lacks {missing:#?}");
    // The top-level commands of --help all have a usage line.
    let help = run_stdout(mizuban().arg("--help"));
    let listed = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help");
    for c in listed {
        assert!(usage.contains(&format!("mizuban {c} ")), "usage lacks {c}");
    }
}

#[test]
fn help_says_where_capture_is() {
    let help = run_stdout(mizuban().arg("--help"));
    if cfg!(feature = "live") {
        assert!(help.contains("\n  capture "), "{help}");
    } else {
        assert!(
            help.contains("`mizuban capture -i IFACE`") && help.contains("--features live"),
            "{help}"
        );
    }
}
