//! Object data: how many bytes each group/variation takes (so every object header of a
//! fragment can be found), and the decoders for the objects that matter for security.
//!
//! Sizes are those of IEEE 1815-2012 annex A (object library). "Time" is the 48-bit
//! DNP3 time (milliseconds since 1970-01-01 UTC, little-endian), "flag" one octet.
//!
//! | group | what | decoded here |
//! |-------|------|--------------|
//! | 0     | device attributes: data type, length, value | vendor, model, firmware, serial... to the inventory |
//! | 12    | v1 control relay output block (11 octets) | operation type, count, on/off time, status |
//! | 41    | analog output block: value + status | value, status |
//! | 50    | time and date | the time written |
//! | 70    | file control (free format, size prefixed) | command, file name, handle, status |
//! | 80    | internal indications (packed bits) | the IIN bits written |
//! | 120   | secure authentication (free format) | the message type, user, sequence |

use serde::Serialize;

/// How much data one object of a group/variation carries.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Size {
    /// A fixed number of octets.
    Fixed(usize),
    /// Packed: this many bits per point, the range's points packed into whole octets.
    Bits(u8),
    /// No data (class objects, "any variation" in requests).
    Empty,
    /// Device attribute: data type, length, then `length` octets.
    Attribute,
    /// The variation is the length (octet strings, virtual terminal blocks).
    VariationOctets,
    /// Only a size prefix can say (free-format objects: groups 70, 120, ...).
    Prefixed,
    /// Not in the object library: the rest of the fragment cannot be walked.
    Unknown,
}

/// The size of one object of `group`/`variation` (annex A).
pub fn size(group: u8, variation: u8) -> Size {
    use Size::{Attribute, Bits, Empty, Fixed, Prefixed, Unknown, VariationOctets};
    match (group, variation) {
        // Variation 0 asks for the default variation: requests only, no data.
        (_, 0) => Empty,
        (0, _) => Attribute,
        // Binary inputs and their events.
        (1, 1) => Bits(1),
        (1, 2) => Fixed(1),
        (2, 1) => Fixed(1),
        (2, 2) => Fixed(7),
        (2, 3) => Fixed(3),
        // Double-bit inputs and their events.
        (3, 1) => Bits(2),
        (3, 2) => Fixed(1),
        (4, 1) => Fixed(1),
        (4, 2) => Fixed(7),
        (4, 3) => Fixed(3),
        // Binary outputs, their events, commands and command events.
        (10, 1) => Bits(1),
        (10, 2) => Fixed(1),
        (11, 1) => Fixed(1),
        (11, 2) => Fixed(7),
        (12, 1) | (12, 2) => Fixed(11),
        (12, 3) => Bits(1),
        (13, 1) => Fixed(1),
        (13, 2) => Fixed(7),
        // Counters (20), frozen counters (21), counter events (22, 23).
        (20, 1) | (20, 3) => Fixed(5),
        (20, 2) | (20, 4) => Fixed(3),
        (20, 5) | (20, 7) => Fixed(4),
        (20, 6) | (20, 8) => Fixed(2),
        (21, 1) | (21, 3) => Fixed(5),
        (21, 2) | (21, 4) => Fixed(3),
        (21, 5) | (21, 7) => Fixed(11),
        (21, 6) | (21, 8) => Fixed(9),
        (21, 9) | (21, 11) => Fixed(4),
        (21, 10) | (21, 12) => Fixed(2),
        (22 | 23, 1) | (22 | 23, 3) => Fixed(5),
        (22 | 23, 2) | (22 | 23, 4) => Fixed(3),
        (22 | 23, 5) | (22 | 23, 7) => Fixed(11),
        (22 | 23, 6) | (22 | 23, 8) => Fixed(9),
        // Analog inputs (30), frozen (31), events (32, 33), deadbands (34).
        (30, 1) => Fixed(5),
        (30, 2) => Fixed(3),
        (30, 3) => Fixed(4),
        (30, 4) => Fixed(2),
        (30, 5) => Fixed(5),
        (30, 6) => Fixed(9),
        (31, 1) => Fixed(5),
        (31, 2) => Fixed(3),
        (31, 3) => Fixed(11),
        (31, 4) => Fixed(9),
        (31, 5) => Fixed(4),
        (31, 6) => Fixed(2),
        (31, 7) => Fixed(5),
        (31, 8) => Fixed(9),
        (32 | 33 | 42 | 43, 1) => Fixed(5),
        (32 | 33 | 42 | 43, 2) => Fixed(3),
        (32 | 33 | 42 | 43, 3) => Fixed(11),
        (32 | 33 | 42 | 43, 4) => Fixed(9),
        (32 | 33 | 42 | 43, 5) => Fixed(5),
        (32 | 33 | 42 | 43, 6) => Fixed(9),
        (32 | 33 | 42 | 43, 7) => Fixed(11),
        (32 | 33 | 42 | 43, 8) => Fixed(15),
        (34, 1) => Fixed(2),
        (34, 2) | (34, 3) => Fixed(4),
        // Analog output status (40) and output blocks (41).
        (40, 1) | (40, 3) => Fixed(5),
        (40, 2) => Fixed(3),
        (40, 4) => Fixed(9),
        (41, 1) | (41, 3) => Fixed(5),
        (41, 2) => Fixed(3),
        (41, 4) => Fixed(9),
        // Time (50), common time of occurrence (51), time delay (52).
        (50, 1) | (50, 3) => Fixed(6),
        (50, 2) => Fixed(10),
        (50, 4) => Fixed(11),
        (51, 1) | (51, 2) => Fixed(6),
        (52, 1) | (52, 2) => Fixed(2),
        // Class data: requests only.
        (60, 1..=4) => Empty,
        // File control: every variation is free format.
        (70, 1..=8) => Prefixed,
        // Internal indications: one bit per IIN.
        (80, 1) => Bits(1),
        (81, 1) => Fixed(3),
        (82 | 83 | 85 | 86 | 87 | 88, 1) => Prefixed,
        (86, 2) => Fixed(1),
        (86, 3) => Prefixed,
        (90, 1) => Prefixed,
        (91, 1) => Prefixed,
        (101, 1) => Fixed(2),
        (101, 2) => Fixed(4),
        (101, 3) => Fixed(8),
        (102, 1) => Fixed(1),
        (110..=113, _) => VariationOctets,
        // Secure authentication: v3 and v4 are fixed, the rest free format.
        (120, 3) => Fixed(6),
        (120, 4) => Fixed(2),
        (120, 1..=15) => Prefixed,
        (121, 1) => Fixed(7),
        (122, 1) => Fixed(7),
        (122, 2) => Fixed(13),
        _ => Unknown,
    }
}

