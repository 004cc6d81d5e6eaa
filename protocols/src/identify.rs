//! Which application protocol a flow carries, and the parser that decodes it.
//!
//! A flow is identified once, from its first payloads:
//! 1. The IP protocol alone for ESP, AH, GRE and L2TPv3 (no ports, nothing to probe).
//! 2. Payload probes: the port's protocol first, then every protocol with a distinctive
//!    header, on any port (so Modbus on 5020 is still Modbus). The first `Match` wins
//!    ([`DetectedBy::Probe`]).
//! 3. Otherwise the port: a well-known server port whose protocol has no probe, or whose
//!    probe did not confirm, names the flow ([`DetectedBy::Port`]).
//!
//! Modbus is strict: on TCP 502 a client payload its probe rejects (or, with no client
//! payload in the first [`MAX_PROBE_PAYLOADS`], a rejected server payload) is reported as
//! [`EventKind::NotProtocol`] and the flow is never handed to the Modbus parser, since
//! misparsing arbitrary bytes as register writes would feed false facts to detection.
//!
//! Probing stops after [`MAX_PROBE_PAYLOADS`] payloads; bytes seen while probing are not
//! replayed to the parser chosen later (parsers resynchronise on their own).

use crate::engine::EngineConfig;
use crate::event::{AppProtocol, DetectedBy, EventKind, ProtocolDetected};
use crate::parser::{DatagramParser, Direction, ParseCtx, Probe, StreamParser};
use crate::{auth, dhcp, dnp3, dns, http, ics, modbus, netbios, remote, ssdp, tls, vpn};

/// Payloads (either direction) probed before settling on the port hint or Unknown.
pub const MAX_PROBE_PAYLOADS: u8 = 4;

const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;

/// Identification state of one flow: 5 bytes.
#[derive(Copy, Clone, Debug, Default)]
pub struct Ident {
    app: Option<AppProtocol>,
    hint: Option<AppProtocol>,
    payloads: u8,
    /// The port said Modbus and the probe disagreed: never parse this flow as Modbus.
    not_modbus: bool,
    /// The Modbus probe rejected the server's bytes; the client's have not been seen.
    modbus_doubt: bool,
}

impl Ident {
    /// The identified protocol, `Unknown` until (or unless) there is one.
    pub fn app(&self) -> AppProtocol {
        self.app.unwrap_or(AppProtocol::Unknown)
    }

    /// Still looking at payloads.
    #[inline]
    pub fn probing(&self) -> bool {
        self.app.is_none() && self.payloads < MAX_PROBE_PAYLOADS
    }
}

type ProbeFn = fn(&[u8], Direction) -> Probe;

/// A protocol we can recognise by its bytes.
struct Candidate {
    app: AppProtocol,
    probe: ProbeFn,
    /// Also probed away from its port hint: the header is distinctive enough.
    any_port: bool,
}

const fn cand(app: AppProtocol, probe: ProbeFn, any_port: bool) -> Candidate {
    Candidate {
        app,
        probe,
        any_port,
    }
}

/// TCP probes, most distinctive first: a weak probe must not win over a strong one.
const TCP_CANDIDATES: &[Candidate] = &[
    cand(AppProtocol::Tls, tls::probe, true),
    cand(AppProtocol::Http, http::probe, true),
    cand(AppProtocol::Ssh, remote::ssh::probe, true),
    cand(AppProtocol::Vnc, remote::vnc::probe, true),
    cand(AppProtocol::Smb, auth::smb::probe, true),
    cand(AppProtocol::Dnp3, ics::dnp3::probe, true),
    cand(AppProtocol::S7comm, ics::s7comm::probe, true),
    cand(AppProtocol::OpcUa, ics::opcua::probe, true),
    cand(AppProtocol::Enip, ics::enip::probe, true),
    cand(AppProtocol::Rdp, remote::rdp::probe, true),
    cand(AppProtocol::Pptp, vpn::pptp::probe, true),
    cand(AppProtocol::TeamViewer, remote::teamviewer::probe, true),
    cand(AppProtocol::Modbus, modbus::probe, true),
    cand(AppProtocol::Iec104, ics::iec104::probe, false),
    cand(AppProtocol::Dns, dns::probe_tcp, false),
    cand(AppProtocol::OpenVpn, vpn::openvpn::probe, false),
    cand(AppProtocol::AnyDesk, remote::anydesk::probe, false),
    cand(AppProtocol::Telnet, remote::telnet::probe, false),
    cand(AppProtocol::Ftp, auth::ftp::probe, false),
];

