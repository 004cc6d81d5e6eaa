//! Alerts over syslog, read back by a real rsyslogd: the test starts rsyslogd with a
//! temporary configuration (imudp and imtcp on free loopback ports, no system log), has
//! it write the fields it parsed from each message (%msgid%, %syslogseverity%,
//! %structured-data%, %msg%) to a file, replays samples/water-plant.pcap with
//! `--alerts-syslog udp://...` and `tcp://...` (and CEF), and compares what rsyslogd
//! parsed with the JSON alert lines of the same run.
//!
//! SKIPs when rsyslogd is missing, unless MIZUBAN_REQUIRE_TOOLS is set.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Bound on rsyslogd starting to listen and on its file filling up.
const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);

/// Kills rsyslogd on drop, so a failed assertion leaves no process behind.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_tcp_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn free_udp_port() -> u16 {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

struct Rsyslog {
    _proc: Reaped,
    out: PathBuf,
    udp: u16,
    tcp: u16,
}

/// One field per `\t`-separated column; %msg% last (it may contain anything but tabs
/// and newlines, which our messages never carry).
const TEMPLATE: &str = "%inputname%\\t%syslogseverity%\\t%syslogfacility%\\t%app-name%\\t%msgid%\\t%structured-data%\\t%msg%\\n";

fn start_rsyslog(dir: &Path) -> Rsyslog {
    let (udp, tcp) = (free_udp_port(), free_tcp_port());
    let out = dir.join("received.log");
    let conf = dir.join("rsyslog.conf");
    std::fs::write(
        &conf,
        format!(
            "global(workDirectory=\"{dir}\" maxMessageSize=\"16k\")\n\
             module(load=\"imudp\")\n\
             module(load=\"imtcp\")\n\
             template(name=\"fields\" type=\"string\" string=\"{TEMPLATE}\")\n\
             ruleset(name=\"alerts\") {{ action(type=\"omfile\" file=\"{out}\" template=\"fields\") }}\n\
             input(type=\"imudp\" address=\"127.0.0.1\" port=\"{udp}\" ruleset=\"alerts\")\n\
             input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{tcp}\" ruleset=\"alerts\")\n",
            dir = dir.display(),
            out = out.display(),
        ),
    )
    .unwrap();
    let child = Command::new("rsyslogd")
        .arg("-n")
        .arg("-f")
        .arg(&conf)
        .arg("-i")
        .arg(dir.join("rsyslogd.pid"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("rsyslogd.err")).unwrap())
        .spawn()
        .expect("start rsyslogd");
    let mut proc = Reaped(child);
    // Listening on TCP means its inputs are up (imudp starts with them).
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(Some(st)) = proc.0.try_wait() {
            panic!(
                "rsyslogd exited ({st}): {}",
                std::fs::read_to_string(dir.join("rsyslogd.err")).unwrap_or_default()
            );
        }
        if std::net::TcpStream::connect(("127.0.0.1", tcp)).is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "rsyslogd did not listen on {tcp}"
        );
        std::thread::sleep(POLL);
    }
    Rsyslog {
        _proc: proc,
        out,
        udp,
        tcp,
    }
}

/// Replays the sample with the given syslog arguments; returns the JSON alert lines.
fn replay(dir: &Path, name: &str, extra: &[String]) -> Vec<serde_json::Value> {
    let alerts = dir.join(format!("{name}.jsonl"));
    let out = common::mizuban()
        .args(["replay", "--no-progress", "--alerts"])
        .arg(&alerts)
        .args(extra)
        .arg(common::sample_pcap())
        .output()
        .expect("run mizuban");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&alerts)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The received lines from one input, waiting (bounded) until there are `n`.
fn received(r: &Rsyslog, input: &str, n: usize) -> Vec<Vec<String>> {
    let deadline = Instant::now() + WAIT;
    loop {
        let text = std::fs::read_to_string(&r.out).unwrap_or_default();
        let rows: Vec<Vec<String>> = text
            .lines()
            .map(|l| l.split('\t').map(str::to_string).collect::<Vec<_>>())
            .filter(|cols| cols.first().map(String::as_str) == Some(input))
            .collect();
        if rows.len() >= n || Instant::now() >= deadline {
            return rows;
        }
        std::thread::sleep(POLL);
    }
}

fn severity_code(s: &str) -> &'static str {
    match s {
        "critical" => "2",
        "high" => "3",
        "medium" => "4",
        "low" => "5",
        "info" => "6",
        other => panic!("unknown severity {other}"),
    }
}

