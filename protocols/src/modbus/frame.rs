//! Framing: find one Modbus/TCP ADU, check its MBAP header, hand back borrowed slices.
//!
//! MBAP header (Modbus Messaging on TCP/IP Implementation Guide V1.0b, section 3.1.3):
//!
//! | field          | size | offset |
//! |----------------|------|--------|
//! | transaction id | 2    | 0      |
//! | protocol id    | 2    | 2      | always 0 for Modbus
//! | length         | 2    | 4      | bytes that follow: unit id + PDU
//! | unit id        | 1    | 6      |
//! | PDU            | n    | 7      | function code + data, at most 253 bytes
//!   (Application Protocol Specification V1.1b3, section 4.1)

/// Bytes before the length-counted part: transaction id, protocol id, length.
pub const MBAP_PREFIX_LEN: usize = 6;
/// The MBAP header with the unit id.
pub const MBAP_HEADER_LEN: usize = 7;
/// Smallest legal length field: unit id + function code.
pub const MIN_LENGTH_FIELD: u16 = 2;
/// Largest legal length field: unit id + a PDU of 253 bytes (section 4.1).
pub const MAX_LENGTH_FIELD: u16 = 254;
/// Largest length field still framed (and flagged `length_out_of_range`): Schneider
/// UMAS (function 90) frames with length 255 are seen in the field
/// (iti_modicon_test.pcap frames 19-20) and tshark decodes them.
pub const MAX_TOLERATED_LENGTH_FIELD: u16 = 255;
/// Largest ADU framed: 6 + 255 = 261 bytes. Bounds every reassembly buffer.
pub const MAX_ADU_LEN: usize = MBAP_PREFIX_LEN + MAX_TOLERATED_LENGTH_FIELD as usize;

/// The decoded MBAP header.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Mbap {
    pub trans_id: u16,
    pub protocol_id: u16,
    pub length: u16,
    pub unit_id: u8,
}

/// One framed ADU, borrowed from the input. `pdu` is never empty: it holds the
/// function code and its data (`length - 1` bytes).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Adu<'a> {
    pub header: Mbap,
    pub pdu: &'a [u8],
}

impl Adu<'_> {
    /// The raw function code byte, exception bit included.
    pub fn function_byte(&self) -> u8 {
        self.pdu.first().copied().unwrap_or(0)
    }
    /// Length field above the specification's 254 (tolerated, flagged).
    pub fn is_oversized(&self) -> bool {
        self.header.length > MAX_LENGTH_FIELD
    }
    /// Bytes the ADU took on the wire.
    pub fn wire_len(&self) -> usize {
        MBAP_PREFIX_LEN.saturating_add(usize::from(self.header.length))
    }
}

/// Why no ADU could be framed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// Need `needed` bytes in all to frame the ADU; nothing consumed.
    #[error("incomplete ADU: {needed} bytes needed")]
    Incomplete { needed: usize },
    /// Framing lost: the protocol id is not 0.
    #[error("MBAP protocol id {0} is not 0")]
    ProtocolIdNotZero(u16),
    /// Framing lost: the length field is outside 2..=255.
    #[error("MBAP length {0} out of range")]
    LengthOutOfRange(u16),
}

fn be16(input: &[u8], at: usize) -> Option<u16> {
    let end = at.checked_add(2)?;
    let b: [u8; 2] = input.get(at..end)?.try_into().ok()?;
    Some(u16::from_be_bytes(b))
}

/// Checks the first six bytes (transaction id, protocol id, length) of an MBAP header.
/// Fails fast: a bad protocol id is reported with only four bytes present. Lengths of
/// 255 pass here (see [`MAX_TOLERATED_LENGTH_FIELD`]); [`Adu::is_oversized`] says so.
pub fn check_prefix(input: &[u8]) -> Result<u16, FrameError> {
    if let Some(proto) = be16(input, 2)
        && proto != 0
    {
        return Err(FrameError::ProtocolIdNotZero(proto));
    }
    let Some(length) = be16(input, 4) else {
        return Err(FrameError::Incomplete {
            needed: MBAP_HEADER_LEN.saturating_add(1),
        });
    };
    if !(MIN_LENGTH_FIELD..=MAX_TOLERATED_LENGTH_FIELD).contains(&length) {
        return Err(FrameError::LengthOutOfRange(length));
    }
    Ok(length)
}

/// Frames one ADU at the start of `input`; returns it and the unconsumed tail.
pub fn parse_adu(input: &[u8]) -> Result<(Adu<'_>, &[u8]), FrameError> {
    let length = check_prefix(input)?;
    let total = MBAP_PREFIX_LEN.saturating_add(usize::from(length));
    let Some((adu, rest)) = input.split_at_checked(total) else {
        return Err(FrameError::Incomplete { needed: total });
    };
    let (Some(trans_id), Some(&unit_id), Some(pdu)) =
        (be16(adu, 0), adu.get(6), adu.get(MBAP_HEADER_LEN..))
    else {
        // Unreachable: total >= 8 was checked above; kept as Incomplete, not a panic.
        return Err(FrameError::Incomplete { needed: total });
    };
    let header = Mbap {
        trans_id,
        protocol_id: 0,
        length,
        unit_id,
    };
    Ok((Adu { header, pdu }, rest))
}

/// A plausible function code byte for this direction: requests never carry the
/// exception bit; an exception response carries it over a real code (not 0x80).
pub fn plausible_function(byte: u8, to_server: bool) -> bool {
    if to_server {
        byte & 0x80 == 0
    } else {
        byte != 0x80
    }
}

/// Whether a complete ADU at `input[0..]` is plausible: function code fits the
/// direction and the bytes after it are either too few to judge (tshark, too, leaves a
/// short tail of a segment for the next one) or start with protocol id 0.
pub fn plausible_at_segment_start(input: &[u8], to_server: bool) -> bool {
    match parse_adu(input) {
        Ok((adu, rest)) => {
            plausible_function(adu.function_byte(), to_server)
                && be16(rest, 2).is_none_or(|p| p == 0)
        }
        Err(FrameError::Incomplete { .. }) => input
            .get(MBAP_HEADER_LEN)
            .is_none_or(|&b| plausible_function(b, to_server)),
        Err(_) => false,
    }
}

/// Resynchronisation (after a gap or garbage): the first offset in `input`, from
/// `start`, where a complete, plausible ADU begins and is followed either by the end of
/// the input or by another MBAP protocol id of 0. Mid-stream positions need this much
/// evidence because register data can look like a header by chance.
pub fn find_resync(input: &[u8], start: usize, to_server: bool) -> Option<usize> {
    let mut i = start;
    // Bounded by the input length: i grows by one per iteration.
    while let Some(window) = input.get(i..) {
        if window.len() < MBAP_HEADER_LEN.saturating_add(1) {
            return None;
        }
        if let Ok((adu, rest)) = parse_adu(window) {
            let fc_ok = plausible_function(adu.function_byte(), to_server);
            let next_ok = match be16(rest, 2) {
                Some(p) => p == 0,
                None => rest.is_empty(),
            };
            if fc_ok && next_ok {
                return Some(i);
            }
        }
        i = i.saturating_add(1);
    }
    None
}