/// Text kept per decoded string (attribute values, file names), in bytes.
pub const MAX_TEXT: usize = 64;

pub(crate) struct Le<'a> {
    b: &'a [u8],
}

impl<'a> Le<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Le<'a> {
        Le { b }
    }
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (h, rest) = self.b.split_at_checked(n)?;
        self.b = rest;
        Some(h)
    }
    pub(crate) fn u8(&mut self) -> Option<u8> {
        let (&v, rest) = self.b.split_first()?;
        self.b = rest;
        Some(v)
    }
    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.take(2)?.try_into().ok().map(u16::from_le_bytes)
    }
    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.take(4)?.try_into().ok().map(u32::from_le_bytes)
    }
    pub(crate) fn u48(&mut self) -> Option<u64> {
        let b = self.take(6)?;
        let mut v = [0u8; 8];
        v.get_mut(..6)?.copy_from_slice(b);
        Some(u64::from_le_bytes(v))
    }
    pub(crate) fn peek(&self) -> &'a [u8] {
        self.b
    }
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.b)
    }
    pub(crate) fn len(&self) -> usize {
        self.b.len()
    }
}

fn text(b: &[u8]) -> String {
    crate::common::capped(b, MAX_TEXT)
}

/// Control relay output block (g12v1, annex A.9.1; control code in section 11.9.9.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Crob {
    pub index: u32,
    /// Operation type, low nibble of the control code: 0 nul, 1 pulse_on, 2 pulse_off,
    /// 3 latch_on, 4 latch_off.
    pub op_type: u8,
    pub op_name: &'static str,
    /// Trip/close code, top two bits: 0 nul, 1 close, 2 trip.
    pub tcc: &'static str,
    pub clear: bool,
    pub queue: bool,
    pub count: u8,
    /// Milliseconds.
    pub on_time: u32,
    pub off_time: u32,
    /// Status code (section 11.9.9.2 table 11-?): 0 success; echoed by the outstation.
    pub status: u8,
}

