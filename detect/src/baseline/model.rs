//! The learned facts: bounded sets, serde, listing and diff.

use super::config::{BaselineConfig, MAX_MACS_PER_IP};
use super::types::{Conversation, IcsUse, Item, Mac, Pair, PairProfile, Service};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Which set was full when an item was dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FullCounters {
    pub hosts: u64,
    pub macs: u64,
    pub bindings: u64,
    pub conversations: u64,
    pub services: u64,
    pub ics: u64,
    pub modbus_pairs: u64,
    pub pending: u64,
}

impl FullCounters {
    pub fn total(&self) -> u64 {
        [
            self.hosts,
            self.macs,
            self.bindings,
            self.conversations,
            self.services,
            self.ics,
            self.modbus_pairs,
            self.pending,
        ]
        .iter()
        .fold(0u64, |a, b| a.saturating_add(*b))
    }
}

/// Outcome of recording an item.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Insert {
    New,
    Known,
    /// The set is at its cap: not recorded (and counted).
    Full,
}

/// Everything the baseline learned. Ordered collections: listings and files are
/// deterministic.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Model {
    pub hosts: BTreeSet<IpAddr>,
    pub macs: BTreeSet<Mac>,
    /// IP -> the MACs it was seen with (at most [`MAX_MACS_PER_IP`]).
    pub bindings: BTreeMap<IpAddr, BTreeSet<Mac>>,
    pub conversations: BTreeSet<Conversation>,
    pub services: BTreeSet<Service>,
    pub ics: BTreeSet<IcsUse>,
    #[serde(with = "pair_list")]
    pub modbus: BTreeMap<Pair, PairProfile>,
}

/// Caps, from the config; `None` = unbounded (operator approvals).
#[derive(Copy, Clone, Debug)]
pub struct Caps {
    pub hosts: usize,
    pub macs: usize,
    pub conversations: usize,
    pub services: usize,
    pub ics: usize,
    pub modbus_pairs: usize,
}

impl Caps {
    pub fn from_config(c: &BaselineConfig) -> Caps {
        Caps {
            hosts: c.max_hosts,
            macs: c.max_macs,
            conversations: c.max_conversations,
            services: c.max_services,
            ics: c.max_ics,
            modbus_pairs: c.max_modbus_pairs,
        }
    }
    /// Approvals are human-paced: they may exceed the learning caps.
    pub const UNBOUNDED: Caps = Caps {
        hosts: usize::MAX,
        macs: usize::MAX,
        conversations: usize::MAX,
        services: usize::MAX,
        ics: usize::MAX,
        modbus_pairs: usize::MAX,
    };
}

fn insert_capped<T: Ord>(set: &mut BTreeSet<T>, v: T, cap: usize, full: &mut u64) -> Insert {
    if set.contains(&v) {
        Insert::Known
    } else if set.len() >= cap {
        *full = full.saturating_add(1);
        Insert::Full
    } else {
        set.insert(v);
        Insert::New
    }
}

impl Model {
    pub fn add_host(&mut self, ip: IpAddr, caps: &Caps, full: &mut FullCounters) -> Insert {
        insert_capped(&mut self.hosts, ip, caps.hosts, &mut full.hosts)
    }

    pub fn add_mac(&mut self, mac: Mac, caps: &Caps, full: &mut FullCounters) -> Insert {
        insert_capped(&mut self.macs, mac, caps.macs, &mut full.macs)
    }

    /// Binds `mac` to `ip`; the IP must already be a host (bindings are bounded by
    /// hosts x [`MAX_MACS_PER_IP`]).
    pub fn add_binding(&mut self, ip: IpAddr, mac: Mac, full: &mut FullCounters) -> Insert {
        if !self.hosts.contains(&ip) {
            full.bindings = full.bindings.saturating_add(1);
            return Insert::Full;
        }
        let set = self.bindings.entry(ip).or_default();
        insert_capped(set, mac, MAX_MACS_PER_IP, &mut full.bindings)
    }

    pub fn add_conversation(
        &mut self,
        c: Conversation,
        caps: &Caps,
        full: &mut FullCounters,
    ) -> Insert {
        insert_capped(
            &mut self.conversations,
            c,
            caps.conversations,
            &mut full.conversations,
        )
    }

    pub fn add_service(&mut self, s: Service, caps: &Caps, full: &mut FullCounters) -> Insert {
        insert_capped(&mut self.services, s, caps.services, &mut full.services)
    }

    pub fn add_ics(&mut self, u: IcsUse, caps: &Caps, full: &mut FullCounters) -> Insert {
        insert_capped(&mut self.ics, u, caps.ics, &mut full.ics)
    }

    /// The profile of a pair, created if there is room.
    pub fn pair_mut(
        &mut self,
        p: Pair,
        caps: &Caps,
        full: &mut FullCounters,
    ) -> Option<&mut PairProfile> {
        if !self.modbus.contains_key(&p) && self.modbus.len() >= caps.modbus_pairs {
            full.modbus_pairs = full.modbus_pairs.saturating_add(1);
            return None;
        }
        Some(self.modbus.entry(p).or_default())
    }