/// Every JSON alert arrived once, in order, with rsyslogd's parse of the header and
/// structured data matching the alert.
fn assert_same(alerts: &[serde_json::Value], rows: &[Vec<String>], cef: bool) {
    assert_eq!(rows.len(), alerts.len(), "received: {rows:#?}");
    for (a, row) in alerts.iter().zip(rows) {
        let [_, sev, facility, app, msgid, sd, msg] = row.as_slice() else {
            panic!("row has {} columns: {row:?}", row.len());
        };
        let rule = a["rule"].as_str().unwrap();
        assert_eq!(msgid, rule);
        assert_eq!(app, "mizuban");
        assert_eq!(facility, "16", "local0");
        assert_eq!(sev, severity_code(a["severity"].as_str().unwrap()));
        assert!(sd.starts_with("[mizuban@32473 "), "{sd}");
        for (field, key) in [("id", "id"), ("rule", "rule"), ("severity", "severity")] {
            let want = format!("{key}=\"{}\"", a[field].as_str().unwrap());
            assert!(sd.contains(&want), "{want} not in {sd}");
        }
        for field in ["src_ip", "dst_ip"] {
            if let Some(ip) = a[field].as_str() {
                assert!(sd.contains(&format!("{field}=\"{ip}\"")), "{field} in {sd}");
            }
        }
        if cef {
            let sev = a["severity"].as_str().unwrap();
            let cef_sev = match sev {
                "info" => 1,
                "low" => 3,
                "medium" => 5,
                "high" => 8,
                _ => 10,
            };
            assert!(
                msg.starts_with(&format!(
                    "CEF:0|mizuban|mizuban|{}|{rule}|{rule}|{cef_sev}|",
                    env!("CARGO_PKG_VERSION")
                )),
                "{msg}"
            );
            assert!(msg.contains(&format!("externalId={}", a["id"].as_str().unwrap())));
            if let Some(ip) = a["dst_ip"].as_str() {
                assert!(msg.contains(&format!("dst={ip}")), "{msg}");
            }
        } else {
            assert_eq!(msg, a["message"].as_str().unwrap());
        }
    }
}

#[test]
fn rsyslogd_receives_every_alert_over_udp_and_tcp_and_in_cef() {
    if !common::have_tool("rsyslogd") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = start_rsyslog(dir.path());

    let udp_prom = dir.path().join("udp.prom");
    let udp = replay(
        dir.path(),
        "udp",
        &[
            "--alerts-syslog".into(),
            format!("udp://127.0.0.1:{}", r.udp),
            "--metrics-textfile".into(),
            udp_prom.display().to_string(),
        ],
    );
    assert!(
        udp.iter().any(|a| a["rule"] == "internet_egress"),
        "the sample has internet egress"
    );
    assert_same(&udp, &received(&r, "imudp", udp.len()), false);
    assert_eq!(
        counter(&udp_prom, "mizuban_syslog_sent_total"),
        udp.len(),
        "every alert rsyslogd received is counted as sent"
    );

    let tcp = replay(
        dir.path(),
        "tcp",
        &[
            "--alerts-syslog".into(),
            format!("tcp://127.0.0.1:{}", r.tcp),
        ],
    );
    assert_eq!(tcp, udp, "same capture, same alerts");
    assert_same(&tcp, &received(&r, "imtcp", tcp.len()), false);

    // CEF over TCP; rows after the plain TCP ones.
    let cef = replay(
        dir.path(),
        "cef",
        &[
            "--alerts-syslog".into(),
            format!("tcp://127.0.0.1:{}", r.tcp),
            "--alerts-syslog-format".into(),
            "cef".into(),
        ],
    );
    let rows = received(&r, "imtcp", tcp.len() + cef.len());
    assert_same(&cef, &rows[tcp.len().min(rows.len())..], true);
}

/// A receiver that is not there: the replay still finishes (after the bounded drain
/// time), and every alert it could not send is counted in the drop metrics.
#[test]
fn unreachable_tcp_receiver_is_counted_not_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("m.prom");
    let alerts = replay(
        dir.path(),
        "unreachable",
        &[
            "--alerts-syslog".into(),
            format!("tcp://127.0.0.1:{}", free_tcp_port()),
            "--metrics-textfile".into(),
            prom.display().to_string(),
        ],
    );
    assert!(!alerts.is_empty());
    let unsent = counter(&prom, "mizuban_drops_total{reason=\"syslog_unsent\"}");
    assert_eq!(unsent, alerts.len());
    assert_eq!(counter(&prom, "mizuban_syslog_sent_total"), 0);
}

/// The value of one series in a Prometheus text file.
fn counter(prom: &std::path::Path, series: &str) -> usize {
    let text = std::fs::read_to_string(prom).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
}
