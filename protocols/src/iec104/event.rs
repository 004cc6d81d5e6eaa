//! The owned IEC 104 event: one per APDU.

use super::asdu::Object;
use serde::Serialize;

/// One APDU. Several APDUs in one segment give several events with the same `frame`.
/// ASDU fields are `null` on S and U frames (and where a short ASDU ends).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Apdu {
    /// "I", "S" or "U".
    pub apci: &'static str,
    /// U frames: startdt_act, startdt_con, stopdt_act, stopdt_con, testfr_act,
    /// testfr_con.
    pub u_function: Option<&'static str>,
    /// U frames: the function bits as sent (bits 2-7 of control octet 1), which also
    /// shows an invalid combination ("invalid" in `u_function`).
    pub u_code: Option<u8>,
    /// I frames: N(S).
    pub send_seq: Option<u16>,
    /// I and S frames: N(R).
    pub recv_seq: Option<u16>,
    pub type_id: Option<u8>,
    pub type_name: Option<&'static str>,
    /// Variable structure qualifier: SQ bit and number of objects.
    pub sq: bool,
    pub num_objects: u8,
    pub cot: Option<u8>,
    pub cot_name: Option<&'static str>,
    pub negative: bool,
    pub test: bool,
    pub originator: Option<u8>,
    pub common_address: Option<u16>,
    /// Information object addresses, the first 32.
    pub ioas: Vec<u32>,
    /// Information objects the ASDU carried.
    pub ioa_total: u32,
    /// Values of the first 32 information objects.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<Object>,
    /// The side that sent it is the controlling station (it sends commands and
    /// activations, or it is the TCP client).
    pub from_controlling: bool,
    /// Sent by the flow's client (the envelope's `client`).
    pub from_client: bool,
}
