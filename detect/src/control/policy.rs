//! The compiled control policy: engineering stations and allow entries, checked by
//! `mizuban check-config` through [`crate::policy::Policy::compile`].

use super::config::ControlConfig;
use crate::config::ConfigError;
use crate::policy::MAX_WINDOW_SECS;
use crate::policy::cidr::{NetSet, parse_net};
use mizuban_protocols::AppProtocol;
use mizuban_protocols::facts::Action;
use std::net::IpAddr;
use std::time::Duration;

/// Protocols whose analyzers feed control actions, now or in the issues that follow;
/// an allow entry may name any of them (FINS joins when its analyzer adds its variant).
pub const CONTROL_PROTOCOLS: [AppProtocol; 7] = [
    AppProtocol::Modbus,
    AppProtocol::Dnp3,
    AppProtocol::Iec104,
    AppProtocol::S7comm,
    AppProtocol::Enip,
    AppProtocol::Bacnet,
    AppProtocol::OpcUa,
];

/// Most `[[detect.control.allow]]` entries.
pub const MAX_CONTROL_ALLOW: usize = 1024;
pub const MAX_FAILED_THRESHOLD: u32 = 10_000;

#[derive(Clone, Debug)]
struct Entry {
    clients: NetSet,
    actions: u16,
    servers: Option<NetSet>,
    protocols: Option<Vec<AppProtocol>>,
}

#[derive(Clone, Debug)]
pub struct ControlPolicy {
    stations: NetSet,
    allow: Vec<Entry>,
    pub failed_threshold: u32,
    pub failed_window: Duration,
}

impl Default for ControlPolicy {
    fn default() -> Self {
        ControlPolicy {
            stations: NetSet::default(),
            allow: Vec::new(),
            failed_threshold: super::config::DEFAULT_FAILED_THRESHOLD,
            failed_window: Duration::from_secs(super::config::DEFAULT_FAILED_WINDOW_SECS),
        }
    }
}

/// Bit of an action class in a set.
pub fn bit(a: Action) -> u16 {
    let i = Action::ALL.iter().position(|x| *x == a).unwrap_or(0);
    1u16 << i
}

pub fn parse_action(s: &str) -> Option<Action> {
    Action::ALL.into_iter().find(|a| a.as_str() == s)
}

pub fn parse_protocol(s: &str) -> Option<AppProtocol> {
    CONTROL_PROTOCOLS.into_iter().find(|p| p.as_str() == s)
}

fn nets(list: &[String], key: &str, errors: &mut Vec<ConfigError>) -> NetSet {
    let mut v = Vec::new();
    for (i, n) in list.iter().enumerate() {
        match parse_net(n) {
            Ok(net) => v.push(net),
            Err(e) => errors.push(ConfigError::new(format!("{key}[{i}]"), e)),
        }
    }
    NetSet::new(v)
}

