//! A real Prometheus scrapes `mizuban replay --metrics-listen ... --linger` replaying
//! samples/water-plant.pcap (which contains internet egress) and evaluates
//! deploy/prometheus/mizuban-rules.yml. Through Prometheus' HTTP API the test waits for
//! the alert counter to be non-zero and for `MizubanInternetEgress` to fire (the
//! `ALERTS` series), checks a scrape with `promtool check metrics`, then stops mizuban
//! with SIGTERM and expects a clean exit. Loopback addresses only.
//!
//! SKIPs (prints "SKIP: ...") when prometheus or promtool is missing, unless
//! MIZUBAN_REQUIRE_TOOLS is set.

mod common;

use common::prom::{
    POLL, free_addr, http_get, query, sample_value, start_lingering_replay, start_prometheus, tail,
    terminate,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Bound on waiting for Prometheus to scrape, evaluate and fire.
const ALERT_TIMEOUT: Duration = Duration::from_secs(60);

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn require_tools() -> bool {
    std::env::var_os("MIZUBAN_REQUIRE_TOOLS").is_some()
}

/// True when `tool` is missing and the test should skip (fails under MIZUBAN_REQUIRE_TOOLS).
fn tool_missing(tool: &str) -> bool {
    !common::have_tool(tool)
}

#[test]
fn prometheus_scrapes_mizuban_and_fires_internet_egress() {
    if tool_missing("prometheus") || tool_missing("promtool") {
        return;
    }
    if !common::prom::replay_can_linger() {
        println!("SKIP: mizuban replay has no --metrics-listen/--linger yet");
        return;
    }
    let pcap = repo().join("samples/water-plant.pcap");
    if !pcap.exists() {
        assert!(!require_tools(), "{} missing", pcap.display());
        println!("SKIP: {} missing", pcap.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();

    // 1. mizuban on an ephemeral loopback port, announced on stderr.
    let common::prom::Lingering {
        proc: mut mizuban,
        metrics: metrics_addr,
        log: log_thread,
    } = start_lingering_replay(&pcap);

    // 2. Prometheus scraping it every second and evaluating the rules every second.
    let prom_addr = free_addr();
    let rules = repo().join("deploy/prometheus/mizuban-rules.yml");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
         rule_files:\n  - {}\n\
         scrape_configs:\n  - job_name: mizuban\n    static_configs:\n      - targets: ['{metrics_addr}']\n",
        rules.display()
    );
    let mut prometheus = start_prometheus(dir.path(), "prometheus", &config, prom_addr, &[]);

    // 3. Wait for the counter and the firing alert, bounded.
    let alerts_q = "sum(mizuban_alerts_total{job=\"mizuban\"})";
    let firing_q = "ALERTS{alertname=\"MizubanInternetEgress\",alertstate=\"firing\"}";
    let deadline = Instant::now() + ALERT_TIMEOUT;
    let (mut last_count, mut last_firing) = (String::new(), String::new());
    let mut done = false;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = prometheus.child().try_wait() {
            panic!(
                "prometheus exited early ({status}):\n{}",
                tail(&dir.path().join("prometheus.err"), 30)
            );
        }
        let count = query(prom_addr, alerts_q);
        let firing = query(prom_addr, firing_q);
        last_count = format!("{count:?}");
        last_firing = format!("{firing:?}");
        let count_ok = count
            .as_ref()
            .is_ok_and(|r| r.first().is_some_and(|s| sample_value(s) > 0.0));
        let firing_ok = firing.as_ref().is_ok_and(|r| {
            r.iter()
                .any(|s| s["metric"]["rule"] == "internet_egress" && sample_value(s) == 1.0)
        });
        if count_ok && firing_ok {
            done = true;
            break;
        }
        std::thread::sleep(POLL);
    }
    if !done {
        let targets = http_get(prom_addr, "/api/v1/targets")
            .map(|(_, b)| b)
            .unwrap_or_else(|e| e.to_string());
        panic!(
            "within {ALERT_TIMEOUT:?}: {alerts_q} -> {last_count}\n{firing_q} -> {last_firing}\n\
             targets: {targets}\nprometheus log:\n{}",
            tail(&dir.path().join("prometheus.err"), 30)
        );
    }

    // 4. A scrape passes promtool's lint.
    let (status, scrape) = http_get(metrics_addr, "/metrics").expect("scrape mizuban");
    assert_eq!(status, 200);
    assert!(scrape.contains("mizuban_alerts_total{rule=\"internet_egress\""));
    let mut lint = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run promtool");
    lint.stdin
        .take()
        .unwrap()
        .write_all(scrape.as_bytes())
        .unwrap();
    let out = lint.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && report.trim().is_empty(),
        "promtool check metrics:\n{report}"
    );

    // 5. SIGTERM ends the lingering replay cleanly; then Prometheus.
    let status = terminate(mizuban.child()).expect("mizuban did not exit after SIGTERM");
    mizuban.0 = None;
    let stderr_text = log_thread.join().unwrap_or_default();
    assert!(
        status.success(),
        "mizuban exited with {status}:\n{stderr_text}"
    );
    let _ = terminate(prometheus.child());
}

/// `capinfos -T -r -M -<flag>` on one file: its single number.
fn capinfos(flag: &str, file: &Path) -> u64 {
    let out = Command::new("capinfos")
        .args(["-T", "-r", "-M", flag])
        .arg(file)
        .output()
        .expect("run capinfos");
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .rsplit('\t')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("capinfos {flag}: {text}"))
}

/// `--metrics-textfile` writes the final totals, and they agree with capinfos.
#[test]
fn textfile_has_final_totals_matching_capinfos_and_passes_promtool() {
    if tool_missing("promtool") || tool_missing("capinfos") {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_mizuban");
    let help = Command::new(bin)
        .args(["replay", "--help"])
        .output()
        .expect("run mizuban replay --help");
    if !String::from_utf8_lossy(&help.stdout).contains("--metrics-textfile") {
        println!("SKIP: mizuban replay has no --metrics-textfile yet");
        return;
    }
    let pcap = repo().join("samples/water-plant.pcap");
    if !pcap.exists() {
        assert!(!require_tools(), "{} missing", pcap.display());
        println!("SKIP: {} missing", pcap.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("mizuban.prom");
    let out = Command::new(bin)
        .args(["replay", "--no-progress", "--metrics-textfile"])
        .arg(&prom)
        .arg(&pcap)
        .stdout(Stdio::null())
        .output()
        .expect("run mizuban");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&prom).expect("textfile written");
    let value = |series: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{series} not in textfile:\n{text}"))
    };
    assert_eq!(
        value("mizuban_capture_packets_total{source=\"file\"}"),
        capinfos("-c", &pcap)
    );
    assert_eq!(
        value("mizuban_capture_bytes_total{source=\"file\"}"),
        capinfos("-d", &pcap)
    );
    let lint = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&prom).unwrap())
        .output()
        .expect("run promtool");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    assert!(
        lint.status.success() && report.trim().is_empty(),
        "promtool check metrics:\n{report}"
    );
    // No temporary file is left beside it for node_exporter to trip over.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("mizuban.prom")]);
}
