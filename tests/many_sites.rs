//! Many sites, end to end with real components, all on loopback: two sensors
//! (`mizuban replay --linger`) replay different captures, samples/water-plant.pcap
//! (internet egress) at site "plant-a" and a Modbus capture without alerts at
//! "station-b". Each site has a Prometheus scraping its sensor with the `site` target
//! label and remote-writing to a central Prometheus (plant-a a full server, station-b in
//! agent mode), as in deploy/central/. The central Prometheus evaluates the shipped
//! alerting rules and the cross-site recording rules and sends to an Alertmanager
//! running deploy/central/alertmanager.yml. The test waits, bounded, until
//! Alertmanager's API holds MizubanInternetEgress for plant-a with severity critical
//! (and none for station-b), and until the central Prometheus answers the recording
//! rules (sensors up, verdict, control actions) for both sites. Intervals are 1 s so it runs in seconds.
//!
//! SKIPs when prometheus or prometheus-alertmanager is missing, unless
//! MIZUBAN_REQUIRE_TOOLS is set.

mod common;

use common::prom::{
    POLL, free_addr, http_get, query, sample_value, start_lingering_replay, start_prometheus, tail,
};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Bound on the whole chain: scrape, remote write, evaluation, notification.
const CHAIN_TIMEOUT: Duration = Duration::from_secs(90);

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn site_config(site: &str, sensor: SocketAddr, central: SocketAddr) -> String {
    format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
         scrape_configs:\n  - job_name: mizuban\n    static_configs:\n      - targets: ['{sensor}']\n        labels:\n          site: {site}\n\
         remote_write:\n  - url: http://{central}/api/v1/write\n    queue_config:\n      batch_send_deadline: 1s\n      min_backoff: 100ms\n      max_backoff: 1s\n"
    )
}

fn central_config(am: SocketAddr) -> String {
    format!(
        "global:\n  evaluation_interval: 1s\n\
         rule_files:\n  - {}\n  - {}\n\
         alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{am}']\n",
        repo().join("deploy/prometheus/mizuban-rules.yml").display(),
        repo()
            .join("deploy/central/mizuban-central-rules.yml")
            .display(),
    )
}

/// Alertmanager's current alerts (API v2), or the error text.
fn am_alerts(am: SocketAddr) -> Result<Vec<serde_json::Value>, String> {
    let (status, body) = http_get(am, "/api/v2/alerts").map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("HTTP {status}: {body}"));
    }
    serde_json::from_str::<serde_json::Value>(&body)
        .map_err(|e| e.to_string())?
        .as_array()
        .cloned()
        .ok_or_else(|| format!("not an array: {body}"))
}

fn sites_in(result: &[serde_json::Value]) -> Vec<String> {
    let mut s: Vec<String> = result
        .iter()
        .filter_map(|r| r["metric"]["site"].as_str().map(str::to_string))
        .collect();
    s.sort();
    s.dedup();
    s
}

fn logs(dir: &Path) -> String {
    ["central", "plant-a", "station-b", "alertmanager"]
        .iter()
        .map(|n| format!("--- {n}:\n{}", tail(&dir.join(format!("{n}.err")), 15)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn central_prometheus_and_alertmanager_see_both_sites() {
    if !common::have_tool("prometheus") || !common::have_tool("prometheus-alertmanager") {
        return;
    }
    if !common::prom::replay_can_linger() {
        println!("SKIP: mizuban replay has no --metrics-listen/--linger yet");
        return;
    }
    let quiet = repo().join("tests/corpus/modbus/iti_modbus_test.pcap");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // Sensors.
    let plant_a = start_lingering_replay(&common::sample_pcap());
    let station_b = start_lingering_replay(&quiet);

    // Alertmanager with the shipped configuration; no cluster port, only loopback.
    let am_addr = free_addr();
    let _alertmanager = common::prom::Reaped(Some(
        Command::new("prometheus-alertmanager")
            .arg(format!(
                "--config.file={}",
                repo().join("deploy/central/alertmanager.yml").display()
            ))
            .arg(format!("--storage.path={}", d.join("am-data").display()))
            .arg(format!("--web.listen-address={am_addr}"))
            .arg("--cluster.listen-address=")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("alertmanager.err")).unwrap())
            .spawn()
            .expect("start alertmanager"),
    ));

    // Central, then the sites remote-writing to it.
    let central_addr = free_addr();
    let _central = start_prometheus(
        d,
        "central",
        &central_config(am_addr),
        central_addr,
        &["--web.enable-remote-write-receiver"],
    );
    let _site_a = start_prometheus(
        d,
        "plant-a",
        &site_config("plant-a", plant_a.metrics, central_addr),
        free_addr(),
        &[],
    );
    let _site_b = start_prometheus(
        d,
        "station-b",
        &site_config("station-b", station_b.metrics, central_addr),
        free_addr(),
        &["--enable-feature=agent"],
    );

    let deadline = Instant::now() + CHAIN_TIMEOUT;
    let both = vec!["plant-a".to_string(), "station-b".to_string()];
    let (mut last_am, mut last_up, mut last_verdict, mut last_control) =
        (String::new(), String::new(), String::new(), String::new());
    let mut done = false;
    while Instant::now() < deadline {
        let alerts = am_alerts(am_addr);
        let up = query(central_addr, "site:mizuban_sensors_up:sum");
        let verdict = query(central_addr, "site:mizuban_closed_network_verdict:current");
        // Declared at zero at startup, so every site answers, with or without actions.
        let control = query(central_addr, "site:mizuban_control_actions:increase1h");
        let egress_a = alerts.as_ref().is_ok_and(|all| {
            all.iter().any(|a| {
                let l = &a["labels"];
                l["alertname"] == "MizubanInternetEgress"
                    && l["site"] == "plant-a"
                    && l["severity"] == "critical"
                    && l["rule"] == "internet_egress"
            })
        });
        let up_ok = up
            .as_ref()
            .is_ok_and(|r| sites_in(r) == both && r.iter().all(|s| sample_value(s) == 1.0));
        let verdict_ok = verdict.as_ref().is_ok_and(|r| {
            sites_in(r) == both
                && r.iter().any(|s| {
                    s["metric"]["site"] == "plant-a" && s["metric"]["verdict"] == "not_closed"
                })
        });
        let control_ok = control.as_ref().is_ok_and(|r| sites_in(r) == both);
        last_am = format!("{alerts:?}");
        last_up = format!("{up:?}");
        last_verdict = format!("{verdict:?}");
        last_control = format!("{control:?}");
        if egress_a && up_ok && verdict_ok && control_ok {
            // station-b's capture has no internet egress: no alert may name it.
            let all = alerts.unwrap();
            assert!(
                !all.iter().any(|a| a["labels"]["site"] == "station-b"
                    && a["labels"]["alertname"] == "MizubanInternetEgress"),
                "egress alert for the quiet site: {all:?}"
            );
            done = true;
            break;
        }
        std::thread::sleep(POLL);
    }
    assert!(
        done,
        "within {CHAIN_TIMEOUT:?}:\nalertmanager: {last_am}\nsensors up: {last_up}\n\
         verdict: {last_verdict}\ncontrol actions: {last_control}\n{}",
        logs(d)
    );
    // Everything is killed by the Reaped guards as it goes out of scope.
    drop(plant_a);
    drop(station_b);
}
