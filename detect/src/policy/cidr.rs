//! Address sets: a list of CIDRs with a membership test.

use ipnet::IpNet;
use std::net::IpAddr;

/// Parses "10.0.0.0/8", "192.0.2.7" (a /32) or "2001:db8::1" (a /128). Host bits set in
/// a CIDR ("10.0.0.1/8") are an error: the operator probably meant something else.
pub fn parse_net(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(IpNet::from(ip));
    }
    let net: IpNet = s
        .parse()
        .map_err(|_| format!("{s:?} is not an address or CIDR"))?;
    if net.trunc() != net {
        return Err(format!(
            "{s:?} has host bits set (did you mean {}?)",
            net.trunc()
        ));
    }
    Ok(net)
}

/// A set of networks. Lists are short (tens of entries), so a linear scan over a
/// sorted-by-prefix vector is both simple and fast enough for the detector thread.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetSet {
    nets: Vec<IpNet>,
    /// (network, mask) per family, for `contains`: called several times per event, so it
    /// compares integers instead of going through `IpNet`.
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl NetSet {
    pub fn new(mut nets: Vec<IpNet>) -> NetSet {
        // IPv4-mapped addresses are matched as IPv4 in `contains`; keep order stable.
        nets.sort_by_key(|n| std::cmp::Reverse(n.prefix_len()));
        nets.dedup();
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for n in &nets {
            match n {
                IpNet::V4(n) => v4.push((u32::from(n.network()), u32::from(n.netmask()))),
                IpNet::V6(n) => v6.push((u128::from(n.network()), u128::from(n.netmask()))),
            }
        }
        NetSet { nets, v4, v6 }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match canonical(ip) {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.v4.iter().any(|(net, mask)| a & mask == *net)
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                self.v6.iter().any(|(net, mask)| a & mask == *net)
            }
        }
    }

    /// The most specific network holding `ip` (IPv4-mapped IPv6 is matched as IPv4).
    pub fn longest_match(&self, ip: IpAddr) -> Option<&IpNet> {
        let ip = canonical(ip);
        self.nets.iter().find(|n| n.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    pub fn nets(&self) -> &[IpNet] {
        &self.nets
    }
}

/// `::ffff:a.b.c.d` becomes `a.b.c.d`, so a v4 policy covers dual-stack sockets.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        IpAddr::V4(_) => ip,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn set(list: &[&str]) -> NetSet {
        NetSet::new(list.iter().map(|s| parse_net(s).unwrap()).collect())
    }

    #[test]
    fn membership_v4_v6_and_mapped() {
        let s = set(&["10.0.0.0/8", "fc00::/7", "192.0.2.7"]);
        assert!(s.contains("10.255.0.1".parse().unwrap()));
        assert!(!s.contains("11.0.0.1".parse().unwrap()));
        assert!(s.contains("fd12::1".parse().unwrap()));
        assert!(s.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(s.contains("192.0.2.7".parse().unwrap()));
        assert!(!s.contains("192.0.2.8".parse().unwrap()));
    }

    #[test]
    fn longest_prefix_wins() {
        let s = set(&["10.0.0.0/8", "10.1.0.0/16"]);
        let m = s.longest_match("10.1.2.3".parse().unwrap()).unwrap();
        assert_eq!(m.prefix_len(), 16);
    }

    #[test]
    fn rejects_bad_cidrs() {
        assert!(parse_net("10.0.0.0/33").is_err());
        assert!(parse_net("10.0.0.1/8").unwrap_err().contains("10.0.0.0/8"));
        assert!(parse_net("plant").is_err());
    }
}
