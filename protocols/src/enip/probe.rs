//! EtherNet/IP encapsulation header probe (ODVA CIP Vol. 2, section 2-3), little-endian:
//! Command(2) Length(2) Session Handle(4) Status(4) Sender Context(8) Options(4), then
//! Length bytes of data.
//!
//! Class 0/1 implicit I/O on UDP 2222 has no encapsulation header: it is a bare Common
//! Packet Format (CIP Vol. 2, section 2-6): item count 2, a Sequenced Address item (type
//! 0x8002, length 8), then a Connected Data item (type 0x00B1) holding the rest.

use crate::common::{le16_at, le32_at};
use crate::parser::{Direction, Probe};

pub const HEADER_LEN: usize = 24;
/// Largest encapsulated data (65535 minus the header).
const MAX_DATA_LEN: usize = 65_511;

/// Encapsulation commands (CIP Vol. 2, table 2-3.2).
fn is_command(c: u16) -> bool {
    matches!(
        c,
        0x0000 | 0x0004 | 0x0063 | 0x0064 | 0x0065 | 0x0066 | 0x006F | 0x0070 | 0x0072 | 0x0073
    )
}

/// Does `data` start with an encapsulation header of a known command, or is it an
/// implicit I/O datagram?
pub fn probe(data: &[u8], dir: Direction) -> Probe {
    if is_implicit_io(data) {
        return Probe::Match;
    }
    probe_encapsulation(data, dir)
}

/// A UDP 2222 I/O datagram: CPF with a sequenced address and a connected data item that
/// exactly fills the datagram.
pub fn is_implicit_io(data: &[u8]) -> bool {
    le16_at(data, 0) == Some(2)
        && le16_at(data, 2) == Some(0x8002)
        && le16_at(data, 4) == Some(8)
        && le16_at(data, 14) == Some(0x00B1)
        && le16_at(data, 16).is_some_and(|n| usize::from(n).saturating_add(18) == data.len())
}

fn probe_encapsulation(data: &[u8], _dir: Direction) -> Probe {
    if let Some(c) = le16_at(data, 0)
        && !is_command(c)
    {
        return Probe::NoMatch;
    }
    let (Some(cmd), Some(len), Some(options)) =
        (le16_at(data, 0), le16_at(data, 2), le32_at(data, 20))
    else {
        return Probe::NeedMore;
    };
    let len = usize::from(len);
    // Options must be zero (section 2-3.1); RegisterSession carries exactly 4 bytes.
    if options != 0 || len > MAX_DATA_LEN || (cmd == 0x0065 && len != 4) {
        return Probe::NoMatch;
    }
    Probe::Match
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::Direction::ToServer;

    #[test]
    fn enip_register_session() {
        let mut h = vec![0x65, 0x00, 0x04, 0x00]; // RegisterSession, length 4
        h.extend_from_slice(&[0; 4]); // session handle
        h.extend_from_slice(&[0; 4]); // status
        h.extend_from_slice(&[0; 8]); // sender context
        h.extend_from_slice(&[0; 4]); // options
        h.extend_from_slice(&[1, 0, 0, 0]); // protocol version 1, options 0
        assert_eq!(probe(&h, ToServer), Probe::Match);
        assert_eq!(probe(&h[..10], ToServer), Probe::NeedMore);
        h[20] = 1; // options must be zero
        assert_eq!(probe(&h, ToServer), Probe::NoMatch);
        assert_eq!(probe(b"\x16\x03", ToServer), Probe::NoMatch);
        // Implicit I/O: 2 items; sequenced address (conn id, seq); connected data, 6 bytes.
        let io = [
            2, 0, 0x02, 0x80, 8, 0, 3, 6, 0x4b, 0, 1, 0, 0, 0, 0xB1, 0, 6, 0, 1, 0, 9, 9, 9, 9,
        ];
        assert_eq!(probe(&io, ToServer), Probe::Match);
        assert_eq!(probe(&io[..23], ToServer), Probe::NoMatch);
    }
}
