//! Data link layer: find one DNP3 link frame, check its header CRC and every user-data
//! block CRC, hand back the user data with the CRCs removed.
//!
//! Frame format (IEEE 1815-2012 section 9.2.3, "FT3" of IEC 60870-5-1):
//!
//! | field        | size | offset | notes                                          |
//! |--------------|------|--------|------------------------------------------------|
//! | start        | 2    | 0      | 0x05 0x64                                      |
//! | length       | 1    | 2      | control + destination + source + user data, 5..=255 |
//! | control      | 1    | 3      | DIR, PRM, FCB/FCV or DFC, function code        |
//! | destination  | 2    | 4      | little-endian                                  |
//! | source       | 2    | 6      | little-endian                                  |
//! | header CRC   | 2    | 8      | CRC-16/DNP over bytes 0..8, little-endian       |
//! | user data    | n    | 10     | blocks of 16 bytes (the last may be shorter), each followed by its CRC |

/// Start octets (section 9.2.4.1.1).
pub const START: [u8; 2] = [0x05, 0x64];
/// Start, length, control, addresses and header CRC.
pub const HEADER_LEN: usize = 10;
/// Smallest length field: control and the two addresses, no user data.
pub const MIN_LENGTH_FIELD: u8 = 5;
/// User data bytes per CRC block (section 9.2.4.2).
pub const BLOCK_LEN: usize = 16;
/// Most user data one frame carries: 255 - 5.
pub const MAX_USER_DATA: usize = 250;
/// Longest frame on the wire: 10 + 250 + 16 CRCs. Bounds every stream buffer.
pub const MAX_FRAME_LEN: usize = HEADER_LEN + MAX_USER_DATA + 2 * MAX_USER_DATA.div_ceil(BLOCK_LEN);

/// Control octet bits (section 9.2.4.1.3).
pub const CTL_DIR: u8 = 0x80;
pub const CTL_PRM: u8 = 0x40;
pub const CTL_FUNC: u8 = 0x0F;

/// Primary-station link functions that carry user data (section 9.2.4.1.3, table 9-1):
/// CONFIRMED_USER_DATA (3) and UNCONFIRMED_USER_DATA (4). Every other function carries
/// none.
pub const FUNC_CONFIRMED_USER_DATA: u8 = 3;
pub const FUNC_UNCONFIRMED_USER_DATA: u8 = 4;

/// CRC-16/DNP: polynomial 0x3D65 (reflected 0xA6BC), init 0, output complemented,
/// transmitted low byte first (section 9.2.4.1.6 and annex E).
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

/// Bytes a frame with length field `len` takes on the wire.
pub fn wire_len(len: u8) -> usize {
    let user = usize::from(len.saturating_sub(MIN_LENGTH_FIELD));
    HEADER_LEN
        .saturating_add(user)
        .saturating_add(user.div_ceil(BLOCK_LEN).saturating_mul(2))
}

/// The decoded link header.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub length: u8,
    pub control: u8,
    pub destination: u16,
    pub source: u16,
}

impl Header {
    /// DIR: set on frames from the master (section 9.2.4.1.3.1).
    pub fn from_master(&self) -> bool {
        self.control & CTL_DIR != 0
    }
    /// PRM: set on frames from the primary (initiating) station.
    pub fn is_primary(&self) -> bool {
        self.control & CTL_PRM != 0
    }
    pub fn function(&self) -> u8 {
        self.control & CTL_FUNC
    }
    /// Whether this frame's function carries transport/application data.
    pub fn carries_user_data(&self) -> bool {
        self.is_primary()
            && matches!(
                self.function(),
                FUNC_CONFIRMED_USER_DATA | FUNC_UNCONFIRMED_USER_DATA
            )
    }
}

/// User data of one frame with the block CRCs removed: at most [`MAX_USER_DATA`] bytes,
/// held inline so framing never allocates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserData {
    buf: [u8; MAX_USER_DATA],
    len: usize,
}

impl UserData {
    pub fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

/// One framed link frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub header: Header,
    pub data: UserData,
    /// Index of the first user-data block whose CRC failed; the data is then not to be
    /// used (tshark, too, throws it away).
    pub bad_block: Option<usize>,
    /// Blocks whose CRC failed.
    pub bad_blocks: usize,
}

/// Why no frame could be taken.
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// Need `needed` bytes in all to frame it; nothing consumed.
    #[error("incomplete link frame: {needed} bytes needed")]
    Incomplete { needed: usize },
    /// Framing lost: the input does not start with 0x05 0x64.
    #[error("no DNP3 start octets")]
    NoStart,
    /// Framing lost: length field below 5.
    #[error("link length {0} below 5")]
    LengthOutOfRange(u8),
    /// Framing lost: the header CRC does not check, so its length cannot be trusted.
    #[error("link header CRC {got:#06x}, computed {computed:#06x}")]
    HeaderCrc { got: u16, computed: u16 },
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    crate::common::le16_at(b, at)
}

