//! The report as one self-contained HTML file: inline CSS and SVG, no script, no
//! font or image fetched, printable (A4, page breaks, a header and footer naming the
//! sensor and the period on every page).
//!
//! Every string that came off the wire (names, user names, evidence values, even
//! addresses) is escaped by [`esc`] or [`Html::text`]; nothing is written raw except
//! our own markup and the localized strings of `i18n`, which hold no markup either
//! (they are escaped too).

use super::i18n::{Lang, Tr};
use super::map;
use super::model::{Report, Section, internal_end};
use mizuban_capture::Timestamp;
use mizuban_detect::evidence::{AlertRecord, ControlRecord, FrameRef};
use mizuban_detect::verdict::Verdict;
use std::fmt::Write as _;
use std::net::IpAddr;

/// Alerts listed in full per section; the rest are counted (the JSON lines hold all).
pub const MAX_ROWS: usize = 500;
/// Alerts in the summary's fix-first list.
pub const FIX_FIRST: usize = 10;

const CSS: &str = include_str!("report.css");

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            // Control characters from the wire would only garble the page.
            c if c.is_control() && c != '\n' && c != '\t' => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

/// Escapes text for a CSS string literal inside a `<style>` element: quotes and
/// backslashes escaped, `<` written as `\3c ` so no `</style>` can close the element.
fn css_string(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                o.push('\\');
                o.push(c);
            }
            '<' => o.push_str("\\3c "),
            '>' => o.push_str("\\3e "),
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// "2026-04-01 06:00:00 UTC".
pub fn fmt_ts(ns: i64) -> String {
    let s = Timestamp::from_nanos(ns).to_rfc3339();
    match (s.get(0..10), s.get(11..19)) {
        (Some(d), Some(t)) => format!("{d} {t} UTC"),
        _ => s,
    }
}

/// 12,345,678.
pub fn fmt_n(n: u64) -> String {
    let d = n.to_string();
    let mut o = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i).is_multiple_of(3) {
            o.push(',');
        }
        o.push(c);
    }
    o
}

fn fmt_pct(r: f64) -> String {
    format!("{:.2} %", r * 100.0)
}

/// Fills `{name}` placeholders in one pass, so a value that itself contains `{x}`
/// (a host name from the wire) is never substituted again.
pub fn fill(template: &str, args: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let (before, after) = rest.split_at(open);
        out.push_str(before);
        match after.find('}') {
            Some(close) => {
                let name = after.get(1..close).unwrap_or("");
                match args.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => out.push_str(after.get(..=close).unwrap_or("")),
                }
                rest = after.get(close + 1..).unwrap_or("");
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

struct Html<'a> {
    out: String,
    tr: &'a Tr,
    r: &'a Report,
}

impl Html<'_> {
    fn t(&self, key: &str) -> String {
        esc(self.tr.get(key))
    }

    /// A localized template with `{name}` placeholders filled (values escaped).
    fn tf(&self, key: &str, args: &[(&str, String)]) -> String {
        esc(&fill(self.tr.get(key), args))
    }

    fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn host(&self, ip: Option<IpAddr>, name: Option<&str>) -> String {
        let Some(ip) = ip else {
            return "–".to_owned();
        };
        let name = name.or_else(|| self.r.name_of(ip));
        match name {
            Some(n) if n != ip.to_string() => {
                format!("<b>{}</b><br><span class=ip>{}</span>", esc(n), ip)
            }
            _ => format!("<span class=ip>{ip}</span>"),
        }
    }

    fn frame(&self, f: &FrameRef) -> String {
        if f.frame == 0 {
            return String::new();
        }
        format!(
            "<span class=frame>{} #{}</span>",
            esc(&f.file),
            fmt_n(f.frame)
        )
    }

    fn severity(&self, s: &str) -> String {
        format!(
            "<span class=\"sev sev-{0}\">{1}</span>",
            esc(s),
            self.t(&format!("severity.{s}"))
        )
    }

    fn rule_title(&self, rule: &str) -> String {
        let key = format!("rule.{rule}");
        if self.tr.has(&key) {
            self.t(&key)
        } else {
            esc(rule)
        }
    }
}

/// Renders the report in `lang`.
pub fn render(r: &Report, lang: Lang) -> String {
    render_checked(r, lang).0
}

/// Renders the report and lists the string keys it asked for that the table lacks
/// (tests fail on any).
pub fn render_checked(r: &Report, lang: Lang) -> (String, Vec<String>) {
    let tr = Tr::new(lang);
    let mut h = Html {
        out: String::with_capacity(64 * 1024),
        tr: &tr,
        r,
    };
    head(&mut h, lang);
    cover(&mut h);
    toc(&mut h);
    summary(&mut h);
    internet(&mut h);
    networks(&mut h);
    remote(&mut h);
    recon(&mut h);
    auth(&mut h);
    assets(&mut h);
    control(&mut h);
    changes(&mut h);
    map_section(&mut h);
    health(&mut h);
    other(&mut h);
    h.push("</main></body></html>\n");
    (h.out, tr.missing())
}

