//! The communication map: hosts grouped by zone (or /24 subnet when no zone is
//! configured) inside the boundary of the internal network, industrial client→server
//! links coloured by protocol, internet peers outside the boundary with their links in
//! the warning colour, hosts with findings ringed. Drawn as SVG (in the report, or
//! alone with `mizuban map --format svg`) or written as Graphviz DOT.
//!
//! Layout is a simple layered one computed here: groups flow left to right in rows;
//! inside a group the industrial clients (HMIs, engineering stations) come first, then
//! the servers (PLCs, RTUs), then every other host, in address order. Past
//! [`MAX_HOSTS`] internal hosts, the hosts without a finding or an industrial role are
//! folded into one "+N hosts" node per group, and the picture says so.

use super::html::esc;
use super::i18n::Tr;
use super::model::Report;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;

/// Internal hosts drawn one by one; beyond, the least notable are folded per group.
pub const MAX_HOSTS: usize = 200;
/// Internet peers drawn one by one; beyond, one "+N" node.
pub const MAX_EXTERNAL: usize = 40;
/// Links of other (non-industrial, internal) protocols drawn; beyond, left out.
pub const MAX_OTHER_EDGES: usize = 80;

const NODE_W: f64 = 150.0;
const NODE_H: f64 = 40.0;
const GAP: f64 = 16.0;
const PAD: f64 = 14.0;
const GROUP_HEAD: f64 = 26.0;
const ROW_MAX_W: f64 = 2100.0;

/// Colours by protocol for industrial links (colour-blind-safe Okabe–Ito order).
const PALETTE: [&str; 7] = [
    "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#D55E00", "#000000",
];
const WARN: &str = "#C62828";
const OTHER: &str = "#9E9E9E";

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    IcsClient,
    IcsServer,
    Other,
    External,
    /// Several folded hosts.
    Cluster,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub ip: Option<IpAddr>,
    pub label: String,
    pub sub: String,
    pub role: Role,
    pub findings: usize,
    pub x: f64,
    pub y: f64,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    Ics,
    Internet,
    Other,
}

#[derive(Clone, Debug)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub protocol: String,
    pub kind: EdgeKind,
    pub flows: u64,
}