/// Checks the start octets, length and header CRC; returns the header. Fails fast on
/// bad start octets with one byte present.
pub fn parse_header(input: &[u8]) -> Result<Header, FrameError> {
    match (input.first(), input.get(1)) {
        (Some(&a), _) if a != START[0] => return Err(FrameError::NoStart),
        (_, Some(&b)) if b != START[1] => return Err(FrameError::NoStart),
        _ => {}
    }
    let (Some(hdr), Some(got)) = (input.get(..HEADER_LEN - 2), le16(input, HEADER_LEN - 2)) else {
        return Err(FrameError::Incomplete { needed: HEADER_LEN });
    };
    let computed = crc16(hdr);
    if computed != got {
        return Err(FrameError::HeaderCrc { got, computed });
    }
    let (Some(&length), Some(&control), Some(destination), Some(source)) =
        (hdr.get(2), hdr.get(3), le16(hdr, 4), le16(hdr, 6))
    else {
        return Err(FrameError::Incomplete { needed: HEADER_LEN });
    };
    if length < MIN_LENGTH_FIELD {
        return Err(FrameError::LengthOutOfRange(length));
    }
    Ok(Header {
        length,
        control,
        destination,
        source,
    })
}

/// Frames one link frame at the start of `input`; returns it and the unconsumed tail.
/// A bad block CRC is reported in the frame, not as an error: the header CRC already
/// proved the frame's extent.
pub fn parse_frame(input: &[u8]) -> Result<(Frame, &[u8]), FrameError> {
    let header = parse_header(input)?;
    let total = wire_len(header.length);
    let Some((raw, rest)) = input.split_at_checked(total) else {
        return Err(FrameError::Incomplete { needed: total });
    };
    let mut data = UserData {
        buf: [0; MAX_USER_DATA],
        len: 0,
    };
    let mut bad_block = None;
    let mut bad_blocks = 0usize;
    let body = raw.get(HEADER_LEN..).unwrap_or_default();
    // Each block is up to 16 data bytes and a 2-byte CRC; at most 16 blocks.
    for (i, block) in body.chunks(BLOCK_LEN + 2).enumerate() {
        let n = block.len().saturating_sub(2);
        let (bytes, crc) = block.split_at_checked(n).unwrap_or((block, &[]));
        if le16(crc, 0) != Some(crc16(bytes)) {
            bad_blocks = bad_blocks.saturating_add(1);
            bad_block.get_or_insert(i);
        }
        let end = data.len.saturating_add(bytes.len());
        if let Some(dst) = data.buf.get_mut(data.len..end) {
            dst.copy_from_slice(bytes);
            data.len = end;
        }
    }
    Ok((
        Frame {
            header,
            data,
            bad_block,
            bad_blocks,
        },
        rest,
    ))
}

/// Resynchronisation: the first offset from `start` where a link header with a good
/// CRC begins (ten bytes with a CRC that checks are strong evidence), or where the
/// input ends in what may be the start of one.
pub fn find_resync(input: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    // Bounded by the input length: i grows by one per iteration.
    while let Some(window) = input.get(i..) {
        if window.is_empty() {
            return None;
        }
        match parse_header(window) {
            Ok(_) | Err(FrameError::Incomplete { .. }) => return Some(i),
            Err(_) => {}
        }
        i = i.saturating_add(1);
    }
    None
}

/// Encodes a frame (for tests, benches and fuzz seeds): header with its CRC, user data
/// in CRC'd blocks. `data` longer than 250 bytes is cut.
pub fn encode(control: u8, destination: u16, source: u16, data: &[u8]) -> Vec<u8> {
    let data = data.get(..MAX_USER_DATA).unwrap_or(data);
    let len = u8::try_from(data.len().saturating_add(5)).unwrap_or(u8::MAX);
    let mut v = Vec::with_capacity(wire_len(len));
    v.extend_from_slice(&START);
    v.push(len);
    v.push(control);
    v.extend_from_slice(&destination.to_le_bytes());
    v.extend_from_slice(&source.to_le_bytes());
    let crc = crc16(&v);
    v.extend_from_slice(&crc.to_le_bytes());
    for block in data.chunks(BLOCK_LEN) {
        v.extend_from_slice(block);
        v.extend_from_slice(&crc16(block).to_le_bytes());
    }
    v
}
