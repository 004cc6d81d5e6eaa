//! BACnet/IP BVLC header probe (ASHRAE 135 Annex J.2): type 0x81, function 0x00..=0x0C,
//! length (big-endian; normally the whole datagram, but devices that send a shorter
//! BVLC length than the UDP payload exist, as in cisagov_bacnet_example.pcap: tshark still
//! dissects those, so we accept a length up to the payload's). Original-Unicast/Broadcast-NPDU (0x0A, 0x0B)
//! and Forwarded-NPDU (0x04) must carry NPDU version 1 (clause 6.2.1).

use crate::common::be16_at;
use crate::parser::{Direction, Probe};

const BVLC_TYPE: u8 = 0x81;
const MAX_FUNCTION: u8 = 0x0C;

/// Does this datagram carry a BVLC header?
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    let (Some(&t), Some(&f), Some(len)) = (data.first(), data.get(1), be16_at(data, 2)) else {
        return Probe::NoMatch;
    };
    if t != BVLC_TYPE || f > MAX_FUNCTION || len < 4 || usize::from(len) > data.len() {
        return Probe::NoMatch;
    }
    let npdu_at = match f {
        0x0A | 0x0B => Some(4),
        // Forwarded-NPDU: original source address (6 bytes) first.
        0x04 => Some(10),
        _ => None,
    };
    match npdu_at.map(|at| data.get(at)) {
        None | Some(Some(1)) => Probe::Match,
        Some(_) => Probe::NoMatch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::Direction::ToServer;

    #[test]
    fn bacnet_bvlc() {
        // Original-Broadcast-NPDU, length 12, NPDU version 1, control 0x20, ... Who-Is.
        let whois = [
            0x81, 0x0B, 0x00, 0x0C, 0x01, 0x20, 0xFF, 0xFF, 0x00, 0xFF, 0x10, 0x08,
        ];
        assert_eq!(probe(&whois, ToServer), Probe::Match);
        assert_eq!(probe(&whois[..11], ToServer), Probe::NoMatch);
        assert_eq!(probe(&[0x81, 0x0B, 0x00, 0x02], ToServer), Probe::NoMatch);
        let mut bad = whois;
        bad[4] = 2;
        assert_eq!(probe(&bad, ToServer), Probe::NoMatch);
    }
}
