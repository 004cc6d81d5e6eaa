//! Zones (named CIDRs and/or VLANs) and the zone pairs allowed to talk.

use super::cidr::{NetSet, canonical, parse_net};
use crate::config::{ConfigError, ZoneConfig};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// Index of a zone in declaration order.
pub type ZoneId = usize;

/// At most this many zones: pairs are a set of (from, to), so this bounds it too.
pub const MAX_ZONES: usize = 256;

#[derive(Clone, Debug, Default)]
pub struct Zone {
    pub name: String,
    nets: NetSet,
    vlans: Vec<u16>,
}

#[derive(Clone, Debug, Default)]
pub struct Zones {
    zones: Vec<Zone>,
    /// Directed pairs (client zone, server zone) allowed besides same-zone traffic.
    allowed: BTreeSet<(ZoneId, ZoneId)>,
}

impl Zones {
    pub fn compile(cfg: &[ZoneConfig], pairs: &[String], errors: &mut Vec<ConfigError>) -> Zones {
        let mut zones = Vec::new();
        if cfg.len() > MAX_ZONES {
            errors.push(ConfigError::new(
                "policy.zones",
                format!("{} zones; at most {MAX_ZONES}", cfg.len()),
            ));
        }
        for (i, z) in cfg.iter().enumerate().take(MAX_ZONES) {
            let key = format!("policy.zones[{i}]");
            if z.name.trim().is_empty() {
                errors.push(ConfigError::new(format!("{key}.name"), "empty zone name"));
            } else if cfg.iter().take(i).any(|o| o.name == z.name) {
                errors.push(ConfigError::new(
                    format!("{key}.name"),
                    format!("zone {:?} is declared twice", z.name),
                ));
            }
            if z.networks.is_empty() && z.vlans.is_empty() {
                errors.push(ConfigError::new(
                    key.clone(),
                    format!("zone {:?} needs networks, vlans or both", z.name),
                ));
            }
            let mut nets = Vec::new();
            for (j, n) in z.networks.iter().enumerate() {
                match parse_net(n) {
                    Ok(net) => nets.push(net),
                    Err(e) => errors.push(ConfigError::new(format!("{key}.networks[{j}]"), e)),
                }
            }
            for (j, v) in z.vlans.iter().enumerate() {
                if *v == 0 || *v > 4094 {
                    errors.push(ConfigError::new(
                        format!("{key}.vlans[{j}]"),
                        format!("VLAN id {v} outside 1..=4094 (IEEE 802.1Q)"),
                    ));
                }
            }
            zones.push(Zone {
                name: z.name.clone(),
                nets: NetSet::new(nets),
                vlans: z.vlans.clone(),
            });
        }
        let mut allowed = BTreeSet::new();
        for (i, p) in pairs.iter().enumerate() {
            let key = format!("policy.allowed_zone_pairs[{i}]");
            let (a, b, both) = match p.split_once("<->") {
                Some((a, b)) => (a, b, true),
                None => match p.split_once("->") {
                    Some((a, b)) => (a, b, false),
                    None => {
                        errors.push(ConfigError::new(
                            key,
                            format!("{p:?}: write \"from -> to\" or \"a <-> b\""),
                        ));
                        continue;
                    }
                },
            };
            let find = |n: &str| zones.iter().position(|z| z.name == n.trim());
            match (find(a), find(b)) {
                (Some(x), Some(y)) => {
                    allowed.insert((x, y));
                    if both {
                        allowed.insert((y, x));
                    }
                }
                (x, _) => {
                    let missing = if x.is_none() { a.trim() } else { b.trim() };
                    errors.push(ConfigError::new(
                        key,
                        format!("unknown zone {missing:?} (declare it in [[policy.zones]])"),
                    ));
                }
            }
        }
        Zones { zones, allowed }
    }

    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    pub fn name(&self, id: ZoneId) -> Option<&str> {
        self.zones.get(id).map(|z| z.name.as_str())
    }

    /// The zone of an endpoint: the most specific match. A zone with both networks and
    /// VLANs needs both to match; a VLAN match ranks above a network-only match of the
    /// same prefix; ties go to the zone declared first.
    pub fn zone_of(&self, ip: IpAddr, vlan: Option<u16>) -> Option<ZoneId> {
        let ip = canonical(ip);
        let mut best: Option<(ZoneId, (u8, u8))> = None;
        for (id, z) in self.zones.iter().enumerate() {
            let vlan_ok = z.vlans.is_empty() || vlan.is_some_and(|v| z.vlans.contains(&v));
            if !vlan_ok {
                continue;
            }
            let prefix = if z.nets.is_empty() {
                0
            } else {
                match z.nets.longest_match(ip) {
                    Some(n) => n.prefix_len().saturating_add(1),
                    None => continue,
                }
            };
            let score = (prefix, u8::from(!z.vlans.is_empty()));
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((id, score));
            }
        }
        best.map(|(id, _)| id)
    }

    /// Same zone, or a declared pair.
    pub fn is_allowed(&self, client: ZoneId, server: ZoneId) -> bool {
        client == server || self.allowed.contains(&(client, server))
    }
}
