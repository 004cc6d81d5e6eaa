//! Link to transport decoding with etherparse. STUB: to be implemented (issue 2, point 2).

use crate::link::LinkType;
use crate::packet::{DecodeStop, PacketInfo, Transport};

/// Decodes a captured frame as far as it goes. Never fails: where it stops, and why, is
/// in [`PacketInfo::stop`].
pub fn decode(_link: LinkType, _data: &[u8], _wire_len: u32) -> PacketInfo {
    PacketInfo {
        stop: Some(DecodeStop::NotIp),
        ..PacketInfo::default()
    }
}

/// Decodes a transport header from an IP payload (used after fragment reassembly).
/// Returns the transport, and the payload offset and length within `data`.
pub fn decode_transport(_proto: u8, data: &[u8]) -> (Transport, u32, u32, Option<DecodeStop>) {
    (
        Transport::Other,
        0,
        u32::try_from(data.len()).unwrap_or(u32::MAX),
        None,
    )
}
