//! Operating-system hints from passive evidence, and which of them are past their
//! vendor's end of support.
//!
//! End-of-support dates are the end of extended support in Microsoft's Lifecycle
//! Policy pages (https://learn.microsoft.com/lifecycle/products/<product>), checked for
//! each product below; paid Extended Security Updates are not counted as support.
//! Ambiguous evidence (one kernel version shared by a desktop and a server release)
//! names both and is end-of-support only when both are.

/// One OS guess with the source it came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct OsGuess {
    /// Human name, e.g. "Windows 7 / Server 2008 R2".
    pub name: &'static str,
    /// Date vendor support ended (ISO 8601), if it has.
    pub end_of_support: Option<&'static str>,
}

const fn eos(name: &'static str, date: &'static str) -> OsGuess {
    OsGuess {
        name,
        end_of_support: Some(date),
    }
}

const fn supported(name: &'static str) -> OsGuess {
    OsGuess {
        name,
        end_of_support: None,
    }
}

// Microsoft Lifecycle, end of extended support:
//   windows-2000: 2010-07-13; windows-xp: 2014-04-08; windows-vista: 2017-04-11;
//   windows-7: 2020-01-14; windows-8: 2016-01-12; windows-81: 2023-01-10;
//   windows-server-2003(-r2): 2015-07-14; windows-server-2008(-r2): 2020-01-14;
//   windows-server-2012(-r2): 2023-10-10; windows-98 / windows-me: 2006-07-11;
//   windows-nt-40 (server): 2004-12-31.
const WIN_NT4: OsGuess = eos("Windows NT 4.0", "2004-12-31");
const WIN_9X: OsGuess = eos("Windows 95/98/ME", "2006-07-11");
const WIN_2000: OsGuess = eos("Windows 2000", "2010-07-13");
const WIN_XP: OsGuess = eos("Windows XP", "2014-04-08");
// NT 5.2 is XP x64 (ended with XP, 2014-04-08) and Server 2003 (2015-07-14).
const WIN_NT52: OsGuess = eos("Windows XP x64 / Server 2003", "2015-07-14");
// NT 6.0: Vista (2017-04-11) and Server 2008 (2020-01-14).
const WIN_NT60: OsGuess = eos("Windows Vista / Server 2008", "2020-01-14");
// NT 6.1: Windows 7 and Server 2008 R2, both 2020-01-14.
const WIN_NT61: OsGuess = eos("Windows 7 / Server 2008 R2", "2020-01-14");
// NT 6.2: Windows 8 (2016-01-12) and Server 2012 (2023-10-10).
const WIN_NT62: OsGuess = eos("Windows 8 / Server 2012", "2023-10-10");
// NT 6.3: Windows 8.1 (2023-01-10) and Server 2012 R2 (2023-10-10).
const WIN_NT63: OsGuess = eos("Windows 8.1 / Server 2012 R2", "2023-10-10");
// NT 10.0 covers Windows 10 (ended 2025-10-14 for most editions, LTSC later),
// Windows 11 and Server 2016+: the user agent cannot tell them apart.
const WIN_NT10: OsGuess = supported("Windows 10/11 / Server 2016+");

/// From an HTTP User-Agent (the `Windows NT x.y` token Windows browsers and
/// WinHTTP/WinINet clients send; RFC 9110 section 10.1.5 for the header).
pub fn from_user_agent(ua: &str) -> Option<OsGuess> {
    const TOKENS: &[(&str, OsGuess)] = &[
        ("Windows NT 10.0", WIN_NT10),
        ("Windows NT 6.3", WIN_NT63),
        ("Windows NT 6.2", WIN_NT62),
        ("Windows NT 6.1", WIN_NT61),
        ("Windows NT 6.0", WIN_NT60),
        ("Windows NT 5.2", WIN_NT52),
        ("Windows NT 5.1", WIN_XP),
        ("Windows XP", WIN_XP),
        ("Windows NT 5.0", WIN_2000),
        ("Windows NT 4.0", WIN_NT4),
        ("Win 9x", WIN_9X),
        ("Windows 98", WIN_9X),
        ("Win98", WIN_9X),
        ("Windows 95", WIN_9X),
        ("Win95", WIN_9X),
    ];
    if let Some((_, g)) = TOKENS.iter().find(|(t, _)| ua.contains(t)) {
        return Some(*g);
    }
    if ua.contains("Android") {
        Some(supported("Android"))
    } else if ua.contains("Mac OS X") {
        Some(supported("macOS/iOS"))
    } else if ua.contains("Linux") {
        Some(supported("Linux"))
    } else {
        None
    }
}

