//! Flow table, flow orientation and TCP stream reassembly.

pub mod health;
pub mod orient;
pub mod reassembly;
pub mod table;

pub use health::{EvictClass, HealthStats};
pub use reassembly::{HalfStream, ReassemblyConfig, Segment, StreamSink};
pub use table::{Flow, FlowConfig, FlowId, FlowTable, Worth};
