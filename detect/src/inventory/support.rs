//! End of support of Windows releases: the data behind `unsupported_os` (guideline
//! point ③). One row per kernel build; a row names the releases sharing that build.
//!
//! Dates are the end of extended support (or, for Windows 10/11 feature updates, the
//! end of servicing of the last edition that still gets updates) from Microsoft's
//! Lifecycle pages, cited per row (`https://learn.microsoft.com/lifecycle/products/...`).
//! Paid Extended Security Updates are not support.
//!
//! When one build is shared by releases with different dates (Windows 7 and Server
//! 2008 R2; Windows 10 1809, LTSC 2019 and Server 2019) and the evidence cannot tell
//! them apart, the *latest* date applies: a supported machine is never reported as
//! unsupported. Evidence that names the release (an SMB native OS string saying
//! "Server", or "Windows 8.1") uses that release's own date ([`Release::variant`]).
//!
//! Comparison is against the packet time of the evidence, never the wall clock: a
//! 2019 capture of Windows 7 is not a finding, the same machine seen in 2020 is.
//!
//! To update: add or change a row (build, names, dates, source page), keep the rows
//! sorted by build, and run `cargo test -p mizuban-detect support` (it checks order,
//! date format and that every row cites a source).

/// One kernel build and the releases that ship it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub major: u8,
    pub minor: u8,
    /// Lowest and highest build number of the row (service packs raise the build).
    pub builds: (u16, u16),
    /// Client release name and its end of support (`None`: no date announced yet).
    pub client: (&'static str, Option<&'static str>),
    /// Server release sharing the build, if any.
    pub server: Option<(&'static str, Option<&'static str>)>,
    /// "client / server" when there is a server release, else the client name.
    pub either: &'static str,
    /// Lifecycle page(s) the dates come from.
    pub source: &'static str,
}

const LC: &str = "https://learn.microsoft.com/lifecycle/products/";

macro_rules! rel {
    ($maj:literal, $min:literal, $lo:literal..=$hi:literal, $c:literal, $cd:expr, $src:literal) => {
        Release {
            major: $maj,
            minor: $min,
            builds: ($lo, $hi),
            client: ($c, $cd),
            server: None,
            either: $c,
            source: $src,
        }
    };
    ($maj:literal, $min:literal, $lo:literal..=$hi:literal, $c:literal, $cd:expr,
     $s:literal, $sd:expr, $src:literal) => {
        Release {
            major: $maj,
            minor: $min,
            builds: ($lo, $hi),
            client: ($c, $cd),
            server: Some(($s, $sd)),
            either: concat!($c, " / ", $s),
            source: $src,
        }
    };
}

