//! Asset inventory on hand-built events: what each kind of evidence adds, the
//! unsupported-OS finding, the caps, and the renderers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

#[path = "baseline_support.rs"]
mod support;

use mizuban_capture::DropReason;
use mizuban_detect::baseline::default_is_internal;
use mizuban_detect::baseline::rules::UNSUPPORTED_OS;
use mizuban_detect::inventory::render::{self, Format, TABLE_WIDTH};
use mizuban_detect::inventory::{Inventory, InventoryConfig, NameSource, OsSource};
use mizuban_protocols::event::TcpState;
use mizuban_protocols::{AppProtocol, Event};
use support::*;

fn feed(inv: &mut Inventory, evs: &[Event]) -> Vec<mizuban_detect::Finding> {
    let mut out = Vec::new();
    for e in evs {
        inv.on_event(e, &default_is_internal, &mut out);
    }
    out
}

#[test]
fn plant_assets_roles_services_bytes() {
    let mut inv = Inventory::new(InventoryConfig::default());
    let out = feed(&mut inv, &plant_day(0));
    assert!(out.is_empty());
    let a = inv.assets();
    let ips: Vec<String> = a.keys().map(|i| i.to_string()).collect();
    assert_eq!(ips, ["10.0.0.10", "10.0.0.20", "10.0.0.21"]);
    let hmi = &a[&ip("10.0.0.10")];
    assert_eq!(hmi.roles.iter().collect::<Vec<_>>(), ["modbus_client"]);
    assert_eq!(
        hmi.services_used.get(&(TCP, 502)),
        Some(&Some("modbus".to_string()))
    );
    assert!(hmi.services_offered.is_empty());
    // Two flows, each 800 bytes out and 900 back.
    assert_eq!((hmi.bytes_sent, hmi.bytes_received), (1600, 1800));
    let plc = &a[&ip("10.0.0.20")];
    assert_eq!(plc.roles.iter().collect::<Vec<_>>(), ["modbus_server"]);
    assert_eq!(
        plc.services_offered.get(&(TCP, 502)),
        Some(&Some("modbus".to_string()))
    );
    assert_eq!((plc.bytes_sent, plc.bytes_received), (900, 800));
    assert_eq!(
        plc.macs.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        ["00:80:f4:00:00:14"]
    );
    assert_eq!(plc.first_seen_ns, t(0).as_nanos());
    assert_eq!(plc.last_seen_ns, t(3).as_nanos());
}

#[test]
fn unanswered_targets_are_not_assets() {
    let mut inv = Inventory::new(InventoryConfig::default());
    let f = flow("10.0.0.10:40000", "10.0.0.77:502", TCP);
    feed(
        &mut inv,
        &[
            ev(0, f, start(None, None)),
            ev(
                1,
                f,
                end(
                    TcpState::SynSent,
                    AppProtocol::Unknown,
                    dir(3, 180, 0),
                    dir(0, 0, 0),
                ),
            ),
        ],
    );
    assert!(inv.assets().contains_key(&ip("10.0.0.10")));
    assert!(!inv.assets().contains_key(&ip("10.0.0.77")));
}

#[test]
fn names_from_dns_and_dhcp() {
    let mut inv = Inventory::new(InventoryConfig::default());
    let dns = flow("10.0.0.10:5353", "10.0.0.2:53", UDP);
    // The answer comes before the PLC is seen: kept until then.
    feed(
        &mut inv,
        &[ev(0, dns, dns_answer("plc1.plant.local", "10.0.0.20"))],
    );
    feed(&mut inv, &plant_day(1));
    // DHCPACK (type 5) for the HMI with option 12 host name.
    let d = flow("10.0.0.2:67", "10.0.0.10:68", UDP);
    feed(
        &mut inv,
        &[ev(
            5,
            d,
            dhcp(5, mac(10), Some("10.0.0.10"), Some("HMI-01"), None, &[]),
        )],
    );
    let a = inv.assets();
    assert_eq!(
        a[&ip("10.0.0.20")].names.get("plc1.plant.local"),
        Some(&NameSource::Dns)
    );
    assert_eq!(
        a[&ip("10.0.0.10")].names.get("HMI-01"),
        Some(&NameSource::Dhcp)
    );
    // External answers are not inventory.
    feed(
        &mut inv,
        &[ev(6, dns, dns_answer("example.com", "93.184.216.34"))],
    );
    assert!(!inv.assets().contains_key(&ip("93.184.216.34")));
}

