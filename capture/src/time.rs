//! Packet time. Every timeout, window and alert timestamp in mizuban comes from here,
//! never from the wall clock, so a replay is exactly reproducible.

use serde::{Serialize, Serializer};
use std::fmt;
use std::time::Duration;

/// Nanoseconds since the Unix epoch, as stamped on the packet by the capture.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const ZERO: Timestamp = Timestamp(0);
    pub const MAX: Timestamp = Timestamp(i64::MAX);

    /// Builds a timestamp from whole seconds and a sub-second part in nanoseconds;
    /// saturates instead of overflowing on absurd values from a hostile file.
    pub fn from_secs_nanos(secs: i64, nanos: u32) -> Timestamp {
        Timestamp(
            secs.saturating_mul(1_000_000_000)
                .saturating_add(i64::from(nanos)),
        )
    }

    pub fn from_nanos(nanos: i64) -> Timestamp {
        Timestamp(nanos)
    }

    pub fn as_nanos(self) -> i64 {
        self.0
    }

    pub fn secs(self) -> i64 {
        self.0.div_euclid(1_000_000_000)
    }

    pub fn subsec_nanos(self) -> u32 {
        // rem_euclid of a positive divisor lies in 0..1e9, which fits u32.
        u32::try_from(self.0.rem_euclid(1_000_000_000)).unwrap_or(0)
    }

    pub fn saturating_add(self, d: Duration) -> Timestamp {
        let n = i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_add(n))
    }

    /// Time elapsed from `earlier` to `self`; zero if `earlier` is later (packet time
    /// can step backwards across files or on a misordered capture).
    pub fn since(self, earlier: Timestamp) -> Duration {
        let d = self.0.saturating_sub(earlier.0);
        Duration::from_nanos(u64::try_from(d).unwrap_or(0))
    }

    /// RFC 3339 in UTC with microsecond precision, e.g. `2015-10-22T10:04:13.123456Z`.
    pub fn to_rfc3339(self) -> String {
        let mut s = String::with_capacity(27);
        self.write_rfc3339(&mut s);
        s
    }

    pub fn write_rfc3339(self, out: &mut String) {
        match self.rfc3339_bytes() {
            Some(b) => out.extend(b.iter().map(|&c| char::from(c))),
            None => self.write_rfc3339_fmt(out),
        }
    }

    /// The same through `write!`: the reference for [`Timestamp::rfc3339_bytes`] and the
    /// form for years it cannot write.
    fn write_rfc3339_fmt(self, out: &mut String) {
        use std::fmt::Write;
        let dt = time::OffsetDateTime::from_unix_timestamp(self.secs())
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let micros = self.subsec_nanos() / 1000;
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            micros
        );
    }
}

impl Timestamp {
    /// The RFC 3339 form as fixed-width ASCII, built without the formatting machinery:
    /// event lines carry one per event, at millions a second. `None` outside the years
    /// 0-9999 (not a pcap time), where [`Timestamp::write_rfc3339`] formats it instead.
    pub fn rfc3339_bytes(self) -> Option<[u8; 27]> {
        let dt = time::OffsetDateTime::from_unix_timestamp(self.secs()).ok()?;
        let y = u32::try_from(dt.year()).ok().filter(|y| *y <= 9999)?;
        let (mo, d) = (u32::from(u8::from(dt.month())), u32::from(dt.day()));
        let (h, mi, s) = (
            u32::from(dt.hour()),
            u32::from(dt.minute()),
            u32::from(dt.second()),
        );
        let us = self.subsec_nanos() / 1000;
        Some([
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(mo / 10),
            digit(mo),
            b'-',
            digit(d / 10),
            digit(d),
            b'T',
            digit(h / 10),
            digit(h),
            b':',
            digit(mi / 10),
            digit(mi),
            b':',
            digit(s / 10),
            digit(s),
            b'.',
            digit(us / 100_000),
            digit(us / 10_000),
            digit(us / 1000),
            digit(us / 100),
            digit(us / 10),
            digit(us),
            b'Z',
        ])
    }
}

/// The last decimal digit of `n`, as ASCII.
fn digit(n: u32) -> u8 {
    b"0123456789"
        .get((n % 10) as usize)
        .copied()
        .unwrap_or(b'0')
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.rfc3339_bytes() {
            // Always ASCII digits and separators.
            Some(b) => s.serialize_str(std::str::from_utf8(&b).unwrap_or_default()),
            None => s.serialize_str(&self.to_rfc3339()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_utc_micros() {
        // 2015-10-22 10:04:13.123456789 UTC
        let t = Timestamp::from_secs_nanos(1_445_508_253, 123_456_789);
        assert_eq!(t.to_rfc3339(), "2015-10-22T10:04:13.123456Z");
    }

    proptest::proptest! {
        #[test]
        fn fixed_width_form_matches_the_formatted_one(nanos in proptest::num::i64::ANY) {
            let t = Timestamp(nanos);
            let mut slow = String::new();
            t.write_rfc3339_fmt(&mut slow);
            if let Some(fast) = t.rfc3339_bytes() {
                proptest::prop_assert_eq!(std::str::from_utf8(&fast).unwrap(), slow.as_str());
            }
            proptest::prop_assert_eq!(t.to_rfc3339(), slow);
        }
    }

    #[test]
    fn since_never_negative() {
        let a = Timestamp(5);
        let b = Timestamp(10);
        assert_eq!(a.since(b), Duration::ZERO);
        assert_eq!(b.since(a), Duration::from_nanos(5));
    }

    #[test]
    fn absurd_seconds_saturate() {
        let t = Timestamp::from_secs_nanos(i64::MAX, 999_999_999);
        assert_eq!(t, Timestamp::MAX);
    }
}