fn period_text(h: &Html) -> String {
    match h.r.period {
        Some((a, b)) => format!("{} – {}", fmt_ts(a), fmt_ts(b)),
        None => h.tr.get("period.none").to_owned(),
    }
}

fn head(h: &mut Html, lang: Lang) {
    let title = h.t("report.title");
    let running = format!(
        "{} · {} · {}",
        h.tr.get("report.title"),
        h.r.sensor,
        period_text(h)
    );
    let _ = write!(
        h.out,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"generator\" content=\"mizuban {}\">\
         <title>{title}</title><style>{CSS}\n\
         @page {{ @top-left {{ content: {}; }} \
         @bottom-right {{ content: {} counter(page) \" / \" counter(pages); }} }}\n\
         </style></head><body><main>",
        lang.code(),
        esc(h.r.version),
        css_string(&running),
        css_string(h.tr.get("report.page")),
    );
}

fn cover(h: &mut Html) {
    let r = h.r;
    h.push("<header class=cover>");
    let _ = write!(
        h.out,
        "<p class=brand>mizuban 水番</p><h1>{}</h1><p class=subtitle>{}</p>",
        h.t("report.title"),
        h.t("report.subtitle")
    );
    h.push("<table class=meta>");
    let origin = match &r.origin {
        super::model::Origin::Replay(files) => {
            h.tf("origin.replay", &[("files", files.join(", "))])
        }
        super::model::Origin::State(p) => h.tf("origin.state", &[("path", p.clone())]),
    };
    let rows = [
        (h.t("meta.sensor"), esc(&r.sensor)),
        (h.t("meta.period"), esc(&period_text(h))),
        (h.t("meta.source"), origin),
        (h.t("meta.generator"), format!("mizuban {}", esc(r.version))),
    ];
    for (k, v) in rows {
        let _ = write!(h.out, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    h.push("</table>");
    let _ = write!(h.out, "<p class=note>{}</p>", h.t("report.about"));
    h.push("</header>");
}

fn toc(h: &mut Html) {
    let _ = write!(h.out, "<nav class=toc><h2>{}</h2><table>", h.t("toc.title"));
    let _ = write!(
        h.out,
        "<tr><th>{}</th><th>{}</th><th class=narrow>{}</th></tr>",
        h.t("toc.section"),
        h.t("toc.guideline"),
        h.t("toc.findings")
    );
    for (i, s) in visible_sections(h.r).into_iter().enumerate() {
        let n = match s {
            Section::Summary | Section::Map | Section::Health => String::new(),
            _ => fmt_n(h.r.alerts_in(s).count() as u64),
        };
        let _ = write!(
            h.out,
            "<tr><td><a href=\"#{k}\">{n1}. {t}</a></td><td>{g}</td><td class=num>{n}</td></tr>",
            k = s.key(),
            n1 = i + 1,
            t = h.t(&format!("section.{}.title", s.key())),
            g = h.t(&format!("section.{}.guideline", s.key())),
        );
    }
    h.push("</table></nav>");
}

fn visible_sections(r: &Report) -> Vec<Section> {
    Section::ALL
        .into_iter()
        .filter(|s| *s != Section::Other || r.alerts_in(Section::Other).next().is_some())
        .collect()
}

fn section_start(h: &mut Html, s: Section) {
    let n = visible_sections(h.r)
        .iter()
        .position(|x| *x == s)
        .map_or(0, |i| i + 1);
    let k = s.key();
    let _ = write!(
        h.out,
        "<section class=sec id=\"{k}\"><h2>{n}. {}</h2>\
         <p class=gl><span>{}</span> {}</p><p class=intro>{}</p>",
        h.t(&format!("section.{k}.title")),
        h.t("label.guideline"),
        h.t(&format!("section.{k}.guideline")),
        h.t(&format!("section.{k}.intro")),
    );
}

fn verdict_key(v: Verdict) -> &'static str {
    match v {
        Verdict::Closed => "verdict.closed",
        Verdict::NotClosed => "verdict.not_closed",
        Verdict::Undetermined => "verdict.undetermined",
    }
}

fn summary(h: &mut Html) {
    let r = h.r;
    section_start(h, Section::Summary);
    let class = r.verdict.as_str();
    let _ = write!(
        h.out,
        "<div class=\"verdict v-{class}\"><div class=vlabel>{}</div><div class=vvalue>{}</div><p>{}</p></div>",
        h.t("verdict.label"),
        h.t(verdict_key(r.verdict)),
        h.t(&format!("{}.explain", verdict_key(r.verdict))),
    );
    // The facts the verdict rests on, each with its number.
    h.push("<table class=facts>");
    let hl = &r.health;
    let dur = r.period.map_or(0, |(a, b)| {
        Timestamp::from_nanos(b)
            .since(Timestamp::from_nanos(a))
            .as_secs()
    });
    let one_sided = match hl.one_sided_share() {
        Some(s) => h.tf(
            "fact.one_sided_value",
            &[
                ("share", fmt_pct(s)),
                ("n", fmt_n(hl.one_sided_flows.unwrap_or(0))),
                ("flows", fmt_n(hl.tcp_sessions.unwrap_or(0))),
            ],
        ),
        None => h.t("fact.one_sided_unknown"),
    };
    let breaches: Vec<&AlertRecord> = r
        .alerts
        .iter()
        .filter(|a| a.closed_network_breach)
        .collect();
    let breach_hosts: std::collections::BTreeSet<Option<IpAddr>> =
        breaches.iter().map(|a| internal_end(a)).collect();
    let rows = [
        (
            h.t("fact.period"),
            format!(
                "{} {}",
                esc(&period_text(h)),
                h.tf("fact.duration", &[("d", fmt_duration(dur))])
            ),
        ),
        (h.t("fact.packets"), fmt_n(hl.packets)),
        (
            h.t("fact.loss"),
            h.tf(
                "fact.loss_value",
                &[
                    ("pct", fmt_pct(hl.loss())),
                    ("missed", fmt_n(hl.missed_bytes)),
                    ("acked", fmt_n(hl.acked_bytes)),
                    ("max", fmt_pct(r.max_capture_loss)),
                ],
            ),
        ),
        (h.t("fact.one_sided"), one_sided),
        (
            h.t("fact.breaches"),
            h.tf(
                "fact.breaches_value",
                &[
                    ("n", fmt_n(breaches.len() as u64)),
                    ("hosts", fmt_n(breach_hosts.len() as u64)),
                ],
            ),
        ),
        (h.t("fact.alerts"), severity_counts(h)),
    ];
    for (k, v) in rows {
        let _ = write!(h.out, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    h.push("</table>");
    if r.verdict == Verdict::Undetermined {
        h.push("<ul class=reasons>");
        if hl.packets < r.min_packets || hl.packets == 0 {
            let li = h.tf(
                "reason.few_packets",
                &[("n", fmt_n(hl.packets)), ("min", fmt_n(r.min_packets))],
            );
            let _ = write!(h.out, "<li>{li}</li>");
        }
        if let Some(share) = hl.one_sided_share().filter(|s| *s > 0.0) {
            let li = h.tf("reason.one_sided", &[("share", fmt_pct(share))]);
            let _ = write!(h.out, "<li>{li}</li>");
        }
        if hl.loss() > r.max_capture_loss {
            let li = h.tf(
                "reason.loss",
                &[
                    ("pct", fmt_pct(hl.loss())),
                    ("max", fmt_pct(r.max_capture_loss)),
                ],
            );
            let _ = write!(h.out, "<li>{li}</li>");
        }
        h.push("</ul>");
    }
    let _ = write!(h.out, "<h3>{}</h3>", h.t("summary.fix_first"));
    let first = r.fix_first(FIX_FIRST);
    if first.is_empty() {
        let _ = write!(h.out, "<p class=none>{}</p>", h.t("summary.nothing"));
    } else {
        let _ = write!(
            h.out,
            "<table class=list><thead><tr><th class=narrow>{}</th><th>{}</th><th>{}</th><th class=narrow>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            h.t("col.severity"),
            h.t("col.finding"),
            h.t("col.host"),
            h.t("col.alerts"),
            h.t("col.section"),
            h.t("col.alert_id")
        );
        for (a, n) in first {
            let s = Section::of_alert(a);
            let host = internal_end(a);
            let name = if host == a.src_ip {
                a.src_name.as_deref()
            } else {
                a.dst_name.as_deref()
            };
            let _ = write!(
                h.out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=num>{}</td><td><a href=\"#{}\">{}</a></td><td class=id>{}</td></tr>",
                h.severity(&a.severity),
                finding_text(h, a),
                h.host(host, name),
                fmt_n(n as u64),
                s.key(),
                h.t(&format!("section.{}.title", s.key())),
                esc(&a.id)
            );
        }
        h.push("</tbody></table>");
    }
    h.push("</section>");
}

fn fmt_duration(secs: u64) -> String {
    let (d, hms) = (secs / 86_400, secs % 86_400);
    let (hh, mm, ss) = (hms / 3600, (hms % 3600) / 60, hms % 60);
    if d > 0 {
        format!("{d}d {hh:02}:{mm:02}:{ss:02}")
    } else {
        format!("{hh:02}:{mm:02}:{ss:02}")
    }
}

fn severity_counts(h: &Html) -> String {
    let mut parts = Vec::new();
    for s in ["critical", "high", "medium", "low", "info"] {
        let n = h.r.alerts.iter().filter(|a| a.severity == s).count();
        if n > 0 {
            parts.push(format!("{} {}", h.severity(s), fmt_n(n as u64)));
        }
    }
    if parts.is_empty() {
        h.t("summary.no_alerts")
    } else {
        parts.join(" ")
    }
}

/// The finding in words of the report's language: the rule's title, then the facts
/// (ends, port), then the alert's own English message in the English report.
fn finding_text(h: &Html, a: &AlertRecord) -> String {
    let mut s = format!("<b>{}</b>", h.rule_title(&a.rule));
    if h.tr.lang() == Lang::En && !a.message.is_empty() {
        let _ = write!(s, "<br>{}", esc(&a.message));
    }
    s
}

fn endpoint(h: &Html, ip: Option<IpAddr>, name: Option<&str>, port: Option<u16>) -> String {
    let mut s = h.host(ip, name);
    if let Some(p) = port.filter(|p| *p > 0) {
        let _ = write!(s, " <span class=port>:{p}</span>");
    }
    s
}

/// Evidence cell: alert id, frames, and the evidence entries.
fn evidence_cell(h: &Html, a: &AlertRecord) -> String {
    let mut s = format!("<span class=id>{}</span>", esc(&a.id));
    if let Some(f) = &a.first_frame {
        let _ = write!(s, "<br>{} {}", h.t("label.first_frame"), h.frame(f));
    }
    if let Some(f) = a
        .last_frame
        .as_ref()
        .filter(|l| Some(*l) != a.first_frame.as_ref())
    {
        let _ = write!(s, "<br>{} {}", h.t("label.last_frame"), h.frame(f));
    }
    if !a.evidence.is_empty() {
        s.push_str("<ul class=evl>");
        for (k, v) in &a.evidence {
            let key = format!("evidence.{k}");
            let label = if h.tr.has(&key) { h.t(&key) } else { esc(k) };
            let _ = write!(s, "<li><span class=k>{label}</span> {}</li>", esc(v));
        }
        s.push_str("</ul>");
    }
    s
}

/// The table of a section's alerts (or a sentence saying there are none).
fn alert_table<'a>(h: &mut Html, alerts: impl Iterator<Item = &'a AlertRecord>, none_key: &str) {
    let alerts: Vec<&AlertRecord> = alerts.collect();
    if alerts.is_empty() {
        let _ = write!(h.out, "<p class=none>{}</p>", h.t(none_key));
        return;
    }
    let _ = write!(
        h.out,
        "<table class=\"list alerts\"><thead><tr><th class=narrow>{}</th><th>{}</th><th>{}</th><th>{}</th><th class=narrow>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        h.t("col.severity"),
        h.t("col.finding"),
        h.t("col.from"),
        h.t("col.to"),
        h.t("col.count"),
        h.t("col.seen"),
        h.t("col.evidence"),
    );
    for a in alerts.iter().take(MAX_ROWS) {
        let transport = a
            .transport
            .as_deref()
            .map(|t| format!("<br><span class=port>{}</span>", esc(t)))
            .unwrap_or_default();
        let _ = write!(
            h.out,
            "<tr class=\"row-{}\"><td>{}</td><td>{}{transport}</td><td>{}</td><td>{}</td><td class=num>{}</td><td class=when>{}<br>{}</td><td class=ev>{}</td></tr>",
            esc(&a.severity),
            h.severity(&a.severity),
            finding_text(h, a),
            endpoint(h, a.src_ip, a.src_name.as_deref(), a.src_port),
            endpoint(h, a.dst_ip, a.dst_name.as_deref(), a.dst_port),
            fmt_n(a.count),
            fmt_ts(a.first_ns),
            fmt_ts(a.last_ns),
            evidence_cell(h, a),
        );
    }
    h.push("</tbody></table>");
    if alerts.len() > MAX_ROWS {
        let more = h.tf(
            "table.more",
            &[("n", fmt_n((alerts.len() - MAX_ROWS) as u64))],
        );
        let _ = write!(h.out, "<p class=more>{more}</p>");
    }
}

fn internet(h: &mut Html) {
    let r = h.r;
    section_start(h, Section::Internet);
    let vpn: Vec<&AlertRecord> = r
        .alerts_in(Section::Internet)
        .filter(|a| a.guideline == mizuban_detect::rules::guideline::NO_INTERNET_VPN)
        .collect();
    if !vpn.is_empty() {
        let _ = write!(
            h.out,
            "<div class=callout>{}</div>",
            h.tf("internet.vpn_callout", &[("n", fmt_n(vpn.len() as u64))])
        );
    }
    let alerts: Vec<&AlertRecord> = r.alerts_in(Section::Internet).collect();
    alert_table(h, alerts.into_iter(), "internet.none");
    let _ = write!(h.out, "<h3>{}</h3>", h.t("internet.names"));
    if r.internet_names.is_empty() {
        let _ = write!(h.out, "<p class=none>{}</p>", h.t("internet.no_names"));
    } else {
        let _ = write!(
            h.out,
            "<table class=list><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            h.t("col.host"),
            h.t("col.name"),
            h.t("col.how"),
            h.t("col.count"),
            h.t("col.seen"),
            h.t("col.evidence")
        );
        for n in r.internet_names.iter().take(MAX_ROWS) {
            let hows: Vec<String> = n.hows.iter().map(|k| h.t(&format!("how.{k}"))).collect();
            let ev: Vec<String> = n
                .alerts
                .iter()
                .map(|a| {
                    let f = a
                        .first_frame
                        .as_ref()
                        .map(|f| h.frame(f))
                        .unwrap_or_default();
                    format!("<span class=id>{}</span> {f}", esc(&a.id))
                })
                .collect();
            let _ = write!(
                h.out,
                "<tr><td>{}</td><td class=name>{}</td><td>{}</td><td class=num>{}</td><td class=when>{}<br>{}</td><td class=ev>{}</td></tr>",
                h.host(n.host, n.host_name.as_deref()),
                esc(&n.name),
                hows.join("<br>"),
                fmt_n(n.count()),
                fmt_ts(n.first_ns()),
                fmt_ts(n.last_ns()),
                ev.join("<br>"),
            );
        }
        h.push("</tbody></table>");
    }
    h.push("</section>");
}

fn networks(h: &mut Html) {
    let r = h.r;
    section_start(h, Section::Networks);
    // A zone with internet contact joined to another zone: that one is not closed
    // either (guideline chapter 2: one point anywhere in the connected network).
    let mut touching: std::collections::BTreeSet<String> = Default::default();
    for a in r.alerts.iter().filter(|a| a.closed_network_breach) {
        let z = if a.direction.as_deref() == Some("inbound") {
            &a.dst_zone
        } else {
            &a.src_zone
        };
        if let Some(z) = z {
            touching.insert(z.clone());
        }
    }
    let mut joined: std::collections::BTreeSet<(String, String)> = Default::default();
    for l in r
        .links
        .iter()
        .filter(|l| l.client_internal && l.server_internal)
    {
        if let (Some(a), Some(b)) = (&l.client_zone, &l.server_zone)
            && a != b
        {
            for (x, y) in [(a, b), (b, a)] {
                if touching.contains(x) && !touching.contains(y) {
                    joined.insert((x.clone(), y.clone()));
                }
            }
        }
    }
    for (x, y) in &joined {
        let _ = write!(
            h.out,
            "<div class=callout>{}</div>",
            h.tf("networks.joined", &[("a", x.clone()), ("b", y.clone())])
        );
    }
    let alerts: Vec<&AlertRecord> = r.alerts_in(Section::Networks).collect();
    alert_table(h, alerts.into_iter(), "networks.none");
    // Traffic between zones, from the communication table.
    let mut pairs: std::collections::BTreeMap<(String, String), (u64, u64, String)> =
        Default::default();
    for l in &r.links {
        if let (Some(a), Some(b)) = (&l.client_zone, &l.server_zone)
            && a != b
        {
            let e = pairs
                .entry((a.clone(), b.clone()))
                .or_insert((0, 0, String::new()));
            e.0 = e.0.saturating_add(1);
            e.1 = e.1.saturating_add(l.flows);
            if e.2.is_empty() {
                e.2 = l.protocol.clone();
            }
        }
    }
    let _ = write!(h.out, "<h3>{}</h3>", h.t("networks.pairs"));
    if pairs.is_empty() {
        let _ = write!(h.out, "<p class=none>{}</p>", h.t("networks.no_pairs"));
    } else {
        let _ = write!(
            h.out,
            "<table class=list><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            h.t("col.from_zone"),
            h.t("col.to_zone"),
            h.t("col.links"),
            h.t("col.flows")
        );
        for ((a, b), (n, f, _)) in &pairs {
            let _ = write!(
                h.out,
                "<tr><td>{}</td><td>{}</td><td class=num>{}</td><td class=num>{}</td></tr>",
                esc(a),
                esc(b),
                fmt_n(*n),
                fmt_n(*f)
            );
        }
        h.push("</tbody></table>");
    }
    h.push("</section>");
}

fn remote(h: &mut Html) {
    section_start(h, Section::Remote);
    let alerts: Vec<&AlertRecord> = h.r.alerts_in(Section::Remote).collect();
    alert_table(h, alerts.into_iter(), "remote.none");
    h.push("</section>");
}

fn recon(h: &mut Html) {
    section_start(h, Section::Recon);
    let alerts: Vec<&AlertRecord> = h.r.alerts_in(Section::Recon).collect();
    alert_table(h, alerts.into_iter(), "recon.none");
    h.push("</section>");
}

fn auth(h: &mut Html) {
    let r = h.r;
    section_start(h, Section::Auth);
    let alerts: Vec<&AlertRecord> = r.alerts_in(Section::Auth).collect();
    alert_table(h, alerts.into_iter(), "auth.none");
    let _ = write!(h.out, "<h3>{}</h3>", h.t("auth.unauthenticated"));
    let rows: Vec<&ControlRecord> = r.unauthenticated_controls().collect();
    if rows.is_empty() {
        let _ = write!(
            h.out,
            "<p class=none>{}</p>",
            h.t("auth.no_unauthenticated")
        );
    } else {
        let _ = write!(h.out, "<p>{}</p>", h.t("auth.unauthenticated_intro"));
        control_table(h, rows.into_iter());
    }
    h.push("</section>");
}

fn assets(h: &mut Html) {
    let r = h.r;
    section_start(h, Section::Assets);
    let eos: Vec<_> = r.assets.iter().filter(|a| a.unsupported_os).collect();
    if !eos.is_empty() {
        let _ = write!(
            h.out,
            "<div class=callout>{}</div>",
            h.tf("assets.eos_callout", &[("n", fmt_n(eos.len() as u64))])
        );
    }
    let alerts: Vec<&AlertRecord> = r.alerts_in(Section::Assets).collect();
    alert_table(h, alerts.into_iter(), "assets.no_findings");
    let _ = write!(
        h.out,
        "<h3>{}</h3><p>{}</p>",
        h.t("assets.inventory"),
        h.tf("assets.count", &[("n", fmt_n(r.assets.len() as u64))])
    );
    if r.assets.is_empty() {
        h.push("</section>");
        return;
    }
    let _ = write!(
        h.out,
        "<table class=\"list inv\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        h.t("col.address"),
        h.t("col.mac"),
        h.t("col.names"),
        h.t("col.roles"),
        h.t("col.protocols"),
        h.t("col.identity"),
        h.t("col.os"),
        h.t("col.seen"),
    );
    for a in &r.assets {
        let macs: Vec<String> = a
            .macs
            .iter()
            .zip(&a.vendors)
            .map(|(m, v)| {
                if v.is_empty() {
                    format!("<span class=ip>{}</span>", esc(m))
                } else {
                    format!("<span class=ip>{}</span><br>{}", esc(m), esc(v))
                }
            })
            .collect();
        let names: Vec<String> = a
            .name_sources
            .iter()
            .map(|n| format!("{} <span class=src>{}</span>", esc(&n.name), esc(n.source)))
            .collect();
        let mut protos: Vec<String> = a.services_offered.iter().map(|s| esc(s)).collect();
        protos.extend(
            a.services_used
                .iter()
                .take(6)
                .map(|s| format!("→ {}", esc(s))),
        );
        if a.services_used.len() > 6 {
            protos.push(format!("→ +{}", a.services_used.len() - 6));
        }
        let identity = a
            .modbus_identity
            .as_ref()
            .map(|m| {
                [
                    &m.vendor_name,
                    &m.product_code,
                    &m.product_name,
                    &m.model_name,
                    &m.revision,
                ]
                .into_iter()
                .flatten()
                .map(|s| esc(s))
                .collect::<Vec<_>>()
                .join(" · ")
            })
            .unwrap_or_default();
        let os = match &a.os {
            Some(o) if a.unsupported_os => format!(
                "<span class=eos>{}</span><br><b class=eos>{}</b>",
                esc(o),
                h.t("assets.eos")
            ),
            Some(o) => esc(o),
            None => String::new(),
        };
        let _ = write!(
            h.out,
            "<tr{}><td class=ip>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{identity}</td><td>{os}</td><td class=when>{}<br>{}</td></tr>",
            if a.unsupported_os {
                " class=row-high"
            } else {
                ""
            },
            a.ip,
            macs.join("<br>"),
            names.join("<br>"),
            a.roles
                .iter()
                .map(|s| esc(s))
                .collect::<Vec<_>>()
                .join("<br>"),
            protos.join("<br>"),
            esc(a.first_seen.get(0..19).unwrap_or(&a.first_seen)).replace('T', " "),
            esc(a.last_seen.get(0..19).unwrap_or(&a.last_seen)).replace('T', " "),
        );
    }
    h.push("</tbody></table></section>");
}

fn control_table<'a>(h: &mut Html, rows: impl Iterator<Item = &'a ControlRecord>) {
    let _ = write!(
        h.out,
        "<table class=list><thead><tr><th>{}</th><th>{}</th><th>{}</th><th class=narrow>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        h.t("col.client"),
        h.t("col.server"),
        h.t("col.action"),
        h.t("col.authorized"),
        h.t("col.count"),
        h.t("col.functions"),
        h.t("col.seen"),
        h.t("col.evidence"),
    );
    for c in rows.take(MAX_ROWS) {
        let auth = if c.authorized {
            format!("<span class=ok>{}</span>", h.t("label.yes"))
        } else {
            format!("<span class=bad>{}</span>", h.t("label.no"))
        };
        let outcome = h.tf(
            "control.outcome",
            &[
                ("ok", fmt_n(c.ok)),
                ("refused", fmt_n(c.refused)),
                ("unanswered", fmt_n(c.unanswered)),
            ],
        );
        let action_key = format!("action.{}", c.action);
        let action = if h.tr.has(&action_key) {
            h.t(&action_key)
        } else {
            esc(&c.action)
        };
        let mut funcs: Vec<String> = c.functions.iter().map(|f| esc(f)).collect();
        funcs.extend(
            c.targets
                .iter()
                .map(|t| format!("<span class=src>{}</span>", esc(t))),
        );
        let last = if c.last != c.first {
            format!("<br>{} {}", h.t("label.last_frame"), h.frame(&c.last))
        } else {
            String::new()
        };
        let _ = write!(
            h.out,
            "<tr{}><td>{}</td><td>{}</td><td>{} <span class=src>{}</span></td><td class=yn>{auth}</td><td class=num>{}<br><span class=\"src wrap\">{outcome}</span></td><td>{}</td><td class=when>{}<br>{}</td><td class=ev>{} {}{last}</td></tr>",
            if c.authorized { "" } else { " class=row-high" },
            h.host(Some(c.client), None),
            h.host(Some(c.server), None),
            action,
            esc(&c.protocol),
            fmt_n(c.count),
            funcs.join("<br>"),
            fmt_ts(c.first_ns),
            fmt_ts(c.last_ns),
            h.t("label.first_frame"),
            h.frame(&c.first),
        );
    }
    h.push("</tbody></table>");
}

fn control(h: &mut Html) {
    let r = h.r;
    section_start(h, Section::Control);
    if r.controls.is_empty() {
        let _ = write!(h.out, "<p class=none>{}</p>", h.t("control.none"));
    } else {
        let unauthorized = r.controls.iter().filter(|c| !c.authorized).count();
        let _ = write!(
            h.out,
            "<p>{}</p>",
            h.tf(
                "control.count",
                &[
                    ("n", fmt_n(r.controls.iter().map(|c| c.count).sum())),
                    ("rows", fmt_n(r.controls.len() as u64)),
                    ("bad", fmt_n(unauthorized as u64)),
                ]
            )
        );
        control_table(h, r.controls.iter());
    }
    let _ = write!(h.out, "<h3>{}</h3>", h.t("control.alerts"));
    let alerts: Vec<&AlertRecord> = r.alerts_in(Section::Control).collect();
    alert_table(h, alerts.into_iter(), "control.no_alerts");
    h.push("</section>");
}

fn changes(h: &mut Html) {
    let r = h.r;
    section_start(h, Section::Changes);
    match &r.baseline {
        Some(b) => {
            let mode = format!("{:?}", b.mode).to_lowercase();
            let since = b.learn_started_ns.map(fmt_ts).unwrap_or_default();
            let until = b.learn_until_ns.map(fmt_ts).unwrap_or_default();
            let _ = write!(
                h.out,
                "<p>{}</p>",
                h.tf(
                    "changes.baseline",
                    &[
                        ("mode", h.tr.get(&format!("mode.{mode}")).to_owned()),
                        ("since", since),
                        ("until", until),
                        ("hosts", fmt_n(b.model.hosts.len() as u64)),
                        ("pending", fmt_n(b.pending.len() as u64)),
                    ]
                )
            );
        }
        None => {
            let _ = write!(
                h.out,
                "<div class=callout>{}</div>",
                h.t("changes.no_baseline")
            );
        }
    }
    let alerts: Vec<&AlertRecord> = r.alerts_in(Section::Changes).collect();
    alert_table(h, alerts.into_iter(), "changes.none");
    h.push("</section>");
}

fn map_section(h: &mut Html) {
    section_start(h, Section::Map);
    let m = map::build(h.r);
    let svg = map::svg(&m, h.tr);
    h.push("<figure class=map>");
    h.push(&svg);
    h.push("</figure>");
    h.push("</section>");
}

fn health(h: &mut Html) {
    let r = h.r;
    section_start(h, Section::Health);
    let hl = &r.health;
    let _ = write!(
        h.out,
        "<h3>{}</h3><table class=list><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        h.t("health.runs"),
        h.t("col.inputs"),
        h.t("col.period"),
        h.t("col.packets"),
        h.t("col.loss"),
        h.t("col.one_sided"),
        h.t("col.verdict"),
    );
    for run in &hl.runs {
        let loss = if run.acked_bytes == 0 {
            0.0
        } else {
            run.missed_bytes as f64 / run.acked_bytes as f64
        };
        let one = run
            .one_sided_flows
            .map(fmt_n)
            .unwrap_or_else(|| "–".to_owned());
        let v = match run.verdict.as_str() {
            "closed" => h.t("verdict.closed"),
            "not_closed" => h.t("verdict.not_closed"),
            "undetermined" => h.t("verdict.undetermined"),
            other => esc(other),
        };
        let period = if run.packets > 0 {
            format!("{}<br>{}", fmt_ts(run.start_ns), fmt_ts(run.end_ns))
        } else {
            h.t("period.none")
        };
        let _ = write!(
            h.out,
            "<tr><td>{}</td><td class=when>{period}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{one}</td><td>{v}</td></tr>",
            esc(&run.inputs.join(", ")),
            fmt_n(run.packets),
            fmt_pct(loss),
        );
    }
    h.push("</tbody></table>");
    if hl.evidence_drops.runs > 0 {
        let _ = write!(
            h.out,
            "<p class=more>{}</p>",
            h.tf(
                "health.runs_dropped",
                &[("n", fmt_n(hl.evidence_drops.runs))]
            )
        );
    }
    let _ = write!(h.out, "<h3>{}</h3>", h.t("health.drops"));
    let drops: Vec<(&String, &u64)> = hl.drops.iter().filter(|(_, n)| **n > 0).collect();
    if drops.is_empty() {
        let _ = write!(h.out, "<p class=none>{}</p>", h.t("health.no_drops"));
    } else {
        let _ = write!(
            h.out,
            "<table class=list><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>",
            h.t("col.reason"),
            h.t("col.count")
        );
        for (k, n) in drops {
            let _ = write!(
                h.out,
                "<tr><td><code>{}</code></td><td class=num>{}</td></tr>",
                esc(k),
                fmt_n(*n)
            );
        }
        h.push("</tbody></table>");
    }
    let _ = write!(
        h.out,
        "<h3>{}</h3><table class=facts>",
        h.t("health.tables")
    );
    let e = &hl.evidence_drops;
    let rows = [
        (h.t("health.loss"), fmt_pct(hl.loss())),
        (
            h.t("health.one_sided"),
            hl.one_sided_share()
                .map(fmt_pct)
                .unwrap_or_else(|| h.t("fact.one_sided_unknown")),
        ),
        (h.t("health.suppressed"), fmt_n(hl.alerts_suppressed)),
        (h.t("health.inventory_full"), fmt_n(hl.inventory_drops)),
        (
            h.t("health.evidence_full"),
            h.tf(
                "health.evidence_full_value",
                &[
                    ("links", fmt_n(e.links)),
                    ("controls", fmt_n(e.controls)),
                    ("alerts", fmt_n(e.alerts)),
                ],
            ),
        ),
    ];
    for (k, v) in rows {
        let _ = write!(h.out, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    h.push("</table></section>");
}

fn other(h: &mut Html) {
    if h.r.alerts_in(Section::Other).next().is_none() {
        return;
    }
    section_start(h, Section::Other);
    let alerts: Vec<&AlertRecord> = h.r.alerts_in(Section::Other).collect();
    alert_table(h, alerts.into_iter(), "other.none");
    h.push("</section>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        assert_eq!(esc("a\u{0}b"), "a\u{fffd}b");
    }

    #[test]
    fn css_strings_cannot_close_the_style_element() {
        let s = css_string("x</style><script>\"\\");
        assert!(!s.contains('<') && !s.contains('>'));
        assert_eq!(s, "\"x\\3c /style\\3e \\3c script\\3e \\\"\\\\\"");
    }

    #[test]
    fn placeholders_are_filled_once() {
        let args = [("a", "{b}".to_owned()), ("b", "x".to_owned())];
        assert_eq!(fill("{a}-{b}-{c}", &args), "{b}-x-{c}");
        assert_eq!(fill("open {", &args), "open {");
    }

    #[test]
    fn numbers_and_times() {
        assert_eq!(fmt_n(0), "0");
        assert_eq!(fmt_n(1234567), "1,234,567");
        assert_eq!(fmt_ts(1_775_023_200_000_000_000), "2026-04-01 06:00:00 UTC");
        assert_eq!(fmt_duration(299), "00:04:59");
        assert_eq!(fmt_duration(90_061), "1d 01:01:01");
    }
}