/// From the DHCP vendor class identifier (RFC 2132 section 9.13, option 60).
/// "MSFT 5.0" is sent by every Windows since 2000, so it only says "Windows".
pub fn from_dhcp_vendor_class(vc: &str) -> Option<OsGuess> {
    if vc.starts_with("MSFT 98") {
        Some(WIN_9X)
    } else if vc.starts_with("MSFT") {
        Some(supported("Windows"))
    } else if vc.starts_with("android-dhcp") {
        Some(supported("Android"))
    } else if vc.starts_with("dhcpcd") || vc.starts_with("udhcp") {
        Some(supported("Linux"))
    } else {
        None
    }
}

/// From the DHCP parameter request list (option 55). Only the Windows XP / Server
/// 2003 list is specific enough to call: Cisco ISE's profiling guide lists
/// `1,15,3,6,44,46,47,31,33,249,43` (optionally followed by 252) for Windows kernel
/// 5.1/5.2, and Fingerbank agrees. Vista and later add 121 (RFC 3442 classless
/// routes), and public fingerprint sets disagree on which of Vista/7/8/10 send the
/// 12-option list, so that one is reported only as "Windows Vista or later".
pub fn from_dhcp_prl(prl: &[u8]) -> Option<OsGuess> {
    const XP: &[u8] = &[1, 15, 3, 6, 44, 46, 47, 31, 33, 249, 43];
    const XP_252: &[u8] = &[1, 15, 3, 6, 44, 46, 47, 31, 33, 249, 43, 252];
    const VISTA_PLUS: &[u8] = &[1, 15, 3, 6, 44, 46, 47, 31, 33, 121, 249, 43];
    const VISTA_PLUS_252: &[u8] = &[1, 15, 3, 6, 44, 46, 47, 31, 33, 121, 249, 43, 252];
    const WIN8_PLUS: &[u8] = &[1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252];
    if prl == XP || prl == XP_252 {
        Some(eos("Windows XP / Server 2003", "2015-07-14"))
    } else if prl == VISTA_PLUS || prl == VISTA_PLUS_252 {
        Some(supported("Windows Vista or later"))
    } else if prl == WIN8_PLUS {
        Some(supported("Windows 8 or later"))
    } else {
        None
    }
}

/// Distribution releases an SSH banner's comment names, with the end of their
/// security support (free support only, as for Windows: Debian's LTS end from
/// https://wiki.debian.org/LTS, Ubuntu's standard support end from
/// https://ubuntu.com/about/release-cycle; paid ESM/ELTS is not counted). Debian
/// packages carry `debN` in their version; Ubuntu's OpenSSH package version is unique
/// to each release. Update by adding a row; the newest releases have no date yet.
pub const SSH_DISTRIBUTIONS: &[(&str, OsGuess)] = &[
    ("deb7", eos("Debian 7 (wheezy)", "2018-05-31")),
    ("deb8", eos("Debian 8 (jessie)", "2020-06-30")),
    ("deb9", eos("Debian 9 (stretch)", "2022-06-30")),
    ("deb10", eos("Debian 10 (buster)", "2024-06-30")),
    ("deb11", eos("Debian 11 (bullseye)", "2026-08-31")),
    ("deb12", eos("Debian 12 (bookworm)", "2028-06-30")),
    (
        "OpenSSH_6.6.1p1 Ubuntu-2ubuntu",
        eos("Ubuntu 14.04 LTS", "2019-04-30"),
    ),
    (
        "OpenSSH_6.6p1 Ubuntu-2ubuntu",
        eos("Ubuntu 14.04 LTS", "2019-04-30"),
    ),
    (
        "OpenSSH_7.2p2 Ubuntu-4ubuntu",
        eos("Ubuntu 16.04 LTS", "2021-04-30"),
    ),
    (
        "OpenSSH_7.6p1 Ubuntu-4ubuntu",
        eos("Ubuntu 18.04 LTS", "2023-05-31"),
    ),
    (
        "OpenSSH_8.2p1 Ubuntu-4ubuntu",
        eos("Ubuntu 20.04 LTS", "2025-05-31"),
    ),
    (
        "OpenSSH_8.9p1 Ubuntu-3ubuntu",
        eos("Ubuntu 22.04 LTS", "2027-06-01"),
    ),
];

