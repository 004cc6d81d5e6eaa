//! From events, alerts and counters to the outside world: JSON lines and Prometheus.

pub mod event_line;
mod histogram;
pub mod json;
pub mod metrics;
pub mod server;
pub mod snapshot;
pub mod textfile;
pub mod web_config;

pub use metrics::{Metrics, metric_docs};
pub use server::{MetricsServer, ServeError, serve};
pub use snapshot::MetricsSnapshot;
pub use web_config::{WebConfig, WebConfigError};
