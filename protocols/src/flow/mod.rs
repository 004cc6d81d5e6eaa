//! Flow table and TCP stream reassembly. STUB: to be implemented (issue 2, points 3-4).

pub mod reassembly;
pub mod table;

pub use reassembly::ReassemblyConfig;
pub use table::FlowConfig;
