//! Writes the registry for node_exporter's textfile collector
//! (`--collector.textfile.directory`), atomically: node_exporter may read the directory
//! at any moment, so the text goes to a temporary name it ignores (not ending in
//! `.prom`), is synced, then renamed over the target.

use prometheus::{Encoder, Registry, TextEncoder};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Families left out of the textfile: node_exporter exports its own `process_*`
/// metrics, and a second copy under the same names would make its scrape fail.
pub const EXCLUDED_PREFIXES: &[&str] = &["process_"];

/// The temporary name used while writing `path`.
fn temp_path(path: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(
        path.file_name()
            .unwrap_or_else(|| std::ffi::OsStr::new("mizuban")),
    );
    name.push(format!(".{}.tmp", std::process::id()));
    path.with_file_name(name)
}

/// Renders `registry` in the text format into `path`, atomically.
pub fn write_textfile(registry: &Registry, path: &Path) -> io::Result<()> {
    let families: Vec<_> = registry
        .gather()
        .into_iter()
        .filter(|mf| !EXCLUDED_PREFIXES.iter().any(|p| mf.name().starts_with(p)))
        .collect();
    let mut body = Vec::new();
    TextEncoder::new()
        .encode(&families, &mut body)
        .map_err(io::Error::other)?;
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&body)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Best effort: do not leave a half-written temporary behind.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;

    #[test]
    fn writes_text_format_without_process_metrics_and_leaves_no_temp() {
        let reg = Registry::new();
        let _m = Metrics::register(&reg).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mizuban.prom");
        write_textfile(&reg, &path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# TYPE mizuban_build_info gauge"), "{text}");
        assert!(!text.contains("process_"), "{text}");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("mizuban.prom")]);
    }

    #[test]
    fn temp_name_is_hidden_and_not_prom() {
        let t = temp_path(Path::new("/var/lib/node/mizuban.prom"));
        let name = t.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with('.') && !name.ends_with(".prom"), "{name}");
        assert_eq!(t.parent(), Some(Path::new("/var/lib/node")));
    }

    #[test]
    fn unwritable_directory_is_an_error() {
        let reg = Registry::new();
        let e = write_textfile(&reg, Path::new("/nonexistent-dir/x.prom"));
        assert!(e.is_err());
    }
}