/// From an SSH identification string (RFC 4253 section 4.2): the comment part often
/// names the distribution's package, e.g. `OpenSSH_7.4p1 Debian-10+deb9u7`; a release
/// in [`SSH_DISTRIBUTIONS`] gets its end-of-support date.
pub fn from_ssh_banner(banner: &str) -> Option<OsGuess> {
    if let Some((_, g)) = SSH_DISTRIBUTIONS.iter().find(|(t, _)| {
        // "deb1" must not match "deb10": the tag ends at a non-digit.
        banner.match_indices(t).any(|(i, _)| {
            !t.starts_with("deb")
                || !banner
                    .as_bytes()
                    .get(i.saturating_add(t.len()))
                    .is_some_and(u8::is_ascii_digit)
        })
    }) {
        return Some(*g);
    }
    if banner.contains("OpenSSH_for_Windows") {
        Some(supported("Windows"))
    } else if banner.contains("Ubuntu") {
        Some(supported("Ubuntu Linux"))
    } else if banner.contains("Debian") || banner.contains("Raspbian") {
        Some(supported("Debian Linux"))
    } else if banner.contains("FreeBSD") {
        Some(supported("FreeBSD"))
    } else {
        None
    }
}

/// A DHCP fingerprint as text: the option-55 list, comma-separated (Fingerbank's form).
pub fn prl_text(prl: &[u8]) -> String {
    prl.iter()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_windows_versions() {
        // A Windows 7 Internet Explorer 11 user agent.
        let g =
            from_user_agent("Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko");
        assert_eq!(g, Some(WIN_NT61));
        assert!(g.and_then(|g| g.end_of_support).is_some());
        let xp = from_user_agent("Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0)");
        assert_eq!(xp.map(|g| g.name), Some("Windows XP"));
        let ten = from_user_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36");
        assert_eq!(ten.and_then(|g| g.end_of_support), None);
        assert_eq!(from_user_agent("curl/8.5.0"), None);
    }

    #[test]
    fn dhcp_hints() {
        assert_eq!(
            from_dhcp_vendor_class("MSFT 5.0").and_then(|g| g.end_of_support),
            None
        );
        assert!(
            from_dhcp_vendor_class("MSFT 98")
                .and_then(|g| g.end_of_support)
                .is_some()
        );
        let xp = [1, 15, 3, 6, 44, 46, 47, 31, 33, 249, 43];
        assert!(from_dhcp_prl(&xp).and_then(|g| g.end_of_support).is_some());
        let w10 = [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252];
        assert_eq!(from_dhcp_prl(&w10).and_then(|g| g.end_of_support), None);
        assert_eq!(prl_text(&[1, 3, 6]), "1,3,6");
    }

    #[test]
    fn ssh_banner_hints() {
        let stretch = from_ssh_banner("SSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u7").unwrap();
        assert_eq!(stretch.name, "Debian 9 (stretch)");
        assert_eq!(stretch.end_of_support, Some("2022-06-30"));
        let buster = from_ssh_banner("SSH-2.0-OpenSSH_7.9p1 Debian-10+deb10u2").unwrap();
        assert_eq!(buster.name, "Debian 10 (buster)");
        let xenial = from_ssh_banner("SSH-2.0-OpenSSH_7.2p2 Ubuntu-4ubuntu2.10").unwrap();
        assert_eq!(xenial.end_of_support, Some("2021-04-30"));
        assert_eq!(
            from_ssh_banner("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13").map(|g| g.end_of_support),
            Some(None)
        );
        assert_eq!(from_ssh_banner("SSH-2.0-dropbear_2019.78"), None);
    }
}

/// From a Windows kernel version and build (NTLMSSP Version, MS-NLMP 2.2.2.10): the
/// release row of [`super::support::RELEASES`]. An unknown NT 10.0 build is "Windows 10/11
/// / Server 2016+", never end-of-support.
pub fn from_windows_build(major: u8, minor: u8, build: u16) -> Option<OsGuess> {
    use super::support::{Variant, by_build};
    if let Some(r) = by_build(build).filter(|r| r.major == major && r.minor == minor) {
        let (name, end_of_support) = r.variant(Variant::Either);
        return Some(OsGuess {
            name,
            end_of_support,
        });
    }
    from_windows_version(major, minor)
}

