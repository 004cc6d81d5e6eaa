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

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use crate::parser::Direction::ToServer;

    #[test]
    fn dnp3_crc_check_value() {
        // CRC-16/DNP check value from the CRC catalogue ("123456789").
        assert_eq!(crc16(b"123456789"), 0xEA82);
    }

    #[test]
    fn dnp3_link_header() {
        // 05 64, LEN 5, CTRL 0xC9 (PRM, REQUEST LINK STATUS), DST 1, SRC 1024, CRC.
        let mut h = vec![0x05, 0x64, 0x05, 0xC9, 0x01, 0x00, 0x00, 0x04];
        let crc = crc16(&h);
        h.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(probe(&h, ToServer), Probe::Match);
        assert_eq!(probe(&h[..6], ToServer), Probe::NeedMore);
        h[9] ^= 1;
        assert_eq!(probe(&h, ToServer), Probe::NoMatch);
        assert_eq!(probe(b"GET /", ToServer), Probe::NoMatch);
    }
}
