//! Closed-network rules, one module per rule. Each rule is a struct (or a function when
//! it keeps no state) that reads one event and the policy and pushes [`Finding`]s; the
//! detector applies the per-rule switches, the allow-list, enrichment and the store.
//!
//! Every rule has a [`RuleSpec`]: id (snake_case, stable: it labels metrics and keys the
//! config), default severity, the guideline point it serves, a summary, and whether a
//! finding proves the network is not closed. A new rule adds its spec to [`ALL`], this
//! module's part of the one rule registry ([`crate::registry`]).

pub mod cleartext_auth;
pub mod external_dns_answer;
pub mod external_dns_query;
pub mod external_service_name;
pub mod failed_login;
pub mod internet_egress;
pub mod internet_ingress;
pub mod names;
pub mod outcome;
pub mod remote_access;
pub mod vpn;
pub mod zone_violation;

pub use crate::spec::RuleSpec;

use crate::alert::{Direction, Finding};
use crate::policy::Policy;
use crate::store::AlertStore;
use mizuban_protocols::{Event, FlowTuple};
use names::NameCache;
use std::net::IpAddr;

/// The closed-network assumption a rule's findings break (the regulators' guideline for
/// water utilities: a closed network is physically cut off from the internet, not only by
/// a firewall or router, and not reachable through an internet VPN).
pub mod guideline {
    pub const NO_INTERNET: &str = "closed network: no contact with the internet";
    pub const NO_INTERNET_NAMES: &str =
        "closed network: no resolution of or connection to internet names";
    pub const NO_INTERNET_VPN: &str =
        "closed network: not reachable through an internet VPN (SSL-VPN, IPsec-VPN)";
    pub const VPN_INSIDE: &str =
        "closed network: a VPN inside the network must run over a closed carrier IP-VPN";
    pub const ZONES: &str = "segmentation: zones talk only over the allowed pairs";
    pub const REMOTE_SERVICES: &str =
        "exploitable remote services (RDP, SSH, SMB, VNC) are not exposed";
    pub const CLEARTEXT: &str = "credentials are not sent in cleartext";
    pub const FAILED_LOGINS: &str = "repeated login failures are notified";
}

/// Every rule of this module, in documentation order (this module's part of
/// [`crate::registry`]).
pub const ALL: &[&RuleSpec] = &[
    &internet_egress::SPEC,
    &internet_ingress::SPEC,
    &zone_violation::SPEC,
    &external_dns_query::SPEC,
    &external_dns_answer::SPEC,
    &external_service_name::SPEC,
    &vpn::INTERNET_VPN,
    &vpn::VPN,
    &remote_access::SPEC,
    &cleartext_auth::SPEC,
    &failed_login::SPEC,
];

/// What a rule may read besides the event.
pub struct Ctx<'a> {
    pub policy: &'a Policy,
    pub names: &'a NameCache,
    /// Read-back of alerts already raised (to accumulate evidence across flows).
    pub store: &'a AlertStore,
}

impl Ctx<'_> {
    pub fn internal(&self, ip: IpAddr) -> bool {
        self.policy.is_internal(ip)
    }

    pub fn direction(&self, flow: &FlowTuple) -> Direction {
        Direction::of(
            self.internal(flow.client.ip()),
            self.internal(flow.server.ip()),
        )
    }
}

/// Rule state for a run.
pub struct Rules {
    failed_logins: failed_login::FailedLogins,
}

impl Rules {
    pub fn new(policy: &Policy) -> Rules {
        Rules {
            failed_logins: failed_login::FailedLogins::new(
                policy.failed_login_threshold,
                policy.failed_login_window,
            ),
        }
    }

    pub fn on_event(&mut self, ev: &Event, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        internet_egress::check(ev, ctx, out);
        internet_ingress::check(ev, ctx, out);
        zone_violation::check(ev, ctx, out);
        external_dns_query::check(ev, ctx, out);
        external_dns_answer::check(ev, ctx, out);
        external_service_name::check(ev, ctx, out);
        vpn::check(ev, ctx, out);
        remote_access::check(ev, ctx, out);
        cleartext_auth::check(ev, ctx, out);
        self.failed_logins.check(ev, ctx, out);
    }

    /// Clients tracked by the failed-login rule that were dropped at its cap.
    pub fn failed_login_clients_dropped(&self) -> u64 {
        self.failed_logins.dropped()
    }
}

/// The host that asked, and the resolver, of a DNS flow. The flow's client normally
/// asked; a capture holding only a response (or DNS between two port-53 servers) can
/// orient the flow the other way, so the port and, when both ends use 53, the internal
/// side decide (RFC 1035 section 4.2: servers answer from port 53).
pub fn dns_ends(flow: &FlowTuple, policy: &Policy) -> (IpAddr, IpAddr) {
    let (c, s) = (flow.client, flow.server);
    let swap = match (c.port() == DNS_PORT, s.port() == DNS_PORT) {
        (true, false) => true,
        (true, true) => !policy.is_internal(c.ip()) && policy.is_internal(s.ip()),
        _ => false,
    };
    if swap {
        (s.ip(), c.ip())
    } else {
        (c.ip(), s.ip())
    }
}

const DNS_PORT: u16 = 53;

/// Orients a DNS finding from the asker to the resolver (see [`dns_ends`]).
pub fn orient_dns(mut f: Finding, asker: IpAddr, ctx: &Ctx<'_>) -> Finding {
    if f.src_ip != Some(asker) {
        std::mem::swap(&mut f.src_ip, &mut f.dst_ip);
        std::mem::swap(&mut f.src_port, &mut f.dst_port);
        std::mem::swap(&mut f.src_mac, &mut f.dst_mac);
    }
    let resolver = f.dst_ip.unwrap_or(asker);
    f.direction = Some(Direction::of(ctx.internal(asker), ctx.internal(resolver)));
    f
}

/// Adds `port` to the comma-separated list in `existing` (at most [`MAX_LISTED`] items).
pub fn add_to_list(existing: Option<&String>, item: &str) -> String {
    match existing {
        None => item.to_owned(),
        Some(list) if list.split(',').any(|p| p == item) => list.clone(),
        Some(list) if list.split(',').count() >= MAX_LISTED => list.clone(),
        Some(list) => format!("{list},{item}"),
    }
}

/// Most items kept in a comma-separated evidence list (ports, users, addresses).
pub const MAX_LISTED: usize = 16;

/// "tcp/443", or "icmp" when the transport has no ports.
pub fn service(flow: &FlowTuple) -> String {
    match flow.server.port() {
        0 => flow.transport().to_owned(),
        p => format!("{}/{p}", flow.transport()),
    }
}