/// From an RDP client's clientBuild (MS-RDPBCGR 2.2.1.3.2): the release whose build it
/// is. Build 2600 is what rdesktop and early FreeRDP send on any system, so it names no
/// release; an unknown NT 10.0-range build is "Windows 10/11 / Server 2016+".
pub fn from_rdp_client_build(build: u32) -> Option<OsGuess> {
    use super::support::{Variant, by_build};
    const NON_WINDOWS_DEFAULT: u32 = 2600;
    if build == NON_WINDOWS_DEFAULT {
        return Some(supported("Windows XP, or an rdesktop/FreeRDP client"));
    }
    let build = u16::try_from(build).ok()?;
    if let Some(r) = by_build(build) {
        let (name, end_of_support) = r.variant(Variant::Either);
        return Some(OsGuess {
            name,
            end_of_support,
        });
    }
    (build >= 10240).then_some(WIN_NT10)
}

/// From a Windows kernel version alone (a BROWSER announcement's OS major/minor,
/// MS-BRWS 2.2.1): one release row, or NT 10.0 which covers supported ones.
pub fn from_windows_version(major: u8, minor: u8) -> Option<OsGuess> {
    use super::support::{Variant, by_version};
    if (major, minor) == (10, 0) {
        return Some(WIN_NT10);
    }
    let mut rows = by_version(major, minor);
    let r = rows.next()?;
    if rows.next().is_some() {
        return None;
    }
    let (name, end_of_support) = r.variant(Variant::Either);
    Some(OsGuess {
        name,
        end_of_support,
    })
}

/// From a BROWSER announcement: Samba announces a Windows-like version too, but sets
/// the Unix server bit (SV_TYPE_SERVER_UNIX, 0x800), so such hosts are not Windows.
pub fn from_browser(major: u8, minor: u8, server_type: u32) -> Option<OsGuess> {
    if server_type & 0x800 != 0 {
        return Some(supported("Unix (Samba)"));
    }
    from_windows_version(major, minor)
}

/// From an SMB1 NativeOS string (MS-CIFS 2.2.4.53.1), e.g. "Windows 5.1",
/// "Windows 2002 Service Pack 3 2600", "Windows Server 2003 R2 3790 Service Pack 2",
/// "Windows 8.1 9600". A build number that is in the support table decides; else a
/// "Windows x.y" version. The words say client or server where the build is shared.
pub fn from_smb_native_os(s: &str) -> Option<OsGuess> {
    use super::support::{Variant, by_build, by_version};
    if s.contains("Samba") || s.starts_with("Unix") {
        return Some(supported("Unix (Samba)"));
    }
    if !s.contains("Windows") {
        return None;
    }
    let variant = if s.contains("Server") {
        Variant::Server
    } else if [
        "XP",
        "Vista",
        "Windows 7",
        "Windows 8",
        "Windows 10",
        "Windows 2002",
    ]
    .iter()
    .any(|w| s.contains(w))
    {
        Variant::Client
    } else {
        Variant::Either
    };
    let tokens = || s.split(|c: char| c.is_whitespace() || c == ',');
    let row = tokens()
        .filter_map(|t| t.parse::<u16>().ok())
        .find_map(by_build)
        .or_else(|| {
            tokens().find_map(|t| {
                let (a, b) = t.split_once('.')?;
                let mut rows = by_version(a.parse().ok()?, b.parse().ok()?);
                let r = rows.next()?;
                rows.next().is_none().then_some(r)
            })
        })?;
    let (name, end_of_support) = row.variant(variant);
    Some(OsGuess {
        name,
        end_of_support,
    })
}

