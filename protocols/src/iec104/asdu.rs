//! ASDU: data unit identifier and information objects (IEC 60870-5-101 section 7 with
//! the 104 parameters of IEC 60870-5-104 section 9: 2-octet cause of transmission,
//! 2-octet common address, 3-octet information object address).
//!
//! | field                  | size | notes                                           |
//! |------------------------|------|-------------------------------------------------|
//! | type identification    | 1    | see [`element_len`]                             |
//! | variable structure qualifier | 1 | SQ 0x80, number of objects 0x7F             |
//! | cause of transmission  | 1    | T 0x80, P/N 0x40, cause 0x3F                    |
//! | originator address     | 1    |                                                 |
//! | common address         | 2    | little-endian                                   |
//! | information objects    | n    | SQ=0: n x (IOA + element); SQ=1: IOA, n elements |
//!
//! Decoding is lax, like tshark's: fields are kept as far as the bytes go, and an
//! anomaly says where it stopped.

use super::types::{self, Anomaly};
use serde::Serialize;

/// Information objects whose values are kept per ASDU; `ioa_total` counts them all.
pub const MAX_OBJECTS: usize = 32;

/// Element length (octets after the IOA) of each type identification (IEC 60870-5-101
/// section 7.3 and 104 section 8, with the time-tagged CP56Time2a forms).
pub fn element_len(type_id: u8) -> Option<usize> {
    Some(match type_id {
        1 | 3 => 1,
        2 | 4 => 4,
        5 => 2,
        6 => 5,
        7 => 5,
        8 => 8,
        9 | 11 => 3,
        10 | 12 => 6,
        13 => 5,
        14 => 8,
        15 => 5,
        16 => 8,
        17 => 6,
        18 | 19 => 7,
        20 => 5,
        21 => 2,
        30 | 31 => 8,
        32 => 9,
        33 => 12,
        34 | 35 => 10,
        36 => 12,
        37 => 12,
        38 => 10,
        39 | 40 => 11,
        45..=47 => 1,
        48 | 49 => 3,
        50 => 5,
        51 => 4,
        58..=60 => 8,
        61 | 62 => 10,
        63 => 12,
        64 => 11,
        70 => 1,
        100 | 101 => 1,
        102 => 0,
        103 => 7,
        104 => 2,
        105 => 1,
        106 => 2,
        107 => 9,
        110 | 111 => 3,
        112 => 5,
        113 => 1,
        120 => 6,
        121 => 7,
        122 => 4,
        123 => 5,
        124 => 4,
        126 => 13,
        127 => 16,
        _ => return None,
    })
}

/// A decoded element value.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
}

/// One information object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Object {
    pub ioa: u32,
    /// Point value, measured value, command state or set-point (by type id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Select/execute bit of a command or set-point: true = select.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub select: Option<bool>,
    /// Qualifier: command qualifier (QU), set-point QL, interrogation QOI, reset QRP,
    /// parameter QPM/QPA, file qualifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<u8>,
    /// Quality descriptor (IV 0x80, NT 0x40, SB 0x20, BL 0x10, OV 0x01).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<u8>,
    /// CP56Time2a as milliseconds since the epoch (years 2000-2099), when the type has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<i64>,
}

/// One decoded ASDU.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Asdu {
    pub type_id: Option<u8>,
    pub sq: bool,
    pub num_objects: u8,
    pub cot: Option<u8>,
    pub negative: bool,
    pub test: bool,
    pub originator: Option<u8>,
    pub common_address: Option<u16>,
    /// The first [`MAX_OBJECTS`] information objects.
    pub objects: Vec<Object>,
    /// Information objects the ASDU carried.
    pub ioa_total: u32,
    pub anomaly: Option<Anomaly>,
}

fn le(b: &[u8]) -> u64 {
    let mut v = [0u8; 8];
    let n = b.len().min(8);
    if let (Some(d), Some(s)) = (v.get_mut(..n), b.get(..n)) {
        d.copy_from_slice(s);
    }
    u64::from_le_bytes(v)
}

