//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub mod corpus;

/// Every capture of the corpus (tests/corpus, plus the extra corpus when present).
pub fn shared_pcaps() -> Vec<PathBuf> {
    corpus::capture_paths()
}

/// Whether an external tool is on PATH. Without it a test skips, unless
/// MIZUBAN_REQUIRE_TOOLS is set (CI), where a missing tool is a failure.
pub fn have_tool(name: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name} >/dev/null 2>&1"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !found {
        if std::env::var_os("MIZUBAN_REQUIRE_TOOLS").is_some() {
            panic!("{name} is required (MIZUBAN_REQUIRE_TOOLS is set) but not installed");
        }
        eprintln!("SKIP: {name} not installed");
    }
    found
}

/// Runs a command and returns its stdout, failing the test on a non-zero exit.
pub fn run_stdout(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn mizuban() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mizuban"))
}

pub fn sample_pcap() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/water-plant.pcap")
}
pub mod dnp3_synth;
pub mod iec104_synth;
pub mod modbus_inject;
pub mod names_synth;
pub mod png;
pub mod prom;
pub mod report_set;
pub mod rules_builder;