const UDP_CANDIDATES: &[Candidate] = &[
    // NetBIOS before DNS: NBNS has DNS's header, and its probe is the stricter one.
    cand(AppProtocol::Nbns, netbios::probe_ns, true),
    cand(AppProtocol::NetbiosDgm, netbios::probe_dgm, true),
    cand(AppProtocol::Dhcp, dhcp::probe, true),
    cand(AppProtocol::WireGuard, vpn::wireguard::probe, true),
    cand(AppProtocol::IkeIpsec, vpn::ike::probe, true),
    cand(AppProtocol::Bacnet, ics::bacnet::probe, true),
    cand(AppProtocol::Dnp3, ics::dnp3::probe, true),
    cand(AppProtocol::Enip, ics::enip::probe, true),
    cand(AppProtocol::Dns, dns::probe, true),
    cand(AppProtocol::Mdns, dns::probe, false),
    cand(AppProtocol::Llmnr, dns::probe, false),
    cand(AppProtocol::Ssdp, ssdp::probe, false),
    cand(AppProtocol::OpenVpn, vpn::openvpn::probe, false),
    cand(AppProtocol::L2tp, vpn::l2tp::probe, false),
    cand(AppProtocol::TeamViewer, remote::teamviewer::probe, false),
    cand(AppProtocol::AnyDesk, remote::anydesk::probe, false),
];

/// The protocol a server port suggests (IANA registrations, and vendor defaults where
/// IANA has none: TeamViewer 5938, AnyDesk 7070, WireGuard 51820).
pub fn port_hint(proto: u8, port: u16) -> Option<AppProtocol> {
    use AppProtocol as A;
    let app = match (proto, port) {
        (PROTO_TCP, 502) => A::Modbus,
        (PROTO_TCP | PROTO_UDP, 20000) => A::Dnp3,
        (PROTO_TCP | PROTO_UDP, 44818) | (PROTO_UDP, 2222) => A::Enip,
        (PROTO_TCP, 102) => A::S7comm,
        (PROTO_TCP, 2404) => A::Iec104,
        (PROTO_UDP, 47808) => A::Bacnet,
        (PROTO_TCP, 4840) => A::OpcUa,
        (PROTO_TCP | PROTO_UDP, 53) => A::Dns,
        (PROTO_UDP, 137) => A::Nbns,
        (PROTO_UDP, 138) => A::NetbiosDgm,
        (PROTO_UDP, 5353) => A::Mdns,
        (PROTO_UDP, 5355) => A::Llmnr,
        (PROTO_UDP, 1900) => A::Ssdp,
        (PROTO_TCP, 443 | 8443 | 465 | 636 | 853 | 993 | 995) => A::Tls,
        (PROTO_TCP, 80 | 8080 | 8000) => A::Http,
        (PROTO_TCP, 22) => A::Ssh,
        (PROTO_TCP, 3389) => A::Rdp,
        (PROTO_TCP, 5900..=5903) => A::Vnc,
        (PROTO_TCP, 23) => A::Telnet,
        (PROTO_TCP, 21) => A::Ftp,
        (PROTO_TCP, 139 | 445) => A::Smb,
        (PROTO_UDP, 67 | 68) => A::Dhcp,
        (PROTO_UDP, 123) => A::Ntp,
        (PROTO_UDP, 500 | 4500) => A::IkeIpsec,
        (PROTO_TCP | PROTO_UDP, 1194) => A::OpenVpn,
        (PROTO_UDP, 51820) => A::WireGuard,
        (PROTO_UDP, 1701) => A::L2tp,
        (PROTO_TCP, 1723) => A::Pptp,
        (PROTO_TCP | PROTO_UDP, 5938) => A::TeamViewer,
        (PROTO_TCP | PROTO_UDP, 7070) => A::AnyDesk,
        _ => return None,
    };
    Some(app)
}

