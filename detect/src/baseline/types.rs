//! The items a baseline is made of, with their serde shapes and their finding keys.
//!
//! Every key format here is parsed back by [`Item::parse`] so an operator can approve
//! a finding from its id alone (`rule:key`).

use mizuban_capture::MacAddr;
use mizuban_protocols::event::transport_name;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// A MAC address that serializes as `aa:bb:cc:dd:ee:ff` and parses back.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mac(pub MacAddr);

impl Mac {
    /// Unicast and not all-zero: an address that names one interface.
    pub fn is_station(self) -> bool {
        !self.0.is_multicast() && self.0.0 != [0; 6]
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Mac {
    type Err = ();
    fn from_str(s: &str) -> Result<Mac, ()> {
        let mut out = [0u8; 6];
        let mut parts = s.split([':', '-']);
        for b in &mut out {
            let p = parts.next().ok_or(())?;
            if p.len() != 2 {
                return Err(());
            }
            *b = u8::from_str_radix(p, 16).map_err(|_| ())?;
        }
        if parts.next().is_some() {
            return Err(());
        }
        Ok(Mac(MacAddr(out)))
    }
}

impl Serialize for Mac {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Mac {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Mac, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map_err(|()| serde::de::Error::custom(format!("invalid MAC address {s:?}")))
    }
}

/// Transport label used in keys: the name when we have one, else the number.
pub fn transport_label(proto: u8) -> String {
    match transport_name(proto) {
        "other" => proto.to_string(),
        name => name.to_string(),
    }
}

/// Inverse of [`transport_label`].
pub fn parse_transport(s: &str) -> Option<u8> {
    (0..=u8::MAX)
        .find(|p| transport_name(*p) != "other" && transport_name(*p) == s)
        .or_else(|| s.parse().ok())
}

/// An unordered host pair and transport protocol; `a < b` always.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversation {
    pub a: IpAddr,
    pub b: IpAddr,
    pub transport: u8,
}

impl Conversation {
    pub fn new(x: IpAddr, y: IpAddr, transport: u8) -> Conversation {
        let (a, b) = if x <= y { (x, y) } else { (y, x) };
        Conversation { a, b, transport }
    }
}

/// A server address, transport and port.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub server: IpAddr,
    pub transport: u8,
    pub port: u16,
}

/// Which end of an ICS protocol a host plays.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Client,
    Server,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Server => "server",
        }
    }
}

/// A host using an ICS protocol in one role. `protocol` is `AppProtocol::as_str()`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcsUse {
    pub host: IpAddr,
    pub protocol: String,
    pub role: Role,
}

/// A Modbus client and server.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    pub client: IpAddr,
    pub server: IpAddr,
}

/// A set of byte values (function codes, unit ids): 256 bits, so bounded by
/// construction. Serializes as the sorted list of members.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ByteSet([u64; 4]);

impl ByteSet {
    fn slot(v: u8) -> (usize, u64) {
        (usize::from(v >> 6), 1u64 << (v & 63))
    }
    pub fn contains(&self, v: u8) -> bool {
        let (i, bit) = ByteSet::slot(v);
        self.0.get(i).is_some_and(|w| w & bit != 0)
    }
    /// True if `v` was not yet present.
    pub fn insert(&mut self, v: u8) -> bool {
        let (i, bit) = ByteSet::slot(v);
        match self.0.get_mut(i) {
            Some(w) if *w & bit == 0 => {
                *w |= bit;
                true
            }
            _ => false,
        }
    }
    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=u8::MAX).filter(|v| self.contains(*v))
    }
    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }
}

impl Serialize for ByteSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for ByteSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ByteSet, D::Error> {
        let v = Vec::<u8>::deserialize(d)?;
        let mut set = ByteSet::default();
        for b in v {
            set.insert(b);
        }
        Ok(set)
    }
}

/// What the baseline knows of one Modbus pair.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PairProfile {
    /// The client sent at least one write-class function (FunctionClass::Write).
    pub wrote: bool,
    pub functions: ByteSet,
    pub unit_ids: ByteSet,
}

/// One fact of a baseline. Ordered for deterministic listings and diffs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    Host {
        ip: IpAddr,
    },
    Mac {
        mac: Mac,
    },
    Binding {
        ip: IpAddr,
        mac: Mac,
    },
    Conversation(Conversation),
    Service(Service),
    Ics(IcsUse),
    ModbusPair(Pair),
    ModbusWrites(Pair),
    ModbusFunction {
        client: IpAddr,
        server: IpAddr,
        function: u8,
    },
    ModbusUnit {
        client: IpAddr,
        server: IpAddr,
        unit_id: u8,
    },
}

