//! EtherNet/IP (CIP Vol. 2).
//!
//! `probe.rs` recognises the protocol by its header, so its flows are identified on any
//! port: 24-byte encapsulation header with a known command (section 2-3). The analyzer
//! grows beside it in this folder (the shape of `modbus/`).

pub mod probe;

pub use probe::*;

use crate::event::AppProtocol;
use crate::registry::{ANY_PORT, Category, On, ProtocolSpec};

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Ics,
    tcp: On::ports(&[44818]).probe(probe, ANY_PORT),
    udp: On::ports(&[44818, 2222]).probe(probe, ANY_PORT),
    ..ProtocolSpec::new(AppProtocol::Enip, "enip")
};
