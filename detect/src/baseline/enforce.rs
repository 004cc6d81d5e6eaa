//! Enforcing: one function per baseline rule family. Each checks one observed fact
//! against the frozen model and pushes what it raises; `Baseline::emit` turns those into
//! findings and pending approvals.

use super::model::Model;
use super::observe::{Obs, is_internal_host};
use super::types::{Conversation, IcsUse, Mac, Pair, Role, Service, transport_label};
use super::{in_scope_pair, rules};
use mizuban_protocols::AppProtocol;
use std::net::IpAddr;

type Internal<'a> = &'a dyn Fn(IpAddr) -> bool;

/// What the fact `o` raises against the model `m`.
pub(super) fn check(m: &Model, o: &Obs, internal: Internal<'_>, found: &mut Vec<Raised>) {
    match o {
        Obs::Host { ip, mac } => host(m, *ip, mac.as_ref(), internal, found),
        Obs::MacOnly(mac) => mac_only(m, mac, found),
        Obs::Conversation(c) => conversation(m, c, internal, found),
        Obs::Service(s) => service(m, s, internal, found),
        Obs::Ics {
            host,
            protocol,
            role,
        } => ics(m, *host, *protocol, *role, internal, found),
        Obs::Modbus {
            pair,
            write,
            function,
            unit_id,
        } => modbus(m, pair, *write, *function, *unit_id, internal, found),
    }
}

/// `new_host` for an unknown address; `ip_mac_change` for a known one on a new MAC.
fn host(m: &Model, ip: IpAddr, mac: Option<&Mac>, internal: Internal<'_>, found: &mut Vec<Raised>) {
    if !is_internal_host(ip, internal) {
        return;
    }
    if !m.hosts.contains(&ip) {
        let via = mac.map(|m| format!(" (MAC {m})")).unwrap_or_default();
        found.push(raised(
            rules::NEW_HOST,
            ip.to_string(),
            Some(ip),
            None,
            format!("new host {ip}{via} not in the baseline"),
        ));
    } else if let Some(mac) = mac {
        let known = m.bindings.get(&ip);
        if known.is_some_and(|set| !set.is_empty() && !set.contains(mac)) {
            let was: Vec<String> = known
                .map(|s| s.iter().map(|m| m.to_string()).collect())
                .unwrap_or_default();
            found.push(raised(
                rules::IP_MAC_CHANGE,
                format!("{ip}|{mac}"),
                Some(ip),
                None,
                format!("{ip} seen with MAC {mac}; baseline has {}", was.join(", ")),
            ));
        }
    }
}

/// `new_host` for a MAC seen without an address.
fn mac_only(m: &Model, mac: &Mac, found: &mut Vec<Raised>) {
    if !m.macs.contains(mac) {
        found.push(raised(
            rules::NEW_HOST,
            format!("mac|{mac}"),
            None,
            None,
            format!("new MAC address {mac} not in the baseline"),
        ));
    }
}

/// `new_conversation` between two internal hosts.
fn conversation(m: &Model, c: &Conversation, internal: Internal<'_>, found: &mut Vec<Raised>) {
    if in_scope_pair(c.a, c.b, internal) && !m.conversations.contains(c) {
        let t = transport_label(c.transport);
        found.push(raised(
            rules::NEW_CONVERSATION,
            format!("{}|{}|{t}", c.a, c.b),
            Some(c.a),
            Some(c.b),
            format!("new conversation {} <-> {} over {t}", c.a, c.b),
        ));
    }
}

/// `new_service` on an internal server.
fn service(m: &Model, s: &Service, internal: Internal<'_>, found: &mut Vec<Raised>) {
    if is_internal_host(s.server, internal) && !m.services.contains(s) {
        found.push(service_finding(s));
    }
}

