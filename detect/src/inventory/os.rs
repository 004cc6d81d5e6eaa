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

/// From an SSH identification string (RFC 4253 section 4.2): the comment part often
/// names the distribution's package, e.g. `OpenSSH_7.4p1 Debian-10+deb9u7`.
pub fn from_ssh_banner(banner: &str) -> Option<OsGuess> {
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
        assert_eq!(
            from_ssh_banner("SSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u7").map(|g| g.name),
            Some("Debian Linux")
        );
        assert_eq!(from_ssh_banner("SSH-2.0-dropbear_2019.78"), None);
    }
}
