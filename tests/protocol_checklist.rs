//! The checklist of a new protocol analyzer, enforced for every protocol in the registry
//! (`mizuban_protocols::registry::PROTOCOLS`):
//! 1. a row in the README's protocol table (generated from the registry:
//!    `UPDATE_PROTOCOLS_DOC=1 cargo test --test protocol_checklist` rewrites it);
//! 2. its exported counters in exporter/METRICS.md;
//! 3. a fuzz target: `fuzz/fuzz_targets/<name>.rs`, or the generic `protocols` target that
//!    drives every registered probe and parser;
//! 4. a test against a real or generated capture: a file under `tests/` or
//!    `protocols/tests/` that reads a capture and names the protocol.
//!
//! Protocols registered before this checklist and still short of point 4 are listed in
//! [`NO_CAPTURE_TEST_YET`]; the test fails when one of them gets its test (so the list
//! only shrinks) and when a new protocol is missing one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mizuban_protocols::registry::{PROTOCOLS, protocol_table_markdown};
use std::path::{Path, PathBuf};

/// Registered protocols without a capture test yet (no public capture found so far).
const NO_CAPTURE_TEST_YET: &[&str] = &["netbios_dgm", "ntp", "anydesk"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

const START: &str = "<!-- protocols:start -->\n";
const END: &str = "<!-- protocols:end -->";

#[test]
fn readme_has_a_row_for_every_protocol() {
    let readme = read("README.md");
    let start = readme.find(START).expect("protocols start marker") + START.len();
    let end = readme.find(END).expect("protocols end marker");
    let table = protocol_table_markdown();
    if std::env::var_os("UPDATE_PROTOCOLS_DOC").is_some() {
        let mut new = readme.clone();
        new.replace_range(start..end, &table);
        std::fs::write(root().join("README.md"), new).unwrap();
        return;
    }
    assert_eq!(
        readme[start..end].trim(),
        table.trim(),
        "README protocol table is stale: run UPDATE_PROTOCOLS_DOC=1 cargo test --test protocol_checklist"
    );
    for p in PROTOCOLS {
        assert!(
            readme[start..end].contains(&format!("| `{}` |", p.name)),
            "{}",
            p.name
        );
    }
}

#[test]
fn metrics_doc_lists_every_protocol_counter() {
    let metrics = read("exporter/METRICS.md");
    for p in PROTOCOLS {
        for c in p.counters {
            assert!(
                metrics.contains(&format!("| `{}` |", c.name)),
                "{} of {} missing from exporter/METRICS.md",
                c.name,
                p.name
            );
        }
    }
}

#[test]
fn every_protocol_is_fuzzed() {
    let manifest = read("fuzz/Cargo.toml");
    let target = |name: &str| manifest.contains(&format!("name = \"{name}\""));
    let generic = target("protocols")
        && read("fuzz/fuzz_targets/protocols.rs").contains("PROTOCOLS")
        && read(".ci/fuzz.sh").contains("cargo fuzz list");
    for p in PROTOCOLS {
        assert!(
            target(p.name) || generic,
            "{}: no fuzz target (fuzz/fuzz_targets/{}.rs, or the generic `protocols` target)",
            p.name,
            p.name
        );
    }
}

fn rust_files(dir: &str) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(root().join(dir)) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    v.sort();
    v
}

/// Whether `text` uses the protocol's module (`tls::Parser`, `dns::probe`, ...).
fn names_module(text: &str, name: &str) -> bool {
    let needle = format!("{name}::");
    text.match_indices(&needle).any(|(i, _)| {
        text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_')
    })
}

#[test]
fn every_protocol_has_a_capture_test() {
    let files: Vec<String> = rust_files("tests")
        .into_iter()
        .chain(rust_files("protocols/tests"))
        .filter(|p| !p.ends_with("protocol_checklist.rs"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .filter(|t| {
            [".pcap", "captures_in(", "corpus::", "pcaps/"]
                .iter()
                .any(|m| t.contains(m))
        })
        .collect();
    for p in PROTOCOLS {
        let variant = format!("AppProtocol::{:?}", p.app);
        let quoted = format!("\"{}\"", p.name);
        let tested = files
            .iter()
            .any(|t| t.contains(&variant) || t.contains(&quoted) || names_module(t, p.name));
        let excused = NO_CAPTURE_TEST_YET.contains(&p.name);
        assert!(
            tested || excused,
            "{}: no test reads a capture of it (tests/ or protocols/tests/)",
            p.name
        );
        assert!(
            !(tested && excused),
            "{} has a capture test now: remove it from NO_CAPTURE_TEST_YET",
            p.name
        );
    }
}
