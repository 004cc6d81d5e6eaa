//! Allow-listed external peers: sanctioned servers (NTP, updates) with an expiry.

use super::cidr::{canonical, parse_net};
use super::names::{NamePattern, normalize};
use crate::alert::Finding;
use crate::config::{AllowConfig, ConfigError};
use ipnet::IpNet;
use mizuban_capture::Timestamp;

/// Evidence keys holding DNS names that an allow-list name pattern is matched against.
pub const NAME_EVIDENCE_KEYS: &[&str] = &["query", "sni", "http_host", "dns_name"];

/// At most this many allow entries (each finding is checked against all of them).
pub const MAX_ALLOW_ENTRIES: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    Net(IpNet),
    Name(NamePattern),
}

#[derive(Clone, Debug)]
pub struct AllowEntry {
    pub peer: Peer,
    /// First instant at which the entry no longer applies (packet time).
    pub expires: Option<Timestamp>,
    /// Rule ids it applies to; all when `None`.
    pub rules: Option<Vec<String>>,
}

impl AllowEntry {
    pub fn compile(
        i: usize,
        cfg: &AllowConfig,
        known_rule: &dyn Fn(&str) -> bool,
        errors: &mut Vec<ConfigError>,
    ) -> Option<AllowEntry> {
        let key = format!("policy.allow[{i}]");
        let peer = if cfg.peer.contains('/') || cfg.peer.parse::<std::net::IpAddr>().is_ok() {
            parse_net(&cfg.peer).map(Peer::Net)
        } else {
            NamePattern::parse(&cfg.peer).map(Peer::Name)
        };
        let peer = match peer {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(ConfigError::new(format!("{key}.peer"), e));
                None
            }
        };
        let expires = match cfg.expires.as_deref().map(parse_expiry) {
            None => None,
            Some(Ok(t)) => Some(t),
            Some(Err(e)) => {
                errors.push(ConfigError::new(format!("{key}.expires"), e));
                None
            }
        };
        if let Some(rules) = &cfg.rules {
            for (j, r) in rules.iter().enumerate() {
                if !known_rule(r) {
                    errors.push(ConfigError::new(
                        format!("{key}.rules[{j}]"),
                        format!("unknown rule id {r:?}"),
                    ));
                }
            }
        }
        Some(AllowEntry {
            peer: peer?,
            expires,
            rules: cfg.rules.clone(),
        })
    }

    /// Whether this entry silences `f` at packet time `ts`.
    pub fn silences(&self, f: &Finding, ts: Timestamp) -> bool {
        if self.expires.is_some_and(|e| ts >= e) {
            return false;
        }
        if let Some(rules) = &self.rules
            && !rules.iter().any(|r| r == f.rule)
        {
            return false;
        }
        match &self.peer {
            Peer::Net(net) => [f.src_ip, f.dst_ip]
                .into_iter()
                .flatten()
                .any(|ip| net.contains(&canonical(ip))),
            Peer::Name(p) => NAME_EVIDENCE_KEYS
                .iter()
                .filter_map(|k| f.evidence.get(k))
                .any(|n| p.matches(&normalize(n))),
        }
    }
}

/// "2026-12-31" (applies through that day, UTC) or an RFC 3339 instant.
pub fn parse_expiry(s: &str) -> Result<Timestamp, String> {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    let s = s.trim();
    if let Ok(d) = time::Date::parse(s, format_description!("[year]-[month]-[day]")) {
        let next = d
            .next_day()
            .ok_or_else(|| format!("{s:?} is out of range"))?;
        let t = next.midnight().assume_utc().unix_timestamp();
        return Ok(Timestamp::from_secs_nanos(t, 0));
    }
    match time::OffsetDateTime::parse(s, &Rfc3339) {
        Ok(t) => Ok(Timestamp::from_nanos(
            i64::try_from(t.unix_timestamp_nanos()).unwrap_or(i64::MAX),
        )),
        Err(_) => Err(format!(
            "{s:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn date_expiry_is_end_of_day_utc() {
        // 2025-01-01T00:00:00Z = 1735689600 (date -u -d 2025-01-01 +%s).
        assert_eq!(
            parse_expiry("2024-12-31").unwrap(),
            Timestamp::from_secs_nanos(1_735_689_600, 0)
        );
        assert_eq!(
            parse_expiry("2024-12-31T12:00:00+09:00").unwrap(),
            Timestamp::from_secs_nanos(1_735_614_000, 0)
        );
        assert!(parse_expiry("31/12/2024").is_err());
    }
}