#[derive(Clone, Debug)]
pub struct Group {
    pub label: String,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

#[derive(Clone, Debug, Default)]
pub struct Map {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub groups: Vec<Group>,
    /// Boundary of the internal network, and the box of internet peers.
    pub boundary: (f64, f64, f64, f64),
    pub outside: Option<(f64, f64, f64, f64)>,
    pub width: f64,
    pub height: f64,
    pub internal_hosts: usize,
    pub folded_hosts: usize,
    pub external_hosts: usize,
    pub folded_external: usize,
    pub other_edges_left_out: usize,
    /// Industrial protocols drawn, with their colours.
    pub protocols: Vec<(String, &'static str)>,
}

/// The group of an internal host: its zone, else its /24 (IPv4) or /64 (IPv6).
fn subnet(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v) => {
            let s = v.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[derive(Default)]
struct HostInfo {
    zone: Option<String>,
    ics_client: bool,
    ics_server: bool,
    degree: usize,
}

/// Addresses that are not a host: unspecified (DHCP's 0.0.0.0), broadcast, multicast.
fn is_host(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => !(v.is_unspecified() || v.is_broadcast() || v.is_multicast()),
        IpAddr::V6(v) => !(v.is_unspecified() || v.is_multicast()),
    }
}

pub fn build(r: &Report) -> Map {
    let findings = r.hosts_with_findings();
    let mut internal: BTreeMap<IpAddr, HostInfo> = BTreeMap::new();
    let mut external: BTreeMap<IpAddr, usize> = BTreeMap::new();
    for a in r.assets.iter().filter(|a| is_host(a.ip)) {
        internal.entry(a.ip).or_default();
    }
    for l in r
        .links
        .iter()
        .filter(|l| is_host(l.client) && is_host(l.server))
    {
        for (ip, inside, zone, client) in [
            (l.client, l.client_internal, &l.client_zone, true),
            (l.server, l.server_internal, &l.server_zone, false),
        ] {
            if inside {
                let h = internal.entry(ip).or_default();
                if h.zone.is_none() {
                    h.zone = zone.clone();
                }
                h.degree = h.degree.saturating_add(1);
                if l.is_ics() {
                    if client {
                        h.ics_client = true;
                    } else {
                        h.ics_server = true;
                    }
                }
            } else {
                *external.entry(ip).or_insert(0) += 1;
            }
        }
    }
    // Internet peers named only by alerts (no link table entry) count too.
    for a in r.alerts.iter().filter(|a| a.closed_network_breach) {
        for ip in [a.src_ip, a.dst_ip].into_iter().flatten() {
            if !internal.contains_key(&ip) {
                external.entry(ip).or_insert(0);
            }
        }
    }
    let mut m = Map {
        internal_hosts: internal.len(),
        external_hosts: external.len(),
        ..Map::default()
    };
    // Which internal hosts are drawn: all up to MAX_HOSTS, else the notable ones first.
    let mut shown: BTreeSet<IpAddr> = internal.keys().copied().collect();
    if internal.len() > MAX_HOSTS {
        let mut ranked: Vec<(&IpAddr, &HostInfo)> = internal.iter().collect();
        ranked.sort_by_key(|(ip, h)| {
            (
                std::cmp::Reverse(findings.contains_key(*ip)),
                std::cmp::Reverse(h.ics_client || h.ics_server),
                std::cmp::Reverse(h.degree),
                **ip,
            )
        });
        shown = ranked.iter().take(MAX_HOSTS).map(|(ip, _)| **ip).collect();
        m.folded_hosts = internal.len() - shown.len();
    }
    // Groups in name order; hosts by role then address.
    let mut groups: BTreeMap<String, Vec<IpAddr>> = BTreeMap::new();
    for (ip, h) in &internal {
        let g = h.zone.clone().unwrap_or_else(|| subnet(*ip));
        groups.entry(g).or_default().push(*ip);
    }
    let mut index: BTreeMap<IpAddr, usize> = BTreeMap::new();
    let (mut cx, mut cy, mut row_h) = (PAD * 2.0, PAD * 2.0 + GROUP_HEAD, 0.0f64);
    let mut max_x = 0.0f64;
    for (label, ips) in &groups {
        let info = |ip: &IpAddr| internal.get(ip);
        let role = |ip: &IpAddr| match info(ip) {
            Some(h) if h.ics_client => Role::IcsClient,
            Some(h) if h.ics_server => Role::IcsServer,
            _ => Role::Other,
        };
        let mut members: Vec<(Role, IpAddr)> = ips
            .iter()
            .filter(|ip| shown.contains(ip))
            .map(|ip| (role(ip), *ip))
            .collect();
        members.sort();
        let folded = ips.len() - members.len();
        let n = members.len() + usize::from(folded > 0);
        let cols = ((n as f64 * 1.6).sqrt().ceil() as usize).clamp(1, 12);
        // Rows: each role starts a new row, so clients sit above their servers.
        let mut rows: Vec<Vec<usize>> = Vec::new();
        let mut last_role = None;
        for (role, ip) in &members {
            if last_role != Some(*role) || rows.last().is_some_and(|r| r.len() >= cols) {
                rows.push(Vec::new());
                last_role = Some(*role);
            }
            let i = m.nodes.len();
            let name = r.name_of(*ip);
            m.nodes.push(Node {
                ip: Some(*ip),
                label: name.map_or_else(|| ip.to_string(), str::to_owned),
                sub: if name.is_some() {
                    ip.to_string()
                } else {
                    String::new()
                },
                role: *role,
                findings: findings.get(ip).copied().unwrap_or(0),
                x: 0.0,
                y: 0.0,
            });
            index.insert(*ip, i);
            if let Some(r) = rows.last_mut() {
                r.push(i);
            }
        }
        let cluster = (folded > 0).then(|| {
            let i = m.nodes.len();
            m.nodes.push(Node {
                ip: None,
                label: format!("+{folded}"),
                sub: String::new(),
                role: Role::Cluster,
                findings: 0,
                x: 0.0,
                y: 0.0,
            });
            for ip in ips.iter().filter(|ip| !shown.contains(ip)) {
                index.insert(*ip, i);
            }
            match rows.last_mut() {
                Some(r) if r.len() < cols => r.push(i),
                _ => rows.push(vec![i]),
            }
        });
        let _ = cluster;
        let used_cols = rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let gw = used_cols as f64 * (NODE_W + GAP) - GAP + 2.0 * PAD;
        let gh = GROUP_HEAD + rows.len() as f64 * (NODE_H + GAP) - GAP + 2.0 * PAD;
        if cx > PAD * 2.0 && cx + gw > ROW_MAX_W {
            cx = PAD * 2.0;
            cy += row_h + GAP * 2.0;
            row_h = 0.0;
        }
        for (ri, row) in rows.iter().enumerate() {
            for (ci, &i) in row.iter().enumerate() {
                if let Some(nd) = m.nodes.get_mut(i) {
                    nd.x = cx + PAD + ci as f64 * (NODE_W + GAP);
                    nd.y = cy + GROUP_HEAD + PAD + ri as f64 * (NODE_H + GAP);
                }
            }
        }
        m.groups.push(Group {
            label: label.clone(),
            x: cx,
            y: cy,
            w: gw,
            h: gh,
        });
        cx += gw + GAP * 2.0;
        row_h = row_h.max(gh);
        max_x = max_x.max(cx);
    }
    let inner_h = if groups.is_empty() {
        NODE_H
    } else {
        cy + row_h - PAD
    };
    let inner_w = max_x.max(NODE_W + 4.0 * PAD);
    m.boundary = (PAD, PAD, inner_w - PAD, inner_h + PAD);
    // Internet peers: a column right of the boundary.
    let mut ext: Vec<(&IpAddr, &usize)> = external.iter().collect();
    ext.sort_by_key(|(ip, n)| {
        (
            std::cmp::Reverse(findings.get(*ip).copied().unwrap_or(0)),
            std::cmp::Reverse(**n),
            **ip,
        )
    });
    let ox = inner_w + GAP * 3.0;
    let mut oy = PAD + GROUP_HEAD + PAD;
    let shown_ext: Vec<IpAddr> = ext.iter().take(MAX_EXTERNAL).map(|(ip, _)| **ip).collect();
    m.folded_external = external.len().saturating_sub(shown_ext.len());
    let ext_cols = if shown_ext.len() > 12 { 2 } else { 1 };
    for (k, ip) in shown_ext.iter().enumerate() {
        let i = m.nodes.len();
        let name = dns_name_of(r, *ip);
        m.nodes.push(Node {
            ip: Some(*ip),
            label: name.clone().unwrap_or_else(|| ip.to_string()),
            sub: if name.is_some() {
                ip.to_string()
            } else {
                String::new()
            },
            role: Role::External,
            findings: findings.get(ip).copied().unwrap_or(0),
            x: ox + PAD + (k % ext_cols) as f64 * (NODE_W + GAP),
            y: oy,
        });
        index.insert(*ip, i);
        if k % ext_cols == ext_cols - 1 || k + 1 == shown_ext.len() {
            oy += NODE_H + GAP;
        }
    }
    if m.folded_external > 0 {
        let i = m.nodes.len();
        m.nodes.push(Node {
            ip: None,
            label: format!("+{}", m.folded_external),
            sub: String::new(),
            role: Role::Cluster,
            findings: 0,
            x: ox + PAD,
            y: oy,
        });
        for (ip, _) in ext.iter().skip(MAX_EXTERNAL) {
            index.insert(**ip, i);
        }
        oy += NODE_H + GAP;
    }
    let mut width = inner_w + PAD;
    let mut height = inner_h + 2.0 * PAD;
    if !external.is_empty() {
        let ow = ext_cols as f64 * (NODE_W + GAP) - GAP + 2.0 * PAD;
        m.outside = Some((ox, PAD, ow, (oy - PAD).max(NODE_H + GROUP_HEAD + 2.0 * PAD)));
        width = ox + ow + PAD;
        height = height.max(oy + 2.0 * PAD);
    }
    m.width = width;
    m.height = height;
    // Edges, merged per (from, to, protocol).
    let mut merged: BTreeMap<(usize, usize, String), (EdgeKind, u64)> = BTreeMap::new();
    let mut ics_protocols: BTreeSet<String> = BTreeSet::new();
    for l in &r.links {
        let (Some(&a), Some(&b)) = (index.get(&l.client), index.get(&l.server)) else {
            continue;
        };
        if a == b {
            continue;
        }
        let kind = if !(l.client_internal && l.server_internal) {
            EdgeKind::Internet
        } else if l.is_ics() {
            ics_protocols.insert(l.protocol.clone());
            EdgeKind::Ics
        } else {
            EdgeKind::Other
        };
        let e = merged
            .entry((a, b, l.protocol.clone()))
            .or_insert((kind, 0));
        e.1 = e.1.saturating_add(l.flows);
    }
    // Alerts showing internet contact without a link entry (e.g. ICMP) still get an edge.
    for al in r.alerts.iter().filter(|a| a.closed_network_breach) {
        if let (Some(s), Some(d)) = (al.src_ip, al.dst_ip)
            && let (Some(&a), Some(&b)) = (index.get(&s), index.get(&d))
            && a != b
            && !merged.keys().any(|(x, y, _)| (*x, *y) == (a, b))
        {
            merged.insert(
                (a, b, al.transport.clone().unwrap_or_default()),
                (EdgeKind::Internet, al.count),
            );
        }
    }
    m.protocols = ics_protocols
        .into_iter()
        .enumerate()
        .map(|(i, p)| (p, PALETTE.get(i % PALETTE.len()).copied().unwrap_or("#000")))
        .collect();
    let mut others = 0usize;
    for ((a, b, p), (kind, flows)) in merged {
        if kind == EdgeKind::Other {
            others += 1;
            if others > MAX_OTHER_EDGES {
                m.other_edges_left_out += 1;
                continue;
            }
        }
        m.edges.push(Edge {
            from: a,
            to: b,
            protocol: p,
            kind,
            flows,
        });
    }
    // Draw order: other, industrial, internet on top.
    m.edges.sort_by_key(|e| match e.kind {
        EdgeKind::Other => 0,
        EdgeKind::Ics => 1,
        EdgeKind::Internet => 2,
    });
    m
}

/// The name an alert's evidence gives an internet address (DNS answer, SNI).
fn dns_name_of(r: &Report, ip: IpAddr) -> Option<String> {
    r.alerts.iter().find_map(|a| {
        if a.dst_ip == Some(ip) {
            a.dst_name.clone()
        } else if a.src_ip == Some(ip) {
            a.src_name.clone()
        } else {
            None
        }
    })
}

fn colour(m: &Map, e: &Edge) -> &'static str {
    match e.kind {
        EdgeKind::Internet => WARN,
        EdgeKind::Other => OTHER,
        EdgeKind::Ics => m
            .protocols
            .iter()
            .find(|(p, _)| *p == e.protocol)
            .map_or("#000", |(_, c)| c),
    }
}

/// Cuts a label to `n` characters, marking the cut.
fn fit(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut o: String = s.chars().take(n.saturating_sub(1)).collect();
        o.push('…');
        o
    }
}

