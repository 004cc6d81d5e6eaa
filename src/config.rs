//! The one TOML configuration file. Every section belongs to the crate that uses it; this
//! module only gathers them. Unknown keys are errors that name the key and line.

use mizuban_capture::defrag::DefragConfig;
use mizuban_detect::DetectConfig;
use mizuban_protocols::flow::{FlowConfig, ReassemblyConfig};
use mizuban_protocols::modbus::ModbusConfig;
use mizuban_protocols::{EngineConfig, ProtocolsConfig};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `[pipeline]`: threads and queues of the packet path.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    /// Worker threads; 0 = one per core.
    pub workers: usize,
    /// Packets per batch sent to a worker.
    pub batch_size: usize,
    /// Batches queued per worker before back-pressure (replay blocks, live drops).
    pub queue_batches: usize,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            workers: 0,
            batch_size: 128,
            queue_batches: 64,
        }
    }
}

/// `[exporter]`: where metrics go.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExporterConfig {
    /// Serve /metrics here (e.g. "127.0.0.1:9731"); off when unset.
    pub listen: Option<SocketAddr>,
    /// Prometheus exporter-toolkit style web config (TLS, basic auth).
    pub web_config: Option<PathBuf>,
    /// Write the final metrics here for node_exporter's textfile collector.
    pub textfile: Option<PathBuf>,
}

/// `[capture]`: live capture (cargo feature `live`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaptureConfig {
    /// Interfaces to capture on (`-i` on the command line adds to these).
    pub interfaces: Vec<String>,
    /// Bytes kept per packet.
    pub snaplen: u32,
    /// Kernel capture buffer per interface, in bytes.
    pub buffer_size: usize,
    /// Promiscuous mode: needed on a SPAN port, whose mirrored traffic is not ours.
    pub promiscuous: bool,
    /// Optional BPF filter (tcpdump syntax).
    pub filter: Option<String>,
    /// When started as root, switch to this user after opening the interfaces.
    pub user: Option<String>,
    /// How often a failed interface is reopened.
    #[serde(with = "mizuban_capture::time_serde")]
    pub reopen_interval: Duration,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        CaptureConfig {
            interfaces: Vec::new(),
            snaplen: 65_535,
            buffer_size: 64 << 20,
            promiscuous: true,
            filter: None,
            user: None,
            reopen_interval: Duration::from_secs(1),
        }
    }
}

/// `[state]`: what survives a restart.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StateConfig {
    /// Directory for the baseline and inventory files.
    pub dir: Option<PathBuf>,
    /// Checkpoint interval (wall time in live capture).
    #[serde(with = "mizuban_capture::time_serde")]
    pub checkpoint_interval: Duration,
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig {
            dir: None,
            checkpoint_interval: Duration::from_secs(300),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub pipeline: PipelineConfig,
    pub capture: CaptureConfig,
    pub flows: FlowConfig,
    pub reassembly: ReassemblyConfig,
    pub defrag: DefragConfig,
    /// `[protocols.<name>]`: each protocol's own section (see `mizuban_protocols::registry`).
    pub protocols: ProtocolsConfig,
    /// The old `[modbus]` section, read into `protocols.modbus` with a deprecation warning.
    pub modbus: Option<ModbusConfig>,
    pub detect: DetectConfig,
    pub exporter: ExporterConfig,
    pub state: StateConfig,
    pub output: OutputConfig,
    pub limits: mizuban_capture::budget::LimitsConfig,
    /// Deprecation warnings found while loading; [`Config::load`] prints them.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// `[output]`: where alerts go besides the JSON-lines files.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputConfig {
    pub syslog: crate::syslog::SyslogConfig,
}

/// A config file that could not be used, with the file and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let cfg = Config::parse(&text, &path.display().to_string())?;
        for w in &cfg.warnings {
            eprintln!("mizuban: {}: {w}", path.display());
        }
        Ok(cfg)
    }

    /// Parses and validates; `origin` names the source in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let mut cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: origin.to_string(),
            message: describe_toml_error(&e, text),
        })?;
        cfg.fold_deprecated(text)
            .map_err(|message| ConfigError::Invalid {
                path: origin.to_string(),
                message,
            })?;
        cfg.validate().map_err(|message| ConfigError::Invalid {
            path: origin.to_string(),
            message,
        })?;
        Ok(cfg)
    }

    /// Moves the deprecated `[modbus]` section to `protocols.modbus`; naming both is an
    /// error, since one of them would be silently ignored.
    fn fold_deprecated(&mut self, text: &str) -> Result<(), String> {
        let Some(m) = self.modbus.take() else {
            return Ok(());
        };
        let table: toml::Table = toml::from_str(text).unwrap_or_default();
        let both = table
            .get("protocols")
            .and_then(|p| p.get("modbus"))
            .is_some();
        if both {
            return Err(
                "[modbus] and [protocols.modbus] both given; keep [protocols.modbus]".into(),
            );
        }
        self.protocols.modbus = m;
        self.warnings
            .push("[modbus] is deprecated; rename the section to [protocols.modbus]".into());
        Ok(())
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.pipeline.batch_size == 0 || self.pipeline.batch_size > 65_536 {
            return Err("pipeline.batch_size: must be between 1 and 65536".into());
        }
        if self.pipeline.queue_batches == 0 {
            return Err("pipeline.queue_batches: must be at least 1".into());
        }
        if self.pipeline.workers > 256 {
            return Err("pipeline.workers: at most 256".into());
        }
        if self.flows.max_flows == 0 {
            return Err("flows.max_flows: must be at least 1".into());
        }
        self.output.syslog.validate()?;
        self.limits.validate()?;
        crate::config::validate_detect(&self.detect)
    }

    pub fn engine(&self) -> EngineConfig {
        EngineConfig {
            flows: self.flows.clone(),
            reassembly: self.reassembly.clone(),
            defrag: self.defrag.clone(),
            protocols: self.protocols.clone(),
            budget: self.limits.budget(),
        }
    }

    /// Worker count: the config's, or one per core.
    pub fn workers(&self, cli: Option<usize>) -> usize {
        let n = cli.unwrap_or(self.pipeline.workers);
        if n > 0 {
            n
        } else {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        }
    }
}

