//! The protocol registry: one list, [`PROTOCOLS`], of every application protocol the
//! engine knows. Port hints, the probe order, names, categories and the parser a flow gets
//! are all read from it; nothing outside a protocol's module names its ports.
//!
//! # Adding a protocol
//! 1. A variant in [`AppProtocol`] (the closed set that labels metrics).
//! 2. In the protocol's module (`protocols/src/<proto>/mod.rs`), a `pub const SPEC:
//!    ProtocolSpec` saying its name, [`Category`], server ports and probe per transport,
//!    whether its probe runs on any port, whether its port claim is strict, and how to
//!    build its parser:
//!    ```ignore
//!    pub const SPEC: ProtocolSpec = ProtocolSpec {
//!        category: Category::Ics,
//!        tcp: On::ports(&[20000]).probe(probe, ANY_PORT),
//!        parser: Some(|cfg| Box::new(StreamOnly(Parser::new(&cfg.dnp3)))),
//!        ..ProtocolSpec::new(AppProtocol::Dnp3, "dnp3")
//!    };
//!    ```
//!    The parser implements [`crate::parser::StreamParser`] (TCP) and/or
//!    [`crate::parser::DatagramParser`] (UDP), wrapped in [`StreamOnly`], [`DatagramOnly`] or
//!    [`Both`]. It emits events through `ParseCtx::emit`.
//! 3. `&<proto>::SPEC` in [`PROTOCOLS`], at the place its probe should run: probes run in
//!    list order, most distinctive first, and the first `Match` wins.
//!
//! # Identification (see `identify.rs`)
//! The server port's protocol is probed first; then every protocol whose probe is marked
//! [`ANY_PORT`]; then the port alone decides. A *strict* port claim (Modbus on 502) is
//! the exception: bytes its probe rejects are reported as `not_protocol` and the flow is
//! never given to that parser, since misparsed bytes would feed false facts to detection.

use crate::event::AppProtocol;
use crate::modbus::ModbusConfig;
use crate::parser::{Direction, FlowParser, Probe};
use crate::stats::CounterDoc;
use serde::{Deserialize, Serialize};

pub use crate::parser::{Both, DatagramOnly, StreamOnly};

/// A payload probe.
pub type ProbeFn = fn(&[u8], Direction) -> Probe;

/// Builds a flow's parser from the protocols' configuration.
pub type NewParser = fn(&ProtocolsConfig) -> Box<dyn FlowParser>;

/// Readable flag for [`On::probe`]: this probe also runs away from the protocol's ports.
pub const ANY_PORT: bool = true;
/// Readable flag for [`On::probe`]: this probe runs only when a port names the protocol.
pub const PORT_ONLY: bool = false;

/// The per-protocol sections of the config file, `[protocols.<name>]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProtocolsConfig {
    pub modbus: ModbusConfig,
    pub dnp3: crate::dnp3::Dnp3Config,
    pub iec104: crate::iec104::Iec104Config,
}

/// What kind of traffic a protocol is, for detection and inventory.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Industrial control: what makes a host a control-system asset.
    Ics,
    /// Remote access and remote services (RDP, VNC, SSH, Telnet, SMB, ...).
    Remote,
    /// Tunnels and VPNs.
    Vpn,
    /// Name resolution and service discovery.
    Naming,
    /// Logins (FTP).
    Auth,
    Other,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Ics => "ics",
            Category::Remote => "remote",
            Category::Vpn => "vpn",
            Category::Naming => "naming",
            Category::Auth => "auth",
            Category::Other => "other",
        }
    }
}

/// A transport a protocol runs on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    /// The transport of an IP protocol number, if it has ports.
    pub fn of(ip_proto: u8) -> Option<Transport> {
        match ip_proto {
            6 => Some(Transport::Tcp),
            17 => Some(Transport::Udp),
            _ => None,
        }
    }
}

/// A protocol on one transport: its server ports and its probe.
#[derive(Copy, Clone, Debug)]
pub struct On {
    /// Server ports (IANA registrations, vendor defaults where IANA has none).
    pub ports: &'static [u16],
    pub probe: Option<ProbeFn>,
    /// The probe also runs on flows whose port names another protocol or none.
    pub any_port: bool,
}

