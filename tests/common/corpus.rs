//! Where every test finds the public captures: `tests/corpus/` in this repository first
//! (always there, see tests/corpus/SOURCES.md), then an extra corpus when one exists
//! (`$MIZUBAN_PCAPS`, else `../shared/pcaps` beside the repository). The extra corpus is
//! never required: a fresh clone with only the Rust toolchain has everything the tests
//! need. Included by path from the crates' test helpers, so there is one copy of this
//! logic for the whole workspace.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository root: the nearest ancestor of the including crate holding
/// tests/corpus (the workspace root for the top-level tests, `..` for a member crate).
pub fn repo_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|a| a.join("tests/corpus/SOURCES.md").is_file())
        .unwrap_or(here)
        .to_path_buf()
}

/// The corpus inside the repository.
pub fn bundled_dir() -> PathBuf {
    repo_root().join("tests/corpus")
}

/// The extra corpus, when it exists.
pub fn extra_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MIZUBAN_PCAPS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/pcaps"));
    dir.is_dir().then_some(dir)
}

/// The corpus directories to search, bundled first.
pub fn dirs() -> Vec<PathBuf> {
    let mut out = vec![bundled_dir()];
    out.extend(extra_dir());
    out
}

/// `rel` (e.g. "modbus/zeek_modbusSmall.pcap") in the first corpus that has it; when
/// none has it, its path in the bundled corpus, so that a failure names a real place.
pub fn path(rel: &str) -> PathBuf {
    dirs()
        .into_iter()
        .map(|d| d.join(rel))
        .find(|p| p.exists())
        .unwrap_or_else(|| bundled_dir().join(rel))
}

/// Whether `rel` is only available in the extra corpus (a test naming such a file skips
/// without it, printing why).
pub fn available(rel: &str) -> bool {
    let p = path(rel);
    if !p.exists() {
        println!("SKIP: {rel} is not in tests/corpus and no extra corpus has it");
        eprintln!("SKIP: {rel} is not in tests/corpus and no extra corpus has it");
    }
    p.exists()
}

/// One capture of the corpus: its path relative to a corpus root and where it is.
#[derive(Debug, Clone)]
pub struct Capture {
    pub rel: String,
    pub path: PathBuf,
}

impl Capture {
    /// The first directory of `rel` ("modbus" for "modbus/x.pcap").
    pub fn group(&self) -> &str {
        self.rel.split('/').next().unwrap_or("")
    }
}

/// Every capture (`.pcap`, `.pcapng`) of every corpus, one per relative path (the
/// bundled copy wins), sorted by relative path.
pub fn captures() -> Vec<Capture> {
    let mut seen = std::collections::BTreeMap::new();
    for root in dirs() {
        let Ok(groups) = std::fs::read_dir(&root) else {
            continue;
        };
        for g in groups.flatten() {
            let Ok(files) = std::fs::read_dir(g.path()) else {
                continue;
            };
            let group = g.file_name().to_string_lossy().into_owned();
            for f in files.flatten() {
                let p = f.path();
                let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
                if ext == "pcap" || ext == "pcapng" {
                    let rel = format!("{group}/{}", f.file_name().to_string_lossy());
                    seen.entry(rel).or_insert(p);
                }
            }
        }
    }
    seen.into_iter()
        .map(|(rel, path)| Capture { rel, path })
        .collect()
}

/// The paths of every capture, sorted by relative path.
pub fn capture_paths() -> Vec<PathBuf> {
    captures().into_iter().map(|c| c.path).collect()
}

/// The captures in one group directory ("modbus", "it", ...), sorted.
pub fn captures_in(group: &str) -> Vec<PathBuf> {
    captures()
        .into_iter()
        .filter(|c| c.group() == group)
        .map(|c| c.path)
        .collect()
}
