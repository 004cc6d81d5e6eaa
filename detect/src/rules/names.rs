//! What each client resolved: (client, address) -> the name it asked for, so a later
//! egress alert from that client to that address carries the name.

use crate::lru::Lru;
use std::net::IpAddr;

/// Most (client, address) pairs remembered; the least recently resolved go first.
pub const NAME_CACHE_CAP: usize = 16_384;

#[derive(Clone, Debug)]
pub struct NameCache {
    map: Lru<(IpAddr, IpAddr), String>,
}

impl Default for NameCache {
    fn default() -> Self {
        NameCache::new(NAME_CACHE_CAP)
    }
}

impl NameCache {
    pub fn new(cap: usize) -> NameCache {
        NameCache { map: Lru::new(cap) }
    }

    pub fn record(&mut self, client: IpAddr, addr: IpAddr, name: &str) {
        if self.map.get(&(client, addr)).is_some_and(|n| n == name) {
            return;
        }
        self.map.insert((client, addr), name.to_owned());
    }

    pub fn lookup(&self, client: IpAddr, addr: IpAddr) -> Option<&str> {
        self.map.get(&(client, addr)).map(String::as_str)
    }

    pub fn evicted(&self) -> u64 {
        self.map.evicted()
    }
}