/// CP56Time2a (IEC 60870-5-4 section 6.8): ms u16, minute (IV 0x80), hour (SU 0x80),
/// day of month (day of week in the top bits), month, year (0-99, from 2000).
#[allow(clippy::arithmetic_side_effects)] // every field is masked to a small range
fn cp56(b: &[u8]) -> Option<i64> {
    let ms = i64::from(u16::from_le_bytes([*b.first()?, *b.get(1)?]));
    let min = i64::from(*b.get(2)? & 0x3F);
    let hour = i64::from(*b.get(3)? & 0x1F);
    let day = i64::from(*b.get(4)? & 0x1F);
    let month = i64::from(*b.get(5)? & 0x0F);
    let year = 2000 + i64::from(*b.get(6)? & 0x7F);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Days from the civil date (H. Hinnant's algorithm), then milliseconds.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hour) * 60 + min) * 60_000 + ms)
}

/// Decodes one element of `type_id` (its `element_len` octets).
#[allow(clippy::arithmetic_side_effects)] // constant-bounded arithmetic on small values
fn decode_element(type_id: u8, ioa: u32, e: &[u8]) -> Object {
    let b = |i: usize| e.get(i).copied().unwrap_or(0);
    let i16_at = |i: usize| i16::from_le_bytes([b(i), b(i + 1)]);
    let f32_at = |i: usize| f32::from_le_bytes([b(i), b(i + 1), b(i + 2), b(i + 3)]);
    let mut o = Object {
        ioa,
        value: None,
        select: None,
        qualifier: None,
        quality: None,
        time_ms: None,
    };
    match type_id {
        1 | 2 | 30 => {
            o.value = Some(Value::Bool(b(0) & 1 != 0));
            o.quality = Some(b(0) & 0xF0);
        }
        3 | 4 | 31 => {
            o.value = Some(Value::Int(i64::from(b(0) & 3)));
            o.quality = Some(b(0) & 0xF0);
        }
        5 | 6 | 32 => {
            // VTI: 7-bit signed step position.
            o.value = Some(Value::Int(i64::from(((b(0) << 1) as i8) >> 1)));
            o.quality = Some(b(1));
        }
        7 | 8 | 33 | 51 | 64 => {
            o.value = Some(Value::Int(le(e.get(..4).unwrap_or(e)) as i64));
            if type_id != 51 && type_id != 64 {
                o.quality = Some(b(4));
            }
        }
        9 | 10 | 34 | 21 => {
            o.value = Some(Value::Float(f64::from(i16_at(0)) / 32768.0));
            if type_id != 21 {
                o.quality = Some(b(2));
            }
        }
        11 | 12 | 35 => {
            o.value = Some(Value::Int(i64::from(i16_at(0))));
            o.quality = Some(b(2));
        }
        13 | 14 | 36 => {
            o.value = Some(Value::Float(f64::from(f32_at(0))));
            o.quality = Some(b(4));
        }
        15 | 16 | 37 => {
            o.value = Some(Value::Int(i64::from(i32::from_le_bytes([
                b(0),
                b(1),
                b(2),
                b(3),
            ]))));
            o.quality = Some(b(4));
        }
        45 | 58 => {
            o.value = Some(Value::Bool(b(0) & 1 != 0));
            o.select = Some(b(0) & 0x80 != 0);
            o.qualifier = Some((b(0) >> 2) & 0x1F);
        }
        46 | 47 | 59 | 60 => {
            o.value = Some(Value::Int(i64::from(b(0) & 3)));
            o.select = Some(b(0) & 0x80 != 0);
            o.qualifier = Some((b(0) >> 2) & 0x1F);
        }
        48 | 61 | 110 => {
            o.value = Some(Value::Float(f64::from(i16_at(0)) / 32768.0));
            set_qualifier(&mut o, type_id, b(2));
        }
        49 | 62 | 111 => {
            o.value = Some(Value::Int(i64::from(i16_at(0))));
            set_qualifier(&mut o, type_id, b(2));
        }
        50 | 63 | 112 => {
            o.value = Some(Value::Float(f64::from(f32_at(0))));
            set_qualifier(&mut o, type_id, b(4));
        }
        100 | 101 | 105 | 113 | 70 => o.qualifier = Some(b(0)),
        103 => o.time_ms = cp56(e),
        _ => {}
    }
    if types::has_cp56(type_id) {
        let at = e.len().saturating_sub(7);
        o.time_ms = e.get(at..).and_then(cp56);
    }
    o
}

/// QOS of a set-point command (S/E 0x80, QL 0x7F); QPM of a parameter (kind 0x3F).
fn set_qualifier(o: &mut Object, type_id: u8, q: u8) {
    if (110..=112).contains(&type_id) {
        o.qualifier = Some(q);
    } else {
        o.select = Some(q & 0x80 != 0);
        o.qualifier = Some(q & 0x7F);
    }
}

/// Decodes an ASDU. Never fails; see [`Asdu::anomaly`].
pub fn decode(b: &[u8]) -> Asdu {
    let mut a = Asdu::default();
    let flag = |a: &mut Asdu, x: Anomaly| {
        a.anomaly.get_or_insert(x);
    };
    a.type_id = b.first().copied();
    let Some(&vsq) = b.get(1) else {
        flag(&mut a, Anomaly::TruncatedAsdu);
        return a;
    };
    a.sq = vsq & 0x80 != 0;
    a.num_objects = vsq & 0x7F;
    if let Some(&c) = b.get(2) {
        a.cot = Some(c & 0x3F);
        a.negative = c & 0x40 != 0;
        a.test = c & 0x80 != 0;
    }
    a.originator = b.get(3).copied();
    let (Some(&ca0), Some(&ca1)) = (b.get(4), b.get(5)) else {
        flag(&mut a, Anomaly::TruncatedAsdu);
        return a;
    };
    a.common_address = Some(u16::from_le_bytes([ca0, ca1]));
    let type_id = a.type_id.unwrap_or(0);
    let Some(elen) = element_len(type_id) else {
        // Type 125 (segment) carries its own length; anything else is unknown.
        if type_id != 125 {
            flag(&mut a, Anomaly::UnknownType);
        }
        a.ioa_total = u32::from(a.num_objects);
        return a;
    };
    let body = b.get(6..).unwrap_or(&[]);
    let n = usize::from(a.num_objects);
    // The body's length must be exactly what the type and count say (101 section 7.2).
    let want = if a.sq {
        3usize.saturating_add(elen.saturating_mul(n))
    } else {
        (3usize.saturating_add(elen)).saturating_mul(n)
    };
    if n == 0 {
        flag(&mut a, Anomaly::NoObjects);
    } else if body.len() < want {
        flag(&mut a, Anomaly::TruncatedAsdu);
    } else if body.len() > want {
        flag(&mut a, Anomaly::TrailingBytes);
    }
    let mut at = 0usize;
    let mut base = 0u32;
    // Bounded by the count (at most 127) and the body's length.
    for i in 0..n {
        let ioa = if a.sq && i > 0 {
            base.wrapping_add(u32::try_from(i).unwrap_or(0))
        } else {
            let Some(x) = body.get(at..at.saturating_add(3)) else {
                break;
            };
            at = at.saturating_add(3);
            let v = u32::try_from(le(x)).unwrap_or(0);
            base = v;
            v
        };
        let Some(e) = body.get(at..at.saturating_add(elen)) else {
            break;
        };
        at = at.saturating_add(elen);
        a.ioa_total = a.ioa_total.saturating_add(1);
        if a.objects.len() < MAX_OBJECTS {
            a.objects.push(decode_element(type_id, ioa, e));
        }
    }
    a
}

/// Encodes an ASDU (for tests and fuzz seeds): SQ = 0, one element per IOA.
pub fn encode(type_id: u8, cot: u8, common_address: u16, objects: &[(u32, &[u8])]) -> Vec<u8> {
    let n = u8::try_from(objects.len().min(127)).unwrap_or(127);
    let mut v = vec![type_id, n, cot, 0];
    v.extend_from_slice(&common_address.to_le_bytes());
    for (ioa, e) in objects.iter().take(127) {
        v.extend_from_slice(ioa.to_le_bytes().get(..3).unwrap_or(&[0, 0, 0]));
        v.extend_from_slice(e);
    }
    v
}