/// Protocols named by the IP protocol number alone.
pub fn ip_proto_app(proto: u8) -> Option<AppProtocol> {
    match proto {
        47 => Some(AppProtocol::Gre),
        50 => Some(AppProtocol::Esp),
        51 => Some(AppProtocol::Ah),
        115 => Some(AppProtocol::L2tp),
        _ => None,
    }
}

/// Sets the port hint of a new flow, or identifies it outright by IP protocol.
pub fn on_flow_start(
    ident: &mut Ident,
    parser: &mut AppParser,
    ctx: &mut ParseCtx<'_>,
    cfg: &EngineConfig,
    proto: u8,
    server_port: u16,
    client_port: u16,
) {
    if let Some(app) = ip_proto_app(proto) {
        settle(ident, parser, ctx, cfg, app, DetectedBy::Port, 0);
        return;
    }
    ident.hint = port_hint(proto, server_port).or_else(|| port_hint(proto, client_port));
}

fn candidates(proto: u8) -> &'static [Candidate] {
    match proto {
        PROTO_TCP => TCP_CANDIDATES,
        PROTO_UDP => UDP_CANDIDATES,
        _ => &[],
    }
}

/// Looks at one payload of a flow still being identified; on success creates the parser
/// (the caller then hands it this same payload).
#[allow(clippy::too_many_arguments)]
pub fn on_payload(
    ident: &mut Ident,
    parser: &mut AppParser,
    ctx: &mut ParseCtx<'_>,
    cfg: &EngineConfig,
    proto: u8,
    server_port: u16,
    dir: Direction,
    data: &[u8],
) {
    if !ident.probing() || data.is_empty() {
        return;
    }
    ident.payloads = ident.payloads.saturating_add(1);
    let cands = candidates(proto);
    let mut hint_verdict = None;
    if let Some(hint) = ident.hint
        && let Some(c) = cands.iter().find(|c| c.app == hint)
    {
        let mut v = (c.probe)(data, dir);
        if v == Probe::Match {
            settle(
                ident,
                parser,
                ctx,
                cfg,
                hint,
                DetectedBy::Probe,
                server_port,
            );
            return;
        }
        if hint == AppProtocol::Modbus && v == Probe::NoMatch {
            if dir == Direction::ToServer || !ident.probing() {
                not_modbus(ident, ctx, server_port);
            } else {
                // A server's bytes alone do not condemn the port (a fuzzed or odd first
                // segment): wait for a request, the unit a Modbus client must send.
                ident.modbus_doubt = true;
                v = Probe::NeedMore;
            }
        }
        hint_verdict = Some(v);
    }
    let hint = ident.hint;
    for c in cands {
        if Some(c.app) == hint || !c.any_port {
            continue;
        }
        if c.app == AppProtocol::Modbus && ident.not_modbus {
            continue;
        }
        if (c.probe)(data, dir) == Probe::Match {
            settle(
                ident,
                parser,
                ctx,
                cfg,
                c.app,
                DetectedBy::Probe,
                server_port,
            );
            return;
        }
    }
    if let Some(hint) = ident.hint {
        // The port's protocol has no probe, or its probe did not confirm: the port
        // decides, unless the probe still wants more bytes and we may wait for them.
        if hint_verdict != Some(Probe::NeedMore) || !ident.probing() {
            if hint == AppProtocol::Modbus && ident.modbus_doubt {
                not_modbus(ident, ctx, server_port);
            } else {
                settle(ident, parser, ctx, cfg, hint, DetectedBy::Port, server_port);
            }
        }
    }
}

