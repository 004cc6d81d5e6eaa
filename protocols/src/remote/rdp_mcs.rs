//! The client's MCS Connect-Initial, readable only when the server chose standard RDP
//! security (no TLS, no CredSSP): it names the client computer and its Windows build.
//!
//! | layer | encoding | what is read |
//! | --- | --- | --- |
//! | X.224 Data TPDU (ISO 8073 13.7) | LI 2, code 0xF0, EOT | nothing |
//! | MCS Connect-Initial (T.125 11.1) | BER, tag `[APPLICATION 101]` (0x7F 0x65) | the `userData` OCTET STRING after five fixed fields |
//! | GCC Conference Create Request (T.124 8.7) | PER | the H.221 key "Duca" and the user-data length |
//! | client data blocks (MS-RDPBCGR 2.2.1.3.1) | little-endian `TS_UD_HEADER` (type, length) | the core block, type 0xC001 |
//! | `TS_UD_CS_CORE` (MS-RDPBCGR 2.2.1.3.2) | little-endian | version, desktop size, keyboard layout, clientBuild, clientName |
//!
//! rdesktop and early FreeRDP always send clientBuild 2600 whatever they run on (their
//! sources say "We are now 2600 compatible"), so the build is what the client claims,
//! like a user agent; detect/ weighs it accordingly.

use crate::common::{capped_utf16le, le16_at, le32_at};
use serde::Serialize;

/// What the client core data says (the names are those of MS-RDPBCGR 2.2.1.3.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RdpClientInfo {
    /// RDP version the client speaks: 0x00080001 is RDP 4.0, 0x00080004 RDP 5.0-8.1,
    /// 0x00080005 and up RDP 10.x.
    pub version: u32,
    pub desktop_width: u16,
    pub desktop_height: u16,
    /// Windows input locale identifier, e.g. 0x411 Japanese.
    pub keyboard_layout: u32,
    /// The client's build number (Windows' own build for mstsc).
    pub client_build: u32,
    /// The client computer's name (at most 15 characters on the wire).
    pub client_name: String,
}

/// Why a client Connect-Initial could not be read.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum McsError {
    /// Not an X.224 data TPDU carrying a BER Connect-Initial.
    NotConnectInitial,
    /// A BER or PER length runs past the data, or uses a form no client sends.
    BadLength,
    /// The GCC header (its H.221 key) is missing.
    NoGccHeader,
    /// The user data has no client core block, or it is shorter than its fixed part.
    NoCoreData,
}

impl McsError {
    pub fn reason(self) -> &'static str {
        match self {
            McsError::NotConnectInitial => "rdp_not_connect_initial",
            McsError::BadLength => "rdp_mcs_bad_length",
            McsError::NoGccHeader => "rdp_gcc_header_missing",
            McsError::NoCoreData => "rdp_client_core_missing",
        }
    }
}

/// BER tag of MCS Connect-Initial: `[APPLICATION 101]`, constructed, high-tag form.
const CONNECT_INITIAL: [u8; 2] = [0x7F, 0x65];
/// The fields before `userData`: calling and called domain selectors, upward flag,
/// target, minimum and maximum domain parameters (T.125 11.1).
const FIELDS_BEFORE_USER_DATA: [u8; 6] = [0x04, 0x04, 0x01, 0x30, 0x30, 0x30];
const OCTET_STRING: u8 = 0x04;
/// The H.221 non-standard key of a client's Conference Create Request (MS-RDPBCGR
/// 2.2.1.3). The PER fields before it have the same values in every client, but their
/// lengths may vary, so it is searched for within the first bytes.
const H221_CLIENT_KEY: &[u8] = b"Duca";
const GCC_KEY_WINDOW: usize = 64;
const CS_CORE: u16 = 0xC001;
/// Header, version, desktop size, colour depth, SAS sequence, keyboard layout, build and
/// the 32-byte name: the part of `TS_UD_CS_CORE` read here.
const CS_CORE_MIN_LEN: usize = 56;
const CLIENT_NAME_AT: usize = 24;
const CLIENT_NAME_LEN: usize = 32;
/// Clients send half a dozen blocks; more is not a client.
const MAX_BLOCKS: usize = 32;

