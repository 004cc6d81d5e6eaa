//! `zone_violation`: a flow between two zones whose (client zone -> server zone) pair is
//! not allowed in `policy.allowed_zone_pairs`. Hosts in no zone, same-zone traffic and
//! multicast/broadcast destinations are out of scope. One alert per (client zone, server
//! zone, client, server); the services seen are listed in the evidence.

use super::{Ctx, RuleSpec, add_to_list, guideline, service};
use crate::alert::{Finding, Severity};
use mizuban_protocols::{Event, EventKind};
use std::net::IpAddr;

pub const SPEC: RuleSpec = RuleSpec {
    id: "zone_violation",
    severity: Severity::Medium,
    guideline: guideline::ZONES,
    summary: "traffic between zones that are not an allowed pair",
    breach: false,
};

fn is_group(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_multicast() || v4.is_broadcast(),
        IpAddr::V6(v6) => v6.is_multicast(),
    }
}

pub fn check(ev: &Event, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if !matches!(ev.kind, EventKind::FlowStart(_)) || ctx.policy.zones.is_empty() {
        return;
    }
    let (client, server) = (ev.flow.client.ip(), ev.flow.server.ip());
    if is_group(server) {
        return;
    }
    let vlan = ev.flow.vlan.innermost();
    let zones = &ctx.policy.zones;
    let (Some(cz), Some(sz)) = (zones.zone_of(client, vlan), zones.zone_of(server, vlan)) else {
        return;
    };
    if zones.is_allowed(cz, sz) {
        return;
    }
    let (cn, sn) = (zones.name(cz).unwrap_or("?"), zones.name(sz).unwrap_or("?"));
    let key = format!("{cn}|{sn}|{client}|{server}");
    let svc = service(&ev.flow);
    let services = add_to_list(
        ctx.store
            .get(SPEC.id, &key)
            .and_then(|a| a.evidence.get("ports")),
        &svc,
    );
    let dir = ctx.direction(&ev.flow);
    let msg = format!(
        "{client} (zone {cn}) opened {svc} to {server} (zone {sn}): pair {cn} -> {sn} is not allowed"
    );
    out.push(
        SPEC.finding(ev, key, msg)
            .with_direction(dir)
            .evidence("ports", services),
    );
}