impl ControlPolicy {
    pub fn compile(c: &ControlConfig, errors: &mut Vec<ConfigError>) -> ControlPolicy {
        const K: &str = "control";
        let stations = nets(
            &c.engineering_stations,
            &format!("{K}.engineering_stations"),
            errors,
        );
        if c.allow.len() > MAX_CONTROL_ALLOW {
            errors.push(ConfigError::new(
                format!("{K}.allow"),
                format!("at most {MAX_CONTROL_ALLOW} entries"),
            ));
        }
        let mut allow = Vec::new();
        for (i, a) in c.allow.iter().take(MAX_CONTROL_ALLOW).enumerate() {
            let k = format!("{K}.allow[{i}]");
            if a.clients.is_empty() {
                errors.push(ConfigError::new(
                    format!("{k}.clients"),
                    "must name a host or CIDR",
                ));
            }
            if a.actions.is_empty() {
                errors.push(ConfigError::new(
                    format!("{k}.actions"),
                    "must name an action class",
                ));
            }
            let clients = nets(&a.clients, &format!("{k}.clients"), errors);
            let mut actions = 0u16;
            for (j, s) in a.actions.iter().enumerate() {
                match parse_action(s) {
                    Some(x) => actions |= bit(x),
                    None => errors.push(ConfigError::new(
                        format!("{k}.actions[{j}]"),
                        format!(
                            "{s:?} is not an action class (one of {})",
                            Action::ALL.map(Action::as_str).join(", ")
                        ),
                    )),
                }
            }
            let servers = a
                .servers
                .as_ref()
                .map(|s| nets(s, &format!("{k}.servers"), errors));
            let protocols = a.protocols.as_ref().map(|ps| {
                let mut v = Vec::new();
                for (j, s) in ps.iter().enumerate() {
                    match parse_protocol(s) {
                        Some(p) => v.push(p),
                        None => errors.push(ConfigError::new(
                            format!("{k}.protocols[{j}]"),
                            format!(
                                "{s:?} is not a control protocol (one of {})",
                                CONTROL_PROTOCOLS.map(AppProtocol::as_str).join(", ")
                            ),
                        )),
                    }
                }
                v
            });
            allow.push(Entry {
                clients,
                actions,
                servers,
                protocols,
            });
        }
        if c.failed_threshold == 0 || c.failed_threshold > MAX_FAILED_THRESHOLD {
            errors.push(ConfigError::new(
                format!("{K}.failed_threshold"),
                format!("must be 1..={MAX_FAILED_THRESHOLD}"),
            ));
        }
        if c.failed_window_secs == 0 || c.failed_window_secs > MAX_WINDOW_SECS {
            errors.push(ConfigError::new(
                format!("{K}.failed_window_secs"),
                format!("must be 1..={MAX_WINDOW_SECS}"),
            ));
        }
        ControlPolicy {
            stations,
            allow,
            failed_threshold: c.failed_threshold.clamp(1, MAX_FAILED_THRESHOLD),
            failed_window: Duration::from_secs(c.failed_window_secs.clamp(1, MAX_WINDOW_SECS)),
        }
    }

    /// Does the configuration allow `client` this action on `server`?
    pub fn allows(
        &self,
        client: IpAddr,
        server: IpAddr,
        protocol: AppProtocol,
        action: Action,
    ) -> bool {
        if self.stations.contains(client) {
            return true;
        }
        self.allow.iter().any(|e| {
            e.actions & bit(action) != 0
                && e.clients.contains(client)
                && e.servers.as_ref().is_none_or(|s| s.contains(server))
                && e.protocols.as_ref().is_none_or(|p| p.contains(&protocol))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::config::{ControlAllowConfig, ControlConfig};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn stations_allow_everything_entries_only_what_they_name() {
        let cfg = ControlConfig {
            engineering_stations: vec!["10.0.1.0/28".into()],
            allow: vec![ControlAllowConfig {
                clients: vec!["10.0.2.10".into()],
                actions: vec!["write".into()],
                servers: Some(vec!["10.0.3.0/24".into()]),
                protocols: Some(vec!["modbus".into()]),
                reason: None,
            }],
            ..ControlConfig::default()
        };
        let mut errors = Vec::new();
        let p = ControlPolicy::compile(&cfg, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let (m, d) = (AppProtocol::Modbus, AppProtocol::Dnp3);
        let plc = ip("10.0.3.4");
        assert!(p.allows(ip("10.0.1.15"), plc, d, Action::FirmwareUpdate));
        assert!(!p.allows(ip("10.0.1.16"), plc, m, Action::Write));
        assert!(p.allows(ip("10.0.2.10"), plc, m, Action::Write));
        assert!(!p.allows(ip("10.0.2.10"), plc, m, Action::ModeChange));
        assert!(!p.allows(ip("10.0.2.10"), ip("10.0.4.4"), m, Action::Write));
        assert!(!p.allows(ip("10.0.2.10"), plc, d, Action::Write));
    }

    #[test]
    fn errors_name_their_keys() {
        let cfg = ControlConfig {
            engineering_stations: vec!["10.0.0.0/33".into()],
            allow: vec![ControlAllowConfig {
                clients: vec![],
                actions: vec!["reboot".into()],
                protocols: Some(vec!["profinet".into()]),
                ..ControlAllowConfig::default()
            }],
            failed_threshold: 0,
            ..ControlConfig::default()
        };
        let mut errors = Vec::new();
        ControlPolicy::compile(&cfg, &mut errors);
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "control.engineering_stations[0]",
                "control.allow[0].clients",
                "control.allow[0].actions[0]",
                "control.allow[0].protocols[0]",
                "control.failed_threshold",
            ]
        );
    }
}
