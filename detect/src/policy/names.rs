//! DNS names: which are internal, and name patterns for the allow-list.

use super::cidr::NetSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Special-use names that never leave a site: RFC 6761 (localhost, invalid, test),
/// RFC 6762 (local, mDNS), RFC 8375 (home.arpa), and ICANN's reserved "internal" (2024).
pub const SPECIAL_USE_SUFFIXES: &[&str] = &[
    "local",
    "localhost",
    "invalid",
    "test",
    "home.arpa",
    "internal",
];

/// Longest DNS name (RFC 1035 section 2.3.4, presentation form without the root dot).
pub const MAX_NAME_LEN: usize = 253;
pub const MAX_LABEL_LEN: usize = 63;

/// Lower-cases and drops the root dot.
pub fn normalize(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Whether `name` equals `suffix` or ends with ".suffix" (both normalized).
pub fn has_suffix(name: &str, suffix: &str) -> bool {
    if suffix.is_empty() {
        return false;
    }
    match name.strip_suffix(suffix) {
        Some("") => true,
        Some(rest) => rest.ends_with('.'),
        None => false,
    }
}

/// Checks the syntax of a configured name (letters, digits, '-', '_', dots).
pub fn validate_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(format!(
            "{name:?} is not a DNS name (1..={MAX_NAME_LEN} bytes)"
        ));
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > MAX_LABEL_LEN {
            return Err(format!("{name:?} has an empty or over-long label"));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "{name:?} has a character not allowed in a DNS name"
            ));
        }
    }
    Ok(())
}

/// The address a reverse-lookup name stands for: `4.3.2.1.in-addr.arpa` (RFC 1035
/// section 3.5) or the 32-nibble `ip6.arpa` form (RFC 3596 section 2.5).
pub fn reverse_name_addr(name: &str) -> Option<IpAddr> {
    if let Some(rest) = name.strip_suffix(".in-addr.arpa") {
        let mut octets = [0u8; 4];
        let mut n = 0usize;
        for (i, part) in rest.split('.').enumerate() {
            let slot = octets.get_mut(3usize.checked_sub(i)?)?;
            *slot = part.parse().ok()?;
            n = i.saturating_add(1);
        }
        return (n == 4).then(|| IpAddr::V4(Ipv4Addr::from(octets)));
    }
    if let Some(rest) = name.strip_suffix(".ip6.arpa") {
        let mut v: u128 = 0;
        let mut n = 0usize;
        // Nibbles come least significant first.
        for (i, part) in rest.split('.').enumerate() {
            if i >= 32 || part.len() != 1 {
                return None;
            }
            let d = u128::from(part.chars().next()?.to_digit(16)?);
            v |= d.checked_shl(u32::try_from(i.checked_mul(4)?).ok()?)?;
            n = i.saturating_add(1);
        }
        return (n == 32).then(|| IpAddr::V6(Ipv6Addr::from(v)));
    }
    None
}

/// Internal DNS names: single labels, special-use suffixes, the operator's domains, and
/// reverse names of internal addresses.
#[derive(Clone, Debug, Default)]
pub struct InternalNames {
    domains: Vec<String>,
}

impl InternalNames {
    pub fn new(domains: Vec<String>) -> InternalNames {
        InternalNames { domains }
    }

    /// `name` must be normalized.
    pub fn is_internal(&self, name: &str, internal: &NetSet) -> bool {
        if name.is_empty() || !name.contains('.') {
            return true;
        }
        if SPECIAL_USE_SUFFIXES.iter().any(|s| has_suffix(name, s))
            || self.domains.iter().any(|d| has_suffix(name, d))
        {
            return true;
        }
        if has_suffix(name, "arpa") {
            // A reverse name is internal when its address is; a partial reverse zone
            // (e.g. "10.in-addr.arpa" from an SOA lookup) is not evidence of anything.
            return reverse_name_addr(name).is_none_or(|ip| internal.contains(ip));
        }
        false
    }
}

/// An allow-list name: exact, or `*.suffix` for the suffix and every subdomain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamePattern {
    Exact(String),
    Suffix(String),
}

impl NamePattern {
    pub fn parse(s: &str) -> Result<NamePattern, String> {
        let n = normalize(s);
        match n.strip_prefix("*.") {
            Some(suffix) => validate_name(suffix).map(|()| NamePattern::Suffix(suffix.to_owned())),
            None => validate_name(&n).map(|()| NamePattern::Exact(n)),
        }
    }

    /// `name` must be normalized.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            NamePattern::Exact(n) => n == name,
            NamePattern::Suffix(s) => has_suffix(name, s),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::policy::cidr::parse_net;

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name_addr("5.1.168.192.in-addr.arpa"),
            Some("192.168.1.5".parse().unwrap())
        );
        assert_eq!(reverse_name_addr("1.168.192.in-addr.arpa"), None);
        assert_eq!(reverse_name_addr("300.1.168.192.in-addr.arpa"), None);
        // 2001:db8::1 per RFC 3596 section 2.5.
        let v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
        assert_eq!(reverse_name_addr(v6), Some("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn internal_names() {
        let nets = NetSet::new(vec![parse_net("192.168.0.0/16").unwrap()]);
        let n = InternalNames::new(vec!["plant.example".into()]);
        assert!(n.is_internal("scada01", &nets));
        assert!(n.is_internal("hmi.plant.example", &nets));
        assert!(n.is_internal("plant.example", &nets));
        assert!(!n.is_internal("otherplant.example", &nets));
        assert!(n.is_internal("printer.local", &nets));
        assert!(n.is_internal("5.1.168.192.in-addr.arpa", &nets));
        assert!(!n.is_internal("8.8.8.8.in-addr.arpa", &nets));
        assert!(!n.is_internal("update.microsoft.com", &nets));
    }

    #[test]
    fn patterns() {
        let p = NamePattern::parse("*.Example.org.").unwrap();
        assert!(p.matches("example.org"));
        assert!(p.matches("ntp.example.org"));
        assert!(!p.matches("badexample.org"));
        let e = NamePattern::parse("ntp.example.org").unwrap();
        assert!(!e.matches("x.ntp.example.org"));
        assert!(NamePattern::parse("bad name").is_err());
    }
}
