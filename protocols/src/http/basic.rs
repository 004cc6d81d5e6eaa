//! `Authorization: Basic` (RFC 7617 section 2): base64 of "user-id:password". Only the
//! user-id leaves this module; the decoded password stays in a local buffer that is
//! overwritten before it is dropped.

use crate::common::capped;

/// Longest base64 credential we decode.
const MAX_ENCODED_LEN: usize = 1024;

/// The user-id of a Basic credential, capped at `cap` bytes; `None` if the value is not
/// valid base64 or has no colon.
pub(crate) fn basic_user(encoded: &[u8], cap: usize) -> Option<String> {
    let encoded = encoded.trim_ascii();
    if encoded.len() > MAX_ENCODED_LEN {
        return None;
    }
    let mut decoded = decode_base64(encoded)?;
    let user = decoded
        .iter()
        .position(|&c| c == b':')
        .and_then(|colon| decoded.get(..colon))
        .map(|u| capped(u, cap));
    // The password was in `decoded`: do not leave it in freed memory.
    decoded.iter_mut().for_each(|b| *b = 0);
    user
}

fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c.wrapping_sub(b'A')),
        b'a'..=b'z' => Some(c.wrapping_sub(b'a').wrapping_add(26)),
        b'0'..=b'9' => Some(c.wrapping_sub(b'0').wrapping_add(52)),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Standard base64 (RFC 4648 section 4), padding optional.
fn decode_base64(s: &[u8]) -> Option<Vec<u8>> {
    let s = match s.iter().position(|&c| c == b'=') {
        Some(p) => {
            // Only padding may follow the first '='.
            if s.get(p..)?.iter().any(|&c| c != b'=') {
                return None;
            }
            s.get(..p)?
        }
        None => s,
    };
    let mut out = Vec::with_capacity(s.len().saturating_mul(3) / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &c in s {
        acc = (acc << 6) | u32::from(sextet(c)?);
        bits = bits.saturating_add(6);
        if bits >= 8 {
            bits = bits.saturating_sub(8);
            out.push(u8::try_from((acc >> bits) & 0xFF).unwrap_or(0));
        }
    }
    acc = 0;
    let _ = acc;
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rfc7617_example_user() {
        // RFC 7617 section 2: "Aladdin:open sesame".
        assert_eq!(
            basic_user(b"QWxhZGRpbjpvcGVuIHNlc2FtZQ==", 64).as_deref(),
            Some("Aladdin")
        );
    }

    #[test]
    fn empty_password_and_no_padding() {
        // "admin:" -> YWRtaW46
        assert_eq!(basic_user(b"YWRtaW46", 64).as_deref(), Some("admin"));
    }

    #[test]
    fn invalid_or_colonless_is_none() {
        assert_eq!(basic_user(b"!!!", 64), None);
        // "admin" has no colon.
        assert_eq!(basic_user(b"YWRtaW4=", 64), None);
        assert_eq!(basic_user(b"YW=Rt", 64), None);
    }

    #[test]
    fn user_is_capped() {
        // "abcdef:x"
        assert_eq!(basic_user(b"YWJjZGVmOng=", 3).as_deref(), Some("abc"));
    }
}