impl Item {
    /// Whether the item names `ip` on either end.
    pub fn involves(&self, ip: IpAddr) -> bool {
        match self {
            Item::Host { ip: h } | Item::Binding { ip: h, .. } => *h == ip,
            Item::Mac { .. } => false,
            Item::Conversation(c) => c.a == ip || c.b == ip,
            Item::Service(s) => s.server == ip,
            Item::Ics(u) => u.host == ip,
            Item::ModbusPair(p) | Item::ModbusWrites(p) => p.client == ip || p.server == ip,
            Item::ModbusFunction { client, server, .. }
            | Item::ModbusUnit { client, server, .. } => *client == ip || *server == ip,
        }
    }

    /// The item a finding of `rule` with `key` reports as new.
    pub fn parse(rule: &str, key: &str) -> Option<Item> {
        let f: Vec<&str> = key.split('|').collect();
        let ip = |i: usize| f.get(i).and_then(|s| s.parse::<IpAddr>().ok());
        let mac = |i: usize| f.get(i).and_then(|s| s.parse::<Mac>().ok());
        let pair = || {
            Some(Pair {
                client: ip(0)?,
                server: ip(1)?,
            })
        };
        let item = match (rule, f.len()) {
            (super::rules::NEW_HOST, 1) => Item::Host { ip: ip(0)? },
            (super::rules::NEW_HOST, 2) if f.first() == Some(&"mac") => Item::Mac { mac: mac(1)? },
            (super::rules::IP_MAC_CHANGE, 2) => Item::Binding {
                ip: ip(0)?,
                mac: mac(1)?,
            },
            (super::rules::NEW_CONVERSATION, 3) => Item::Conversation(Conversation::new(
                ip(0)?,
                ip(1)?,
                parse_transport(f.get(2)?)?,
            )),
            (super::rules::NEW_SERVICE, 3) => Item::Service(Service {
                server: ip(0)?,
                transport: parse_transport(f.get(1)?)?,
                port: f.get(2)?.parse().ok()?,
            }),
            (super::rules::NEW_ICS_PROTOCOL, 3) => Item::Ics(IcsUse {
                host: ip(0)?,
                protocol: (*f.get(1)?).to_string(),
                role: match *f.get(2)? {
                    "client" => Role::Client,
                    "server" => Role::Server,
                    _ => return None,
                },
            }),
            (super::rules::NEW_MODBUS_CLIENT, 2) => Item::ModbusPair(pair()?),
            (super::rules::NEW_MODBUS_WRITER, 2) => Item::ModbusWrites(pair()?),
            (super::rules::NEW_MODBUS_FUNCTION, 3) => {
                let p = pair()?;
                let last = f.get(2)?;
                if let Some(v) = last.strip_prefix("fc=") {
                    Item::ModbusFunction {
                        client: p.client,
                        server: p.server,
                        function: v.parse().ok()?,
                    }
                } else {
                    Item::ModbusUnit {
                        client: p.client,
                        server: p.server,
                        unit_id: last.strip_prefix("unit=")?.parse().ok()?,
                    }
                }
            }
            _ => return None,
        };
        Some(item)
    }
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::Host { ip } => write!(f, "host {ip}"),
            Item::Mac { mac } => write!(f, "mac {mac}"),
            Item::Binding { ip, mac } => write!(f, "binding {ip} -> {mac}"),
            Item::Conversation(c) => {
                write!(
                    f,
                    "conversation {} <-> {} {}",
                    c.a,
                    c.b,
                    transport_label(c.transport)
                )
            }
            Item::Service(s) => {
                write!(
                    f,
                    "service {} {}/{}",
                    s.server,
                    transport_label(s.transport),
                    s.port
                )
            }
            Item::Ics(u) => write!(f, "ics {} {} {}", u.host, u.protocol, u.role.as_str()),
            Item::ModbusPair(p) => write!(f, "modbus {} -> {}", p.client, p.server),
            Item::ModbusWrites(p) => write!(f, "modbus {} -> {} writes", p.client, p.server),
            Item::ModbusFunction {
                client,
                server,
                function,
            } => write!(f, "modbus {client} -> {server} function {function}"),
            Item::ModbusUnit {
                client,
                server,
                unit_id,
            } => write!(f, "modbus {client} -> {server} unit {unit_id}"),
        }
    }
}
