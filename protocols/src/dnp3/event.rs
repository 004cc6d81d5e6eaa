//! The owned DNP3 event: one per application fragment.

use super::app::{Decoded, ObjectHeader};
use serde::Serialize;

/// One application fragment, request or response. `frame` (in the envelope) is the
/// frame on which the fragment completed. A request that expects a response is emitted
/// once its response arrived (with `response_frame`), its timeout expired in packet
/// time, or the flow ended; the response is an event of its own (with `request_frame`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fragment {
    pub link_src: u16,
    pub link_dst: u16,
    /// The link control octet's DIR bit: set by the master.
    pub link_dir: bool,
    /// Sent by the flow's client (the envelope's `client`).
    pub from_client: bool,
    pub function: u8,
    pub function_name: &'static str,
    pub app_seq: u8,
    pub fir: bool,
    pub fin: bool,
    pub con: bool,
    /// The UNS bit (unsolicited responses and their confirms).
    pub unsolicited: bool,
    /// The first 64 object headers.
    pub objects: Vec<ObjectHeader>,
    /// Every object header of the fragment.
    pub objects_total: u32,
    /// Internal indications of a response (IIN1 in the high byte, as tshark shows it).
    pub iin: Option<u16>,
    /// Names of the IIN bits set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub iin_flags: Vec<&'static str>,
    /// On a request: the frame of its response.
    pub response_frame: Option<u64>,
    /// On a response: the frame of the request it answers.
    pub request_frame: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_time_us: Option<u64>,
    /// Fragment bytes (application header included).
    pub length: u32,
    #[serde(flatten)]
    pub decoded: Decoded,
}

impl Fragment {
    pub fn is_response(&self) -> bool {
        super::types::is_response(self.function)
    }
}

/// The names of the IIN bits set in `iin` (IIN1 high byte).
pub fn iin_flags(iin: u16) -> Vec<&'static str> {
    (0u32..16)
        .filter(|&bit| {
            // IIN1.x is bit 8 + x of the value, IIN2.x bit x; index them as g80 does.
            let mask = if bit < 8 {
                0x0100u16 << bit
            } else {
                1u16 << bit.saturating_sub(8)
            };
            iin & mask != 0
        })
        .map(super::objects::iin_name)
        .filter(|n| *n != "reserved")
        .collect()
}