impl On {
    /// Not on this transport.
    pub const NONE: On = On {
        ports: &[],
        probe: None,
        any_port: false,
    };

    /// Named by these server ports (and no probe yet).
    pub const fn ports(ports: &'static [u16]) -> On {
        On {
            ports,
            probe: None,
            any_port: false,
        }
    }

    /// Recognised by `probe`; `any_port` is [`ANY_PORT`] or [`PORT_ONLY`].
    pub const fn probe(self, probe: ProbeFn, any_port: bool) -> On {
        On {
            probe: Some(probe),
            any_port,
            ..self
        }
    }

    pub fn claims(&self, port: u16) -> bool {
        self.ports.contains(&port)
    }
}

/// Everything the engine needs to know about one protocol.
#[derive(Copy, Clone, Debug)]
pub struct ProtocolSpec {
    pub app: AppProtocol,
    /// snake_case name: metric labels, alert evidence, config sections.
    pub name: &'static str,
    pub category: Category,
    pub tcp: On,
    pub udp: On,
    /// Named by the IP protocol number alone (ESP 50, AH 51, GRE 47, L2TPv3 115).
    pub ip_proto: Option<u8>,
    /// The port claim is strict: on this protocol's port, bytes its probe rejects are
    /// `not_protocol`, never handed to this parser nor identified by the port.
    pub strict: bool,
    /// Builds the flow's parser; `None` for protocols only identified (ICS probes, NTP).
    pub parser: Option<NewParser>,
    /// The protocol's own counters, exported as `mizuban_<name>_*_total` (see
    /// [`crate::stats`]); the values come from [`crate::EngineStats::protocol_counters`].
    pub counters: &'static [CounterDoc],
    /// TCP ports where the protocol runs inside TLS (the IEC 62351-3 profiles: IANA
    /// `iec-104-sec` 19998, `dnp-sec` 19999). The TLS parser names the protocol a
    /// ClientHello to such a port secures; the protocol itself is not parsed there.
    pub tls_ports: &'static [u16],
}

impl ProtocolSpec {
    /// A spec with nothing but a name: the base of `..ProtocolSpec::new(..)` updates.
    pub const fn new(app: AppProtocol, name: &'static str) -> ProtocolSpec {
        ProtocolSpec {
            app,
            name,
            category: Category::Other,
            tcp: On::NONE,
            udp: On::NONE,
            ip_proto: None,
            strict: false,
            parser: None,
            counters: &[],
            tls_ports: &[],
        }
    }

    /// The protocol on `transport`.
    pub fn on(&self, transport: Transport) -> &On {
        match transport {
            Transport::Tcp => &self.tcp,
            Transport::Udp => &self.udp,
        }
    }

    /// The registered server port: the first TCP port, else the first UDP port.
    pub fn server_port(&self) -> Option<u16> {
        self.tcp
            .ports
            .first()
            .or_else(|| self.udp.ports.first())
            .copied()
    }
}

/// The flow before (or without) identification.
const UNKNOWN: ProtocolSpec = ProtocolSpec::new(AppProtocol::Unknown, "unknown");

