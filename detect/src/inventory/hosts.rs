//! Names and OS evidence from the Windows and discovery protocols (issue 19): NBNS,
//! BROWSER, SMB/NTLMSSP, mDNS, LLMNR, SSDP, HTTP `Server` and the RDP client data. Which side of a flow a
//! fact belongs to is decided here, from the message direction the parser recorded
//! or the flow orientation (a response speaks for the server).

use super::{Inventory, NameSource, OsSource, UpnpInfo, cap_text, os};
use crate::alert::Finding;
use crate::baseline::rules;
use mizuban_capture::Timestamp;
use mizuban_protocols::Event;
use mizuban_protocols::dns::DnsMessage;
use mizuban_protocols::event::EventKind;
use mizuban_protocols::netbios::NetbiosName;
use std::net::IpAddr;

/// mDNS service types kept per asset.
pub const MAX_MDNS_SERVICES: usize = 16;
/// Bytes kept of UPnP header values.
const MAX_UPNP_LEN: usize = 128;

/// NBNS opcodes of a host speaking for its own names (RFC 1002 section 4.2.1.1).
const OP_REGISTRATION: u8 = 5;

/// DNS record types (RFC 1035 section 3.2.2, RFC 3596).
const RTYPE_A: u16 = 1;
const RTYPE_PTR: u16 = 12;
const RTYPE_AAAA: u16 = 28;

fn is_multicast(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_multicast() || v.is_broadcast() || v.octets()[3] == 255,
        IpAddr::V6(v) => v.is_multicast(),
    }
}

