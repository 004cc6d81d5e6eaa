//! Passive asset inventory, kept continuously (learning or enforcing): for each internal
//! host its MACs and their vendors, names, ICS roles, services offered and used, Modbus
//! device identity, first/last seen, bytes and OS hints. An OS past its vendor's end of
//! support raises an `unsupported_os` [`Finding`].
//!
//! Everything is bounded: the number of assets (config), and per asset the MACs, names,
//! roles and services (named constants). What does not fit is counted
//! ([`InventoryStats`], reported as `DropReason::InventoryFull`).

mod hosts;
pub mod os;
pub mod render;
pub mod support;

use crate::alert::Finding;
use crate::baseline::config::MAX_MACS_PER_IP;
use crate::baseline::observe::{Obs, is_internal_host, observe, server_offered};
use crate::baseline::rules;
use crate::baseline::types::{Mac, Role};
use mizuban_capture::{DropCounters, DropReason, Timestamp};
use mizuban_protocols::Event;
use mizuban_protocols::event::{AppProtocol, DetectedBy, EventKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

pub const DEFAULT_MAX_ASSETS: usize = 65_536;
pub const DEFAULT_MAX_DHCP_CLIENTS: usize = 4_096;
pub const DEFAULT_MAX_PENDING_NAMES: usize = 4_096;
/// Per asset. Names: DNS, DHCP, NetBIOS, NTLMSSP, mDNS/LLMNR names and a few aliases.
pub const MAX_NAMES_PER_ASSET: usize = 16;
pub const MAX_NAME_LEN: usize = 255;
/// Two roles per ICS protocol we identify.
pub const MAX_ROLES_PER_ASSET: usize = 16;
pub const MAX_SERVICES_PER_ASSET: usize = 32;
/// OS hint evidence text kept (user agents can be long).
pub const MAX_EVIDENCE_LEN: usize = 128;

/// DNS record types (RFC 1035 section 3.2.2, RFC 3596).
const RTYPE_A: u16 = 1;
const RTYPE_PTR: u16 = 12;
const RTYPE_AAAA: u16 = 28;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InventoryConfig {
    pub enabled: bool,
    pub max_assets: usize,
    /// DHCP clients remembered by MAC until their address is known.
    pub max_dhcp_clients: usize,
    /// DNS names remembered for addresses not yet seen on the wire.
    pub max_pending_names: usize,
    /// Raise `unsupported_os` findings.
    pub unsupported_os: bool,
    /// Raise `smb_signing_not_required` for SMB servers that negotiate without
    /// requiring signing (off by default: a site policy decision).
    pub require_smb_signing: bool,
}

impl Default for InventoryConfig {
    fn default() -> InventoryConfig {
        InventoryConfig {
            enabled: true,
            max_assets: DEFAULT_MAX_ASSETS,
            max_dhcp_clients: DEFAULT_MAX_DHCP_CLIENTS,
            max_pending_names: DEFAULT_MAX_PENDING_NAMES,
            unsupported_os: true,
            require_smb_signing: false,
        }
    }
}

/// Where a name came from. The order is the precedence of [`Asset::best_name`]:
/// names an administrator assigns (DNS) before names a host gives itself, and among
/// those the ones Windows authenticates with (NTLMSSP/SMB) before broadcast ones.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameSource {
    Dns,
    Dhcp,
    /// NTLMSSP computer names (CHALLENGE TargetInfo, AUTHENTICATE workstation).
    Smb,
    /// The client computer name of an RDP connection (standard RDP security only).
    Rdp,
    /// NBNS registrations, responses and node status; BROWSER announcements.
    Netbios,
    Mdns,
    Llmnr,
}

impl NameSource {
    pub fn as_str(self) -> &'static str {
        match self {
            NameSource::Dns => "dns",
            NameSource::Dhcp => "dhcp",
            NameSource::Smb => "smb",
            NameSource::Rdp => "rdp",
            NameSource::Netbios => "netbios",
            NameSource::Mdns => "mdns",
            NameSource::Llmnr => "llmnr",
        }
    }
}

/// Where an OS hint came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OsSource {
    DhcpVendorClass,
    DhcpFingerprint,
    HttpUserAgent,
    SshBanner,
    NtlmsspVersion,
    SmbNativeOs,
    BrowserAnnouncement,
    HttpServer,
    SsdpServer,
    RdpClientBuild,
}

