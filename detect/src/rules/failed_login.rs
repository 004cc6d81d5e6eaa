//! `repeated_login_failure`: N failed logins (FTP 530, SMB2 STATUS_LOGON_FAILURE, HTTP
//! 401 after credentials, as the parsers report them) from one client within a window
//! of packet time raise one alert, as the guideline asks that repeated failures be
//! notified. Each further burst of N within a window raises the same alert's count.
//! One alert per client.

use super::{Ctx, RuleSpec, add_to_list, guideline};
use crate::alert::{Finding, Severity};
use mizuban_capture::Timestamp;
use mizuban_protocols::auth::AuthOutcome;
use mizuban_protocols::{AppProtocol, Event, EventKind};
use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::time::Duration;

pub const SPEC: RuleSpec = RuleSpec {
    id: "repeated_login_failure",
    severity: Severity::Medium,
    guideline: guideline::FAILED_LOGINS,
    summary: "repeated failed logins from one client within the window",
    breach: false,
};

/// Most clients with failures tracked at once; beyond it, expired clients are purged
/// and, if none, the new client is not tracked (counted in [`FailedLogins::dropped`]).
pub const MAX_TRACKED_CLIENTS: usize = 4096;

#[derive(Clone, Debug, Default)]
struct Client {
    /// Failure times within the window, oldest first; at most `threshold` entries.
    times: VecDeque<Timestamp>,
    users: Option<String>,
    servers: Option<String>,
    protocols: Option<String>,
}

#[derive(Clone, Debug)]
pub struct FailedLogins {
    threshold: usize,
    window: Duration,
    clients: BTreeMap<IpAddr, Client>,
    dropped: u64,
}

impl FailedLogins {
    pub fn new(threshold: u32, window: Duration) -> FailedLogins {
        FailedLogins {
            threshold: usize::try_from(threshold.max(1)).unwrap_or(usize::MAX),
            window,
            clients: BTreeMap::new(),
            dropped: 0,
        }
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn purge(&mut self, now: Timestamp) {
        let window = self.window;
        self.clients
            .retain(|_, c| c.times.back().is_some_and(|t| now.since(*t) < window));
    }

    pub fn check(&mut self, ev: &Event, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
        let EventKind::Auth(a) = &ev.kind else {
            return;
        };
        if a.outcome != AuthOutcome::Failure {
            return;
        }
        // An HTTP 401 to a request that carried no credentials is the server's challenge
        // (RFC 9110 section 11.6.1), not a failed login.
        if a.protocol == AppProtocol::Http && a.user.is_none() && !a.cleartext {
            return;
        }
        let client = ev.flow.client.ip();
        let now = ev.ts;
        if !self.clients.contains_key(&client) && self.clients.len() >= MAX_TRACKED_CLIENTS {
            self.purge(now);
            if self.clients.len() >= MAX_TRACKED_CLIENTS {
                self.dropped = self.dropped.saturating_add(1);
                return;
            }
        }
        let window = self.window;
        let threshold = self.threshold;
        let c = self.clients.entry(client).or_default();
        while c.times.front().is_some_and(|t| now.since(*t) >= window) {
            c.times.pop_front();
        }
        if c.times.len() >= threshold {
            c.times.pop_front();
        }
        c.times.push_back(now);
        let p = a.protocol.as_str();
        c.protocols = Some(add_to_list(c.protocols.as_ref(), p));
        c.servers = Some(add_to_list(
            c.servers.as_ref(),
            &ev.flow.server.ip().to_string(),
        ));
        if let Some(u) = a.user.as_deref().filter(|u| !u.is_empty()) {
            c.users = Some(add_to_list(c.users.as_ref(), u));
        }
        if c.times.len() < threshold {
            return;
        }
        let first = c.times.front().copied().unwrap_or(now);
        let secs = now.since(first).as_secs();
        let msg = format!(
            "{client}: {threshold} failed logins within {secs} s (window {} s)",
            window.as_secs()
        );
        let mut f = SPEC
            .finding(ev, client.to_string(), msg)
            .evidence("failures", threshold.to_string())
            .evidence("window_secs", window.as_secs().to_string())
            .evidence("protocols", c.protocols.clone().unwrap_or_default())
            .evidence("servers", c.servers.clone().unwrap_or_default());
        if let Some(u) = &c.users {
            f = f.evidence("users", u.clone());
        }
        // The server of the last failure is only one of possibly many: the evidence
        // lists them all, and the alert is about the client.
        f.dst_ip = None;
        f.dst_port = None;
        out.push(f.with_direction(ctx.direction(&ev.flow)));
        // Start counting the next burst afresh.
        c.times.clear();
    }
}