impl Inventory {
    pub(super) fn on_host_event(
        &mut self,
        ev: &Event,
        inside: &dyn Fn(IpAddr) -> bool,
        out: &mut Vec<Finding>,
    ) {
        let (client, server) = (ev.flow.client_ip(), ev.flow.server_ip());
        // The host a message speaks for gets an asset even if this is the first the
        // inventory hears of it (add_os and the UPnP fields only fill existing ones).
        let speaker = match &ev.kind {
            EventKind::Smb(i) if i.response => Some(server),
            EventKind::Smb(_) => Some(client),
            EventKind::Browser(a) => Some(a.source_ip.map(IpAddr::V4).unwrap_or(client)),
            EventKind::HttpResponse(_) => Some(server),
            EventKind::Ssdp(m) => Some(m.sender.unwrap_or(client)),
            EventKind::Mdns(_) => Some(if is_multicast(server) { client } else { server }),
            EventKind::RdpClient(_) => Some(client),
            _ => None,
        };
        if let Some(ip) = speaker {
            let _ = self.asset(ip, ev.ts, inside);
        }
        match &ev.kind {
            EventKind::Nbns(m) => {
                let own = m.operation == "registration"
                    || m.operation == "refresh"
                    || m.operation == "multihomed_registration"
                    || m.opcode == OP_REGISTRATION;
                // A registration (request) or a positive answer: each NB record maps a
                // unique name to its addresses.
                if (own && !m.response) || (m.response && m.rcode == 0 && m.opcode == 0) {
                    for r in &m.records {
                        for a in r.addresses.iter().filter(|a| !a.group) {
                            self.add_netbios(IpAddr::V4(a.addr), &r.name, ev.ts, inside);
                        }
                    }
                }
                // A node status response lists the names its sender holds.
                for n in m.node_names.iter().filter(|n| !n.group) {
                    self.add_netbios(m.sender, &n.name, ev.ts, inside);
                }
            }
            EventKind::Browser(a) => {
                let ip = a.source_ip.map(IpAddr::V4).unwrap_or(client);
                if matches!(a.command, 1 | 15)
                    && let Some(server_name) = &a.server
                    && inside(ip)
                {
                    self.add_own_name(ip, server_name, NameSource::Netbios, ev.ts, inside);
                    if let (Some(maj), Some(min), Some(st)) =
                        (a.os_major, a.os_minor, a.server_type)
                        && let Some(g) = os::from_browser(maj, min, st)
                    {
                        let evidence = format!("{server_name} os {maj}.{min} type 0x{st:08x}");
                        self.add_os(
                            ip,
                            OsSource::BrowserAnnouncement,
                            &evidence,
                            g,
                            ev.ts,
                            inside,
                            out,
                        );
                    }
                }
            }
            EventKind::Smb(i) => {
                if let Some(n) = &i.called_name {
                    self.add_netbios(server, n, ev.ts, inside);
                }
                if let Some(n) = &i.calling_name {
                    self.add_netbios(client, n, ev.ts, inside);
                }
                // A response is the server's, a request the client's.
                let ip = if i.response { server } else { client };
                if let Some(n) = &i.ntlmssp {
                    for name in [&n.nb_computer_name, &n.dns_computer_name, &n.hostname]
                        .into_iter()
                        .flatten()
                    {
                        self.add_own_name(ip, name, NameSource::Smb, ev.ts, inside);
                    }
                    if let Some(v) = &n.version
                        && let Some(g) = os::from_windows_build(v.major, v.minor, v.build)
                    {
                        let evidence = format!("{}.{}.{}", v.major, v.minor, v.build);
                        self.add_os(
                            ip,
                            OsSource::NtlmsspVersion,
                            &evidence,
                            g,
                            ev.ts,
                            inside,
                            out,
                        );
                    }
                }
                if let Some(s) = &i.native_os
                    && let Some(g) = os::from_smb_native_os(s)
                {
                    self.add_os(ip, OsSource::SmbNativeOs, s, g, ev.ts, inside, out);
                }
                if i.command == "negotiate"
                    && i.response
                    && let Some(req) = i.signing_required
                    && let Some(a) = self.existing(server, inside)
                {
                    a.smb_signing_required = Some(req);
                    if !req && self.cfg.require_smb_signing {
                        self.signing_finding(server, i, ev, out);
                    }
                }
            }
            EventKind::Mdns(m) => {
                let sender = if is_multicast(server) { client } else { server };
                self.dns_names(m, NameSource::Mdns, ev.ts, inside);
                if m.response {
                    self.mdns_services(sender, m, inside);
                }
            }
            EventKind::Llmnr(m) => self.dns_names(m, NameSource::Llmnr, ev.ts, inside),
            EventKind::HttpResponse(r) => {
                if let Some(s) = &r.server
                    && let Some(g) = os::from_server_header(s)
                {
                    self.add_os(server, OsSource::HttpServer, s, g, ev.ts, inside, out);
                }
            }
            EventKind::Ssdp(m) => {
                let sender = m.sender.unwrap_or(client);
                // NOTIFY and responses describe their sender; M-SEARCH only asks.
                if m.method.as_deref() == Some("M-SEARCH") {
                    return;
                }
                if let Some(a) = self.existing(sender, inside) {
                    let u = a.upnp.get_or_insert_with(UpnpInfo::default);
                    let cap = |s: &Option<String>| s.as_deref().map(|v| cap_text(v, MAX_UPNP_LEN));
                    if m.server.is_some() {
                        u.server = cap(&m.server);
                    }
                    if let Some(t) = m.nt.as_deref().or(m.st.as_deref())
                        && t.contains(":device:")
                    {
                        u.device_type = Some(cap_text(t, MAX_UPNP_LEN));
                    }
                    if m.usn.is_some() {
                        u.usn = cap(&m.usn);
                    }
                }
                if let Some(s) = &m.server
                    && let Some(g) = os::from_server_header(s)
                {
                    self.add_os(sender, OsSource::SsdpServer, s, g, ev.ts, inside, out);
                }
            }
            EventKind::RdpClient(c) => {
                if !c.client_name.is_empty() {
                    self.add_own_name(client, &c.client_name, NameSource::Rdp, ev.ts, inside);
                }
                if let Some(g) = os::from_rdp_client_build(c.client_build) {
                    let evidence = format!("clientBuild {}", c.client_build);
                    self.add_os(
                        client,
                        OsSource::RdpClientBuild,
                        &evidence,
                        g,
                        ev.ts,
                        inside,
                        out,
                    );
                }
            }
            _ => {}
        }
    }

