//! DNP3 (IEEE 1815-2012 section 9.2) data link header probe: start 0x05 0x64, LENGTH
//! (5..=255: control, destination, source and user data), CONTROL, DESTINATION(2),
//! SOURCE(2), then the header CRC (CRC-16/DNP, little-endian) over those 8 bytes.

use crate::common::le16_at;
use crate::parser::{Direction, Probe};

/// Start bytes, CRC'd header, CRC.
pub const HEADER_LEN: usize = 10;

/// CRC-16/DNP: polynomial 0x3D65 (reflected 0xA6BC), init 0, output complemented.
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA6BC
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Does `data` start with a DNP3 link header whose CRC checks?
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    match (data.first(), data.get(1)) {
        (None, _) | (Some(0x05), None) => return Probe::NeedMore,
        (Some(0x05), Some(0x64)) => {}
        _ => return Probe::NoMatch,
    }
    let (Some(hdr), Some(crc)) = (data.get(..8), le16_at(data, 8)) else {
        return Probe::NeedMore;
    };
    if hdr.get(2).is_some_and(|&len| len >= 5) && crc16(hdr) == crc {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}