/// Reads the client core data of an X.224 data TPDU (TPKT header included).
pub fn client_info(tpkt: &[u8]) -> Result<RdpClientInfo, McsError> {
    // TPKT (4) + X.224 DT: LI 2, code 0xF0, EOT bit.
    let (Some(2), Some(0xF0)) = (tpkt.get(4), tpkt.get(5).map(|c| c & 0xF0)) else {
        return Err(McsError::NotConnectInitial);
    };
    let mcs = tpkt.get(7..).ok_or(McsError::NotConnectInitial)?;
    if mcs.get(..2) != Some(&CONNECT_INITIAL[..]) {
        return Err(McsError::NotConnectInitial);
    }
    let (body, _) = ber_value(mcs.get(2..).unwrap_or(&[]))?;
    let mut rest = body;
    for tag in FIELDS_BEFORE_USER_DATA {
        if rest.first() != Some(&tag) {
            return Err(McsError::NotConnectInitial);
        }
        let (_, after) = ber_value(rest.get(1..).unwrap_or(&[]))?;
        rest = after;
    }
    if rest.first() != Some(&OCTET_STRING) {
        return Err(McsError::NotConnectInitial);
    }
    let (user_data, _) = ber_value(rest.get(1..).unwrap_or(&[]))?;
    core_block(gcc_user_data(user_data)?)
}

/// A BER length and the value it frames: (value, what follows).
fn ber_value(b: &[u8]) -> Result<(&[u8], &[u8]), McsError> {
    let (&first, tail) = b.split_first().ok_or(McsError::BadLength)?;
    let (len, tail) = match first {
        0..=0x7F => (usize::from(first), tail),
        0x81 => {
            let (&l, t) = tail.split_first().ok_or(McsError::BadLength)?;
            (usize::from(l), t)
        }
        0x82 => {
            let l = tail.get(..2).ok_or(McsError::BadLength)?;
            let l = u16::from_be_bytes([
                l.first().copied().unwrap_or(0),
                l.get(1).copied().unwrap_or(0),
            ]);
            (usize::from(l), tail.get(2..).unwrap_or(&[]))
        }
        // Indefinite or longer forms: no RDP client sends them.
        _ => return Err(McsError::BadLength),
    };
    let value = tail.get(..len).ok_or(McsError::BadLength)?;
    Ok((value, tail.get(len..).unwrap_or(&[])))
}

/// The client data blocks after the GCC Conference Create Request's H.221 key and its
/// PER length (X.691 10.9: one byte below 0x80, else two with the top bit set).
fn gcc_user_data(gcc: &[u8]) -> Result<&[u8], McsError> {
    let window = gcc.get(..GCC_KEY_WINDOW).unwrap_or(gcc);
    let at = window
        .windows(H221_CLIENT_KEY.len())
        .position(|w| w == H221_CLIENT_KEY)
        .ok_or(McsError::NoGccHeader)?;
    let after = gcc
        .get(at.saturating_add(H221_CLIENT_KEY.len())..)
        .ok_or(McsError::NoGccHeader)?;
    let (&b0, tail) = after.split_first().ok_or(McsError::BadLength)?;
    let (len, blocks) = if b0 & 0x80 == 0 {
        (usize::from(b0), tail)
    } else {
        let (&b1, t) = tail.split_first().ok_or(McsError::BadLength)?;
        ((usize::from(b0 & 0x7F) << 8) | usize::from(b1), t)
    };
    blocks.get(..len).ok_or(McsError::BadLength)
}

/// Walks the `TS_UD_HEADER` blocks to the client core data and reads it.
fn core_block(mut blocks: &[u8]) -> Result<RdpClientInfo, McsError> {
    for _ in 0..MAX_BLOCKS {
        let (Some(kind), Some(len)) = (le16_at(blocks, 0), le16_at(blocks, 2)) else {
            break;
        };
        let len = usize::from(len);
        let block = blocks
            .get(..len)
            .filter(|_| len >= 4)
            .ok_or(McsError::BadLength)?;
        if kind == CS_CORE {
            return read_core(block);
        }
        blocks = blocks.get(len..).unwrap_or(&[]);
    }
    Err(McsError::NoCoreData)
}