/// Every protocol, in probe order: most distinctive probes first, so a weak probe never
/// wins over a strong one (NetBIOS before DNS: NBNS has DNS's header, and its probe is
/// the stricter one). Only the relative order of [`ANY_PORT`] probes matters.
pub static PROTOCOLS: &[&ProtocolSpec] = &[
    &crate::tls::SPEC,
    &crate::http::SPEC,
    &crate::remote::ssh::SPEC,
    &crate::remote::vnc::SPEC,
    &crate::auth::smb::SPEC,
    &crate::netbios::NBNS_SPEC,
    &crate::netbios::DGM_SPEC,
    &crate::dhcp::SPEC,
    &crate::vpn::wireguard::SPEC,
    &crate::vpn::ike::SPEC,
    &crate::bacnet::SPEC,
    &crate::dnp3::SPEC,
    &crate::s7comm::SPEC,
    &crate::opcua::SPEC,
    &crate::enip::SPEC,
    &crate::remote::rdp::SPEC,
    &crate::vpn::pptp::SPEC,
    &crate::remote::teamviewer::SPEC,
    &crate::modbus::SPEC,
    &crate::dns::SPEC,
    &crate::iec104::SPEC,
    &crate::dns::MDNS_SPEC,
    &crate::dns::LLMNR_SPEC,
    &crate::ssdp::SPEC,
    &crate::vpn::openvpn::SPEC,
    &crate::vpn::l2tp::SPEC,
    &crate::remote::anydesk::SPEC,
    &crate::remote::telnet::SPEC,
    &crate::auth::ftp::SPEC,
    &crate::ntp::SPEC,
    &crate::vpn::esp::SPEC,
    &crate::vpn::ah::SPEC,
    &crate::vpn::gre::SPEC,
];

/// Slots in the by-protocol index: more than there are [`AppProtocol`] variants.
const SLOTS: usize = 64;

/// [`PROTOCOLS`] indexed by `AppProtocol as usize`, built at compile time (so a protocol
/// listed twice, or more variants than slots, fails the build).
static BY_APP: [Option<&ProtocolSpec>; SLOTS] = index();

#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
const fn index() -> [Option<&'static ProtocolSpec>; SLOTS] {
    // Evaluated by the compiler: an out-of-range index or the panic is a build error.
    let mut t: [Option<&'static ProtocolSpec>; SLOTS] = [None; SLOTS];
    t[AppProtocol::Unknown as usize] = Some(&UNKNOWN);
    let mut i = 0;
    while i < PROTOCOLS.len() {
        let s = PROTOCOLS[i];
        if t[s.app as usize].is_some() {
            panic!("a protocol is registered twice");
        }
        t[s.app as usize] = Some(s);
        i += 1;
    }
    t
}

/// The spec of `app` (the `unknown` spec for a variant nobody registered).
#[inline]
pub fn spec(app: AppProtocol) -> &'static ProtocolSpec {
    BY_APP
        .get(app as usize)
        .copied()
        .flatten()
        .unwrap_or(&UNKNOWN)
}

/// The protocol a TLS session to this TCP server port secures (see
/// [`ProtocolSpec::tls_ports`]), if any.
pub fn secured_by_tls(port: u16) -> Option<AppProtocol> {
    PROTOCOLS
        .iter()
        .find(|p| p.tls_ports.contains(&port))
        .map(|p| p.app)
}

/// The protocol a server port names on an IP protocol, if any.
pub fn port_hint(ip_proto: u8, port: u16) -> Option<AppProtocol> {
    let t = Transport::of(ip_proto)?;
    PROTOCOLS
        .iter()
        .find(|s| s.on(t).claims(port))
        .map(|s| s.app)
}

/// Protocols named by the IP protocol number alone.
pub fn ip_proto_app(ip_proto: u8) -> Option<AppProtocol> {
    PROTOCOLS
        .iter()
        .find(|s| s.ip_proto == Some(ip_proto))
        .map(|s| s.app)
}

/// The protocols with a probe on `transport`, in probe order.
pub fn probes(transport: Transport) -> impl Iterator<Item = (&'static ProtocolSpec, &'static On)> {
    PROTOCOLS.iter().filter_map(move |s| {
        let on = s.on(transport);
        on.probe.is_some().then_some((*s, on))
    })
}

