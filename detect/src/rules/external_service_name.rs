//! `external_service_name`: the name of an internet service an internal host talks to,
//! from the TLS ClientHello SNI (RFC 6066 section 3) or the HTTP Host and User-Agent of
//! a request on an outbound flow. Update services, antivirus signature downloads and
//! cloud endpoints show up here. Also HTTP through an internal proxy: a CONNECT or an
//! absolute-form request (RFC 9112 section 3.2.2/3.2.3) whose target is not internal.
//! One alert per (client, name).

use super::{Ctx, RuleSpec, guideline};
use crate::alert::{Direction, Finding, Severity};
use crate::policy::names::normalize;
use mizuban_protocols::{Event, EventKind};
use std::net::IpAddr;

pub const SPEC: RuleSpec = RuleSpec {
    id: "external_service_name",
    severity: Severity::Medium,
    guideline: guideline::NO_INTERNET_NAMES,
    summary: "a TLS or HTTP session naming an internet host (SNI, Host header)",
    breach: true,
};

/// The host part of "host", "host:port", "[v6]:port" (normalized).
fn host_part(authority: &str) -> String {
    let a = authority.trim();
    let h = if let Some(rest) = a.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else if a.matches(':').count() == 1 {
        a.split(':').next().unwrap_or(a)
    } else {
        a
    };
    normalize(h)
}

/// The proxied target of a request: CONNECT's authority, or an absolute URI's host.
fn proxy_target(method: &str, uri: &str) -> Option<String> {
    if method.eq_ignore_ascii_case("CONNECT") {
        return Some(host_part(uri));
    }
    let lower = uri
        .get(..8)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let rest = if lower.starts_with("http://") {
        uri.get(7..)
    } else if lower.starts_with("https://") {
        uri.get(8..)
    } else {
        None
    }?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    Some(host_part(authority))
}

fn is_external_target(ctx: &Ctx<'_>, host: &str) -> bool {
    match host.parse::<IpAddr>() {
        Ok(ip) => !ctx.internal(ip),
        Err(_) => !host.is_empty() && !ctx.policy.is_internal_name(host),
    }
}

pub fn check(ev: &Event, ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let client = ev.flow.client.ip();
    let server = ev.flow.server.ip();
    let dir = ctx.direction(&ev.flow);
    match &ev.kind {
        EventKind::TlsClientHello(h) => {
            let Some(sni) = h.sni.as_deref() else {
                return;
            };
            if dir != Direction::Outbound {
                return;
            }
            let sni = normalize(sni);
            let mut f = SPEC
                .finding(
                    ev,
                    format!("{client}|{sni}"),
                    format!("{client} opened TLS to internet service {sni} ({server})"),
                )
                .with_direction(dir)
                .evidence("sni", sni);
            if !h.alpn.is_empty() {
                f = f.evidence("alpn", h.alpn.join(","));
            }
            out.push(f);
        }
        EventKind::HttpRequest(r) => {
            let proxied = if dir == Direction::Internal {
                proxy_target(&r.method, &r.uri).filter(|t| is_external_target(ctx, t))
            } else {
                None
            };
            if dir != Direction::Outbound && proxied.is_none() {
                return;
            }
            let host = proxied
                .clone()
                .or_else(|| r.host.as_deref().map(host_part))
                .unwrap_or_else(|| server.to_string());
            let msg = match &proxied {
                Some(t) => format!("{client} asked proxy {server} for internet service {t}"),
                None => format!("{client} sent HTTP to internet service {host} ({server})"),
            };
            let mut f = SPEC
                .finding(ev, format!("{client}|{host}"), msg)
                .with_direction(dir)
                .evidence("http_host", host)
                .evidence("method", r.method.clone())
                .evidence("uri", r.uri.clone());
            if let Some(ua) = &r.user_agent {
                f = f.evidence("user_agent", ua.clone());
            }
            if proxied.is_some() {
                f = f.evidence("proxy", server.to_string());
            }
            out.push(f);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_proxy_targets() {
        assert_eq!(host_part("Example.COM:8080"), "example.com");
        assert_eq!(host_part("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(
            proxy_target("CONNECT", "update.example.com:443").as_deref(),
            Some("update.example.com")
        );
        assert_eq!(
            proxy_target("GET", "http://user@av.example.net/sig.dat").as_deref(),
            Some("av.example.net")
        );
        assert_eq!(proxy_target("GET", "/index.html"), None);
    }
}
