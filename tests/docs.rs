//! Documentation that must not drift from the code.

use std::path::Path;

fn repo_file(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap()
}

/// The README's metric table is the exporter's own list.
#[test]
fn readme_metrics_match_the_registry() {
    let readme = repo_file("README.md");
    let start = readme
        .find("<!-- metrics:start -->\n")
        .expect("start marker")
        + "<!-- metrics:start -->\n".len();
    let end = readme.find("<!-- metrics:end -->").expect("end marker");
    let ours = readme[start..end].trim();
    let generated = mizuban_exporter::metrics::metric_docs_markdown();
    let generated = generated
        .split_once("\n\n")
        .map(|(_, rest)| rest)
        .unwrap_or(&generated)
        .trim();
    assert_eq!(
        ours, generated,
        "README metrics section is stale: paste exporter/METRICS.md's table"
    );
}

/// The example configuration is valid, and names a key of every section.
#[test]
fn example_config_is_valid() {
    let text = repo_file("deploy/mizuban.example.toml");
    mizuban::config::Config::parse(&text, "deploy/mizuban.example.toml").unwrap();
    for section in [
        "[pipeline]",
        "[capture]",
        "[flows]",
        "[reassembly]",
        "[defrag]",
        "[protocols.modbus]",
        "[detect.policy]",
        "[exporter]",
        "[state]",
        "[output.syslog]",
    ] {
        assert!(text.contains(section), "{section} missing from the example");
    }
}

/// The configuration the Debian package installs is valid and agrees with the unit that
/// reads it: the state lives in the unit's StateDirectory, metrics stay on loopback, and
/// no interface is preset (the service must not watch a guessed port).
#[test]
fn packaged_config_matches_the_unit() {
    let text = repo_file("deploy/debian/mizuban.toml");
    let cfg = mizuban::config::Config::parse(&text, "deploy/debian/mizuban.toml").unwrap();
    let unit = repo_file("deploy/systemd/mizuban.service");
    let directive = |key: &str| {
        unit.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("{key}= missing from the unit"))
            .to_string()
    };
    let state_dir = format!("/var/lib/{}", directive("StateDirectory"));
    assert_eq!(cfg.state.dir.as_deref(), Some(Path::new(&state_dir)));
    assert!(
        cfg.capture.interfaces.is_empty(),
        "{:?}",
        cfg.capture.interfaces
    );
    let listen = cfg.exporter.listen.expect("[exporter] listen");
    assert!(listen.ip().is_loopback(), "{listen}");
    let exec = directive("ExecStart");
    let logs = format!("/var/log/{}/", directive("LogsDirectory"));
    assert!(exec.starts_with("/usr/bin/mizuban capture "), "{exec}");
    assert!(
        exec.contains("--config /etc/mizuban/mizuban.toml"),
        "{exec}"
    );
    assert!(exec.contains(&format!("--alerts {logs}")), "{exec}");
    // The package's logrotate rule covers the files the unit writes.
    let logrotate = repo_file("deploy/debian/logrotate");
    assert!(logrotate.contains(&format!("{logs}*.jsonl")), "{logrotate}");
    // Rotation relies on the reopen at SIGHUP, not on copying and truncating.
    assert!(
        !logrotate
            .lines()
            .any(|l| l.trim_start().starts_with("copytruncate")),
        "{logrotate}"
    );
    assert!(
        logrotate.contains("systemctl reload mizuban"),
        "{logrotate}"
    );
}
