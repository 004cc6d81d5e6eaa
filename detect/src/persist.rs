//! Saving and loading baseline and inventory state: JSON with a schema version,
//! written atomically.
//!
//! Save: write a temporary file in the target's directory, fsync it, rename it over
//! the target, fsync the directory (rename is atomic within one file system on POSIX;
//! the directory fsync makes the rename itself durable). A process killed at any
//! point leaves either the old file or the new one, never a mix.
//!
//! Load: a file written by a newer mizuban (higher `schema_version`) is refused, not
//! guessed at; a truncated or corrupt file is an error naming the file.

use crate::baseline::BaselineState;
use crate::inventory::InventoryState;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Version of the files this build writes. Raise it on ANY change to the saved
/// structs, even an added field: they deny unknown fields, so an older build refuses a
/// newer file on its version (a clear message) instead of failing on, or worse
/// silently dropping, a field it does not know.
/// 2: `evidence` (links, control actions, alerts and runs for `mizuban report`).
pub const SCHEMA_VERSION: u32 = 2;
/// Largest state file we read: far above a full baseline (caps x item size), small
/// enough that a wrong path cannot exhaust memory.
pub const MAX_STATE_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// What a file holds, so `assets` is not pointed at a baseline by mistake.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Baseline,
    Inventory,
    /// Baseline and inventory together: the pipeline's checkpoint.
    State,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Baseline => "baseline",
            Kind::Inventory => "inventory",
            Kind::State => "state",
        }
    }
}

/// The pipeline's checkpoint: both halves in one file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectState {
    pub baseline: Option<BaselineState>,
    pub inventory: Option<InventoryState>,
    /// What the report shows besides the inventory (absent in version 1 files).
    pub evidence: Option<crate::evidence::EvidenceState>,
}

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    schema_version: u32,
    kind: Kind,
    generator: &'static str,
    data: &'a T,
}

/// Only the header, read first so a newer schema is refused before its data is typed.
#[derive(Deserialize)]
struct Header {
    schema_version: u32,
    kind: serde_json::Value,
}

#[derive(Deserialize)]
struct EnvelopeIn<T> {
    data: T,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PersistError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: written by a newer mizuban (schema version {found}; this build reads up to {supported}); upgrade mizuban to read it"
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{path}: holds {found}, expected {expected}")]
    WrongKind {
        path: PathBuf,
        found: String,
        expected: &'static str,
    },
    #[error("{path}: not a valid mizuban state file (truncated or corrupt?): {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error("{path}: {size} bytes is over the {max}-byte limit for state files")]
    TooLarge { path: PathBuf, size: u64, max: u64 },
    #[error("{path}: could not encode state: {detail}")]
    Encode { path: PathBuf, detail: String },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PersistError + '_ {
    move |source| PersistError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `data` to `path` atomically (see the module docs).
pub fn save<T: Serialize>(path: &Path, kind: Kind, data: &T) -> Result<(), PersistError> {
    let env = EnvelopeOut {
        schema_version: SCHEMA_VERSION,
        kind,
        generator: concat!("mizuban ", env!("CARGO_PKG_VERSION")),
        data,
    };
    let mut bytes = serde_json::to_vec(&env).map_err(|e| PersistError::Encode {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    bytes.push(b'\n');
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_string());
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(io_err(&tmp))?;
        f.write_all(&bytes).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
        drop(f);
        fs::rename(&tmp, path).map_err(io_err(path))?;
        sync_dir(&dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), PersistError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), PersistError> {
    Ok(())
}

/// Reads a file written by [`save`] with the same `kind`.
pub fn load<T: DeserializeOwned>(path: &Path, kind: Kind) -> Result<T, PersistError> {
    let f = File::open(path).map_err(io_err(path))?;
    let size = f.metadata().map_err(io_err(path))?.len();
    if size > MAX_STATE_FILE_BYTES {
        return Err(PersistError::TooLarge {
            path: path.to_path_buf(),
            size,
            max: MAX_STATE_FILE_BYTES,
        });
    }
    let mut bytes = Vec::new();
    f.take(MAX_STATE_FILE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(io_err(path))?;
    let corrupt = |e: serde_json::Error| PersistError::Corrupt {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    // The whole document must parse before its header is trusted: a truncated file
    // fails here even if its first bytes look right.
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(corrupt)?;
    let header: Header = serde_json::from_value(value.clone()).map_err(corrupt)?;
    if header.schema_version > SCHEMA_VERSION {
        return Err(PersistError::NewerSchema {
            path: path.to_path_buf(),
            found: header.schema_version,
            supported: SCHEMA_VERSION,
        });
    }
    if header.kind.as_str() != Some(kind.as_str()) {
        return Err(PersistError::WrongKind {
            path: path.to_path_buf(),
            found: header
                .kind
                .as_str()
                .map_or_else(|| header.kind.to_string(), str::to_string),
            expected: kind.as_str(),
        });
    }
    let env: EnvelopeIn<T> = serde_json::from_value(value).map_err(corrupt)?;
    Ok(env.data)
}

pub fn save_baseline(path: &Path, b: &BaselineState) -> Result<(), PersistError> {
    save(path, Kind::Baseline, b)
}

pub fn load_baseline(path: &Path) -> Result<BaselineState, PersistError> {
    load(path, Kind::Baseline)
}

pub fn save_inventory(path: &Path, i: &InventoryState) -> Result<(), PersistError> {
    save(path, Kind::Inventory, i)
}

pub fn load_inventory(path: &Path) -> Result<InventoryState, PersistError> {
    load(path, Kind::Inventory)
}

pub fn save_state(path: &Path, s: &DetectState) -> Result<(), PersistError> {
    save(path, Kind::State, s)
}

pub fn load_state(path: &Path) -> Result<DetectState, PersistError> {
    load(path, Kind::State)
}