#[test]
fn a_dhcp_request_from_a_host_already_seen_names_it() {
    let mut inv = Inventory::new(InventoryConfig::default());
    // The HMI is seen with its address first (issue 16's capture set does this)...
    feed(&mut inv, &plant_day(0));
    // ... then broadcasts a DHCPREQUEST (type 3) from 0.0.0.0 with its host name.
    let d = flow("0.0.0.0:68", "255.255.255.255:67", UDP);
    feed(
        &mut inv,
        &[ev(5, d, dhcp(3, mac(10), None, Some("HMI-01"), None, &[]))],
    );
    let a = inv.assets();
    assert_eq!(
        a[&ip("10.0.0.10")].names.get("HMI-01"),
        Some(&NameSource::Dhcp)
    );
    assert!(a.get(&ip("0.0.0.0")).is_none_or(|z| z.names.is_empty()));
}

#[test]
fn modbus_device_identity() {
    let mut inv = Inventory::new(InventoryConfig::default());
    feed(&mut inv, &plant_day(0));
    let f = flow("10.0.0.10:40000", "10.0.0.20:502", TCP);
    feed(
        &mut inv,
        &[ev(
            10,
            f,
            modbus_identity("Schneider Electric", "BMX P34 2020"),
        )],
    );
    let id = inv.assets()[&ip("10.0.0.20")]
        .modbus_identity
        .clone()
        .unwrap();
    assert_eq!(id.vendor_name.as_deref(), Some("Schneider Electric"));
    assert_eq!(id.product_code.as_deref(), Some("BMX P34 2020"));
}

#[test]
fn unsupported_os_from_user_agent() {
    let mut inv = Inventory::new(InventoryConfig::default());
    feed(&mut inv, &plant_day(0));
    let f = flow("10.0.0.10:40100", "10.0.0.20:80", TCP);
    // Internet Explorer 8 on Windows XP.
    let out = feed(
        &mut inv,
        &[ev(
            10,
            f,
            http_ua("Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0)"),
        )],
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].rule, UNSUPPORTED_OS);
    assert_eq!(out[0].key, "10.0.0.10|Windows XP");
    assert_eq!(out[0].src_ip, Some(ip("10.0.0.10")));
    let hmi = &inv.assets()[&ip("10.0.0.10")];
    assert_eq!(
        hmi.os_hints[&OsSource::HttpUserAgent]
            .end_of_support
            .as_deref(),
        Some("2014-04-08")
    );
    // A modern user agent afterwards does not hide the old one, and raises nothing.
    let out = feed(
        &mut inv,
        &[ev(
            11,
            f,
            http_ua("Mozilla/5.0 (Windows NT 10.0; Win64; x64)"),
        )],
    );
    assert!(out.is_empty());
    assert_eq!(
        inv.assets()[&ip("10.0.0.10")].os_hints[&OsSource::HttpUserAgent].os,
        "Windows XP"
    );
    // Windows 10 alone: nothing.
    let mut inv = Inventory::new(InventoryConfig::default());
    feed(&mut inv, &plant_day(0));
    assert!(
        feed(
            &mut inv,
            &[ev(
                11,
                f,
                http_ua("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
            )]
        )
        .is_empty()
    );
}

