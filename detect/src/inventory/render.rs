//! `mizuban assets --format table|json|csv`: the inventory as text.
//!
//! All three list assets sorted by IP numerically (IPv4 first), from the same
//! [`AssetView`], so the formats never disagree.

use super::{Asset, InventoryState};
use crate::baseline::types::transport_label;
use crate::oui;
use mizuban_capture::Timestamp;
use serde::Serialize;
use std::net::IpAddr;

/// Width of the table output: fits a 120-column terminal.
pub const TABLE_WIDTH: usize = 120;

/// Column widths of the table (plus one space between columns).
const COLUMNS: [(&str, usize); 7] = [
    ("IP", 15),
    ("MAC", 17),
    ("VENDOR", 16),
    ("NAME", 18),
    ("ROLES", 18),
    ("SERVICES", 16),
    ("OS", 14),
];

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(format!("unknown format {other:?} (table, json or csv)")),
        }
    }
}

/// One asset as printed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AssetView {
    pub ip: IpAddr,
    pub macs: Vec<String>,
    /// Vendor of each MAC (same order), "" when unregistered.
    pub vendors: Vec<String>,
    /// Best first ([`Asset::best_name`] precedence), then by source and name.
    pub names: Vec<String>,
    /// Every name with where it came from, in the same order.
    pub name_sources: Vec<NameView>,
    pub roles: Vec<String>,
    /// `tcp/502 (modbus)`.
    pub services_offered: Vec<String>,
    pub services_used: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modbus_identity: Option<super::ModbusIdentity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telecontrol: Option<super::TelecontrolInfo>,
    pub first_seen: String,
    pub last_seen: String,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub os: Option<String>,
    pub unsupported_os: bool,
    pub os_hints: Vec<OsHintView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mdns_services: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upnp: Option<super::UpnpInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smb_signing_required: Option<bool>,
    /// Who changed this controller: one entry per client with its action classes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub control_clients: Vec<ControlClientView>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ControlClientView {
    pub client: IpAddr,
    pub actions: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NameView {
    pub name: String,
    pub source: &'static str,
}

/// One OS hint with its evidence: which protocol field said what, and when.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OsHintView {
    pub source: &'static str,
    /// The protocol field it was read from (tshark's name).
    pub field: &'static str,
    pub os: String,
    pub evidence: String,
    /// Packet time of the evidence.
    pub seen: String,
    /// Set when support had ended at `seen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_of_support: Option<String>,
    /// A known end of support still ahead at `seen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_ends: Option<String>,
}

fn port_text(((t, p), app): (&(u8, u16), &Option<String>)) -> String {
    match app {
        Some(a) => format!("{}/{p} ({a})", transport_label(*t)),
        None => format!("{}/{p}", transport_label(*t)),
    }
}

pub fn view(ip: IpAddr, a: &Asset) -> AssetView {
    let best = a.best_os();
    let mut names: Vec<(&String, &super::NameSource)> = a.names.iter().collect();
    names.sort_by_key(|(n, s)| (**s, n.as_str()));
    AssetView {
        ip,
        macs: a.macs.iter().map(|m| m.to_string()).collect(),
        vendors: a
            .macs
            .iter()
            .map(|m| oui::vendor(m.0).unwrap_or("").to_string())
            .collect(),
        names: names.iter().map(|(n, _)| (*n).clone()).collect(),
        name_sources: names
            .iter()
            .map(|(n, s)| NameView {
                name: (*n).clone(),
                source: s.as_str(),
            })
            .collect(),
        roles: a.roles.iter().cloned().collect(),
        services_offered: a.services_offered.iter().map(port_text).collect(),
        services_used: a.services_used.iter().map(port_text).collect(),
        modbus_identity: a.modbus_identity.clone(),
        telecontrol: a.telecontrol.clone(),
        first_seen: Timestamp(a.first_seen_ns).to_rfc3339(),
        last_seen: Timestamp(a.last_seen_ns).to_rfc3339(),
        bytes_sent: a.bytes_sent,
        bytes_received: a.bytes_received,
        os: best.map(|h| h.os.clone()),
        unsupported_os: a.os_hints.values().any(|h| h.end_of_support.is_some()),
        os_hints: a
            .os_hints
            .iter()
            .map(|(s, h)| OsHintView {
                source: s.as_str(),
                field: s.field(),
                os: h.os.clone(),
                evidence: h.evidence.clone(),
                seen: Timestamp(h.seen_ns).to_rfc3339(),
                end_of_support: h.end_of_support.clone(),
                support_ends: h.support_ends.clone(),
            })
            .collect(),
        mdns_services: a.mdns_services.iter().cloned().collect(),
        upnp: a.upnp.clone(),
        smb_signing_required: a.smb_signing_required,
        control_clients: a
            .control_clients
            .iter()
            .map(|(c, acts)| ControlClientView {
                client: *c,
                actions: acts.iter().cloned().collect(),
            })
            .collect(),
    }
}