/// Where the segment from the centre of `a` towards the centre of `b` leaves `a`'s box.
fn border_point(ax: f64, ay: f64, bx: f64, by: f64) -> (f64, f64) {
    let (dx, dy) = (bx - ax, by - ay);
    if dx == 0.0 && dy == 0.0 {
        return (ax, ay);
    }
    let sx = if dx == 0.0 {
        f64::INFINITY
    } else {
        (NODE_W / 2.0) / dx.abs()
    };
    let sy = if dy == 0.0 {
        f64::INFINITY
    } else {
        (NODE_H / 2.0) / dy.abs()
    };
    let s = sx.min(sy);
    (ax + dx * s, ay + dy * s)
}

/// The map as a standalone SVG document (also inlined in the report).
pub fn svg(m: &Map, tr: &Tr) -> String {
    let legend_h = 96.0;
    let (w, h) = (m.width.max(760.0), m.height + legend_h);
    let mut s = String::with_capacity(32 * 1024);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=netmap viewBox=\"0 0 {w:.0} {h:.0}\" \
         width=\"{w:.0}\" height=\"{h:.0}\" role=\"img\" aria-label=\"{}\" \
         font-family=\"'Noto Sans CJK JP','Noto Sans JP','Hiragino Sans','Yu Gothic',Meiryo,sans-serif\">",
        esc(tr.get("map.title"))
    );
    // Arrowheads, one per colour used.
    let mut colours: BTreeSet<&str> = m.edges.iter().map(|e| colour(m, e)).collect();
    colours.insert(WARN);
    s.push_str("<defs>");
    for c in &colours {
        let id = c.trim_start_matches('#');
        let _ = write!(
            s,
            "<marker id=\"a{id}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"{c}\"/></marker>"
        );
    }
    s.push_str("</defs>");
    let _ = write!(
        s,
        "<rect x=\"0\" y=\"0\" width=\"{w:.0}\" height=\"{h:.0}\" fill=\"#fff\"/>"
    );
    let (bx, by, bw, bh) = m.boundary;
    let _ = write!(
        s,
        "<rect x=\"{bx:.0}\" y=\"{by:.0}\" width=\"{bw:.0}\" height=\"{bh:.0}\" rx=\"10\" fill=\"#F5F9FF\" stroke=\"#1565C0\" stroke-width=\"2.5\"/>\
         <text x=\"{:.0}\" y=\"{:.0}\" font-size=\"15\" font-weight=\"bold\" fill=\"#0D47A1\">{}</text>",
        bx + 12.0,
        by + 20.0,
        esc(tr.get("map.boundary"))
    );
    for g in &m.groups {
        let _ = write!(
            s,
            "<rect x=\"{:.0}\" y=\"{:.0}\" width=\"{:.0}\" height=\"{:.0}\" rx=\"6\" fill=\"#FFFFFF\" stroke=\"#78909C\" stroke-dasharray=\"5 3\"/>\
             <text x=\"{:.0}\" y=\"{:.0}\" font-size=\"13\" font-weight=\"bold\" fill=\"#37474F\">{}</text>",
            g.x,
            g.y,
            g.w,
            g.h,
            g.x + 8.0,
            g.y + 18.0,
            esc(&fit(&g.label, 40))
        );
    }
    if let Some((ox, oy, ow, oh)) = m.outside {
        let _ = write!(
            s,
            "<rect x=\"{ox:.0}\" y=\"{oy:.0}\" width=\"{ow:.0}\" height=\"{oh:.0}\" rx=\"10\" fill=\"#FFEBEE\" stroke=\"{WARN}\" stroke-width=\"2.5\"/>\
             <text x=\"{:.0}\" y=\"{:.0}\" font-size=\"14\" font-weight=\"bold\" fill=\"{WARN}\">{}</text>",
            ox + 10.0,
            oy + 20.0,
            esc(tr.get("map.outside"))
        );
    }
    for e in &m.edges {
        let (Some(a), Some(b)) = (m.nodes.get(e.from), m.nodes.get(e.to)) else {
            continue;
        };
        let (acx, acy) = (a.x + NODE_W / 2.0, a.y + NODE_H / 2.0);
        let (bcx, bcy) = (b.x + NODE_W / 2.0, b.y + NODE_H / 2.0);
        let (x1, y1) = border_point(acx, acy, bcx, bcy);
        let (x2, y2) = border_point(bcx, bcy, acx, acy);
        let c = colour(m, e);
        let (width, dash) = match e.kind {
            EdgeKind::Internet => (3.0, " stroke-dasharray=\"8 4\""),
            EdgeKind::Ics => (2.0, ""),
            EdgeKind::Other => (1.0, ""),
        };
        let marker = if e.kind == EdgeKind::Other {
            String::new()
        } else {
            format!(" marker-end=\"url(#a{})\"", c.trim_start_matches('#'))
        };
        let _ = write!(
            s,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{c}\" stroke-width=\"{width}\"{dash}{marker} opacity=\"0.85\"><title>{} → {} {} ({} flows)</title></line>",
            esc(&a.label),
            esc(&b.label),
            esc(&e.protocol),
            e.flows
        );
    }
    for n in &m.nodes {
        let (fill, stroke) = match n.role {
            Role::IcsClient => ("#E3F2FD", "#1565C0"),
            Role::IcsServer => ("#E8F5E9", "#2E7D32"),
            Role::Other => ("#FAFAFA", "#757575"),
            Role::External => ("#FFFFFF", WARN),
            Role::Cluster => ("#ECEFF1", "#546E7A"),
        };
        let ring = if n.findings > 0 {
            format!(
                "<rect x=\"{:.0}\" y=\"{:.0}\" width=\"{:.0}\" height=\"{:.0}\" rx=\"8\" fill=\"none\" stroke=\"{WARN}\" stroke-width=\"3\"/>",
                n.x - 3.0,
                n.y - 3.0,
                NODE_W + 6.0,
                NODE_H + 6.0
            )
        } else {
            String::new()
        };
        let _ = write!(
            s,
            "<g>{ring}<rect x=\"{:.0}\" y=\"{:.0}\" width=\"{NODE_W:.0}\" height=\"{NODE_H:.0}\" rx=\"5\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>",
            n.x, n.y
        );
        let (ty, sub) = if n.sub.is_empty() {
            (n.y + NODE_H / 2.0 + 5.0, String::new())
        } else {
            (
                n.y + 17.0,
                format!(
                    "<text x=\"{:.0}\" y=\"{:.0}\" font-size=\"11\" fill=\"#455A64\" text-anchor=\"middle\">{}</text>",
                    n.x + NODE_W / 2.0,
                    n.y + 32.0,
                    esc(&fit(&n.sub, 24))
                ),
            )
        };
        let label = if n.role == Role::Cluster {
            tr.get("map.cluster")
                .replace("{n}", n.label.trim_start_matches('+'))
        } else {
            n.label.clone()
        };
        let _ = write!(
            s,
            "<text x=\"{:.0}\" y=\"{ty:.0}\" font-size=\"13\" font-weight=\"bold\" fill=\"#212121\" text-anchor=\"middle\">{}</text>{sub}",
            n.x + NODE_W / 2.0,
            esc(&fit(&label, 19))
        );
        if n.findings > 0 {
            let _ = write!(
                s,
                "<circle cx=\"{:.0}\" cy=\"{:.0}\" r=\"10\" fill=\"{WARN}\"/><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"11\" font-weight=\"bold\" fill=\"#fff\" text-anchor=\"middle\">{}</text>",
                n.x + NODE_W,
                n.y,
                n.x + NODE_W,
                n.y + 4.0,
                n.findings.min(99)
            );
        }
        s.push_str("</g>");
    }
    legend(&mut s, m, tr, h - legend_h + 10.0);
    s.push_str("</svg>");
    s
}

