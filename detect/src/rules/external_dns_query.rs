//! `external_dns_query`: an internal host asked (DNS over UDP or TCP) for a name outside
//! the internal domains. Software that looks up internet names (update checks, licence
//! servers, telemetry) expects the internet; whether the lookup succeeded is the concern
//! of `external_dns_answer`. One alert per (client, name).

use super::{Ctx, RuleSpec, guideline};
use crate::alert::{Finding, Severity};
use crate::policy::names::normalize;
use mizuban_protocols::{Event, EventKind};

pub const SPEC: RuleSpec = RuleSpec {
    id: "external_dns_query",
    severity: Severity::Medium,
    guideline: guideline::NO_INTERNET_NAMES,
    summary: "an internal host asking DNS for an internet name",
    breach: false,
};

pub fn check(ev: &Event, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let EventKind::Dns(m) = &ev.kind else {
        return;
    };
    let Some(q) = m.query.as_deref() else {
        return;
    };
    // Only standard queries (opcode 0, RFC 1035 section 4.1.1); updates and notifies
    // carry zone names, not lookups.
    if m.response || m.opcode != 0 {
        return;
    }
    let (client, resolver) = super::dns_ends(&ev.flow, ctx.policy);
    if !ctx.internal(client) {
        return;
    }
    let name = normalize(q);
    if ctx.policy.is_internal_name(&name) {
        return;
    }
    let msg = format!("{client} looked up internet name {name} (via {resolver})");
    let key = format!("{client}|{name}");
    out.push(
        super::orient_dns(SPEC.finding(ev, key, msg), client, ctx)
            .evidence("query", name)
            .evidence("qtype", m.qtype.to_string())
            .evidence("resolver", resolver.to_string()),
    );
}