/// The README's protocol table (between `<!-- protocols:start -->` and
/// `<!-- protocols:end -->`), generated from [`PROTOCOLS`] so it cannot drift.
pub fn protocol_table_markdown() -> String {
    fn ports(on: &On) -> String {
        on.ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn tls(p: &ProtocolSpec) -> String {
        p.tls_ports
            .iter()
            .map(|port| format!("; {port} in TLS"))
            .collect()
    }
    fn probe(s: &ProtocolSpec) -> &'static str {
        let probes = [s.tcp, s.udp];
        if s.ip_proto.is_some() && probes.iter().all(|o| o.probe.is_none()) {
            "IP protocol number"
        } else if probes.iter().any(|o| o.any_port) {
            "payload, any port"
        } else if probes.iter().any(|o| o.probe.is_some()) {
            "payload, on its ports"
        } else {
            "port only"
        }
    }
    let mut s = String::from(
        "| Protocol | Category | TCP ports | UDP ports | Identified by | Parser |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    for p in PROTOCOLS {
        let ip = p.ip_proto.map(|n| format!(" (IP {n})")).unwrap_or_default();
        let strict = if p.strict { ", strict" } else { "" };
        let parser = if p.parser.is_some() {
            "yes"
        } else {
            "probe only"
        };
        s.push_str(&format!(
            "| `{}` | {} | {}{} | {}{ip} | {}{strict} | {parser} |\n",
            p.name,
            p.category.as_str(),
            ports(&p.tcp),
            tls(p),
            ports(&p.udp),
            probe(p),
        ));
    }
    s
}

impl AppProtocol {
    pub fn as_str(self) -> &'static str {
        spec(self).name
    }

    pub fn category(self) -> Category {
        spec(self).category
    }

    /// Industrial protocols: what makes a host a control-system asset.
    pub fn is_ics(self) -> bool {
        self.category() == Category::Ics
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn names_are_unique_and_map_back() {
        let mut names = BTreeSet::new();
        for s in PROTOCOLS {
            assert!(names.insert(s.name), "{} named twice", s.name);
            assert_eq!(spec(s.app).name, s.name);
            assert_eq!(s.app.as_str(), s.name);
        }
        assert_eq!(AppProtocol::Unknown.as_str(), "unknown");
    }

    #[test]
    fn no_port_is_claimed_twice() {
        for t in [Transport::Tcp, Transport::Udp] {
            let mut seen = BTreeSet::new();
            for s in PROTOCOLS {
                for p in s.on(t).ports {
                    assert!(seen.insert(*p), "{t:?} {p} claimed twice ({})", s.name);
                }
            }
        }
    }

    #[test]
    fn strict_claims_have_a_probe_and_a_port() {
        for s in PROTOCOLS.iter().filter(|s| s.strict) {
            let on = [s.tcp, s.udp];
            assert!(
                on.iter().any(|o| o.probe.is_some() && !o.ports.is_empty()),
                "{}",
                s.name
            );
        }
    }

    #[test]
    fn counters_are_named_after_their_protocol() {
        let mut seen = BTreeSet::new();
        for s in PROTOCOLS {
            for c in s.counters {
                let prefix = format!("mizuban_{}_", s.name);
                assert!(c.name.starts_with(&prefix), "{}", c.name);
                assert!(c.name.ends_with("_total"), "{}", c.name);
                assert!(c.labels.len() <= 1 && !c.help.is_empty(), "{}", c.name);
                assert_eq!(c.labels.is_empty(), c.values.is_empty(), "{}", c.name);
                assert!(seen.insert(c.name), "{} twice", c.name);
            }
        }
    }

    #[test]
    fn port_hints() {
        assert_eq!(port_hint(6, 502), Some(AppProtocol::Modbus));
        assert_eq!(port_hint(17, 502), None);
        assert_eq!(port_hint(17, 2222), Some(AppProtocol::Enip));
        assert_eq!(port_hint(6, 5903), Some(AppProtocol::Vnc));
        assert_eq!(port_hint(17, 123), Some(AppProtocol::Ntp));
        assert_eq!(ip_proto_app(50), Some(AppProtocol::Esp));
        assert_eq!(ip_proto_app(6), None);
    }

    proptest! {
        /// Arbitrary bytes never panic any registered probe, either direction.
        #[test]
        fn probes_never_panic(d in proptest::collection::vec(any::<u8>(), 0..64)) {
            for t in [Transport::Tcp, Transport::Udp] {
                for (_, on) in probes(t) {
                    let probe = on.probe.unwrap();
                    let _ = probe(&d, Direction::ToServer);
                    let _ = probe(&d, Direction::ToClient);
                }
            }
        }
    }
}
