//! APCI: find one APDU in the stream and decode its control field (IEC 60870-5-104
//! section 5).
//!
//! | field         | size | notes                                                   |
//! |---------------|------|---------------------------------------------------------|
//! | start         | 1    | 0x68                                                    |
//! | APDU length   | 1    | control field + ASDU: 4..=253                           |
//! | control field | 4    | I: N(S) << 1, N(R) << 1 (15-bit counters, LSB first); S: 0x01 0x00, N(R) << 1; U: function bits, 0, 0, 0 |
//! | ASDU          | n    | I format only (see `asdu.rs`)                           |

pub const START: u8 = 0x68;
/// Smallest APDU length field: the control field alone.
pub const MIN_LENGTH: u8 = 4;
/// Largest APDU length field (section 5: an APDU is at most 255 octets).
pub const MAX_LENGTH: u8 = 253;
/// Longest APDU on the wire. Bounds every stream buffer.
pub const MAX_APDU_LEN: usize = 2 + MAX_LENGTH as usize;

/// U-format functions (section 5.3), as tshark names them in `iec60870_104.utype`.
pub mod u {
    pub const STARTDT_ACT: u8 = 0x01;
    pub const STARTDT_CON: u8 = 0x02;
    pub const STOPDT_ACT: u8 = 0x04;
    pub const STOPDT_CON: u8 = 0x08;
    pub const TESTFR_ACT: u8 = 0x10;
    pub const TESTFR_CON: u8 = 0x20;
}

/// snake_case name of a U-format function (bits 2-7 of control octet 1, shifted down).
pub fn u_name(f: u8) -> &'static str {
    match f {
        u::STARTDT_ACT => "startdt_act",
        u::STARTDT_CON => "startdt_con",
        u::STOPDT_ACT => "stopdt_act",
        u::STOPDT_CON => "stopdt_con",
        u::TESTFR_ACT => "testfr_act",
        u::TESTFR_CON => "testfr_con",
        _ => "invalid",
    }
}

/// The control field.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Control {
    /// Information transfer: send and receive sequence numbers.
    I { send: u16, recv: u16 },
    /// Supervisory: receive sequence number.
    S { recv: u16 },
    /// Unnumbered: the function bits (bits 2-7 of octet 1, shifted down by 2).
    U { function: u8 },
}

impl Control {
    /// The format as tshark numbers it (`iec60870_104.type`): I 0, S 1, U 3.
    pub fn tshark_type(&self) -> u8 {
        match self {
            Control::I { .. } => 0,
            Control::S { .. } => 1,
            Control::U { .. } => 3,
        }
    }
    pub fn letter(&self) -> &'static str {
        match self {
            Control::I { .. } => "I",
            Control::S { .. } => "S",
            Control::U { .. } => "U",
        }
    }
}

/// Decodes the four control octets.
pub fn control(c: [u8; 4]) -> Control {
    let [c1, c2, c3, c4] = c;
    let recv = (u16::from(c3) >> 1) | (u16::from(c4) << 7);
    if c1 & 0x01 == 0 {
        Control::I {
            send: (u16::from(c1) >> 1) | (u16::from(c2) << 7),
            recv,
        }
    } else if c1 & 0x03 == 0x01 {
        Control::S { recv }
    } else {
        Control::U { function: c1 >> 2 }
    }
}

/// One framed APDU, borrowed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Apdu<'a> {
    pub length: u8,
    pub control: Control,
    /// The ASDU (I format; empty otherwise, or trailing octets the format forbids).
    pub asdu: &'a [u8],
}

/// Why no APDU could be framed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    #[error("incomplete APDU: {needed} bytes needed")]
    Incomplete { needed: usize },
    /// Framing lost: no 0x68 at the start.
    #[error("no APCI start octet")]
    NoStart,
    /// The length field is below 4: the APDU is taken whole (start, length and the
    /// bytes it counts) and reported.
    #[error("APDU length {0} below 4")]
    LengthOutOfRange(u8),
}

/// Frames one APDU at the start of `input`; returns it and the tail. A length below 4
/// is an error, but the unit's extent is known (`2 + length`): the caller skips it.
pub fn parse_apdu(input: &[u8]) -> Result<(Apdu<'_>, &[u8]), FrameError> {
    match input.first() {
        None => return Err(FrameError::Incomplete { needed: 2 }),
        Some(&START) => {}
        Some(_) => return Err(FrameError::NoStart),
    }
    let Some(&length) = input.get(1) else {
        return Err(FrameError::Incomplete { needed: 2 });
    };
    let total = 2usize.saturating_add(usize::from(length));
    let Some((unit, rest)) = input.split_at_checked(total) else {
        return Err(FrameError::Incomplete { needed: total });
    };
    if length < MIN_LENGTH {
        return Err(FrameError::LengthOutOfRange(length));
    }
    let (Some(c), Some(asdu)) = (unit.get(2..6), unit.get(6..)) else {
        return Err(FrameError::Incomplete { needed: total });
    };
    let c: [u8; 4] = c.try_into().unwrap_or([0; 4]);
    Ok((
        Apdu {
            length,
            control: control(c),
            asdu,
        },
        rest,
    ))
}

/// Encodes an APDU (for tests, benches and fuzz seeds).
pub fn encode(control: Control, asdu: &[u8]) -> Vec<u8> {
    let asdu = asdu
        .get(..usize::from(MAX_LENGTH - MIN_LENGTH))
        .unwrap_or(asdu);
    let mut v = vec![
        START,
        u8::try_from(asdu.len().saturating_add(4)).unwrap_or(MAX_LENGTH),
    ];
    match control {
        Control::I { send, recv } => {
            let s = send.wrapping_shl(1);
            let r = recv.wrapping_shl(1);
            v.extend_from_slice(&[
                (s & 0xFE) as u8,
                (send >> 7) as u8,
                (r & 0xFE) as u8,
                (recv >> 7) as u8,
            ]);
        }
        Control::S { recv } => {
            let r = recv.wrapping_shl(1);
            v.extend_from_slice(&[0x01, 0x00, (r & 0xFE) as u8, (recv >> 7) as u8]);
        }
        Control::U { function } => v.extend_from_slice(&[(function << 2) | 0x03, 0, 0, 0]),
    }
    v.extend_from_slice(asdu);
    v
}
