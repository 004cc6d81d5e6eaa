//! OPC UA binary message header probe (IEC 62541-6 section 7.1.2): MessageType (3 ASCII
//! bytes: HEL, ACK, ERR, RHE, OPN, MSG, CLO), chunk type (F final, C intermediate, A
//! abort), MessageSize (u32 little-endian, header included). HEL and ACK are always final
//! and begin with ProtocolVersion 0.

use crate::common::le32_at;
use crate::parser::{Direction, Probe};

pub const HEADER_LEN: usize = 8;
/// Largest message size we accept as plausible (servers cap chunks far lower).
const MAX_MESSAGE_SIZE: u32 = 16 * 1024 * 1024;
const TYPES: [&[u8; 3]; 7] = [b"HEL", b"ACK", b"ERR", b"RHE", b"OPN", b"MSG", b"CLO"];

/// Does `data` start with an OPC UA binary message header?
pub fn probe(data: &[u8], _dir: Direction) -> Probe {
    let head = data.get(..3).unwrap_or(data);
    if !TYPES.iter().any(|t| t.starts_with(head)) {
        return Probe::NoMatch;
    }
    let (Some(t), Some(&chunk), Some(size)) = (data.get(..3), data.get(3), le32_at(data, 4)) else {
        return Probe::NeedMore;
    };
    let hello = t == b"HEL" || t == b"ACK";
    let chunk_ok = if hello {
        chunk == b'F'
    } else {
        matches!(chunk, b'F' | b'C' | b'A')
    };
    if !chunk_ok || !(HEADER_LEN as u32..=MAX_MESSAGE_SIZE).contains(&size) {
        return Probe::NoMatch;
    }
    if hello {
        match le32_at(data, 8) {
            Some(0) => Probe::Match,
            Some(_) => Probe::NoMatch,
            None => Probe::NeedMore,
        }
    } else {
        Probe::Match
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::Direction::{ToClient, ToServer};

    #[test]
    fn opcua_hello_and_msg() {
        let mut hel = b"HELF".to_vec();
        hel.extend_from_slice(&32u32.to_le_bytes()); // MessageSize
        hel.extend_from_slice(&0u32.to_le_bytes()); // ProtocolVersion
        assert_eq!(probe(&hel, ToServer), Probe::Match);
        assert_eq!(probe(b"HE", ToServer), Probe::NeedMore);
        let mut msg = b"MSGC".to_vec();
        msg.extend_from_slice(&100u32.to_le_bytes());
        assert_eq!(probe(&msg, ToClient), Probe::Match);
        assert_eq!(probe(b"HELX\x20\x00\x00\x00", ToServer), Probe::NoMatch);
        assert_eq!(probe(b"GET / HTTP/1.1", ToServer), Probe::NoMatch);
    }
}
