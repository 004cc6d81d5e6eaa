//! Flow table, flow orientation and TCP stream reassembly.

pub mod orient;
pub mod reassembly;
pub mod table;

pub use reassembly::{HalfStream, ReassemblyConfig, Segment, StreamSink};
pub use table::{Flow, FlowConfig, FlowId, FlowTable};
