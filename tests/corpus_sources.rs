//! tests/corpus/SOURCES.md is the corpus's bill of materials: every file under
//! tests/corpus (captures and oracle CSVs) has a row whose sha256 matches its bytes, and
//! every row names a file that is there, with an origin and a license.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::corpus;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// `file -> (repo, commit, sha256, license)` from the table between the sha256 markers.
fn listed() -> BTreeMap<String, [String; 4]> {
    let text = std::fs::read_to_string(corpus::bundled_dir().join("SOURCES.md")).unwrap();
    let start = text.find("<!-- sha256:start -->").expect("start marker");
    let end = text.find("<!-- sha256:end -->").expect("end marker");
    let mut out = BTreeMap::new();
    for line in text[start..end].lines() {
        let cells: Vec<_> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if cells.len() != 6 || cells[0] == "file" || cells[0].starts_with("---") {
            continue;
        }
        let row = [cells[1], cells[3], cells[4], cells[5]].map(str::to_string);
        assert!(
            out.insert(cells[0].to_string(), row).is_none(),
            "{} listed twice",
            cells[0]
        );
    }
    out
}

/// Every data file under tests/corpus, relative, except SOURCES.md and the license texts.
fn present() -> Vec<String> {
    let root = corpus::bundled_dir();
    let mut out = Vec::new();
    for g in std::fs::read_dir(&root).unwrap().flatten() {
        let name = g.file_name().to_string_lossy().into_owned();
        if !g.path().is_dir() || name == "LICENSES" {
            continue;
        }
        for f in std::fs::read_dir(g.path()).unwrap().flatten() {
            out.push(format!("{name}/{}", f.file_name().to_string_lossy()));
        }
    }
    out.sort();
    out
}

#[test]
fn every_corpus_file_matches_its_sha256_in_sources_md() {
    let rows = listed();
    let files = present();
    assert!(
        files.len() >= 60,
        "corpus incomplete: {} files",
        files.len()
    );
    let mut bad = Vec::new();
    for rel in &files {
        let Some([repo, _, sha, license]) = rows.get(rel) else {
            bad.push(format!("{rel}: not listed in SOURCES.md"));
            continue;
        };
        assert!(
            !repo.is_empty() && !license.is_empty(),
            "{rel}: origin or license missing"
        );
        let bytes = std::fs::read(corpus::bundled_dir().join(rel)).unwrap();
        let got = format!("{:x}", Sha256::digest(&bytes));
        if &got != sha {
            bad.push(format!("{rel}: sha256 {got}, SOURCES.md says {sha}"));
        }
    }
    for rel in rows.keys() {
        if !files.contains(rel) {
            bad.push(format!(
                "{rel}: listed in SOURCES.md but not in tests/corpus"
            ));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn captures_name_their_upstream_commit_and_local_license_texts_exist() {
    let root = corpus::bundled_dir();
    for (rel, [repo, commit, _, license]) in listed() {
        if rel.ends_with(".tshark.csv") {
            continue; // made here by tshark; they carry their capture's license
        }
        assert!(repo.contains('/'), "{rel}: repository {repo:?}");
        assert!(
            commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit()),
            "{rel}: commit {commit:?}"
        );
        // Every local link in the license cell points at a file that exists.
        for part in license.split("](").skip(1) {
            let target = part.split(')').next().unwrap();
            if !target.starts_with("http") {
                assert!(root.join(target).is_file(), "{rel}: {target} missing");
            }
        }
    }
}
