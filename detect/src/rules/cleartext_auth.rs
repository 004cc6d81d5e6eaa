//! `cleartext_auth`: credentials sent in cleartext (Telnet, FTP USER/PASS, HTTP Basic,
//! ...). The user name is reported; the parsers never keep the password, and nothing
//! here could print one. One alert per (client, server, protocol, user), counted per
//! attempt; the outcome that follows updates the evidence.

use super::{Ctx, RuleSpec, guideline};
use crate::alert::{Direction, Finding, Severity};
use mizuban_protocols::auth::AuthOutcome;
use mizuban_protocols::{Event, EventKind};

pub const SPEC: RuleSpec = RuleSpec {
    id: "cleartext_auth",
    severity: Severity::Medium,
    guideline: guideline::CLEARTEXT,
    summary: "a login whose credentials crossed the network in cleartext (Telnet, FTP, HTTP Basic)",
    breach: false,
};

pub fn check(ev: &Event, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let EventKind::Auth(a) = &ev.kind else {
        return;
    };
    if !a.cleartext {
        return;
    }
    let (client, server) = (ev.flow.client.ip(), ev.flow.server.ip());
    let p = a.protocol.as_str();
    let user = a.user.as_deref().unwrap_or("");
    let dir = ctx.direction(&ev.flow);
    let shown = if user.is_empty() {
        String::new()
    } else {
        format!(" for user {user:?}")
    };
    let msg = format!("{client} sent {p} credentials{shown} in cleartext to {server}");
    let outcome = match a.outcome {
        AuthOutcome::Attempt => "attempt",
        AuthOutcome::Success => "success",
        AuthOutcome::Failure => "failure",
    };
    let mut f = SPEC
        .finding(ev, format!("{client}|{server}|{p}|{user}"), msg)
        .with_direction(dir)
        .evidence("protocol", p)
        .evidence("outcome", outcome);
    if !user.is_empty() {
        f = f.evidence("user", user);
    }
    if dir != Direction::Internal {
        // Credentials crossing the internet boundary in the clear.
        f.severity = Severity::High;
    }
    // Parsers report the credentials (attempt) and then the outcome of the same login:
    // count the attempt, let the outcome only refresh the evidence.
    f.evidence_only = a.outcome != AuthOutcome::Attempt;
    out.push(f);
}