/// TCP 502 carrying something else: say so once, and never parse the flow as Modbus.
fn not_modbus(ident: &mut Ident, ctx: &mut ParseCtx<'_>, server_port: u16) {
    ident.not_modbus = true;
    ident.hint = None;
    ctx.emit(EventKind::NotProtocol(ProtocolDetected {
        protocol: AppProtocol::Modbus,
        by: DetectedBy::Probe,
        server_port,
    }));
}

/// Records the protocol, emits `protocol_detected`, counts it and creates the parser.
fn settle(
    ident: &mut Ident,
    parser: &mut AppParser,
    ctx: &mut ParseCtx<'_>,
    cfg: &EngineConfig,
    app: AppProtocol,
    by: DetectedBy,
    server_port: u16,
) {
    ident.app = Some(app);
    let n = ctx.stats.protocols.entry(app).or_insert(0);
    *n = n.saturating_add(1);
    ctx.emit(EventKind::ProtocolDetected(ProtocolDetected {
        protocol: app,
        by,
        server_port,
    }));
    *parser = AppParser::for_protocol(app, cfg);
}

/// The parser of a flow: one boxed state per protocol module, created when the flow is
/// identified, so an unidentified or idle flow carries only the tag (16 bytes).
///
/// Modules without a parser (the ICS probes of `ics/`, NTP) identify flows but have no
/// variant here.
#[derive(Debug, Default)]
pub enum AppParser {
    #[default]
    None,
    Modbus(Box<modbus::Parser>),
    Dnp3(Box<dnp3::Parser>),
    Dns(Box<dns::Parser>),
    Netbios(Box<netbios::Parser>),
    Ssdp(Box<ssdp::Parser>),
    Tls(Box<tls::Parser>),
    Http(Box<http::Parser>),
    Dhcp(Box<dhcp::Parser>),
    Ike(Box<vpn::ike::Parser>),
    OpenVpn(Box<vpn::openvpn::Parser>),
    Pptp(Box<vpn::pptp::Parser>),
    Esp(Box<vpn::esp::Parser>),
    Ah(Box<vpn::ah::Parser>),
    Gre(Box<vpn::gre::Parser>),
    L2tp(Box<vpn::l2tp::Parser>),
    WireGuard(Box<vpn::wireguard::Parser>),
    Ssh(Box<remote::ssh::Parser>),
    Rdp(Box<remote::rdp::Parser>),
    Vnc(Box<remote::vnc::Parser>),
    Telnet(Box<remote::telnet::Parser>),
    TeamViewer(Box<remote::teamviewer::Parser>),
    AnyDesk(Box<remote::anydesk::Parser>),
    Ftp(Box<auth::ftp::Parser>),
    Smb(Box<auth::smb::Parser>),
}

/// Calls `$body` with `$p` bound to the parser of every variant listed, else `$else`.
macro_rules! dispatch {
    ($self:expr, $p:ident => $body:expr, [$($v:ident),*], $else:expr) => {
        match $self {
            $(AppParser::$v($p) => $body,)*
            #[allow(unreachable_patterns)]
            _ => $else,
        }
    };
}

macro_rules! stream_variants {
    ($self:expr, $p:ident => $body:expr) => {
        dispatch!($self, $p => $body,
            [Modbus, Dnp3, Dns, Tls, Http, OpenVpn, Pptp, Ssh, Rdp, Vnc, Telnet, TeamViewer, AnyDesk,
             Ftp, Smb],
            ())
    };
}

macro_rules! datagram_variants {
    ($self:expr, $p:ident => $body:expr) => {
        dispatch!($self, $p => $body,
            [Dnp3, Dns, Netbios, Ssdp, Dhcp, Ike, OpenVpn, Esp, Ah, Gre, L2tp, WireGuard, TeamViewer, AnyDesk],
            ())
    };
}

