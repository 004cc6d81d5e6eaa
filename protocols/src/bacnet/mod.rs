//! BACnet/IP (ASHRAE 135).
//!
//! `probe.rs` recognises the protocol by its header, so its flows are identified on any
//! port: BVLC type 0x81, function, length (Annex J.2). The analyzer grows beside it in this
//! folder (the shape of `modbus/`).

pub mod probe;

pub use probe::*;

use crate::event::AppProtocol;
use crate::registry::{ANY_PORT, Category, On, ProtocolSpec};

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Ics,
    udp: On::ports(&[47808]).probe(probe, ANY_PORT),
    ..ProtocolSpec::new(AppProtocol::Bacnet, "bacnet")
};
