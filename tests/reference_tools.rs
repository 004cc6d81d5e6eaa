//! Which reference tools are installed, printed in the output of `cargo test`.
//!
//! Tests that compare mizuban against a reference tool pass without comparing when the
//! tool is missing (a fresh clone with only the Rust toolchain must pass), and libtest
//! hides what those tests print. This test binary has no libtest harness
//! (`harness = false` in Cargo.toml), so its lines always appear among the test results:
//! a newcomer sees which comparisons were skipped and the one command that installs the
//! tools. With MIZUBAN_REQUIRE_TOOLS set (CI), a missing tool fails it.

use std::path::{Path, PathBuf};

/// (tool or file, Debian package, what the tests compare with it). Keep in step with the
/// README's install command and the apt-get line of .ci/run.
const TOOLS: &[(&str, &str, &str)] = &[
    (
        "tshark",
        "tshark",
        "decoded fields, flows, DNS/TLS/HTTP/Modbus",
    ),
    (
        "capinfos",
        "wireshark-common",
        "packet counts and time ranges",
    ),
    (
        "mergecap",
        "wireshark-common",
        "merge order of several files",
    ),
    (
        "promtool",
        "prometheus",
        "metrics format, alert rules, dashboard queries",
    ),
    ("prometheus", "prometheus", "a real scrape of /metrics"),
    ("man", "man-db", "man pages rendered as a reader sees them"),
    (
        "/usr/share/ieee-data/oui.txt",
        "ieee-data",
        "MAC vendor table",
    ),
];

fn find(tool: &str) -> Option<PathBuf> {
    if tool.starts_with('/') {
        return Path::new(tool).is_file().then(|| PathBuf::from(tool));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

fn main() {
    let missing: Vec<_> = TOOLS.iter().filter(|(t, _, _)| find(t).is_none()).collect();
    if missing.is_empty() {
        println!(
            "reference tools: all {} installed; no comparison test was skipped",
            TOOLS.len()
        );
        return;
    }
    println!(
        "reference tools: {} of {} missing; the tests comparing against them were SKIPPED:",
        missing.len(),
        TOOLS.len()
    );
    for (tool, package, what) in &missing {
        println!("  {tool} (package {package}): {what}");
    }
    println!(
        "install them all: sudo apt-get install tshark wireshark-common prometheus ieee-data man-db"
    );
    if std::env::var_os("MIZUBAN_REQUIRE_TOOLS").is_some() {
        println!("MIZUBAN_REQUIRE_TOOLS is set: missing tools are a failure");
        std::process::exit(1);
    }
}