impl AppParser {
    pub fn for_protocol(app: AppProtocol, cfg: &EngineConfig) -> AppParser {
        use AppProtocol as A;
        match app {
            A::Modbus => AppParser::Modbus(Box::new(modbus::Parser::new(&cfg.modbus))),
            A::Dnp3 => AppParser::Dnp3(Box::new(dnp3::Parser::new(&cfg.dnp3))),
            A::Dns => AppParser::Dns(Box::new(dns::Parser::new())),
            A::Mdns => AppParser::Dns(Box::new(dns::Parser::with_flavor(dns::Flavor::Mdns))),
            A::Llmnr => AppParser::Dns(Box::new(dns::Parser::with_flavor(dns::Flavor::Llmnr))),
            A::Nbns => AppParser::Netbios(Box::new(netbios::Parser::new(netbios::Service::Name))),
            A::Ssdp => AppParser::Ssdp(Box::new(ssdp::Parser::new())),
            A::NetbiosDgm => {
                AppParser::Netbios(Box::new(netbios::Parser::new(netbios::Service::Datagram)))
            }
            A::Tls => AppParser::Tls(Box::new(tls::Parser::new())),
            A::Http => AppParser::Http(Box::new(http::Parser::new())),
            A::Dhcp => AppParser::Dhcp(Box::new(dhcp::Parser::new())),
            A::IkeIpsec => AppParser::Ike(Box::new(vpn::ike::Parser::new())),
            A::OpenVpn => AppParser::OpenVpn(Box::new(vpn::openvpn::Parser::new())),
            A::Pptp => AppParser::Pptp(Box::new(vpn::pptp::Parser::new())),
            A::Esp => AppParser::Esp(Box::new(vpn::esp::Parser::new())),
            A::Ah => AppParser::Ah(Box::new(vpn::ah::Parser::new())),
            A::Gre => AppParser::Gre(Box::new(vpn::gre::Parser::new())),
            A::L2tp => AppParser::L2tp(Box::default()),
            A::WireGuard => AppParser::WireGuard(Box::new(vpn::wireguard::Parser::new())),
            A::Ssh => AppParser::Ssh(Box::new(remote::ssh::Parser::new())),
            A::Rdp => AppParser::Rdp(Box::new(remote::rdp::Parser::new())),
            A::Vnc => AppParser::Vnc(Box::new(remote::vnc::Parser::new())),
            A::Telnet => AppParser::Telnet(Box::new(remote::telnet::Parser::new())),
            A::TeamViewer => AppParser::TeamViewer(Box::new(remote::teamviewer::Parser::new())),
            A::AnyDesk => AppParser::AnyDesk(Box::new(remote::anydesk::Parser::new())),
            A::Ftp => AppParser::Ftp(Box::new(auth::ftp::Parser::new())),
            A::Smb => AppParser::Smb(Box::new(auth::smb::Parser::new())),
            A::Unknown | A::Enip | A::S7comm | A::Iec104 | A::Bacnet | A::OpcUa | A::Ntp => {
                AppParser::None
            }
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, AppParser::None)
    }

    #[inline]
    pub fn on_data(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        stream_variants!(self, p => StreamParser::on_data(p.as_mut(), ctx, dir, data));
    }

    pub fn on_gap(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, len: u64) {
        stream_variants!(self, p => StreamParser::on_gap(p.as_mut(), ctx, dir, len));
    }

    #[inline]
    pub fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        datagram_variants!(self, p => DatagramParser::on_datagram(p.as_mut(), ctx, dir, data));
    }

    /// Packet time advanced. `stream` says which trait the flow uses (a few parsers
    /// implement both).
    pub fn on_tick(&mut self, ctx: &mut ParseCtx<'_>, stream: bool) {
        if stream {
            stream_variants!(self, p => StreamParser::on_tick(p.as_mut(), ctx));
        } else {
            datagram_variants!(self, p => DatagramParser::on_tick(p.as_mut(), ctx));
        }
    }

    pub fn on_close(&mut self, ctx: &mut ParseCtx<'_>, stream: bool) {
        if stream {
            stream_variants!(self, p => StreamParser::on_close(p.as_mut(), ctx));
        } else {
            datagram_variants!(self, p => DatagramParser::on_close(p.as_mut(), ctx));
        }
    }
}
