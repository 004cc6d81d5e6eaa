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
        "[modbus]",
        "[detect.policy]",
        "[exporter]",
        "[state]",
    ] {
        assert!(text.contains(section), "{section} missing from the example");
    }
}