/// The detect crate's own checks, as one message.
fn validate_detect(d: &DetectConfig) -> Result<(), String> {
    d.validate().map_err(|errs| {
        errs.0
            .iter()
            .map(|e| {
                let message = hint::unknown_rule(&e.key, &e.message).unwrap_or(e.message.clone());
                format!("detect.{}: {message}", e.key)
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

mod hint;

/// One line: "line L, column C: message" from a TOML error; an unknown key names its
/// section and the nearest valid key.
fn describe_toml_error(e: &toml::de::Error, text: &str) -> String {
    let msg = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or("");
            let line = before.matches('\n').count() + 1;
            let col = before
                .rsplit('\n')
                .next()
                .map(|l| l.chars().count() + 1)
                .unwrap_or(1);
            let (section, in_header) = hint::section_at(text, span.start);
            let msg = hint::unknown_key(&msg, (section.as_deref(), in_header)).unwrap_or(msg);
            format!("line {line}, column {col}: {msg}")
        }
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let c = Config::parse("", "t").unwrap();
        assert_eq!(c.pipeline.batch_size, 128);
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = Config::parse("[pipeline]\nworkers = 2\nbatch_sise = 3\n", "t.toml").unwrap_err();
        let s = err.to_string();
        assert!(s.contains("batch_sise"), "{s}");
        assert!(s.contains("line 3"), "{s}");
        assert!(s.starts_with("t.toml: "), "{s}");
    }

    #[test]
    fn unknown_section_is_an_error() {
        let err = Config::parse("[pipelin]\n", "t.toml").unwrap_err();
        assert!(err.to_string().contains("pipelin"), "{err}");
    }

    #[test]
    fn protocol_sections_and_the_deprecated_modbus_table() {
        let new = Config::parse("[protocols.modbus]\nmax_pending_per_flow = 7\n", "t").unwrap();
        assert_eq!(new.engine().protocols.modbus.max_pending_per_flow, 7);
        assert!(new.warnings.is_empty());
        let old = Config::parse("[modbus]\nmax_pending_per_flow = 9\n", "t").unwrap();
        assert_eq!(old.engine().protocols.modbus.max_pending_per_flow, 9);
        assert_eq!(old.warnings.len(), 1, "{:?}", old.warnings);
        assert!(old.warnings[0].contains("[protocols.modbus]"));
        let both =
            "[modbus]\nmax_pending_per_flow = 9\n[protocols.modbus]\nmax_pending_per_flow = 7\n";
        assert!(Config::parse(both, "t").is_err());
        assert!(Config::parse("[protocols.modbuss]\n", "t").is_err());
    }

    #[test]
    fn durations_parse_in_sections() {
        let c = Config::parse("[flows]\nudp_idle_timeout = \"5m\"\n", "t").unwrap();
        assert_eq!(c.flows.udp_idle_timeout, Duration::from_secs(300));
    }

    #[test]
    fn memory_budget_parses_and_is_checked() {
        let c = Config::parse("[limits]\nmemory = \"64MB\"\n", "t").unwrap();
        assert_eq!(c.limits.memory, 64 << 20);
        assert_eq!(c.engine().budget.total, 64 << 20);
        let err = Config::parse("[limits]\nmemory = \"1MB\"\n", "t").unwrap_err();
        assert!(err.to_string().contains("limits.memory"), "{err}");
        let err = Config::parse("[limits]\nmemory = \"lots\"\n", "t").unwrap_err();
        assert!(err.to_string().contains("invalid size"), "{err}");
    }

    #[test]
    fn bad_value_is_explained() {
        let err = Config::parse("[pipeline]\nbatch_size = 0\n", "t").unwrap_err();
        assert!(err.to_string().contains("pipeline.batch_size"), "{err}");
    }
}