fn legend(s: &mut String, m: &Map, tr: &Tr, y0: f64) {
    let mut x = 20.0;
    let y = y0 + 14.0;
    let item = |s: &mut String, swatch: String, text: &str, x: &mut f64| {
        let _ = write!(
            s,
            "{swatch}<text x=\"{:.0}\" y=\"{:.0}\" font-size=\"12\" fill=\"#212121\">{}</text>",
            *x + 34.0,
            y + 4.0,
            esc(text)
        );
        // Wide (CJK) characters take about a full em at 12 px, others about half.
        let w: f64 = text
            .chars()
            .map(|c| if c.len_utf8() >= 3 { 12.5 } else { 7.0 })
            .sum();
        *x += 48.0 + w;
    };
    for (p, c) in &m.protocols {
        let sw = format!(
            "<line x1=\"{x:.0}\" y1=\"{y:.0}\" x2=\"{:.0}\" y2=\"{y:.0}\" stroke=\"{c}\" stroke-width=\"3\"/>",
            x + 28.0
        );
        item(s, sw, &tr.get("map.legend_ics").replace("{p}", p), &mut x);
    }
    let sw = format!(
        "<line x1=\"{x:.0}\" y1=\"{y:.0}\" x2=\"{:.0}\" y2=\"{y:.0}\" stroke=\"{WARN}\" stroke-width=\"3\" stroke-dasharray=\"8 4\"/>",
        x + 28.0
    );
    item(s, sw, tr.get("map.legend_internet"), &mut x);
    let sw = format!(
        "<line x1=\"{x:.0}\" y1=\"{y:.0}\" x2=\"{:.0}\" y2=\"{y:.0}\" stroke=\"{OTHER}\" stroke-width=\"1\"/>",
        x + 28.0
    );
    item(s, sw, tr.get("map.legend_other"), &mut x);
    let sw = format!(
        "<circle cx=\"{:.0}\" cy=\"{y:.0}\" r=\"9\" fill=\"{WARN}\"/>",
        x + 14.0
    );
    item(s, sw, tr.get("map.legend_findings"), &mut x);
    // Notes: what the picture leaves out, said on the picture.
    let mut notes = vec![
        tr.get("map.counts")
            .replace("{hosts}", &m.internal_hosts.to_string())
            .replace("{external}", &m.external_hosts.to_string()),
    ];
    if m.folded_hosts > 0 {
        notes.push(
            tr.get("map.folded")
                .replace("{n}", &m.folded_hosts.to_string())
                .replace("{max}", &MAX_HOSTS.to_string()),
        );
    }
    if m.folded_external > 0 {
        notes.push(
            tr.get("map.folded_external")
                .replace("{n}", &m.folded_external.to_string()),
        );
    }
    if m.other_edges_left_out > 0 {
        notes.push(
            tr.get("map.other_left_out")
                .replace("{n}", &m.other_edges_left_out.to_string()),
        );
    }
    for (i, n) in notes.iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"20\" y=\"{:.0}\" font-size=\"13\" fill=\"#37474F\">{}</text>",
            y + 30.0 + i as f64 * 18.0,
            esc(n)
        );
    }
}

