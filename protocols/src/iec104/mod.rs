//! IEC 60870-5-104.
//!
//! `probe.rs` checks the APCI header: 0x68, APDU length 4..=253, control field (section
//! 5). It is too weak to run away from TCP 2404. The analyzer grows beside it in this
//! folder (the shape of `modbus/`).

pub mod probe;

pub use probe::*;

use crate::event::AppProtocol;
use crate::registry::{Category, On, PORT_ONLY, ProtocolSpec};

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Ics,
    tcp: On::ports(&[2404]).probe(probe, PORT_ONLY),
    ..ProtocolSpec::new(AppProtocol::Iec104, "iec104")
};
