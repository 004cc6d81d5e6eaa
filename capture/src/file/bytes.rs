//! Fixed-width integer reads in a file's byte order, bounds-checked.
//!
//! pcap and pcapng are written in the byte order of the capturing host; the magic number
//! (pcap) or the byte-order magic of each Section Header Block (pcapng) tells which.

/// The byte order of a pcap file or a pcapng section.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

impl Endian {
    #[inline]
    pub(crate) fn u16(self, b: [u8; 2]) -> u16 {
        match self {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        }
    }

    #[inline]
    pub(crate) fn u32(self, b: [u8; 4]) -> u32 {
        match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        }
    }

    #[inline]
    pub(crate) fn u64(self, b: [u8; 8]) -> u64 {
        match self {
            Endian::Little => u64::from_le_bytes(b),
            Endian::Big => u64::from_be_bytes(b),
        }
    }

    /// The `u16` at `at`, or `None` past the end of `s`.
    #[inline]
    pub(crate) fn u16_at(self, s: &[u8], at: usize) -> Option<u16> {
        Some(self.u16(array_at(s, at)?))
    }

    /// The `u32` at `at`, or `None` past the end of `s`.
    #[inline]
    pub(crate) fn u32_at(self, s: &[u8], at: usize) -> Option<u32> {
        Some(self.u32(array_at(s, at)?))
    }

    /// The `u64` at `at`, or `None` past the end of `s`.
    #[inline]
    pub(crate) fn u64_at(self, s: &[u8], at: usize) -> Option<u64> {
        Some(self.u64(array_at(s, at)?))
    }
}

/// `N` bytes of `s` starting at `at`, or `None` if they are not all there.
#[inline]
pub(crate) fn array_at<const N: usize>(s: &[u8], at: usize) -> Option<[u8; N]> {
    s.get(at..at.checked_add(N)?)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_orders() {
        let b = [0x01, 0x02, 0x03, 0x04];
        assert_eq!(Endian::Little.u32_at(&b, 0), Some(0x0403_0201));
        assert_eq!(Endian::Big.u32_at(&b, 0), Some(0x0102_0304));
        assert_eq!(Endian::Big.u16_at(&b, 2), Some(0x0304));
    }

    #[test]
    fn past_end_is_none() {
        let b = [0u8; 4];
        assert_eq!(Endian::Little.u32_at(&b, 1), None);
        assert_eq!(Endian::Little.u64_at(&b, 0), None);
        assert_eq!(Endian::Little.u16_at(&b, usize::MAX), None);
    }
}