/// Sorted by build. Sources are relative to [`LC`].
pub const RELEASES: &[Release] = &[
    rel!(
        4,
        0,
        1381..=1381,
        "Windows NT 4.0",
        Some("2004-12-31"),
        "windows-nt-workstation-40"
    ),
    rel!(
        5,
        0,
        2195..=2195,
        "Windows 2000",
        Some("2010-07-13"),
        "Windows 2000 Server",
        Some("2010-07-13"),
        "windows-2000"
    ),
    rel!(
        5,
        1,
        2600..=2600,
        "Windows XP",
        Some("2014-04-08"),
        "windows-xp"
    ),
    rel!(
        5,
        2,
        3790..=3790,
        "Windows XP x64",
        Some("2014-04-08"),
        "Windows Server 2003",
        Some("2015-07-14"),
        "windows-server-2003-, windows-server-2003-r2"
    ),
    rel!(
        6,
        0,
        6000..=6003,
        "Windows Vista",
        Some("2017-04-11"),
        "Windows Server 2008",
        Some("2020-01-14"),
        "windows-vista, windows-server-2008"
    ),
    rel!(
        6,
        1,
        7600..=7601,
        "Windows 7",
        Some("2020-01-14"),
        "Windows Server 2008 R2",
        Some("2020-01-14"),
        "windows-7, windows-server-2008-r2"
    ),
    rel!(
        6,
        2,
        9200..=9200,
        "Windows 8",
        Some("2016-01-12"),
        "Windows Server 2012",
        Some("2023-10-10"),
        "windows-8, windows-server-2012"
    ),
    rel!(
        6,
        3,
        9600..=9600,
        "Windows 8.1",
        Some("2023-01-10"),
        "Windows Server 2012 R2",
        Some("2023-10-10"),
        "windows-81, windows-server-2012-r2"
    ),
    // Windows 10 1507 is also Enterprise 2015 LTSB.
    rel!(
        10,
        0,
        10240..=10240,
        "Windows 10 1507 / LTSB 2015",
        Some("2025-10-14"),
        "windows-10-2015-ltsb"
    ),
    rel!(
        10,
        0,
        10586..=10586,
        "Windows 10 1511",
        Some("2018-04-10"),
        "windows-10-enterprise-and-education"
    ),
    rel!(
        10,
        0,
        14393..=14393,
        "Windows 10 1607 / LTSB 2016",
        Some("2026-10-13"),
        "Windows Server 2016",
        Some("2027-01-12"),
        "windows-10-2016-ltsb, windows-server-2016"
    ),
    rel!(
        10,
        0,
        15063..=15063,
        "Windows 10 1703",
        Some("2019-10-08"),
        "windows-10-enterprise-and-education"
    ),
    rel!(
        10,
        0,
        16299..=16299,
        "Windows 10 1709",
        Some("2020-10-13"),
        "windows-10-enterprise-and-education"
    ),
    rel!(
        10,
        0,
        17134..=17134,
        "Windows 10 1803",
        Some("2021-05-11"),
        "windows-10-enterprise-and-education"
    ),
    rel!(
        10,
        0,
        17763..=17763,
        "Windows 10 1809 / LTSC 2019",
        Some("2029-01-09"),
        "Windows Server 2019",
        Some("2029-01-09"),
        "windows-10-enterprise-ltsc-2019, windows-server-2019"
    ),
    rel!(
        10,
        0,
        18362..=18362,
        "Windows 10 1903",
        Some("2020-12-08"),
        "windows-10-enterprise-and-education"
    ),
    rel!(
        10,
        0,
        18363..=18363,
        "Windows 10 1909",
        Some("2022-05-10"),
        "windows-10-enterprise-and-education"
    ),
    rel!(
        10,
        0,
        19041..=19041,
        "Windows 10 2004",
        Some("2021-12-14"),
        "windows-10-enterprise-and-education"
    ),
    rel!(
        10,
        0,
        19042..=19042,
        "Windows 10 20H2",
        Some("2023-05-09"),
        "windows-10-enterprise-and-education"
    ),
    rel!(
        10,
        0,
        19043..=19043,
        "Windows 10 21H1",
        Some("2022-12-13"),
        "windows-10-enterprise-and-education"
    ),
    // 21H2 is also Enterprise LTSC 2021 (2027-01-12) and IoT Enterprise LTSC 2021.
    rel!(
        10,
        0,
        19044..=19044,
        "Windows 10 21H2 / LTSC 2021",
        Some("2032-01-13"),
        "windows-10-iot-enterprise-ltsc-2021"
    ),
    rel!(
        10,
        0,
        19045..=19045,
        "Windows 10 22H2",
        Some("2025-10-14"),
        "windows-10-home-and-pro, windows-10-enterprise-and-education"
    ),
    rel!(
        10,
        0,
        20348..=20348,
        "Windows Server 2022",
        Some("2031-10-14"),
        "windows-server-2022"
    ),
    rel!(
        10,
        0,
        22000..=22000,
        "Windows 11 21H2",
        Some("2024-10-08"),
        "windows-11-enterprise-and-education"
    ),
    rel!(
        10,
        0,
        22621..=22621,
        "Windows 11 22H2",
        Some("2025-10-14"),
        "windows-11-enterprise-and-education"
    ),
    rel!(
        10,
        0,
        22631..=22631,
        "Windows 11 23H2",
        Some("2026-11-10"),
        "windows-11-enterprise-and-education"
    ),
    rel!(
        10,
        0,
        25398..=25398,
        "Windows Server 23H2",
        Some("2025-10-24"),
        "windows-server-23h2"
    ),
    rel!(
        10,
        0,
        26100..=26100,
        "Windows 11 24H2 / Server 2025",
        None,
        "windows-11-enterprise-and-education, windows-server-2025"
    ),
];

