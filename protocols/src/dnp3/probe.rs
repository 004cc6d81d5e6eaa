//! DNP3 probe: does a direction start with a data link header (IEEE 1815-2012 section
//! 9.2: 0x05 0x64, LENGTH 5..=255, CONTROL, DESTINATION, SOURCE) whose CRC checks? Ten
//! bytes with a good CRC-16/DNP are strong enough evidence to run on any port.

use super::link::{self, FrameError};
use crate::parser::{Direction, Probe};

/// Does `data` start with a DNP3 link header whose CRC checks?
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    match link::parse_header(data) {
        Ok(_) => Probe::Match,
        Err(FrameError::Incomplete { .. }) => Probe::NeedMore,
        Err(_) => Probe::NoMatch,
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
    fn dnp3_link_header() {
        // 05 64, LEN 5, CTRL 0xC9 (PRM, REQUEST LINK STATUS), DST 1, SRC 1024, CRC.
        let mut h = vec![0x05, 0x64, 0x05, 0xC9, 0x01, 0x00, 0x00, 0x04];
        let crc = link::crc16(&h);
        h.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(probe(&h, ToServer), Probe::Match);
        assert_eq!(probe(&h[..6], ToServer), Probe::NeedMore);
        assert_eq!(probe(&h[..1], ToServer), Probe::NeedMore);
        h[9] ^= 1;
        assert_eq!(probe(&h, ToServer), Probe::NoMatch);
        assert_eq!(probe(b"GET /", ToServer), Probe::NoMatch);
        // A length below 5 with a good CRC is not DNP3 either.
        let mut short = vec![0x05, 0x64, 0x04, 0xC9, 0x01, 0x00, 0x00, 0x04];
        let crc = link::crc16(&short);
        short.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(probe(&short, ToServer), Probe::NoMatch);
    }
}
