//! The man pages and completions the package installs say what `--help` says (issue 21).
//!
//! The reference is the binary's own `--help` output, walked command by command; the
//! pages are read as man(1) renders them when man-db is installed (with its warnings
//! turned on), else as roff with the escapes removed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{have_tool, mizuban, run_stdout};
use std::path::Path;
use std::process::Command;

/// What one `--help` screen offers: subcommands, flags (`-c`, `--config`) and
/// positional arguments (`<FILE>`).
#[derive(Default, Debug)]
struct Help {
    subcommands: Vec<String>,
    flags: Vec<String>,
    positionals: Vec<String>,
}

fn parse_help(text: &str) -> Help {
    let mut h = Help::default();
    let mut section = "";
    for line in text.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            section = line;
            continue;
        }
        let Some(entry) = line.strip_prefix("  ") else {
            continue;
        };
        let entry = entry.trim_start();
        // Continuation lines of a long description are indented further.
        if line.len() - entry.len() > 6 {
            continue;
        }
        match section {
            "Commands:" => {
                let name = entry.split_whitespace().next().unwrap_or("");
                // The man pages replace clap's `help` subcommand.
                if name != "help" && !name.is_empty() {
                    h.subcommands.push(name.to_string());
                }
            }
            "Options:" => {
                for tok in entry.split([' ', ',']) {
                    if tok.starts_with('-') && tok.len() > 1 {
                        h.flags.push(tok.to_string());
                    } else if !tok.is_empty() {
                        break;
                    }
                }
            }
            "Arguments:" => {
                let name = entry.split_whitespace().next().unwrap_or("");
                h.positionals.push(name.trim_end_matches("...").to_string());
            }
            _ => {}
        }
    }
    h
}

/// The page as a reader sees it.
fn page_text(page: &Path) -> String {
    if have_tool("man") {
        let out = Command::new("man")
            .args(["--warnings", "-E", "UTF-8", "-l"])
            .arg(page)
            .env("MANWIDTH", "200")
            .output()
            .unwrap();
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && warnings.trim().is_empty(),
            "man warns about {}: {warnings}",
            page.display()
        );
        // Hyphens may be rendered as U+2010 and words split at line ends; undo both.
        String::from_utf8_lossy(&out.stdout).replace(['\u{2010}', '\u{2212}'], "-")
    } else {
        let roff = std::fs::read_to_string(page).unwrap();
        roff.replace("\\-", "-")
            .replace("\\fB", "")
            .replace("\\fI", "")
            .replace("\\fR", "")
    }
}

fn check_command(path: &[String], man_dir: &Path, seen: &mut Vec<String>) {
    let help = run_stdout(mizuban().args(path).arg("--help"));
    let h = parse_help(&help);
    let name = std::iter::once("mizuban".to_string())
        .chain(path.iter().cloned())
        .collect::<Vec<_>>()
        .join("-");
    let page = man_dir.join(format!("{name}.1"));
    assert!(page.exists(), "no man page {} for `{name}`", page.display());
    seen.push(format!("{name}.1"));
    let text = page_text(&page);
    assert!(
        !h.flags.is_empty(),
        "parsed no flags from `{name} --help`:\n{help}"
    );
    for flag in &h.flags {
        assert!(
            text.contains(flag.as_str()),
            "{name}.1 lacks {flag}, which --help shows:\n{text}"
        );
    }
    for arg in &h.positionals {
        assert!(
            text.contains(arg.as_str()),
            "{name}.1 lacks the argument {arg}:\n{text}"
        );
    }
    for sub in &h.subcommands {
        assert!(
            text.contains(&format!("{name}-{sub}(1)")),
            "{name}.1 does not list the subcommand {sub}:\n{text}"
        );
        let mut p = path.to_vec();
        p.push(sub.clone());
        check_command(&p, man_dir, seen);
    }
}

fn generate(dir: &Path) {
    run_stdout(mizuban().arg("--generate-docs").arg(dir));
}

#[test]
fn man_pages_list_every_subcommand_and_flag_of_help() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    let man_dir = dir.path().join("man");
    let mut seen = Vec::new();
    check_command(&[], &man_dir, &mut seen);
    // At least the commands every build has, so a broken help parser cannot pass.
    for must in [
        "mizuban.1",
        "mizuban-replay.1",
        "mizuban-baseline-learn.1",
        "mizuban-check-config.1",
    ] {
        assert!(
            seen.iter().any(|s| s == must),
            "{must} not checked: {seen:?}"
        );
    }
    #[cfg(feature = "live")]
    assert!(seen.iter().any(|s| s == "mizuban-capture.1"), "{seen:?}");
    // And no page for a command --help does not show (the generator itself).
    let mut pages: Vec<String> = std::fs::read_dir(&man_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    seen.sort();
    assert_eq!(pages, seen);
}

#[test]
fn completions_offer_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    let help = parse_help(&run_stdout(mizuban().arg("--help")));
    assert!(help.subcommands.len() >= 4, "{help:?}");
    for file in ["mizuban.bash", "_mizuban", "mizuban.fish"] {
        let text = std::fs::read_to_string(dir.path().join("completions").join(file)).unwrap();
        for sub in &help.subcommands {
            assert!(text.contains(sub.as_str()), "{file} lacks {sub}");
        }
        assert!(
            !text.contains("generate-docs"),
            "{file} offers the generator"
        );
    }
    // The shells themselves accept the scripts (zsh and fish only where installed).
    for (shell, file, args) in [
        ("bash", "mizuban.bash", &["-n"][..]),
        ("zsh", "_mizuban", &["-n"][..]),
        ("fish", "mizuban.fish", &["--no-execute"][..]),
    ] {
        let installed = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {shell} >/dev/null"))
            .status()
            .unwrap()
            .success();
        if !installed {
            eprintln!("SKIP: {shell} not installed; {file} not syntax-checked");
            continue;
        }
        run_stdout(
            Command::new(shell)
                .args(args)
                .arg(dir.path().join("completions").join(file)),
        );
    }
}

#[test]
fn the_help_parser_finds_what_it_must() {
    let h = parse_help(
        "Usage: x\n\nCommands:\n  run   Run it\n  help  Print this\n\nArguments:\n  <FILE>...  Files\n\nOptions:\n  -c, --config <FILE>  Config\n          more text\n      --linger  Stay\n",
    );
    assert_eq!(h.subcommands, ["run"]);
    assert_eq!(h.flags, ["-c", "--config", "--linger"]);
    assert_eq!(h.positionals, ["<FILE>"]);
}
