//! Detection configuration: the `[policy]`, `[rules.<id>]`, `[alerts]` and `[verdict]`
//! tables of the TOML file (documented in `detect/README.md`).
//!
//! Deserialization only checks shapes (and rejects unknown keys); [`DetectConfig::validate`]
//! checks meaning (CIDRs, dates, zone names, rule ids, ranges) and names the key of every
//! error, e.g. `policy.zones[1].networks[0]: "10.0.0.0/33" is not an address or CIDR`.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// Internal networks when the operator gives none (`policy.internal_networks`).
pub const DEFAULT_INTERNAL_NETWORKS: &[&str] = &[
    "10.0.0.0/8",         // RFC 1918
    "172.16.0.0/12",      // RFC 1918
    "192.168.0.0/16",     // RFC 1918
    "100.64.0.0/10",      // RFC 6598 shared address space (carrier-grade NAT)
    "169.254.0.0/16",     // RFC 3927 IPv4 link-local
    "127.0.0.0/8",        // RFC 1122 loopback
    "0.0.0.0/8",          // RFC 1122 "this network" (DHCP clients before they have an address)
    "224.0.0.0/4",        // RFC 5771 multicast
    "255.255.255.255/32", // RFC 919 limited broadcast
    "fc00::/7",           // RFC 4193 unique local
    "fe80::/10",          // RFC 4291 link-local
    "::1/128",            // RFC 4291 loopback
    "::/128",             // RFC 4291 unspecified (DAD, DHCPv6 before an address)
    "ff00::/8",           // RFC 4291 multicast
];

pub const DEFAULT_FAILED_LOGIN_THRESHOLD: u32 = 5;
pub const DEFAULT_FAILED_LOGIN_WINDOW_SECS: u64 = 300;
/// At most this many new alerts per `rate_window_secs` of packet time.
pub const DEFAULT_ALERT_RATE_LIMIT: u32 = 200;
pub const DEFAULT_ALERT_RATE_WINDOW_SECS: u64 = 60;
/// Distinct alerts kept for a run; beyond it new alerts are refused and counted.
pub const DEFAULT_MAX_ALERTS: usize = 100_000;
pub const DEFAULT_VERDICT_MIN_PACKETS: u64 = 1_000;
/// Zeek's capture-loss script warns at 10 %; a verdict of "closed" wants better.
pub const DEFAULT_VERDICT_MAX_CAPTURE_LOSS: f64 = 0.05;

/// Caps on what the config may ask for, so a typo cannot exhaust memory.
pub const MAX_FAILED_LOGIN_THRESHOLD: u32 = 10_000;
pub const MAX_ALERTS_CAP: usize = 10_000_000;

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectConfig {
    pub policy: PolicyConfig,
    /// Per-rule switches, keyed by rule id (`[rules.internet_egress]`).
    pub rules: BTreeMap<String, RuleConfig>,
    pub alerts: AlertsConfig,
    pub verdict: VerdictConfig,
    /// `[detect.baseline]`: learn, then report anything new.
    pub baseline: crate::baseline::BaselineConfig,
    /// `[detect.inventory]`: the passive asset inventory.
    pub inventory: crate::inventory::InventoryConfig,
    /// `[detect.control]`: who may write to, program, stop or restart a controller.
    pub control: crate::control::ControlConfig,
    /// `[detect.scan]`: address, port and ICS discovery scans.
    pub scan: crate::scan::ScanConfig,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// CIDRs or addresses that are inside the closed network. Replaces the default list.
    pub internal_networks: Vec<String>,
    /// DNS suffixes resolved inside the network (e.g. "plant.local"); special-use names
    /// (RFC 6761/6762/8375: local, home.arpa, ...) and reverse names of internal
    /// addresses are always internal.
    pub internal_domains: Vec<String>,
    pub zones: Vec<ZoneConfig>,
    /// "a -> b" lets clients in zone a open flows to servers in zone b; "a <-> b" both ways.
    pub allowed_zone_pairs: Vec<String>,
    pub allow: Vec<AllowConfig>,
    pub failed_login_threshold: u32,
    pub failed_login_window_secs: u64,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            internal_networks: DEFAULT_INTERNAL_NETWORKS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            internal_domains: Vec::new(),
            zones: Vec::new(),
            allowed_zone_pairs: Vec::new(),
            allow: Vec::new(),
            failed_login_threshold: DEFAULT_FAILED_LOGIN_THRESHOLD,
            failed_login_window_secs: DEFAULT_FAILED_LOGIN_WINDOW_SECS,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneConfig {
    pub name: String,
    #[serde(default)]
    pub networks: Vec<String>,
    #[serde(default)]
    pub vlans: Vec<u16>,
}

/// A sanctioned external peer (an NTP or update server).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowConfig {
    /// An address, a CIDR, a DNS name, or "*.suffix" for a name and its subdomains.
    pub peer: String,
    /// "YYYY-MM-DD" (valid through that day, UTC) or an RFC 3339 time; in packet time.
    #[serde(default)]
    pub expires: Option<String>,
    /// Rule ids this entry silences; all rules when absent.
    #[serde(default)]
    pub rules: Option<Vec<String>>,
    /// Why it is allowed (ticket, owner): for the reader, not used.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub severity: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    pub rate_limit: u32,
    pub rate_window_secs: u64,
    pub max_alerts: usize,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            rate_limit: DEFAULT_ALERT_RATE_LIMIT,
            rate_window_secs: DEFAULT_ALERT_RATE_WINDOW_SECS,
            max_alerts: DEFAULT_MAX_ALERTS,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VerdictConfig {
    pub min_packets: u64,
    /// Missed / acknowledged bytes above which "no finding" proves nothing.
    pub max_capture_loss: f64,
    /// One-sided TCP sessions / all TCP sessions above which the view is one-sided (a
    /// SPAN port copying one direction): "no egress seen" then proves nothing.
    pub max_one_sided: f64,
    /// TCP payload bytes whose sequence numbers could not be followed / all TCP payload
    /// bytes above which the monitor did not really see the TCP data.
    pub max_unfollowable: f64,
}

impl Default for VerdictConfig {
    fn default() -> Self {
        VerdictConfig {
            min_packets: DEFAULT_VERDICT_MIN_PACKETS,
            max_capture_loss: DEFAULT_VERDICT_MAX_CAPTURE_LOSS,
            max_one_sided: DEFAULT_VERDICT_MAX_ONE_SIDED,
            max_unfollowable: DEFAULT_VERDICT_MAX_UNFOLLOWABLE,
        }
    }
}

pub const DEFAULT_VERDICT_MAX_ONE_SIDED: f64 = 0.2;
pub const DEFAULT_VERDICT_MAX_UNFOLLOWABLE: f64 = 0.05;

/// One configuration error: the dotted key it concerns and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// All errors of one config, in key order of discovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl DetectConfig {
    /// Parses the detection tables from TOML text (a whole file of only these tables).
    pub fn from_toml(text: &str) -> Result<DetectConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}