fn read_core(b: &[u8]) -> Result<RdpClientInfo, McsError> {
    if b.len() < CS_CORE_MIN_LEN {
        return Err(McsError::NoCoreData);
    }
    let name = b
        .get(CLIENT_NAME_AT..CLIENT_NAME_AT.saturating_add(CLIENT_NAME_LEN))
        .unwrap_or(&[]);
    // Null-terminated inside its 32 bytes.
    let units = name
        .chunks_exact(2)
        .position(|u| u == [0, 0])
        .unwrap_or(CLIENT_NAME_LEN / 2);
    Ok(RdpClientInfo {
        version: le32_at(b, 4).unwrap_or(0),
        desktop_width: le16_at(b, 8).unwrap_or(0),
        desktop_height: le16_at(b, 10).unwrap_or(0),
        keyboard_layout: le32_at(b, 16).unwrap_or(0),
        client_build: le32_at(b, 20).unwrap_or(0),
        client_name: capped_utf16le(name, units),
    })
}

/// Encoders for synthetic captures and tests: the same layers, written the way mstsc
/// writes them (MS-RDPBCGR 4.1.3 shows a full example).
pub mod encode {
    #![allow(clippy::cast_possible_truncation, clippy::indexing_slicing)]
    use super::{CONNECT_INITIAL, CS_CORE, H221_CLIENT_KEY, RdpClientInfo};

    fn ber(tag: &[u8], value: &[u8]) -> Vec<u8> {
        let mut v = tag.to_vec();
        match value.len() {
            n @ 0..=0x7F => v.push(n as u8),
            n @ 0x80..=0xFF => v.extend_from_slice(&[0x81, n as u8]),
            n => {
                v.push(0x82);
                v.extend_from_slice(&(n as u16).to_be_bytes());
            }
        }
        v.extend_from_slice(value);
        v
    }

    /// A `TS_UD_CS_CORE` block (names longer than 15 characters are cut).
    pub fn core(info: &RdpClientInfo) -> Vec<u8> {
        let mut c = Vec::new();
        c.extend_from_slice(&CS_CORE.to_le_bytes());
        c.extend_from_slice(&[0, 0]); // length, set below
        c.extend_from_slice(&info.version.to_le_bytes());
        c.extend_from_slice(&info.desktop_width.to_le_bytes());
        c.extend_from_slice(&info.desktop_height.to_le_bytes());
        c.extend_from_slice(&0xCA01u16.to_le_bytes()); // RNS_UD_COLOR_8BPP
        c.extend_from_slice(&0xAA03u16.to_le_bytes()); // RNS_UD_SAS_DEL
        c.extend_from_slice(&info.keyboard_layout.to_le_bytes());
        c.extend_from_slice(&info.client_build.to_le_bytes());
        let mut n: Vec<u8> = info
            .client_name
            .encode_utf16()
            .take(15)
            .flat_map(u16::to_le_bytes)
            .collect();
        n.resize(32, 0);
        c.extend_from_slice(&n);
        c.extend_from_slice(&7u32.to_le_bytes()); // keyboardType: Japanese
        c.extend_from_slice(&0u32.to_le_bytes());
        c.extend_from_slice(&12u32.to_le_bytes());
        c.extend_from_slice(&[0; 64]); // imeFileName
        let len = c.len() as u16;
        c[2..4].copy_from_slice(&len.to_le_bytes());
        c
    }

