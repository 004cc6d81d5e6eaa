//! `external_dns_answer`: a DNS answer gave an internal host a public (non-internal)
//! address. Some resolver on the path reached the internet, or serves public records
//! locally; either way a host now holds an internet address to contact. One alert per
//! (client, name). The detector records every answer in the name cache separately.

use super::{Ctx, MAX_LISTED, RuleSpec, guideline};
use crate::alert::{Finding, Severity};
use crate::policy::names::normalize;
use mizuban_protocols::{Event, EventKind};

pub const SPEC: RuleSpec = RuleSpec {
    id: "external_dns_answer",
    severity: Severity::Medium,
    guideline: guideline::NO_INTERNET_NAMES,
    summary: "a DNS answer putting an internet address behind a name",
    breach: true,
};

pub fn check(ev: &Event, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let EventKind::Dns(m) = &ev.kind else {
        return;
    };
    if !m.response || m.rcode != 0 {
        return;
    }
    let (client, resolver) = super::dns_ends(&ev.flow, ctx.policy);
    if !ctx.internal(client) {
        return;
    }
    let public: Vec<String> = m
        .answers
        .iter()
        .filter_map(|a| a.addr)
        .filter(|ip| !ctx.internal(*ip))
        .take(MAX_LISTED)
        .map(|ip| ip.to_string())
        .collect();
    if public.is_empty() {
        return;
    }
    let name = m
        .query
        .as_deref()
        .or_else(|| m.answers.first().map(|a| a.name.as_str()))
        .map(normalize)
        .unwrap_or_default();
    let addrs = public.join(",");
    let msg = format!("{resolver} told {client} that {name} is at internet address {addrs}");
    let key = format!("{client}|{name}");
    out.push(
        super::orient_dns(SPEC.finding(ev, key, msg), client, ctx)
            .evidence("query", name)
            .evidence("addresses", addrs)
            .evidence("resolver", resolver.to_string()),
    );
}
