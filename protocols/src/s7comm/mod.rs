//! S7comm (Siemens S7 over ISO-on-TCP).
//!
//! `probe.rs` recognises the protocol by its header, so its flows are identified on any
//! port: TPKT v3, COTP DT, protocol id 0x32 (RFC 1006, ISO 8073). The analyzer grows beside
//! it in this folder (the shape of `modbus/`).

pub mod probe;

pub use probe::*;

use crate::event::AppProtocol;
use crate::registry::{ANY_PORT, Category, On, ProtocolSpec};

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Ics,
    tcp: On::ports(&[102]).probe(probe, ANY_PORT),
    ..ProtocolSpec::new(AppProtocol::S7comm, "s7comm")
};
