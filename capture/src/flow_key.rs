//! Direction-independent flow identity and the worker shard of a packet.

use crate::packet::{PacketInfo, VlanTags};
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

/// A flow's identity, the same for both directions: the lower (address, port) endpoint is
/// always `lo`. VLAN tags are part of it, since the same addresses may be reused on
/// different VLANs of a plant.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowKey {
    pub lo: (IpAddr, u16),
    pub hi: (IpAddr, u16),
    pub proto: u8,
    pub vlan: VlanTags,
}

impl FlowKey {
    /// Builds the key and says whether (src → dst) runs from `lo` to `hi`.
    pub fn new(
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
        proto: u8,
        vlan: VlanTags,
    ) -> (FlowKey, bool) {
        if src <= dst {
            (
                FlowKey {
                    lo: src,
                    hi: dst,
                    proto,
                    vlan,
                },
                true,
            )
        } else {
            (
                FlowKey {
                    lo: dst,
                    hi: src,
                    proto,
                    vlan,
                },
                false,
            )
        }
    }

    /// Key of an IP packet, or `None` for non-IP.
    pub fn of_packet(info: &PacketInfo) -> Option<(FlowKey, bool)> {
        let ip = info.ip()?;
        let (sp, dp) = info.transport.ports();
        Some(FlowKey::new(
            (ip.src, sp),
            (ip.dst, dp),
            ip.proto,
            info.vlan,
        ))
    }
}

/// Worker shard for a packet between `a` and `b`: hashed on the unordered address pair
/// (plus VLAN), so every packet between two hosts, fragments included, lands on the same
/// worker and pair-level state stays shard-local. A fixed-key hash keeps the assignment
/// identical from run to run.
pub fn shard_for(a: IpAddr, b: IpAddr, vlan: VlanTags, shards: usize) -> usize {
    if shards <= 1 {
        return 0;
    }
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let mut h = ahash::AHasher::default();
    // AHasher::default() uses fixed keys: deterministic across runs and processes.
    lo.hash(&mut h);
    hi.hash(&mut h);
    vlan.hash(&mut h);
    let v = h.finish();
    let n = u64::try_from(shards).unwrap_or(1).max(1);
    usize::try_from(v.checked_rem(n).unwrap_or(0)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_direction_independent() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let (k1, fwd1) = FlowKey::new((a, 1000), (b, 502), 6, VlanTags::default());
        let (k2, fwd2) = FlowKey::new((b, 502), (a, 1000), 6, VlanTags::default());
        assert_eq!(k1, k2);
        assert_ne!(fwd1, fwd2);
    }

    #[test]
    fn shard_is_symmetric_and_in_range() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "192.168.7.20".parse().unwrap();
        for n in 1..8 {
            let s1 = shard_for(a, b, VlanTags::default(), n);
            let s2 = shard_for(b, a, VlanTags::default(), n);
            assert_eq!(s1, s2);
            assert!(s1 < n);
        }
    }
}