/// The operation type names of the CROB control code.
pub fn crob_op_name(op: u8) -> &'static str {
    match op {
        0 => "nul",
        1 => "pulse_on",
        2 => "pulse_off",
        3 => "latch_on",
        4 => "latch_off",
        _ => "reserved",
    }
}

fn tcc_name(code: u8) -> &'static str {
    match code >> 6 {
        0 => "nul",
        1 => "close",
        2 => "trip",
        _ => "reserved",
    }
}

pub fn decode_crob(index: u32, b: &[u8]) -> Option<Crob> {
    let mut r = Le::new(b);
    let code = r.u8()?;
    let count = r.u8()?;
    let on_time = r.u32()?;
    let off_time = r.u32()?;
    let status = r.u8()? & 0x7F;
    Some(Crob {
        index,
        op_type: code & 0x0F,
        op_name: crob_op_name(code & 0x0F),
        tcc: tcc_name(code),
        clear: code & 0x20 != 0,
        queue: code & 0x10 != 0,
        count,
        on_time,
        off_time,
        status,
    })
}

/// A value of an analog output block (g41) or an analog output status (g40).
#[derive(Copy, Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AnalogValue {
    Int(i64),
    Float(f64),
}

/// Analog output block (g41, annex A.24): value then a status octet.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnalogOutput {
    pub index: u32,
    pub variation: u8,
    pub value: AnalogValue,
    pub status: u8,
}

pub fn decode_analog_output(index: u32, variation: u8, b: &[u8]) -> Option<AnalogOutput> {
    let mut r = Le::new(b);
    let value = match variation {
        1 => AnalogValue::Int(i64::from(r.u32()? as i32)),
        2 => AnalogValue::Int(i64::from(r.u16()? as i16)),
        3 => AnalogValue::Float(f64::from(f32::from_le_bytes(r.take(4)?.try_into().ok()?))),
        4 => AnalogValue::Float(f64::from_le_bytes(r.take(8)?.try_into().ok()?)),
        _ => return None,
    };
    let status = r.u8()? & 0x7F;
    Some(AnalogOutput {
        index,
        variation,
        value,
        status,
    })
}

/// Time and date (g50 v1, v3, v4 and the time of v2): milliseconds since the epoch.
pub fn decode_time(b: &[u8]) -> Option<u64> {
    Le::new(b).u48()
}

/// File control (g70, annex A.30 and section 11.9.11).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileObject {
    pub variation: u8,
    /// What the object is: authentication, command, command_status, transport,
    /// transport_status, descriptor, specification.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Operational mode of a file command (v3): 0 null, 1 read, 2 write, 3 append.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handle: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
    /// Block number of a transport object (v5, v6), the last-block bit cleared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<u32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub last_block: bool,
    /// File data bytes carried by a transport object (v5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_len: Option<u32>,
    /// Status code of v4/v6 responses: 0 success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u8>,
}

fn file_kind(variation: u8) -> &'static str {
    match variation {
        1 => "file_identifier",
        2 => "authentication",
        3 => "command",
        4 => "command_status",
        5 => "transport",
        6 => "transport_status",
        7 => "descriptor",
        8 => "specification",
        _ => "unknown",
    }
}