/// From an HTTP `Server` header (RFC 9110 section 10.2.4) or an SSDP `SERVER` header
/// (UPnP Device Architecture 2.0 section 1.1.2: "OS/version UPnP/2.0 product/version").
/// IIS versions ship with one Windows Server release each (Microsoft's IIS version
/// table: 6.0 Server 2003, 7.0 Server 2008, 7.5 Server 2008 R2, 8.0 Server 2012, 8.5
/// Server 2012 R2, 10.0 Server 2016 and later).
pub fn from_server_header(s: &str) -> Option<OsGuess> {
    const IIS: &[(&str, u16)] = &[
        ("Microsoft-IIS/5.0", 2195),
        ("Microsoft-IIS/5.1", 2600),
        ("Microsoft-IIS/6.0", 3790),
        ("Microsoft-IIS/7.0", 6002),
        ("Microsoft-IIS/7.5", 7601),
        ("Microsoft-IIS/8.0", 9200),
        ("Microsoft-IIS/8.5", 9600),
    ];
    use super::support::{Variant, by_build};
    if let Some((_, build)) = IIS.iter().find(|(t, _)| s.contains(t)) {
        let r = by_build(*build)?;
        let v = if *build == 2600 {
            Variant::Client
        } else {
            Variant::Server
        };
        let (name, end_of_support) = r.variant(v);
        return Some(OsGuess {
            name,
            end_of_support,
        });
    }
    if s.contains("Microsoft-IIS/10.0") {
        return Some(supported("Windows Server 2016+"));
    }
    // UPnP: "Microsoft-Windows/6.1", "Microsoft-Windows-NT/5.1".
    for prefix in ["Microsoft-Windows-NT/", "Microsoft-Windows/"] {
        if let Some(rest) = s.split(prefix).nth(1) {
            let v = rest.split(|c: char| c.is_whitespace()).next().unwrap_or("");
            let (a, b) = v.split_once('.')?;
            return from_windows_version(a.parse().ok()?, b.parse().ok()?);
        }
    }
    if s.contains("Linux") {
        Some(supported("Linux"))
    } else {
        None
    }
}

#[cfg(test)]
mod windows_tests {
    use super::*;

    #[test]
    fn rdp_client_builds() {
        assert_eq!(
            from_rdp_client_build(7601).unwrap().name,
            "Windows 7 / Windows Server 2008 R2"
        );
        assert!(
            from_rdp_client_build(7601)
                .unwrap()
                .end_of_support
                .is_some()
        );
        // rdesktop's constant is no evidence of XP.
        assert_eq!(from_rdp_client_build(2600).unwrap().end_of_support, None);
        assert_eq!(from_rdp_client_build(99999), None);
        assert_eq!(
            from_rdp_client_build(26100).map(|g| g.end_of_support.is_none()),
            Some(true)
        );
    }

    #[test]
    fn ntlmssp_builds() {
        let xp = from_windows_build(5, 1, 2600).unwrap();
        assert_eq!(
            (xp.name, xp.end_of_support),
            ("Windows XP", Some("2014-04-08"))
        );
        let w10 = from_windows_build(10, 0, 19045).unwrap();
        assert_eq!(w10.end_of_support, Some("2025-10-14"));
        assert_eq!(
            from_windows_build(10, 0, 9999).unwrap().end_of_support,
            None
        );
        assert_eq!(
            from_windows_build(6, 3, 9600).unwrap().end_of_support,
            Some("2023-10-10")
        );
    }

    /// Native OS strings of the shared captures (tshark smb.native_os).
    #[test]
    fn smb_native_os_strings() {
        let g = |s| from_smb_native_os(s).map(|g| (g.name, g.end_of_support));
        assert_eq!(g("Windows 5.1"), Some(("Windows XP", Some("2014-04-08"))));
        assert_eq!(
            g("Windows 2002 Service Pack 3 2600"),
            Some(("Windows XP", Some("2014-04-08")))
        );
        assert_eq!(
            g("Windows Server 2003 R2 3790 Service Pack 2"),
            Some(("Windows Server 2003", Some("2015-07-14")))
        );
        assert_eq!(
            g("Windows Server (R) 2008 Standard 6002 Service Pack 2"),
            Some(("Windows Server 2008", Some("2020-01-14")))
        );
        assert_eq!(
            g("Windows 8.1 9600"),
            Some(("Windows 8.1", Some("2023-01-10")))
        );
        assert_eq!(g("Unix").map(|x| x.1), Some(None));
        assert_eq!(g("OS/2"), None);
    }

    #[test]
    fn browser_and_server_headers() {
        assert_eq!(
            from_browser(5, 2, 0x0082_9003).unwrap().end_of_support,
            Some("2015-07-14")
        );
        assert_eq!(
            from_browser(6, 1, 0x0000_0803).unwrap().name,
            "Unix (Samba)"
        );
        assert_eq!(from_browser(10, 0, 0x1003).unwrap().end_of_support, None);
        assert_eq!(
            from_server_header("Microsoft-IIS/6.0").map(|g| g.name),
            Some("Windows Server 2003")
        );
        assert_eq!(
            from_server_header("Microsoft-Windows/6.1 UPnP/1.0 Windows-Media-Player/12.0")
                .map(|g| g.name),
            Some("Windows 7 / Windows Server 2008 R2")
        );
        assert_eq!(from_server_header("nginx/1.24.0"), None);
    }
}
