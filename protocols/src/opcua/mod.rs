//! OPC UA binary (IEC 62541-6).
//!
//! `probe.rs` recognises the protocol by its header, so its flows are identified on any
//! port: HEL/ACK/OPN/MSG/CLO/ERR/RHE, chunk type and size (section 7.1.2). The analyzer
//! grows beside it in this folder (the shape of `modbus/`).

pub mod probe;

pub use probe::*;

use crate::event::AppProtocol;
use crate::registry::{ANY_PORT, Category, On, ProtocolSpec};

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Ics,
    tcp: On::ports(&[4840]).probe(probe, ANY_PORT),
    ..ProtocolSpec::new(AppProtocol::OpcUa, "opcua")
};