/// The map as Graphviz DOT: one cluster per group, internet peers in their own.
pub fn dot(m: &Map) -> String {
    fn q(s: &str) -> String {
        let mut o = String::from("\"");
        for c in s.chars() {
            match c {
                '"' | '\\' => {
                    o.push('\\');
                    o.push(c);
                }
                '\n' => o.push_str("\\n"),
                c if c.is_control() => o.push(' '),
                c => o.push(c),
            }
        }
        o.push('"');
        o
    }
    let mut s = String::from(
        "digraph mizuban {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Noto Sans CJK JP\"];\n",
    );
    let label = |n: &Node| {
        if n.sub.is_empty() {
            n.label.clone()
        } else {
            format!("{}\n{}", n.label, n.sub)
        }
    };
    let node_attrs = |n: &Node| {
        let fill = match n.role {
            Role::IcsClient => "#E3F2FD",
            Role::IcsServer => "#E8F5E9",
            Role::Other => "#FAFAFA",
            Role::External => "#FFEBEE",
            Role::Cluster => "#ECEFF1",
        };
        let pen = if n.findings > 0 {
            format!(", color={}, penwidth=3", q(WARN))
        } else {
            String::new()
        };
        format!("label={}, fillcolor={}{pen}", q(&label(n)), q(fill))
    };
    // Assign nodes to groups by position (the layout put them inside).
    for (gi, g) in m.groups.iter().enumerate() {
        let _ = writeln!(s, "  subgraph cluster_{gi} {{\n    label={};", q(&g.label));
        for (i, n) in m.nodes.iter().enumerate() {
            if n.role != Role::External
                && n.x >= g.x
                && n.x <= g.x + g.w
                && n.y >= g.y
                && n.y <= g.y + g.h
            {
                let _ = writeln!(s, "    n{i} [{}];", node_attrs(n));
            }
        }
        s.push_str("  }\n");
    }
    if m.outside.is_some() {
        let _ = writeln!(
            s,
            "  subgraph cluster_internet {{\n    label=\"internet\"; color={};",
            q(WARN)
        );
        for (i, n) in m.nodes.iter().enumerate() {
            if n.role == Role::External
                || (n.role == Role::Cluster && m.outside.is_some_and(|(ox, ..)| n.x >= ox))
            {
                let _ = writeln!(s, "    n{i} [{}];", node_attrs(n));
            }
        }
        s.push_str("  }\n");
    }
    for e in &m.edges {
        let style = match e.kind {
            EdgeKind::Internet => ", style=dashed, penwidth=2",
            EdgeKind::Ics => ", penwidth=2",
            EdgeKind::Other => ", arrowhead=none",
        };
        let _ = writeln!(
            s,
            "  n{} -> n{} [label={}, color={}{style}];",
            e.from,
            e.to,
            q(&e.protocol),
            q(colour(m, e))
        );
    }
    s.push_str("}\n");
    s
}
