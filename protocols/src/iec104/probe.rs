//! IEC 60870-5-104 APCI probe (IEC 60870-5-104 section 5.1): start 0x68, APDU length
//! (4..=253), four control octets: I-format (bit 0 of octet 1 clear), S-format (octet 1
//! = 0x01, octet 2 = 0) or U-format (octet 1 = one of STARTDT/STOPDT/TESTFR act/con,
//! octets 2-4 zero).

use crate::parser::{Direction, Probe};

const START: u8 = 0x68;
const MIN_APDU_LEN: u8 = 4;
const MAX_APDU_LEN: u8 = 253;
/// U-format control octet 1 values (section 5.3).
const U_FUNCTIONS: [u8; 6] = [0x07, 0x0B, 0x13, 0x23, 0x43, 0x83];

/// Does `data` start with a 104 APCI?
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    match data.first() {
        None => return Probe::NeedMore,
        Some(&START) => {}
        Some(_) => return Probe::NoMatch,
    }
    let Some(c) = data.get(1..6) else {
        return Probe::NeedMore;
    };
    let (len, c1, c2, c3, c4) = match c {
        [l, a, b, c, d] => (*l, *a, *b, *c, *d),
        _ => return Probe::NeedMore,
    };
    if !(MIN_APDU_LEN..=MAX_APDU_LEN).contains(&len) {
        return Probe::NoMatch;
    }
    let ok = if c1 & 0x01 == 0 {
        // I-format carries an ASDU: at least the 6-byte data unit identifier.
        len >= 10 && c3 & 0x01 == 0
    } else if c1 == 0x01 {
        len == 4 && c2 == 0 && c3 & 0x01 == 0
    } else {
        len == 4 && U_FUNCTIONS.contains(&c1) && c2 == 0 && c3 == 0 && c4 == 0
    };
    if ok { Probe::Match } else { Probe::NoMatch }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::Direction::{ToClient, ToServer};

    #[test]
    fn iec104_formats() {
        let startdt_act = [0x68, 0x04, 0x07, 0x00, 0x00, 0x00];
        assert_eq!(probe(&startdt_act, ToServer), Probe::Match);
        let s_frame = [0x68, 0x04, 0x01, 0x00, 0x02, 0x00];
        assert_eq!(probe(&s_frame, ToClient), Probe::Match);
        // I-format: send seq 0, recv seq 0, then ASDU (type 100 interrogation ...).
        let i_frame = [
            0x68, 0x0E, 0x00, 0x00, 0x00, 0x00, 100, 1, 6, 0, 1, 0, 0, 0, 0, 20,
        ];
        assert_eq!(probe(&i_frame, ToServer), Probe::Match);
        assert_eq!(
            probe(&[0x68, 0x04, 0x05, 0, 0, 0], ToServer),
            Probe::NoMatch
        );
        assert_eq!(probe(&[0x68, 0x04], ToServer), Probe::NeedMore);
    }
}
