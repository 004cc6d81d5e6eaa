//! mizuban: the pipeline that ties capture, protocols, detect and exporter together.

pub mod config;
#[cfg(feature = "live")]
pub mod live;
pub mod logfile;
pub mod pipeline;
pub mod report;
pub mod state;
pub mod synth;
pub mod syslog;
pub mod telemetry;
pub mod telemetry_detect;
