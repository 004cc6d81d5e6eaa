//! `internet_egress`: an internal host opened a flow (any IP protocol) to an address
//! outside the internal networks. Raised at the flow's start, one alert per (internal
//! host, external address); the flow's end updates the evidence with what became of it
//! (no answer / refused / answered without data / payload) and the bytes each way.

use super::outcome::Outcome;
use super::{Ctx, RuleSpec, add_to_list, guideline, service};
use crate::alert::{Direction, Finding, Severity};
use mizuban_protocols::{Event, EventKind};

pub const SPEC: RuleSpec = RuleSpec {
    id: "internet_egress",
    severity: Severity::High,
    guideline: guideline::NO_INTERNET,
    summary: "an internal host talking to an internet address",
    breach: true,
};

pub fn check(ev: &Event, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    boundary(&SPEC, Direction::Outbound, ev, ctx, out);
}

/// Shared by egress and ingress: `want` picks which crossing this rule reports. The key
/// is always "internal|external".
pub(super) fn boundary(
    spec: &RuleSpec,
    want: Direction,
    ev: &Event,
    ctx: &Ctx<'_>,
    out: &mut Vec<Finding>,
) {
    let (start, end) = match &ev.kind {
        EventKind::FlowStart(_) => (true, None),
        EventKind::FlowEnd(e) => (false, Some(e)),
        _ => return,
    };
    let dir = ctx.direction(&ev.flow);
    if dir != want {
        return;
    }
    let (client, server) = (ev.flow.client.ip(), ev.flow.server.ip());
    let key = match want {
        Direction::Inbound => format!("{server}|{client}"),
        _ => format!("{client}|{server}"),
    };
    let existing = ctx.store.get(spec.id, &key);
    let svc = service(&ev.flow);
    let wording = |verb: &str| match want {
        Direction::Inbound => {
            format!("internet address {client} {verb} internal host {server} ({svc})")
        }
        _ => format!("{client} {verb} internet address {server} ({svc})"),
    };
    if start {
        let ports = add_to_list(existing.and_then(|a| a.evidence.get("ports")), &svc);
        let verb = match want {
            Direction::Inbound => "reached",
            _ => "contacted",
        };
        out.push(
            spec.finding(ev, key, wording(verb))
                .with_direction(dir)
                .evidence("ports", ports),
        );
        return;
    }
    let (Some(end), Some(alert)) = (end, existing) else {
        return;
    };
    let this = Outcome::of(end);
    let best = alert
        .evidence
        .get("outcome")
        .and_then(|s| Outcome::parse(s))
        .map_or(this, |o| o.max(this));
    let sum = |k: &str, add: u64| {
        alert
            .evidence
            .get(k)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            .saturating_add(add)
            .to_string()
    };
    let (bytes_out, bytes_in) = match want {
        Direction::Inbound => (end.to_client.bytes, end.to_server.bytes),
        _ => (end.to_server.bytes, end.to_client.bytes),
    };
    let verb = match want {
        Direction::Inbound => match best {
            Outcome::NoAnswer => "knocked without answer on",
            Outcome::Refused => "was refused by",
            Outcome::AnsweredNoPayload => "got an answer without data from",
            Outcome::Payload => "exchanged data with",
        },
        _ => best.verb(),
    };
    let mut f = spec
        .finding(ev, key, wording(verb))
        .evidence("outcome", best.as_str())
        .evidence("bytes_out", sum("bytes_out", bytes_out))
        .evidence("bytes_in", sum("bytes_in", bytes_in));
    f.evidence_only = true;
    out.push(f);
}