impl OsSource {
    /// Most specific first: the precedence of [`Asset::best_os`]. SMB native OS names
    /// the release (client or server) and its build; an NTLMSSP version the exact build
    /// but not which of the releases sharing it; a BROWSER announcement the kernel
    /// version; user agents and banners are what software claims; DHCP and server
    /// headers are fingerprints of a family.
    pub const PRECEDENCE: [OsSource; 10] = [
        OsSource::SmbNativeOs,
        OsSource::NtlmsspVersion,
        OsSource::BrowserAnnouncement,
        OsSource::HttpUserAgent,
        OsSource::SshBanner,
        OsSource::DhcpFingerprint,
        OsSource::HttpServer,
        OsSource::SsdpServer,
        OsSource::RdpClientBuild,
        OsSource::DhcpVendorClass,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OsSource::DhcpVendorClass => "dhcp_vendor_class",
            OsSource::DhcpFingerprint => "dhcp_fingerprint",
            OsSource::HttpUserAgent => "http_user_agent",
            OsSource::SshBanner => "ssh_banner",
            OsSource::NtlmsspVersion => "ntlmssp_version",
            OsSource::SmbNativeOs => "smb_native_os",
            OsSource::BrowserAnnouncement => "browser_announcement",
            OsSource::HttpServer => "http_server",
            OsSource::SsdpServer => "ssdp_server",
            OsSource::RdpClientBuild => "rdp_client_build",
        }
    }

    /// The protocol and field the evidence was read from (tshark's field names).
    pub fn field(self) -> &'static str {
        match self {
            OsSource::DhcpVendorClass => "dhcp.option.vendor_class_id",
            OsSource::DhcpFingerprint => "dhcp.option.request_list",
            OsSource::HttpUserAgent => "http.user_agent",
            OsSource::SshBanner => "ssh.protocol",
            OsSource::NtlmsspVersion => "ntlmssp.version",
            OsSource::SmbNativeOs => "smb.native_os",
            OsSource::BrowserAnnouncement => "browser.os_major/os_minor",
            OsSource::HttpServer => "http.server",
            OsSource::SsdpServer => "ssdp SERVER",
            OsSource::RdpClientBuild => "rdp.client.build",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsHint {
    /// The text it was read from (capped at [`MAX_EVIDENCE_LEN`]).
    pub evidence: String,
    pub os: String,
    /// The vendor's end-of-support date, set when it had passed at `seen_ns`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub end_of_support: Option<String>,
    /// A known end-of-support date still in the future at `seen_ns`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub support_ends: Option<String>,
    /// Packet time of the evidence.
    #[serde(default)]
    pub seen_ns: i64,
}

/// Modbus Read Device Identification (function 43 / MEI 14) objects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModbusIdentity {
    pub vendor_name: Option<String>,
    pub product_code: Option<String>,
    pub revision: Option<String>,
    pub vendor_url: Option<String>,
    pub product_name: Option<String>,
    pub model_name: Option<String>,
    pub user_application_name: Option<String>,
}

/// DNP3 and IEC 104 facts about a host (issue 11): the link addresses it used, the IEC
/// 104 common addresses it answers for, and what a DNP3 outstation said of itself in its
/// device attributes (group 0). Sets hold at most [`MAX_TELECONTROL_ADDRESSES`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelecontrolInfo {
    pub dnp3_link_addresses: BTreeSet<u16>,
    pub iec104_common_addresses: BTreeSet<u16>,
    /// g0v252 device manufacturer's name.
    pub vendor: Option<String>,
    /// g0v250 product name and model.
    pub model: Option<String>,
    /// g0v242 manufacturer's software version.
    pub firmware: Option<String>,
    /// g0v243 manufacturer's hardware version.
    pub hardware: Option<String>,
    /// g0v248 serial number.
    pub serial: Option<String>,
    /// g0v247 user-assigned device name.
    pub device_name: Option<String>,
}

/// Link or common addresses kept per host.
pub const MAX_TELECONTROL_ADDRESSES: usize = 16;

