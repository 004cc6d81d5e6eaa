//! DNP3 (IEEE 1815-2012).
//!
//! `probe.rs` recognises the protocol by its header, so its flows are identified on any
//! port: data link header: 0x05 0x64, length >= 5, header CRC (section 9.2). The analyzer
//! grows beside it in this folder (the shape of `modbus/`).

pub mod probe;

pub use probe::*;

use crate::event::AppProtocol;
use crate::registry::{ANY_PORT, Category, On, ProtocolSpec};

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Ics,
    tcp: On::ports(&[20000]).probe(probe, ANY_PORT),
    udp: On::ports(&[20000]).probe(probe, ANY_PORT),
    ..ProtocolSpec::new(AppProtocol::Dnp3, "dnp3")
};
