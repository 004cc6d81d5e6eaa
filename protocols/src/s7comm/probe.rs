//! S7comm probe: TPKT (RFC 1006: version 3, reserved 0, length) + COTP (ISO 8073) +
//! S7 protocol id 0x32 (S7comm-plus uses 0x72, and is matched too).
//!
//! The connection opens with a COTP Connection Request; S7 peers name a TSAP of two
//! bytes whose first byte is the connection type (1 PG, 2 OP, 3 S7 basic) or, for
//! S7comm-plus, a TSAP string starting "SIMATIC". Other ISO-on-TCP users (MMS of IEC
//! 61850, RDP) open differently.

use crate::common::be16_at;
use crate::parser::{Direction, Probe};

const COTP_CR: u8 = 0xE0;
const COTP_CC: u8 = 0xD0;
const COTP_DT: u8 = 0xF0;
/// Parameters walked in a CR/CC.
const MAX_PARAMS: usize = 8;

/// Does `data` look like S7comm over ISO-on-TCP?
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    match (data.first(), data.get(1)) {
        (None, _) | (Some(3), None) => return Probe::NeedMore,
        (Some(3), Some(0)) => {}
        _ => return Probe::NoMatch,
    }
    let (Some(len), Some(&li), Some(&pdu)) = (be16_at(data, 2), data.get(4), data.get(5)) else {
        return Probe::NeedMore;
    };
    if usize::from(len) < 7 || usize::from(li).saturating_add(5) > usize::from(len) {
        return Probe::NoMatch;
    }
    match pdu & 0xF0 {
        COTP_DT => match data.get(7) {
            Some(0x32 | 0x72) if li == 2 => Probe::Match,
            None => Probe::NeedMore,
            _ => Probe::NoMatch,
        },
        COTP_CR | COTP_CC => {
            let end = usize::from(li).saturating_add(5);
            let Some(params) = data.get(11..end) else {
                return Probe::NeedMore;
            };
            if s7_tsap(params) {
                Probe::Match
            } else {
                Probe::NoMatch
            }
        }
        _ => Probe::NoMatch,
    }
}

/// Whether the CR/CC parameters name an S7 TSAP (0xC1 calling, 0xC2 called).
fn s7_tsap(mut p: &[u8]) -> bool {
    for _ in 0..MAX_PARAMS {
        let (Some(&code), Some(&len)) = (p.first(), p.get(1)) else {
            return false;
        };
        let end = usize::from(len).saturating_add(2);
        let Some(value) = p.get(2..end) else {
            return false;
        };
        if (code == 0xC2 || code == 0xC1)
            && ((value.len() == 2 && matches!(value.first(), Some(1..=3)))
                || value.starts_with(b"SIMATIC"))
        {
            return true;
        }
        p = p.get(end..).unwrap_or(&[]);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::Direction::ToServer;

    #[test]
    fn s7comm_setup_and_connection_request() {
        // TPKT, COTP DT (LI 2, 0xF0, EOT), S7 header: 0x32, ROSCTR 1 (job) ...
        let job = [
            0x03, 0x00, 0x00, 0x19, 0x02, 0xF0, 0x80, 0x32, 0x01, 0, 0, 0, 0, 0, 0x08, 0, 0,
        ];
        assert_eq!(probe(&job, ToServer), Probe::Match);
        // COTP CR with TPDU size, src TSAP 01 00, dst TSAP 01 02 (PG, rack 0 slot 2).
        let cr = [
            0x03, 0x00, 0x00, 0x16, 0x11, 0xE0, 0x00, 0x00, 0x00, 0x01, 0x00, 0xC0, 0x01, 0x0A,
            0xC1, 0x02, 0x01, 0x00, 0xC2, 0x02, 0x01, 0x02,
        ];
        assert_eq!(probe(&cr, ToServer), Probe::Match);
        // RDP's CR has a cookie, not S7 TSAPs.
        let mut rdp = vec![0x03, 0x00, 0x00, 0x13, 0x0E, 0xE0, 0, 0, 0, 0, 0];
        rdp.extend_from_slice(&[0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00]);
        assert_eq!(probe(&rdp, ToServer), Probe::NoMatch);
    }
}
