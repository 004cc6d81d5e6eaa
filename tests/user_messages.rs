//! Messages a user can act on, from the real binary: a missing file, an empty file and a
//! directory are each named for what they are, with the path as given; inputs sharing a
//! base name are told apart by path; `check-config` names the section of an unknown key
//! and the nearest valid key, in every section of the example configuration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use std::path::Path;

/// Runs `mizuban replay` in `dir` (so relative paths stay as typed); exit code, stderr.
fn replay_in(dir: &Path, files: &[&str]) -> (i32, String) {
    let out = mizuban()
        .current_dir(dir)
        .args(["replay", "--no-progress"])
        .args(files)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_missing_file_says_no_such_file_with_the_path_as_given() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, err) = replay_in(tmp.path(), &["captures/monday.pcap"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("mizuban: captures/monday.pcap: no such file or directory\n"),
        "{err}"
    );
}

#[test]
fn an_empty_file_says_it_is_empty() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("empty.pcap"), b"").unwrap();
    let (code, err) = replay_in(tmp.path(), &["./empty.pcap"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("mizuban: ./empty.pcap: file is empty (0 bytes), not a capture\n"),
        "{err}"
    );
}

#[test]
fn a_directory_says_it_is_a_directory() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("captures")).unwrap();
    let (code, err) = replay_in(tmp.path(), &["captures"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("mizuban: captures: is a directory, not a capture file\n"),
        "{err}"
    );
}

#[test]
fn inputs_sharing_a_base_name_are_shown_by_path() {
    let tmp = tempfile::tempdir().unwrap();
    for site in ["north", "south"] {
        std::fs::create_dir(tmp.path().join(site)).unwrap();
        std::fs::copy(sample_pcap(), tmp.path().join(site).join("span.pcap")).unwrap();
    }
    let (code, err) = replay_in(tmp.path(), &["north/span.pcap", "south/span.pcap"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("  input north/span.pcap: 6071 packets"),
        "{err}"
    );
    assert!(
        err.contains("  input south/span.pcap: 6071 packets"),
        "{err}"
    );
    // A unique base name keeps the short form.
    let (_, err) = replay_in(tmp.path(), &["north/span.pcap"]);
    assert!(err.contains("  input span.pcap: 405442 bytes"), "{err}");
}

fn check_config(text: &str) -> (i32, String) {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("m.toml");
    std::fs::write(&f, text).unwrap();
    let out = mizuban().arg("check-config").arg(&f).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_config_names_the_section_and_suggests_the_key() {
    let (code, err) = check_config("[flows]\nmax_flow = 1000\n");
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(
            "line 2, column 1: unknown key `max_flow` in [flows]; did you mean `max_flows`?"
        ),
        "{err}"
    );
    let (_, err) = check_config("[flow]\nmax_flows = 1000\n");
    assert!(
        err.contains("line 1, column 2: unknown section [flow]; did you mean `[flows]`?"),
        "{err}"
    );
    let (_, err) = check_config("[detect.polcy]\n");
    assert!(
        err.contains("unknown section [detect.polcy]; did you mean `[detect.policy]`?"),
        "{err}"
    );
    let (_, err) = check_config("workers = 2\n");
    assert!(
        err.contains("unknown section or key `workers` at the top level; valid keys: `pipeline`"),
        "{err}"
    );
    let (_, err) = check_config("[detect.rules.internet_egres]\nenabled = false\n");
    assert!(
        err.contains("detect.rules.internet_egres: unknown rule id")
            && err.contains("; did you mean [detect.rules.internet_egress]?"),
        "{err}"
    );
}

/// Every section of deploy/mizuban.example.toml: its first key with one letter dropped
/// is refused, naming that section and suggesting that key.
#[test]
fn every_section_suggests_the_nearest_key() {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/mizuban.example.toml"),
    )
    .unwrap();
    let mut checked = Vec::new();
    let mut lines = example.lines().peekable();
    while let Some(line) = lines.next() {
        let l = line.split('#').next().unwrap().trim();
        if !l.starts_with('[') {
            continue;
        }
        let section = l.trim_matches(['[', ']']).to_string();
        // The section's first key.
        let Some(key) = lines
            .clone()
            .map(|k| k.split('#').next().unwrap().trim())
            .take_while(|k| !k.starts_with('['))
            .find_map(|k| k.split_once('=').map(|(k, _)| k.trim().to_string()))
        else {
            continue;
        };
        if checked.iter().any(|(s, _)| *s == section) || key.len() < 4 {
            continue;
        }
        let typo = &key[..key.len() - 1];
        let (code, err) = check_config(&format!("{l}\n{typo} = 1\n"));
        assert_eq!(code, 1, "[{section}] {typo}: {err}");
        let want = format!("unknown key `{typo}` in [{section}]; did you mean `{key}`?");
        assert!(err.contains(&want), "want {want:?}, got: {err}");
        checked.push((section, key));
    }
    assert!(checked.len() >= 15, "{checked:?}");
}