    /// TPKT + X.224 DT + MCS Connect-Initial + GCC Conference Create Request + blocks.
    pub fn connect_initial(blocks: &[u8]) -> Vec<u8> {
        let mut gcc = vec![0x00, 0x05, 0x00, 0x14, 0x7C, 0x00, 0x01]; // T.124 key
        let mut ccr = vec![0x00, 0x08, 0x00, 0x10, 0x00, 0x01, 0xC0, 0x00];
        ccr.extend_from_slice(H221_CLIENT_KEY);
        ccr.extend_from_slice(&(0x8000u16 | blocks.len() as u16).to_be_bytes());
        ccr.extend_from_slice(blocks);
        gcc.extend_from_slice(&(0x8000u16 | ccr.len() as u16).to_be_bytes());
        gcc.extend_from_slice(&ccr);
        let params = ber(
            &[0x30],
            &[
                [0x02, 0x01, 0x22].as_slice(),
                &[0x02, 0x01, 0x02],
                &[0x02, 0x01, 0x00],
                &[0x02, 0x01, 0x01],
                &[0x02, 0x01, 0x00],
                &[0x02, 0x01, 0x01],
                &[0x02, 0x02, 0xFF, 0xFF],
                &[0x02, 0x01, 0x02],
            ]
            .concat(),
        );
        let mut body = ber(&[0x04], &[0x01]);
        body.extend(ber(&[0x04], &[0x01]));
        body.extend(ber(&[0x01], &[0xFF]));
        for _ in 0..3 {
            body.extend_from_slice(&params);
        }
        body.extend(ber(&[0x04], &gcc));
        let mcs = ber(&CONNECT_INITIAL, &body);
        let mut v = vec![0x03, 0x00, 0x00, 0x00, 0x02, 0xF0, 0x80];
        v.extend_from_slice(&mcs);
        let len = v.len() as u16;
        v[2..4].copy_from_slice(&len.to_be_bytes());
        v
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::cast_possible_truncation
    )]
    use super::*;

    /// mstsc on an engineering station: RDP 5.0-8.1 core data, Japanese keyboard.
    pub(crate) fn core(build: u32, name: &str) -> Vec<u8> {
        encode::core(&RdpClientInfo {
            version: 0x0008_0004,
            desktop_width: 1280,
            desktop_height: 1024,
            keyboard_layout: 0x0411,
            client_build: build,
            client_name: name.to_string(),
        })
    }

    pub(crate) use encode::connect_initial;

    #[test]
    fn reads_the_client_core_block_among_others() {
        let mut blocks = vec![0x02, 0xC0, 0x0C, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]; // security
        blocks.extend(core(7601, "ENG-WIN7"));
        let info = client_info(&connect_initial(&blocks)).unwrap();
        assert_eq!(info.client_build, 7601);
        assert_eq!(info.client_name, "ENG-WIN7");
        assert_eq!((info.desktop_width, info.desktop_height), (1280, 1024));
        assert_eq!(info.keyboard_layout, 0x411);
        assert_eq!(info.version, 0x0008_0004);
    }

    #[test]
    fn a_full_fifteen_character_name_is_kept() {
        let info = client_info(&connect_initial(&core(9600, "ABCDEFGHIJKLMNO"))).unwrap();
        assert_eq!(info.client_name, "ABCDEFGHIJKLMNO");
    }

    #[test]
    fn malformed_input_is_a_typed_error() {
        assert_eq!(
            client_info(b"\x03\x00\x00\x07\x02\xf0\x80"),
            Err(McsError::NotConnectInitial)
        );
        let good = connect_initial(&core(7601, "X"));
        // Cut inside the user data: a BER length runs past the end.
        assert_eq!(
            client_info(&good[..good.len() - 10]),
            Err(McsError::BadLength)
        );
        // No core block.
        let other = [0x02, 0xC0, 0x0C, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            client_info(&connect_initial(&other)),
            Err(McsError::NoCoreData)
        );
        // A block claiming to be shorter than its header.
        assert_eq!(
            client_info(&connect_initial(&[1, 0xC0, 2, 0])),
            Err(McsError::BadLength)
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let _ = client_info(&b);
        }

        #[test]
        fn any_truncation_of_a_valid_pdu_is_an_error_not_a_panic(cut in 0usize..400) {
            let good = connect_initial(&core(7601, "ENG-WIN7"));
            let r = client_info(&good[..cut.min(good.len())]);
            proptest::prop_assert!(cut >= good.len() || r.is_err());
        }
    }
}