/// `new_ics_protocol`: a host in an industrial protocol role it never had.
fn ics(
    m: &Model,
    host: IpAddr,
    protocol: AppProtocol,
    role: Role,
    internal: Internal<'_>,
    found: &mut Vec<Raised>,
) {
    if is_internal_host(host, internal) {
        let name = protocol.as_str();
        let probe = IcsUse {
            host,
            protocol: name.to_string(),
            role,
        };
        if !m.ics.contains(&probe) {
            found.push(raised(
                rules::NEW_ICS_PROTOCOL,
                format!("{host}|{name}|{}", role.as_str()),
                Some(host),
                None,
                format!("{host} is a new {name} {}", role.as_str()),
            ));
        }
    }
}

/// `new_modbus_client`, `new_modbus_writer` and `new_modbus_function` on a pair whose
/// server is internal.
fn modbus(
    m: &Model,
    pair: &Pair,
    write: bool,
    function: u8,
    unit_id: u8,
    internal: Internal<'_>,
    found: &mut Vec<Raised>,
) {
    if !is_internal_host(pair.server, internal) {
        return;
    }
    let Pair { client, server } = *pair;
    let key = format!("{client}|{server}");
    match m.modbus.get(pair) {
        None => {
            let mut r = raised(
                rules::NEW_MODBUS_CLIENT,
                key.clone(),
                Some(client),
                Some(server),
                format!(
                    "{client} is a new Modbus client of {server} (function {function}, unit {unit_id})"
                ),
            );
            r.function = Some(function);
            r.unit_id = Some(unit_id);
            r.wrote = write;
            found.push(r);
            // A newcomer that reads first and then writes: the client
            // finding's key is already taken by the read, so the write
            // would only raise its count. It gets its own writer finding.
            if write {
                let mut w = raised(
                    rules::NEW_MODBUS_WRITER,
                    key,
                    Some(client),
                    Some(server),
                    format!(
                        "{client} wrote to {server} (function {function}, unit {unit_id}); it is not in the baseline"
                    ),
                );
                w.function = Some(function);
                w.wrote = true;
                found.push(w);
            }
        }
        Some(prof) => {
            // The writer finding names the write function: a separate
            // "new function" for the same request would say it twice.
            let writer = write && !prof.wrote;
            if writer {
                let mut r = raised(
                    rules::NEW_MODBUS_WRITER,
                    key.clone(),
                    Some(client),
                    Some(server),
                    format!(
                        "{client} wrote to {server} (function {function}, unit {unit_id}); in the baseline it only read"
                    ),
                );
                r.function = (!prof.functions.contains(function)).then_some(function);
                found.push(r);
            } else if !prof.functions.contains(function) {
                found.push(raised(
                    rules::NEW_MODBUS_FUNCTION,
                    format!("{key}|fc={function}"),
                    Some(client),
                    Some(server),
                    format!("Modbus function {function} is new from {client} to {server}"),
                ));
            }
            if !prof.unit_ids.contains(unit_id) {
                found.push(raised(
                    rules::NEW_MODBUS_FUNCTION,
                    format!("{key}|unit={unit_id}"),
                    Some(client),
                    Some(server),
                    format!("Modbus unit id {unit_id} is new from {client} to {server}"),
                ));
            }
        }
    }
}

/// A finding before it is emitted.
pub(super) struct Raised {
    pub(super) rule: &'static str,
    pub(super) key: String,
    pub(super) src: Option<IpAddr>,
    pub(super) dst: Option<IpAddr>,
    pub(super) message: String,
    /// Modbus facts a client or writer finding covers (accepted with it on approval).
    pub(super) function: Option<u8>,
    pub(super) unit_id: Option<u8>,
    pub(super) wrote: bool,
}

pub(super) fn raised(
    rule: &'static str,
    key: String,
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
    message: String,
) -> Raised {
    Raised {
        rule,
        key,
        src,
        dst,
        message,
        function: None,
        unit_id: None,
        wrote: false,
    }
}

pub(super) fn service_finding(s: &Service) -> Raised {
    let t = transport_label(s.transport);
    raised(
        rules::NEW_SERVICE,
        format!("{}|{t}|{}", s.server, s.port),
        None,
        Some(s.server),
        format!("{} offers a new service on {t}/{}", s.server, s.port),
    )
}