/// Which of a row's releases the evidence names.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Cannot tell: both names, the later date.
    Either,
    Client,
    Server,
}

impl Release {
    /// The name and end-of-support date for what the evidence says.
    pub fn variant(&self, v: Variant) -> (&'static str, Option<&'static str>) {
        match (v, self.server) {
            (Variant::Client, _) | (_, None) => self.client,
            (Variant::Server, Some(s)) => s,
            (Variant::Either, Some(s)) => {
                let date = match (self.client.1, s.1) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    // No date for one of them: it is still supported.
                    _ => None,
                };
                (self.either, date)
            }
        }
    }
}

/// The row of an exact build.
pub fn by_build(build: u16) -> Option<&'static Release> {
    RELEASES
        .iter()
        .find(|r| (r.builds.0..=r.builds.1).contains(&build))
}

/// The rows of a kernel version (without a build: every NT 10.0 row matches).
pub fn by_version(major: u8, minor: u8) -> impl Iterator<Item = &'static Release> {
    RELEASES
        .iter()
        .filter(move |r| r.major == major && r.minor == minor)
}

/// Civil date (UTC) of a packet time, as `YYYY-MM-DD` (H. Hinnant's days-from-civil
/// inverse, proleptic Gregorian).
// The day count of an i64 of nanoseconds is below 2^37: none of these can overflow.
#[allow(clippy::arithmetic_side_effects)]
pub fn date_of(nanos: i64) -> String {
    let days = nanos.div_euclid(86_400_000_000_000);
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Has support ended on or before the day of `nanos`? ISO dates compare as text.
pub fn ended(end_of_support: Option<&str>, nanos: i64) -> bool {
    end_of_support.is_some_and(|d| d <= date_of(nanos).as_str())
}

/// The full URL of a row's first source page.
pub fn source_url(r: &Release) -> String {
    let first = r.source.split(", ").next().unwrap_or(r.source);
    format!("{LC}{first}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_date(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() == 10
            && b.get(4) == Some(&b'-')
            && b.get(7) == Some(&b'-')
            && s.chars().filter(char::is_ascii_digit).count() == 8
    }

    #[test]
    fn table_is_sorted_dated_and_sourced() {
        for w in RELEASES.windows(2) {
            if let [a, b] = w {
                assert!(
                    a.builds.1 < b.builds.0,
                    "{} before {}",
                    a.client.0,
                    b.client.0
                );
            }
        }
        for r in RELEASES {
            assert!(!r.source.is_empty());
            for d in [r.client.1, r.server.and_then(|s| s.1)]
                .into_iter()
                .flatten()
            {
                assert!(is_date(d), "{d}");
            }
        }
    }

    #[test]
    fn dates_from_packet_time() {
        assert_eq!(date_of(0), "1970-01-01");
        // 2020-01-14T00:00:00Z and one second before.
        assert_eq!(date_of(1_578_960_000_000_000_000), "2020-01-14");
        assert_eq!(date_of(1_578_959_999_000_000_000), "2020-01-13");
        assert_eq!(date_of(951_782_400_000_000_000), "2000-02-29");
        assert!(ended(Some("2020-01-14"), 1_578_960_000_000_000_000));
        assert!(!ended(Some("2020-01-14"), 1_578_959_999_000_000_000));
        assert!(!ended(None, i64::MAX));
    }

    #[test]
    fn shared_builds_take_the_later_date_unless_named() {
        let r = by_build(9600).unwrap();
        assert_eq!(r.variant(Variant::Either).1, Some("2023-10-10"));
        assert_eq!(r.variant(Variant::Client).1, Some("2023-01-10"));
        assert_eq!(by_build(7601).unwrap().client.0, "Windows 7");
        assert!(by_build(12345).is_none());
    }
}
