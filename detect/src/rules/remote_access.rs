//! `remote_access`: an interactive remote-access session (RDP, VNC, SSH, Telnet,
//! TeamViewer, AnyDesk), or SMB reaching across zones or to/from the internet.
//! Severity follows the reach: high when one end is on the internet (and then the
//! network is not closed), medium across zones, low inside one zone. One alert per
//! (client, server, protocol); its count is the number of sessions (flows) identified.

use super::{Ctx, RuleSpec, guideline};
use crate::alert::{Direction, Finding, Severity};
use mizuban_protocols::{AppProtocol, Category, Event, EventKind};

pub const SPEC: RuleSpec = RuleSpec {
    id: "remote_access",
    severity: Severity::Medium,
    guideline: guideline::REMOTE_SERVICES,
    summary: "a remote-access session (RDP, VNC, SSH, Telnet, SMB, remote-support tools) across zones or from outside",
    breach: false,
};

/// Remote-access protocols and remote services (the registry's `remote` category).
fn is_remote(p: AppProtocol) -> bool {
    p.category() == Category::Remote
}

#[derive(Copy, Clone, PartialEq, Eq)]
enum Reach {
    Internet,
    CrossZone,
    Internal,
}

pub fn check(ev: &Event, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut fields: Vec<(&'static str, String)> = Vec::new();
    let protocol = match &ev.kind {
        EventKind::RemoteAccess(r) => {
            for (k, v) in [
                ("user", &r.user),
                ("client_software", &r.client_software),
                ("server_software", &r.server_software),
            ] {
                if let Some(v) = v {
                    fields.push((k, v.clone()));
                }
            }
            fields.push(("detected_by", "parser".to_owned()));
            r.protocol
        }
        EventKind::ProtocolDetected(d) => {
            let by = match d.by {
                mizuban_protocols::event::DetectedBy::Probe => "probe",
                mizuban_protocols::event::DetectedBy::Port => "port",
            };
            fields.push(("detected_by", by.to_owned()));
            d.protocol
        }
        _ => return,
    };
    if !is_remote(protocol) {
        return;
    }
    let (client, server) = (ev.flow.client.ip(), ev.flow.server.ip());
    let dir = ctx.direction(&ev.flow);
    let vlan = ev.flow.vlan.innermost();
    let reach = if dir != Direction::Internal {
        Reach::Internet
    } else {
        let zones = &ctx.policy.zones;
        match (zones.zone_of(client, vlan), zones.zone_of(server, vlan)) {
            (Some(a), Some(b)) if a != b => Reach::CrossZone,
            _ => Reach::Internal,
        }
    };
    if protocol == AppProtocol::Smb && reach == Reach::Internal {
        return;
    }
    let (severity, reach_s) = match reach {
        Reach::Internet => (Severity::High, "internet"),
        Reach::CrossZone => (Severity::Medium, "cross_zone"),
        Reach::Internal => (Severity::Low, "internal"),
    };
    let p = protocol.as_str();
    let user = fields
        .iter()
        .find(|(k, _)| *k == "user")
        .map(|(_, u)| format!(" as user {u:?}"))
        .unwrap_or_default();
    let msg = match reach {
        Reach::Internet => {
            format!("{p} remote access from {client} to {server}{user} over the internet")
        }
        Reach::CrossZone => {
            format!("{p} remote access from {client} to {server}{user} across zones")
        }
        Reach::Internal => format!("{p} remote access from {client} to {server}{user}"),
    };
    let mut f = SPEC
        .finding(ev, format!("{client}|{server}|{p}"), msg)
        .with_direction(dir)
        .breach(reach == Reach::Internet)
        .evidence("protocol", p)
        .evidence("reach", reach_s);
    f.severity = severity;
    for (k, v) in fields {
        f = f.evidence(k, v);
    }
    // The count is sessions: protocol identification fires once per flow; the parser's
    // event for the same flow only adds what it read (user, banners), unless the alert
    // does not exist yet (a parser-only path).
    let parser_event = matches!(ev.kind, EventKind::RemoteAccess(_));
    f.evidence_only = parser_event && ctx.store.get(SPEC.id, &f.key).is_some();
    if f.evidence_only {
        // Keep the first session's wording and how it was detected.
        f.message.clear();
        f.evidence.remove("detected_by");
    }
    out.push(f);
}
