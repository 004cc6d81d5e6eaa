//! From events, alerts and counters to the outside world: JSON lines and Prometheus.

pub mod json;
pub mod metrics;
