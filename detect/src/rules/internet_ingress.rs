//! `internet_ingress`: a host outside the internal networks opened a flow (any IP
//! protocol) to an internal host. One alert per (internal host, external address), the
//! same start/end handling as `internet_egress`, worded from the outside in.

use super::internet_egress::boundary;
use super::{Ctx, RuleSpec, guideline};
use crate::alert::{Direction, Finding, Severity};
use mizuban_protocols::Event;

pub const SPEC: RuleSpec = RuleSpec {
    id: "internet_ingress",
    severity: Severity::High,
    guideline: guideline::NO_INTERNET,
    summary: "an internet address reaching an internal host",
    breach: true,
};

pub fn check(ev: &Event, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    boundary(&SPEC, Direction::Inbound, ev, ctx, out);
}