    /// Adds one item (an approval), with the items it implies: a binding implies its
    /// host and MAC, a pair's write/function/unit imply the pair.
    pub fn add_item(&mut self, item: &Item, caps: &Caps, full: &mut FullCounters) {
        match item {
            Item::Host { ip } => {
                self.add_host(*ip, caps, full);
            }
            Item::Mac { mac } => {
                self.add_mac(*mac, caps, full);
            }
            Item::Binding { ip, mac } => {
                self.add_host(*ip, caps, full);
                self.add_mac(*mac, caps, full);
                self.add_binding(*ip, *mac, full);
            }
            Item::Conversation(c) => {
                self.add_conversation(*c, caps, full);
            }
            Item::Service(s) => {
                self.add_service(*s, caps, full);
            }
            Item::Ics(u) => {
                self.add_ics(u.clone(), caps, full);
            }
            Item::ModbusPair(p) => {
                self.pair_mut(*p, caps, full);
            }
            Item::ModbusWrites(p) => {
                if let Some(prof) = self.pair_mut(*p, caps, full) {
                    prof.wrote = true;
                }
            }
            Item::ModbusFunction {
                client,
                server,
                function,
            } => {
                let p = Pair {
                    client: *client,
                    server: *server,
                };
                if let Some(prof) = self.pair_mut(p, caps, full) {
                    prof.functions.insert(*function);
                }
            }
            Item::ModbusUnit {
                client,
                server,
                unit_id,
            } => {
                let p = Pair {
                    client: *client,
                    server: *server,
                };
                if let Some(prof) = self.pair_mut(p, caps, full) {
                    prof.unit_ids.insert(*unit_id);
                }
            }
        }
    }

    /// Every fact as an [`Item`], sorted.
    pub fn items(&self) -> BTreeSet<Item> {
        let mut out = BTreeSet::new();
        out.extend(self.hosts.iter().map(|ip| Item::Host { ip: *ip }));
        out.extend(self.macs.iter().map(|mac| Item::Mac { mac: *mac }));
        for (ip, macs) in &self.bindings {
            out.extend(macs.iter().map(|mac| Item::Binding { ip: *ip, mac: *mac }));
        }
        out.extend(self.conversations.iter().copied().map(Item::Conversation));
        out.extend(self.services.iter().copied().map(Item::Service));
        out.extend(self.ics.iter().cloned().map(Item::Ics));
        for (p, prof) in &self.modbus {
            out.insert(Item::ModbusPair(*p));
            if prof.wrote {
                out.insert(Item::ModbusWrites(*p));
            }
            out.extend(prof.functions.iter().map(|function| Item::ModbusFunction {
                client: p.client,
                server: p.server,
                function,
            }));
            out.extend(prof.unit_ids.iter().map(|unit_id| Item::ModbusUnit {
                client: p.client,
                server: p.server,
                unit_id,
            }));
        }
        out
    }

    /// Number of facts (as [`Model::items`] would list them).
    pub fn len(&self) -> usize {
        self.items().len()
    }

    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
            && self.macs.is_empty()
            && self.conversations.is_empty()
            && self.services.is_empty()
            && self.ics.is_empty()
            && self.modbus.is_empty()
    }
}

/// What changed from one baseline to another, each list sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub added: Vec<Item>,
    pub removed: Vec<Item>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }

    /// One line per item: `+ host 10.0.0.5` / `- service ...`.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for i in &self.added {
            s.push_str(&format!("+ {i}\n"));
        }
        for i in &self.removed {
            s.push_str(&format!("- {i}\n"));
        }
        s
    }
}

/// The items in `new` that `old` lacks (added) and the reverse (removed).
pub fn diff(old: &Model, new: &Model) -> Diff {
    let (a, b) = (old.items(), new.items());
    Diff {
        added: b.difference(&a).cloned().collect(),
        removed: a.difference(&b).cloned().collect(),
    }
}

/// JSON object keys must be strings: pairs are stored as a list of entries.
mod pair_list {
    use super::{Pair, PairProfile};
    use crate::baseline::types::ByteSet;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;
    use std::net::IpAddr;

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        client: IpAddr,
        server: IpAddr,
        #[serde(default)]
        wrote: bool,
        #[serde(default)]
        functions: ByteSet,
        #[serde(default)]
        unit_ids: ByteSet,
    }

    pub fn serialize<S: Serializer>(
        m: &BTreeMap<Pair, PairProfile>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.iter().map(|(p, prof)| Entry {
            client: p.client,
            server: p.server,
            wrote: prof.wrote,
            functions: prof.functions,
            unit_ids: prof.unit_ids,
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<Pair, PairProfile>, D::Error> {
        let v = Vec::<Entry>::deserialize(d)?;
        Ok(v.into_iter()
            .map(|e| {
                (
                    Pair {
                        client: e.client,
                        server: e.server,
                    },
                    PairProfile {
                        wrote: e.wrote,
                        functions: e.functions,
                        unit_ids: e.unit_ids,
                    },
                )
            })
            .collect())
    }
}
