//! NTP (RFC 5905): identified by its port only; nothing is parsed.

use crate::event::AppProtocol;
use crate::registry::{On, ProtocolSpec};

/// Registry entry (see [`crate::registry`]).
pub const SPEC: ProtocolSpec = ProtocolSpec {
    udp: On::ports(&[123]),
    ..ProtocolSpec::new(AppProtocol::Ntp, "ntp")
};
