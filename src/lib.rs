//! mizuban: the pipeline that ties capture, protocols, detect and exporter together.

pub mod config;
pub mod pipeline;