#[test]
fn unsupported_os_from_dhcp_fingerprint() {
    let mut inv = Inventory::new(InventoryConfig::default());
    feed(&mut inv, &plant_day(0));
    let d = flow("10.0.0.2:67", "10.0.0.10:68", UDP);
    // Windows XP's option-55 list (Cisco ISE profiling guide, Fingerbank).
    let xp = [1, 15, 3, 6, 44, 46, 47, 31, 33, 249, 43];
    let out = feed(
        &mut inv,
        &[ev(
            5,
            d,
            dhcp(5, mac(10), Some("10.0.0.10"), None, Some("MSFT 5.0"), &xp),
        )],
    );
    assert_eq!(
        out.iter().map(|f| f.rule).collect::<Vec<_>>(),
        [UNSUPPORTED_OS]
    );
    let hmi = &inv.assets()[&ip("10.0.0.10")];
    assert_eq!(
        hmi.dhcp_fingerprint.as_deref(),
        Some("1,15,3,6,44,46,47,31,33,249,43")
    );
    assert_eq!(hmi.dhcp_vendor_class.as_deref(), Some("MSFT 5.0"));
    // A DHCPREQUEST (type 3) from another interface, sent from the asset's address,
    // does not rename it: the DHCP client is not the asset's MAC.
    let renew = flow("10.0.0.10:68", "10.0.0.2:67", UDP);
    let out = feed(
        &mut inv,
        &[ev(
            6,
            renew,
            dhcp(3, mac(20), None, Some("EVIL"), None, &xp),
        )],
    );
    assert!(out.is_empty());
    assert!(!inv.assets()[&ip("10.0.0.10")].names.contains_key("EVIL"));
}

#[test]
fn asset_cap_counts_drops() {
    let mut inv = Inventory::new(InventoryConfig {
        max_assets: 10,
        ..InventoryConfig::default()
    });
    let mut evs = Vec::new();
    for i in 0..1000u32 {
        let [_, _, c, d] = i.to_be_bytes();
        let a = format!("10.1.{c}.{d}");
        evs.push(ev(
            1,
            flow(&format!("{a}:0"), "10.1.255.255:0", 0),
            arp(mac(1), &a),
        ));
    }
    feed(&mut inv, &evs);
    assert_eq!(inv.assets().len(), 10);
    assert_eq!(inv.state().stats.assets_full, 990);
    assert_eq!(inv.drops().get(DropReason::InventoryFull), 990);
}

#[test]
fn renderers() {
    let mut inv = Inventory::new(InventoryConfig::default());
    feed(&mut inv, &plant_day(0));
    // 10.0.0.9 sorts before 10.0.0.10 numerically (not as text).
    feed(
        &mut inv,
        &[ev(
            5,
            flow("10.0.0.9:0", "10.0.0.255:0", 0),
            arp(mac(9), "10.0.0.9"),
        )],
    );
    let table = render::render(inv.state(), Format::Table);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("IP "));
    assert!(lines[1].starts_with("10.0.0.9 "));
    assert!(lines[2].starts_with("10.0.0.10 "));
    assert!(lines.iter().all(|l| l.chars().count() <= TABLE_WIDTH));
    // Vendor from the IEEE registry: 00-80-F4 is TELEMECANIQUE ELECTRIQUE.
    assert!(lines[3].contains("TELEMECANIQUE"), "{}", lines[3]);
    assert!(lines[3].contains("modbus_server"));

    let json: serde_json::Value =
        serde_json::from_str(&render::render(inv.state(), Format::Json)).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 4);
    assert_eq!(json[1]["ip"], "10.0.0.10");
    assert_eq!(json[1]["services_used"][0], "tcp/502 (modbus)");
    assert_eq!(json[2]["vendors"][0], "TELEMECANIQUE ELECTRIQUE");

    let csv = render::render(inv.state(), Format::Csv);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 5);
    assert!(rows[0].starts_with("ip,macs,vendors,"));
    assert!(rows[2].starts_with("10.0.0.10,00:80:f4:00:00:0a,TELEMECANIQUE ELECTRIQUE,"));
    assert!("xml".parse::<Format>().is_err());
}