/// One internal host. The IP is the key of [`InventoryState::assets`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Asset {
    pub macs: BTreeSet<Mac>,
    /// Name -> where it came from.
    pub names: BTreeMap<String, NameSource>,
    /// e.g. `modbus_server`, `dnp3_client`.
    pub roles: BTreeSet<String>,
    #[serde(with = "port_map")]
    pub services_offered: PortMap,
    #[serde(with = "port_map")]
    pub services_used: PortMap,
    pub modbus_identity: Option<ModbusIdentity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telecontrol: Option<TelecontrolInfo>,
    pub first_seen_ns: i64,
    pub last_seen_ns: i64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub dhcp_vendor_class: Option<String>,
    /// The option-55 list, e.g. "1,3,6,15".
    pub dhcp_fingerprint: Option<String>,
    pub os_hints: BTreeMap<OsSource, OsHint>,
    /// Control actions performed on this host as a server: client -> action classes
    /// (at most [`MAX_CONTROL_CLIENTS`] clients).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub control_clients: BTreeMap<IpAddr, BTreeSet<String>>,
    /// mDNS service types advertised (`_http._tcp.local`), at most 16.
    pub mdns_services: BTreeSet<String>,
    /// SSDP/UPnP `SERVER` and device type (from `NT`/`USN`), as announced.
    pub upnp: Option<UpnpInfo>,
    /// SMB signing as negotiated when this host was the server (`false`: not required).
    pub smb_signing_required: Option<bool>,
}

/// What SSDP says of a device (UPnP Device Architecture 2.0 section 1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpnpInfo {
    pub server: Option<String>,
    pub device_type: Option<String>,
    pub usn: Option<String>,
}

/// Clients kept per server in [`Asset::control_clients`]; more are counted in
/// [`InventoryStats::control_full`].
pub const MAX_CONTROL_CLIENTS: usize = 64;

impl Asset {
    /// The name shown for this host: by source precedence ([`NameSource`]), then the
    /// alphabetically first of that source.
    pub fn best_name(&self) -> Option<&str> {
        self.names
            .iter()
            .min_by_key(|(n, s)| (**s, n.as_str()))
            .map(|(n, _)| n.as_str())
    }

    /// The hint an operator should see first: an end-of-support one, else the most
    /// specific source ([`OsSource::PRECEDENCE`]).
    pub fn best_os(&self) -> Option<&OsHint> {
        const ORDER: [OsSource; 10] = OsSource::PRECEDENCE;
        ORDER
            .iter()
            .filter_map(|s| self.os_hints.get(s))
            .find(|h| h.end_of_support.is_some())
            .or_else(|| ORDER.iter().find_map(|s| self.os_hints.get(s)))
    }
}

/// What the DHCP exchange of one MAC said, kept until its address is known.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DhcpClient {
    pub hostname: Option<String>,
    pub vendor_class: Option<String>,
    pub param_request_list: Vec<u8>,
}

/// Items not recorded because a bound was reached.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InventoryStats {
    pub assets_full: u64,
    pub macs_full: u64,
    pub names_full: u64,
    pub roles_full: u64,
    pub services_full: u64,
    pub dhcp_full: u64,
    pub pending_names_full: u64,
    #[serde(default)]
    pub control_full: u64,
}

impl InventoryStats {
    pub fn total(&self) -> u64 {
        [
            self.assets_full,
            self.macs_full,
            self.names_full,
            self.roles_full,
            self.services_full,
            self.dhcp_full,
            self.pending_names_full,
            self.control_full,
        ]
        .iter()
        .fold(0u64, |a, b| a.saturating_add(*b))
    }
}

/// Everything the inventory saves.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InventoryState {
    /// By IP: a `BTreeMap` sorts IPv4 before IPv6, each numerically.
    pub assets: BTreeMap<IpAddr, Asset>,
    pub dhcp: BTreeMap<Mac, DhcpClient>,
    pub pending_names: BTreeMap<IpAddr, String>,
    pub stats: InventoryStats,
}

pub struct Inventory {
    cfg: InventoryConfig,
    state: InventoryState,
    scratch: Vec<Obs>,
}

fn cap_text(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    s.get(..end).unwrap_or("").to_string()
}

/// The address a reverse-lookup name stands for: `4.3.2.1.in-addr.arpa` is 1.2.3.4
/// (RFC 1035 section 3.5). IPv6 `ip6.arpa` names are not decoded.
fn reverse_v4(name: &str) -> Option<Ipv4Addr> {
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    let head = lower.strip_suffix(".in-addr.arpa")?;
    let mut o = [0u8; 4];
    let mut parts = head.split('.');
    for slot in o.iter_mut().rev() {
        *slot = parts.next()?.parse().ok()?;
    }
    parts.next().is_none().then(|| Ipv4Addr::from(o))
}