    /// `smb_signing_not_required`: one per server (the store counts repeats).
    fn signing_finding(
        &self,
        server: IpAddr,
        i: &mizuban_protocols::auth::smb::SmbInfo,
        ev: &Event,
        out: &mut Vec<Finding>,
    ) {
        let Some(spec) = crate::registry::spec(rules::SMB_SIGNING_NOT_REQUIRED) else {
            return;
        };
        let name = self
            .state
            .assets
            .get(&server)
            .and_then(super::Asset::best_name)
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let dialect = i.dialect.clone().unwrap_or_default();
        let msg = format!("SMB server {server}{name} does not require signing (dialect {dialect})");
        let mut f = Finding::new(
            spec.id,
            spec.severity,
            spec.guideline,
            server.to_string(),
            ev.ts,
            msg,
        )
        .evidence("smb_version", i.version.to_string())
        .evidence("dialect", dialect)
        .evidence(
            "field",
            if i.version == 1 {
                "smb.sm.sig_required"
            } else {
                "smb2.sec_mode.sign_required"
            },
        );
        f.src_ip = Some(server);
        out.push(f);
    }

    /// A unique NetBIOS workstation/server name for `ip`.
    fn add_netbios(
        &mut self,
        ip: IpAddr,
        n: &NetbiosName,
        ts: Timestamp,
        inside: &dyn Fn(IpAddr) -> bool,
    ) {
        if n.is_host_name() {
            self.add_own_name(ip, &n.name, NameSource::Netbios, ts, inside);
        }
    }

    /// A name a host gives itself: recorded on its asset (created if need be: the
    /// message may be the first the inventory hears of it), never as a pending DNS name.
    fn add_own_name(
        &mut self,
        ip: IpAddr,
        name: &str,
        source: NameSource,
        ts: Timestamp,
        inside: &dyn Fn(IpAddr) -> bool,
    ) {
        if self.asset(ip, ts, inside).is_some() {
            self.add_name(ip, name, source);
        }
    }

    /// Address records of an mDNS or LLMNR response name their owner.
    fn dns_names(
        &mut self,
        m: &DnsMessage,
        source: NameSource,
        ts: Timestamp,
        inside: &dyn Fn(IpAddr) -> bool,
    ) {
        if !m.response {
            return;
        }
        for a in &m.answers {
            if matches!(a.rtype, RTYPE_A | RTYPE_AAAA)
                && let Some(addr) = a.addr
                && inside(addr)
            {
                self.add_own_name(addr, &a.name, source, ts, inside);
            }
        }
    }

    /// Service types (`_ipp._tcp.local`) a responder advertises: the PTR owner names
    /// that start with an underscore label.
    fn mdns_services(&mut self, ip: IpAddr, m: &DnsMessage, inside: &dyn Fn(IpAddr) -> bool) {
        let mut full = false;
        if let Some(a) = self.existing(ip, inside) {
            for ans in m.answers.iter().filter(|a| a.rtype == RTYPE_PTR) {
                let t = ans.name.trim_end_matches('.');
                if !t.starts_with('_') || t.starts_with("_services._dns-sd") {
                    continue;
                }
                if a.mdns_services.contains(t) {
                    continue;
                }
                if a.mdns_services.len() < MAX_MDNS_SERVICES {
                    a.mdns_services.insert(cap_text(t, super::MAX_NAME_LEN));
                } else {
                    full = true;
                }
            }
        }
        if full {
            self.state.stats.names_full = self.state.stats.names_full.saturating_add(1);
        }
    }
}