/// Decodes the file objects whose layout is fixed (section 11.9.11 / annex A.30).
/// v3 command: name offset u16, name size u16, creation time u48, permissions u16,
/// authentication key u32, file size u32, mode u16, max block size u16, request id u16,
/// name. v4 command status: handle u32, size u32, max block u16, request id u16, status
/// u8, text. v5 transport: handle u32, block u32, data. v6 transport status: handle u32,
/// block u32, status u8, text. v7 descriptor: name offset u16, name size u16, type u16,
/// size u32, time u48, permissions u16, request id u16, name. v8 specification: the name.
pub fn decode_file(variation: u8, b: &[u8]) -> FileObject {
    let mut f = FileObject {
        variation,
        kind: file_kind(variation),
        ..FileObject::default()
    };
    let mut r = Le::new(b);
    let name_at = |b: &[u8], off: u16, size: u16| -> Option<String> {
        let start = usize::from(off);
        let end = start.checked_add(usize::from(size))?;
        b.get(start..end).map(text)
    };
    let _ = (|| -> Option<()> {
        match variation {
            3 => {
                let off = r.u16()?;
                let size = r.u16()?;
                r.u48()?;
                r.u16()?;
                r.u32()?;
                f.size = Some(r.u32()?);
                f.mode = Some(r.u16()?);
                f.name = name_at(b, off, size);
            }
            4 => {
                f.handle = Some(r.u32()?);
                f.size = Some(r.u32()?);
                r.u16()?;
                r.u16()?;
                f.status = Some(r.u8()?);
            }
            5 | 6 => {
                f.handle = Some(r.u32()?);
                let block = r.u32()?;
                f.block = Some(block & 0x7FFF_FFFF);
                f.last_block = block & 0x8000_0000 != 0;
                if variation == 5 {
                    f.data_len = u32::try_from(r.len()).ok();
                } else {
                    f.status = Some(r.u8()?);
                }
            }
            7 => {
                let off = r.u16()?;
                let size = r.u16()?;
                r.u16()?;
                f.size = Some(r.u32()?);
                f.name = name_at(b, off, size);
            }
            8 => f.name = Some(text(r.rest())),
            _ => {}
        }
        Some(())
    })();
    f
}

/// The names of the IIN bits, by index (section 5.2.2.1; g80 addresses them by index:
/// 0-7 the first octet, 8-15 the second).
pub fn iin_name(index: u32) -> &'static str {
    match index {
        0 => "broadcast",
        1 => "class_1_events",
        2 => "class_2_events",
        3 => "class_3_events",
        4 => "need_time",
        5 => "local_control",
        6 => "device_trouble",
        7 => "device_restart",
        8 => "no_func_code_support",
        9 => "object_unknown",
        10 => "parameter_error",
        11 => "event_buffer_overflow",
        12 => "already_executing",
        13 => "config_corrupt",
        _ => "reserved",
    }
}

/// One IIN bit written with g80v1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IinWrite {
    pub index: u32,
    pub name: &'static str,
    pub value: bool,
}

/// A device attribute (g0, section 11.9.1 "device attributes", table of variations
/// 209-255). Values of the text attributes are capped at [`MAX_TEXT`] bytes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Attribute {
    pub variation: u8,
    pub name: &'static str,
    /// Data type code: 1 visible string, 2 unsigned, 3 signed, 4 float, 5 octet string,
    /// 6 bit string, 254 attribute list.
    pub data_type: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<i64>,
}

/// Names of the device attribute variations (IEEE 1815-2012 table 11-?; the DNP3
/// Users Group's device attribute list).
pub fn attribute_name(variation: u8) -> &'static str {
    match variation {
        196..=198 => "configuration_id",
        199 => "gps_location",
        200 => "device_serial_number_alt",
        201 => "event_buffers",
        202 => "device_location_altitude",
        203 => "device_location",
        204 => "user_assigned_secondary_operator",
        205 => "user_assigned_primary_operator",
        206 => "user_assigned_system_name",
        207 => "secure_auth_version",
        208 => "secure_auth_statistics",
        209 => "secure_auth_version_supported",
        210 => "secure_auth_version_count",
        211 => "user_specific_attributes",
        212 => "master_data_set_prototypes",
        213 => "outstation_data_set_prototypes",
        214 => "master_data_sets",
        215 => "outstation_data_sets",
        216 => "max_binary_output_per_request",
        217 => "local_timing_accuracy",
        218 => "duration_of_time_accuracy",
        219 => "support_analog_output_events",
        220 => "max_analog_output_index",
        221 => "number_of_analog_outputs",
        222 => "support_binary_output_events",
        223 => "max_binary_output_index",
        224 => "number_of_binary_outputs",
        225 => "support_frozen_counter_events",
        226 => "support_frozen_counters",
        227 => "support_counter_events",
        228 => "max_counter_index",
        229 => "number_of_counters",
        230 => "support_frozen_analog_inputs",
        231 => "support_analog_input_events",
        232 => "max_analog_input_index",
        233 => "number_of_analog_inputs",
        234 => "support_double_bit_input_events",
        235 => "max_double_bit_input_index",
        236 => "number_of_double_bit_inputs",
        237 => "support_binary_input_events",
        238 => "max_binary_input_index",
        239 => "number_of_binary_inputs",
        240 => "max_transmit_fragment_size",
        241 => "max_receive_fragment_size",
        242 => "device_manufacturer_software_version",
        243 => "device_manufacturer_hardware_version",
        244 => "user_assigned_owner_name",
        245 => "user_assigned_location",
        246 => "user_assigned_id_code",
        247 => "user_assigned_device_name",
        248 => "device_serial_number",
        249 => "dnp_subset_and_conformance",
        250 => "device_manufacturer_product_name_and_model",
        252 => "device_manufacturer_name",
        254 => "all_attributes_request",
        255 => "list_of_attribute_variations",
        _ => "unknown",
    }
}