impl Inventory {
    pub fn new(cfg: InventoryConfig) -> Inventory {
        Inventory::from_state(cfg, InventoryState::default())
    }

    pub fn from_state(cfg: InventoryConfig, state: InventoryState) -> Inventory {
        Inventory {
            cfg,
            state,
            scratch: Vec::new(),
        }
    }

    pub fn state(&self) -> &InventoryState {
        &self.state
    }

    pub fn into_state(self) -> InventoryState {
        self.state
    }

    pub fn assets(&self) -> &BTreeMap<IpAddr, Asset> {
        &self.state.assets
    }

    pub fn drops(&self) -> DropCounters {
        let mut d = DropCounters::default();
        d.add(DropReason::InventoryFull, self.state.stats.total());
        d
    }

    /// DNP3 and IEC 104 station addresses and DNP3 device attributes, from the parser's
    /// ICS facts: the station a fact names exists (its side carried the protocol).
    fn telecontrol_facts(
        &mut self,
        f: &mizuban_protocols::facts::IcsFacts,
        ts: Timestamp,
        inside: &dyn Fn(IpAddr) -> bool,
    ) {
        for addr in &f.addresses {
            let Some(a) = self.asset(addr.host, ts, inside) else {
                continue;
            };
            let t = a.telecontrol.get_or_insert_with(TelecontrolInfo::default);
            let set = match addr.kind {
                "dnp3_link" => &mut t.dnp3_link_addresses,
                "iec104_common" => &mut t.iec104_common_addresses,
                _ => continue,
            };
            if let Ok(v) = u16::try_from(addr.value)
                && set.len() < MAX_TELECONTROL_ADDRESSES
            {
                set.insert(v);
            }
        }
        let Some((device, id)) = &f.identity else {
            return;
        };
        let Some(a) = self.asset(*device, ts, inside) else {
            return;
        };
        let t = a.telecontrol.get_or_insert_with(TelecontrolInfo::default);
        let extra = |key: &str| {
            id.extra
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        for (slot, value) in [
            (&mut t.vendor, id.vendor.clone()),
            (&mut t.model, id.model.clone()),
            (&mut t.firmware, id.firmware.clone()),
            (&mut t.serial, id.serial.clone()),
            (&mut t.hardware, extra("hardware")),
            (&mut t.device_name, extra("device_name")),
        ] {
            if value.is_some() {
                *slot = value;
            }
        }
    }

    /// One event in; `unsupported_os` findings out.
    pub fn on_event(
        &mut self,
        ev: &Event,
        is_internal: &dyn Fn(IpAddr) -> bool,
        out: &mut Vec<Finding>,
    ) {
        if !self.cfg.enabled {
            return;
        }
        let inside = |ip: IpAddr| is_internal_host(ip, is_internal);
        let mut obs = std::mem::take(&mut self.scratch);
        obs.clear();
        observe(ev, &mut obs);
        for o in &obs {
            self.apply_obs(o, ev.ts, &inside);
        }
        self.scratch = obs;

        let flow = &ev.flow;
        let (client, server) = (flow.client_ip(), flow.server_ip());
        match &ev.kind {
            EventKind::FlowEnd(fe) => {
                if let Some(a) = self.existing(client, &inside) {
                    a.bytes_sent = a.bytes_sent.saturating_add(fe.to_server.bytes);
                    a.bytes_received = a.bytes_received.saturating_add(fe.to_client.bytes);
                }
                if let Some(a) = self.existing(server, &inside) {
                    a.bytes_sent = a.bytes_sent.saturating_add(fe.to_client.bytes);
                    a.bytes_received = a.bytes_received.saturating_add(fe.to_server.bytes);
                }
                if server_offered(fe, flow.proto) && flow.server.port() != 0 {
                    let app = (fe.app != AppProtocol::Unknown).then_some(fe.app);
                    let port = (flow.proto, flow.server.port());
                    self.add_service(client, port, app, false, &inside);
                    if let Some(app) = app {
                        // Fill the protocol into the offered entry observe() recorded.
                        self.add_service(server, port, Some(app), true, &inside);
                    }
                }
            }
            EventKind::ProtocolDetected(pd) if pd.by == DetectedBy::Probe => {
                let port = (flow.proto, pd.server_port);
                self.add_service(client, port, Some(pd.protocol), false, &inside);
                self.add_service(server, port, Some(pd.protocol), true, &inside);
            }
            EventKind::Modbus(tx) => {
                // The device the parser names (the end on 502, whoever connected).
                let device = mizuban_protocols::facts::of_event(ev)
                    .and_then(|f| f.identity)
                    .map(|(ip, _)| ip);
                if let Some(id) = &tx.device_identity
                    && let Some(device) = device
                    && let Some(a) = self.existing(device, &inside)
                {
                    a.modbus_identity = Some(ModbusIdentity {
                        vendor_name: id.vendor_name.clone(),
                        product_code: id.product_code.clone(),
                        revision: id.revision.clone(),
                        vendor_url: id.vendor_url.clone(),
                        product_name: id.product_name.clone(),
                        model_name: id.model_name.clone(),
                        user_application_name: id.user_application_name.clone(),
                    });
                }
            }
            EventKind::Dnp3(_) | EventKind::Iec104(_) => {
                if let Some(f) = mizuban_protocols::facts::of_event(ev) {
                    self.telecontrol_facts(&f, ev.ts, &inside);
                }
            }
            EventKind::Dns(msg) if msg.response => {
                for ans in &msg.answers {
                    let (ip, name) = match (ans.rtype, ans.addr, &ans.target) {
                        (RTYPE_A | RTYPE_AAAA, Some(addr), _) => (addr, ans.name.as_str()),
                        (RTYPE_PTR, _, Some(target)) => match reverse_v4(&ans.name) {
                            Some(v4) => (IpAddr::V4(v4), target.as_str()),
                            None => continue,
                        },
                        _ => continue,
                    };
                    if inside(ip) {
                        self.add_name(ip, name, NameSource::Dns);
                    }
                }
            }
            EventKind::Dhcp(d) => {
                let mac = Mac(d.client_mac);
                let ip = d
                    .your_ip
                    .or(d.requested_ip)
                    .map(IpAddr::V4)
                    .or(Some(client))
                    // 0.0.0.0 is a client without an address yet, not a host.
                    .filter(|ip| !ip.is_unspecified() && inside(*ip));
                self.record_dhcp(mac, d, ip, ev.ts, out);
            }
            EventKind::HttpRequest(req) => {
                if let Some(ua) = &req.user_agent
                    && let Some(g) = os::from_user_agent(ua)
                {
                    self.add_os(client, OsSource::HttpUserAgent, ua, g, ev.ts, &inside, out);
                }
            }
            EventKind::RemoteAccess(ra) if ra.protocol == AppProtocol::Ssh => {
                for (ip, banner) in [(client, &ra.client_software), (server, &ra.server_software)] {
                    if let Some(b) = banner
                        && let Some(g) = os::from_ssh_banner(b)
                    {
                        self.add_os(ip, OsSource::SshBanner, b, g, ev.ts, &inside, out);
                    }
                }
            }
            _ => self.on_host_event(ev, &inside, out),
        }
    }

    fn apply_obs(&mut self, o: &Obs, ts: Timestamp, inside: &dyn Fn(IpAddr) -> bool) {
        match o {
            Obs::Host { ip, mac } => self.touch(*ip, ts, *mac, inside),
            Obs::Service(s) => {
                self.add_service(s.server, (s.transport, s.port), None, true, inside);
            }
            Obs::Ics {
                host,
                protocol,
                role,
            } => self.add_role(*host, *protocol, *role, inside),
            Obs::Modbus { pair, .. } => {
                self.add_role(pair.client, AppProtocol::Modbus, Role::Client, inside);
                self.add_role(pair.server, AppProtocol::Modbus, Role::Server, inside);
            }
            Obs::MacOnly(_) | Obs::Conversation(_) => {}
        }
    }

    /// The asset of `ip`, created if there is room; `None` when out of scope or full.
    fn asset(
        &mut self,
        ip: IpAddr,
        ts: Timestamp,
        inside: &dyn Fn(IpAddr) -> bool,
    ) -> Option<&mut Asset> {
        if !inside(ip) {
            return None;
        }
        let st = &mut self.state;
        if !st.assets.contains_key(&ip) {
            if st.assets.len() >= self.cfg.max_assets {
                st.stats.assets_full = st.stats.assets_full.saturating_add(1);
                return None;
            }
            let mut a = Asset {
                first_seen_ns: ts.as_nanos(),
                last_seen_ns: ts.as_nanos(),
                ..Asset::default()
            };
            if let Some(name) = st.pending_names.remove(&ip) {
                a.names.insert(name, NameSource::Dns);
            }
            st.assets.insert(ip, a);
        }
        st.assets.get_mut(&ip)
    }

    /// `client` performed `action` on `server` (a known asset; others are ignored).
    pub fn record_control(
        &mut self,
        server: IpAddr,
        client: IpAddr,
        action: mizuban_protocols::facts::Action,
    ) {
        let Some(a) = self.state.assets.get_mut(&server) else {
            return;
        };
        if !a.control_clients.contains_key(&client)
            && a.control_clients.len() >= MAX_CONTROL_CLIENTS
        {
            self.state.stats.control_full = self.state.stats.control_full.saturating_add(1);
            return;
        }
        a.control_clients
            .entry(client)
            .or_default()
            .insert(action.as_str().to_owned());
    }

    fn existing(&mut self, ip: IpAddr, inside: &dyn Fn(IpAddr) -> bool) -> Option<&mut Asset> {
        if !inside(ip) {
            return None;
        }
        self.state.assets.get_mut(&ip)
    }

    fn touch(
        &mut self,
        ip: IpAddr,
        ts: Timestamp,
        mac: Option<Mac>,
        inside: &dyn Fn(IpAddr) -> bool,
    ) {
        let t = ts.as_nanos();
        let mut new_mac = None;
        let stats_macs_full;
        {
            let Some(a) = self.asset(ip, ts, inside) else {
                return;
            };
            a.first_seen_ns = a.first_seen_ns.min(t);
            a.last_seen_ns = a.last_seen_ns.max(t);
            let mut full = false;
            if let Some(mac) = mac
                && !a.macs.contains(&mac)
            {
                if a.macs.len() < MAX_MACS_PER_IP {
                    a.macs.insert(mac);
                    new_mac = Some(mac);
                } else {
                    full = true;
                }
            }
            stats_macs_full = full;
        }
        if stats_macs_full {
            self.state.stats.macs_full = self.state.stats.macs_full.saturating_add(1);
        }
        // A DHCP exchange seen before the address was known.
        if let Some(mac) = new_mac
            && let Some(d) = self.state.dhcp.get(&mac).cloned()
        {
            self.apply_dhcp(ip, &d, ts);
        }
    }

    fn add_role(
        &mut self,
        ip: IpAddr,
        proto: AppProtocol,
        role: Role,
        inside: &dyn Fn(IpAddr) -> bool,
    ) {
        let Some(a) = self.existing(ip, inside) else {
            return;
        };
        // Checked without allocating: this runs for every Modbus transaction.
        let (p, r) = (proto.as_str(), role.as_str());
        let is_it = |s: &String| {
            s.len() == p.len().saturating_add(1).saturating_add(r.len())
                && s.starts_with(p)
                && s.ends_with(r)
                && s.as_bytes().get(p.len()) == Some(&b'_')
        };
        if a.roles.iter().any(is_it) {
            return;
        }
        if a.roles.len() < MAX_ROLES_PER_ASSET {
            a.roles.insert(format!("{p}_{r}"));
        } else {
            self.state.stats.roles_full = self.state.stats.roles_full.saturating_add(1);
        }
    }

    fn add_service(
        &mut self,
        ip: IpAddr,
        port: (u8, u16),
        app: Option<AppProtocol>,
        offered: bool,
        inside: &dyn Fn(IpAddr) -> bool,
    ) {
        let Some(a) = self.existing(ip, inside) else {
            return;
        };
        let map = if offered {
            &mut a.services_offered
        } else {
            &mut a.services_used
        };
        let app = app.map(|p| p.as_str().to_string());
        if let Some(v) = map.get_mut(&port) {
            if v.is_none() {
                *v = app;
            }
        } else if map.len() < MAX_SERVICES_PER_ASSET {
            map.insert(port, app);
        } else {
            self.state.stats.services_full = self.state.stats.services_full.saturating_add(1);
        }
    }

    fn add_name(&mut self, ip: IpAddr, name: &str, source: NameSource) {
        let name = cap_text(name.trim_end_matches('.'), MAX_NAME_LEN);
        if name.is_empty() {
            return;
        }
        let st = &mut self.state;
        if let Some(a) = st.assets.get_mut(&ip) {
            // One name in several spellings (NetBIOS upper-cases, NTLMSSP keeps the
            // case the host was given) is one name: the first spelling stays, with the
            // source of highest precedence that reported it.
            if let Some((_, s)) = a
                .names
                .iter_mut()
                .find(|(n, _)| n.eq_ignore_ascii_case(&name))
            {
                if source < *s {
                    *s = source;
                }
                return;
            }
            if a.names.len() < MAX_NAMES_PER_ASSET {
                a.names.insert(name, source);
            } else {
                st.stats.names_full = st.stats.names_full.saturating_add(1);
            }
        } else if st.pending_names.contains_key(&ip)
            || st.pending_names.len() < self.cfg.max_pending_names
        {
            st.pending_names.insert(ip, name);
        } else {
            st.stats.pending_names_full = st.stats.pending_names_full.saturating_add(1);
        }
    }

    fn record_dhcp(
        &mut self,
        mac: Mac,
        d: &mizuban_protocols::dhcp::DhcpMessage,
        ip: Option<IpAddr>,
        ts: Timestamp,
        out: &mut Vec<Finding>,
    ) {
        if !mac.is_station() {
            return;
        }
        let st = &mut self.state;
        if !st.dhcp.contains_key(&mac) && st.dhcp.len() >= self.cfg.max_dhcp_clients {
            st.stats.dhcp_full = st.stats.dhcp_full.saturating_add(1);
        } else {
            let e = st.dhcp.entry(mac).or_default();
            if let Some(h) = &d.hostname {
                e.hostname = Some(h.clone());
            }
            if let Some(v) = &d.vendor_class {
                e.vendor_class = Some(v.clone());
            }
            if !d.param_request_list.is_empty() {
                e.param_request_list = d.param_request_list.clone();
            }
        }
        // Apply to the asset with that address, if it exists and has this MAC (or no MAC
        // yet): a relay or a stale requested address must not rename another host.
        // No address in the message (a REQUEST from 0.0.0.0): the one host already
        // known with this MAC, if exactly one (a host seen before its DHCP exchange,
        // e.g. after a reboot; behind a router many addresses share its MAC).
        let ip = ip.or_else(|| {
            let mut with_mac = self
                .state
                .assets
                .iter()
                .filter(|(_, a)| a.macs.contains(&mac))
                .map(|(ip, _)| *ip);
            match (with_mac.next(), with_mac.next()) {
                (Some(ip), None) => Some(ip),
                _ => None,
            }
        });
        let Some(ip) = ip else {
            return;
        };
        let owns = self
            .state
            .assets
            .get(&ip)
            .is_some_and(|a| a.macs.is_empty() || a.macs.contains(&mac));
        if !owns {
            return;
        }
        let info = DhcpClient {
            hostname: d.hostname.clone(),
            vendor_class: d.vendor_class.clone(),
            param_request_list: d.param_request_list.clone(),
        };
        let hints = self.apply_dhcp(ip, &info, ts);
        for (source, evidence, g) in hints {
            self.finding_if_unsupported(ip, source, &evidence, g, ts, out);
        }
    }

    /// Applies DHCP facts to an asset; returns the OS hints it set.
    fn apply_dhcp(
        &mut self,
        ip: IpAddr,
        d: &DhcpClient,
        ts: Timestamp,
    ) -> Vec<(OsSource, String, os::OsGuess)> {
        let mut hints = Vec::new();
        if let Some(h) = &d.hostname {
            self.add_name(ip, h, NameSource::Dhcp);
        }
        let Some(a) = self.state.assets.get_mut(&ip) else {
            return hints;
        };
        if let Some(vc) = &d.vendor_class {
            a.dhcp_vendor_class = Some(cap_text(vc, MAX_EVIDENCE_LEN));
            if let Some(g) = os::from_dhcp_vendor_class(vc) {
                set_hint(a, OsSource::DhcpVendorClass, vc, g, ts);
                hints.push((OsSource::DhcpVendorClass, vc.clone(), g));
            }
        }
        if !d.param_request_list.is_empty() {
            let text = os::prl_text(&d.param_request_list);
            a.dhcp_fingerprint = Some(cap_text(&text, MAX_EVIDENCE_LEN));
            if let Some(g) = os::from_dhcp_prl(&d.param_request_list) {
                set_hint(a, OsSource::DhcpFingerprint, &text, g, ts);
                hints.push((OsSource::DhcpFingerprint, text, g));
            }
        }
        hints
    }

    #[allow(clippy::too_many_arguments)]
    fn add_os(
        &mut self,
        ip: IpAddr,
        source: OsSource,
        evidence: &str,
        g: os::OsGuess,
        ts: Timestamp,
        inside: &dyn Fn(IpAddr) -> bool,
        out: &mut Vec<Finding>,
    ) {
        let Some(a) = self.existing(ip, inside) else {
            return;
        };
        set_hint(a, source, evidence, g, ts);
        self.finding_if_unsupported(ip, source, evidence, g, ts, out);
    }

    fn finding_if_unsupported(
        &self,
        ip: IpAddr,
        source: OsSource,
        evidence: &str,
        g: os::OsGuess,
        ts: Timestamp,
        out: &mut Vec<Finding>,
    ) {
        let (Some(date), true) = (g.end_of_support, self.cfg.unsupported_os) else {
            return;
        };
        // Against the packet time of the evidence, never the wall clock.
        if !support::ended(Some(date), ts.as_nanos()) {
            return;
        }
        let Some(spec) = crate::registry::spec(rules::UNSUPPORTED_OS) else {
            return;
        };
        let name = self
            .state
            .assets
            .get(&ip)
            .and_then(Asset::best_name)
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let message = format!(
            "{ip}{name} runs {} (support ended {date}; {} {})",
            g.name,
            source.field(),
            cap_text(evidence, 64)
        );
        let mut f = Finding::new(
            spec.id,
            spec.severity,
            spec.guideline,
            format!("{ip}|{}", g.name),
            ts,
            message,
        )
        .evidence("os", g.name)
        .evidence("end_of_support", date)
        .evidence("os_source", source.as_str())
        .evidence("os_field", source.field())
        .evidence(
            "guideline_point",
            "③ no OS whose security support has ended",
        )
        .evidence("os_evidence", cap_text(evidence, MAX_EVIDENCE_LEN));
        f.src_ip = Some(ip);
        out.push(f);
    }
}

/// Keeps an end-of-support hint against a later supported one from the same source:
/// one modern browser on an old machine must not hide it. Whether support has ended
/// is decided at the evidence's packet time `ts`.
fn set_hint(a: &mut Asset, source: OsSource, evidence: &str, g: os::OsGuess, ts: Timestamp) {
    let ended = support::ended(g.end_of_support, ts.as_nanos());
    let keep_old = a
        .os_hints
        .get(&source)
        .is_some_and(|h| h.end_of_support.is_some() && !ended);
    if !keep_old {
        a.os_hints.insert(
            source,
            OsHint {
                evidence: cap_text(evidence, MAX_EVIDENCE_LEN),
                os: g.name.to_string(),
                end_of_support: g.end_of_support.filter(|_| ended).map(str::to_string),
                support_ends: g.end_of_support.filter(|_| !ended).map(str::to_string),
                seen_ns: ts.as_nanos(),
            },
        );
    }
}

/// (transport, port) -> application protocol name, when identified.
pub type PortMap = BTreeMap<(u8, u16), Option<String>>;

/// JSON object keys must be strings: port maps are stored as lists.
mod port_map {
    use super::PortMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        transport: u8,
        port: u16,
        #[serde(default)]
        app: Option<String>,
    }

    pub fn serialize<S: Serializer>(m: &PortMap, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.iter().map(|((transport, port), app)| Entry {
            transport: *transport,
            port: *port,
            app: app.clone(),
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PortMap, D::Error> {
        let v = Vec::<Entry>::deserialize(d)?;
        Ok(v.into_iter()
            .map(|e| ((e.transport, e.port), e.app))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_v4("5.1.168.192.in-addr.arpa"),
            Some(Ipv4Addr::new(192, 168, 1, 5))
        );
        assert_eq!(
            reverse_v4("5.1.168.192.IN-ADDR.ARPA."),
            Some(Ipv4Addr::new(192, 168, 1, 5))
        );
        assert_eq!(reverse_v4("1.168.192.in-addr.arpa"), None);
        assert_eq!(reverse_v4("300.1.168.192.in-addr.arpa"), None);
        assert_eq!(reverse_v4("plc1.example"), None);
    }

    #[test]
    fn cap_text_respects_char_boundaries() {
        assert_eq!(cap_text("ééé", 3), "é");
        assert_eq!(cap_text("abc", 10), "abc");
    }
}