/// Views of every asset, sorted by IP.
pub fn views(inv: &InventoryState) -> Vec<AssetView> {
    inv.assets.iter().map(|(ip, a)| view(*ip, a)).collect()
}

pub fn render(inv: &InventoryState, format: Format) -> String {
    match format {
        Format::Table => render_table(inv),
        Format::Json => render_json(inv),
        Format::Csv => render_csv(inv),
    }
}

/// Cuts `s` to `width` characters, marking a cut with `~`.
fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('~');
    out
}

fn push_row(out: &mut String, cells: &[String]) {
    let mut line = String::new();
    for (i, ((_, w), cell)) in COLUMNS.iter().zip(cells).enumerate() {
        if i > 0 {
            line.push(' ');
        }
        let c = fit(cell, *w);
        line.push_str(&c);
        let pad = w.saturating_sub(c.chars().count());
        line.extend(std::iter::repeat_n(' ', pad));
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// A fixed-width table, one line per asset; the first MAC, name and OS are shown, and
/// `+N` says how many more there are. JSON has everything.
pub fn render_table(inv: &InventoryState) -> String {
    let mut out = String::new();
    let header: Vec<String> = COLUMNS.iter().map(|(h, _)| (*h).to_string()).collect();
    push_row(&mut out, &header);
    let more = |v: &[String]| -> String {
        match v {
            [] => String::new(),
            [one] => one.clone(),
            [first, rest @ ..] => format!("{first} +{}", rest.len()),
        }
    };
    for v in views(inv) {
        let services: Vec<String> = v
            .services_offered
            .iter()
            .map(|s| s.split(' ').next().unwrap_or("").to_string())
            .collect();
        let os = match (&v.os, v.unsupported_os) {
            (Some(o), true) => format!("!{o}"),
            (Some(o), false) => o.clone(),
            (None, _) => String::new(),
        };
        let row = [
            v.ip.to_string(),
            more(&v.macs),
            v.vendors.first().cloned().unwrap_or_default(),
            more(&v.names),
            v.roles.join(","),
            services.join(","),
            os,
        ];
        push_row(&mut out, &row);
    }
    // Who wrote to, programmed, stopped or restarted which controller.
    let changed: Vec<AssetView> = views(inv)
        .into_iter()
        .filter(|v| !v.control_clients.is_empty())
        .collect();
    if !changed.is_empty() {
        out.push_str("\nControl actions (controller <- client: action classes)\n");
        for v in changed {
            for c in &v.control_clients {
                out.push_str(&format!(
                    "{} <- {}: {}\n",
                    v.ip,
                    c.client,
                    c.actions.join(",")
                ));
            }
        }
    }
    out
}

pub fn render_json(inv: &InventoryState) -> String {
    let mut s = serde_json::to_string_pretty(&views(inv)).unwrap_or_else(|_| "[]".to_string());
    s.push('\n');
    s
}

/// RFC 4180 field quoting.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// CSV with a header row; list fields are `;`-joined.
pub fn render_csv(inv: &InventoryState) -> String {
    let mut out = String::from(
        "ip,macs,vendors,names,roles,services_offered,services_used,first_seen,last_seen,bytes_sent,bytes_received,os,unsupported_os,modbus_vendor,modbus_product\n",
    );
    for v in views(inv) {
        let id = v.modbus_identity.as_ref();
        let fields = [
            v.ip.to_string(),
            v.macs.join(";"),
            v.vendors.join(";"),
            v.names.join(";"),
            v.roles.join(";"),
            v.services_offered.join(";"),
            v.services_used.join(";"),
            v.first_seen.clone(),
            v.last_seen.clone(),
            v.bytes_sent.to_string(),
            v.bytes_received.to_string(),
            v.os.clone().unwrap_or_default(),
            v.unsupported_os.to_string(),
            id.and_then(|i| i.vendor_name.clone()).unwrap_or_default(),
            id.and_then(|i| i.product_name.clone().or_else(|| i.product_code.clone()))
                .unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_the_terminal() {
        let total: usize = COLUMNS.iter().map(|(_, w)| w).sum::<usize>() + COLUMNS.len() - 1;
        assert!(total <= TABLE_WIDTH, "{total}");
    }

    #[test]
    fn csv_quotes_per_rfc4180() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }

    #[test]
    fn fit_marks_cuts() {
        assert_eq!(fit("abcdef", 4), "abc~");
        assert_eq!(fit("abc", 4), "abc");
    }
}