/// Data type codes of device attributes.
const DT_VSTR: u8 = 1;
const DT_UINT: u8 = 2;
const DT_INT: u8 = 3;

pub fn decode_attribute(variation: u8, data_type: u8, value: &[u8]) -> Attribute {
    let number = match data_type {
        DT_UINT if value.len() <= 4 => {
            let mut v = [0u8; 8];
            if let Some(d) = v.get_mut(..value.len()) {
                d.copy_from_slice(value);
            }
            Some(i64::from_le_bytes(v))
        }
        DT_INT if (1..=4).contains(&value.len()) => {
            let mut v = [0u8; 8];
            if let Some(d) = v.get_mut(..value.len()) {
                d.copy_from_slice(value);
            }
            let raw = i64::from_le_bytes(v);
            let bits = u32::try_from(value.len().saturating_mul(8)).unwrap_or(64);
            let shift = 64u32.saturating_sub(bits);
            Some(raw.wrapping_shl(shift).wrapping_shr(shift))
        }
        _ => None,
    };
    Attribute {
        variation,
        name: attribute_name(variation),
        data_type,
        text: (data_type == DT_VSTR).then(|| text(value)),
        number,
    }
}

/// Secure authentication (g120, IEEE 1815-2012 section 7 and annex A.45).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuthObject {
    pub variation: u8,
    pub name: &'static str,
    /// Challenge sequence number (v1, v2, v3, v5, v6, v7, v9's context).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csq: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<u16>,
    /// Error code of v7: 1 authentication failed, 2 unexpected response, 3 no response,
    /// 4 aggressive mode not supported, 5 MAC algorithm not supported, 6 key wrap
    /// algorithm not supported, 7 authorization failed, 8 update key change method not
    /// permitted, 9 invalid signature, 10 invalid certification data, 11 unknown user,
    /// 12 max session key status requests exceeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<u8>,
    /// Key status of v5: 1 ok, 2 not_init, 3 comm_fail, 4 auth_fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_status: Option<u8>,
}

pub fn auth_name(variation: u8) -> &'static str {
    match variation {
        1 => "challenge",
        2 => "reply",
        3 => "aggressive_mode_request",
        4 => "session_key_status_request",
        5 => "session_key_status",
        6 => "session_key_change",
        7 => "error",
        8 => "user_certificate",
        9 => "mac",
        10 => "user_status_change",
        11 => "update_key_change_request",
        12 => "update_key_change_reply",
        13 => "update_key_change",
        14 => "update_key_change_signature",
        15 => "update_key_change_confirmation",
        _ => "unknown",
    }
}

/// v1 challenge: csq u32, user u16, MAC algorithm u8, reason u8, data. v2 reply: csq,
/// user, MAC. v3 aggressive mode request: csq, user. v4 key status request: user. v5 key
/// status: csq, user, key wrap u8, key status u8, ... v6 key change: csq, user, key.
/// v7 error: csq, user, association u16, error u8, time u48, text.
pub fn decode_auth(variation: u8, b: &[u8]) -> AuthObject {
    let mut a = AuthObject {
        variation,
        name: auth_name(variation),
        csq: None,
        user: None,
        error: None,
        key_status: None,
    };
    let mut r = Le::new(b);
    let _ = (|| -> Option<()> {
        match variation {
            4 => a.user = Some(r.u16()?),
            1 | 2 | 3 | 5 | 6 | 7 => {
                a.csq = Some(r.u32()?);
                a.user = Some(r.u16()?);
                if variation == 5 {
                    r.u8()?;
                    a.key_status = Some(r.u8()?);
                }
                if variation == 7 {
                    r.u16()?;
                    a.error = Some(r.u8()?);
                }
            }
            _ => {}
        }
        Some(())
    })();
    a
}
