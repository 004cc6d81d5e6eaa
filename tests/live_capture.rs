//! Live capture on a veth pair between two network namespaces (issue 7, point 5).
//!
//! Topology, all inside namespaces this test creates and deletes (nothing is sent on the
//! host's own interfaces):
//!
//! ```text
//!   ns "plc"  veth 192.168.77.2/24  <---->  veth 192.168.77.1/24  ns "hmi"
//!             route 203.0.113.0/24 on-link        + 203.0.113.10/24 ("internet", TEST-NET-3)
//!                                                  mizuban captures here, metrics on lo
//! ```
//!
//! The HMI reads holding registers (FC 3) and writes one register (FC 6) on the PLC's
//! Modbus/TCP server; the PLC opens a TCP connection to 203.0.113.10. Expected values
//! come from the traffic the test itself generates (function codes, transaction ids,
//! addresses), not from mizuban's output.
//!
//! Needs root, `ip` (iproute2) and python3. Without them it prints SKIP and passes,
//! unless MIZUBAN_REQUIRE_TOOLS is set (CI), where it fails.
#![cfg(feature = "live")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Generous bound for anything asynchronous (capture, pipeline, metrics refresh). Only
/// an upper bound: every wait polls and returns as soon as the condition holds.
const WAIT: Duration = Duration::from_secs(20);
/// The issue requires SIGTERM to end the process within 5 seconds.
const SIGTERM_LIMIT: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(100);
const METRICS_ADDR: &str = "127.0.0.1:19731";
const PLC_IP: &str = "192.168.77.2";
const HMI_IP: &str = "192.168.77.1";
const INTERNET_IP: &str = "203.0.113.10";

const GOOD_CONFIG: &str = "[detect.policy]\ninternal_networks = [\"192.168.77.0/24\"]\n";
/// A prefix length of 33 is invalid (RFC 4632): the reload must be refused.
const BAD_CONFIG: &str = "[detect.policy]\ninternal_networks = [\"192.168.77.0/33\"]\n";

/// Modbus/TCP server (MODBUS Messaging on TCP/IP Implementation Guide v1.0b, 3.1.3: MBAP
/// header of 7 bytes). FC 3 answers register i with the value address+i; FC 6 echoes
/// the request (Application Protocol v1.1b3, 6.3 and 6.6).
const MODBUS_SERVER: &str = r#"
import socket, struct, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 502))
s.listen(4)
while True:
    c, _ = s.accept()
    buf = b""
    while True:
        d = c.recv(4096)
        if not d:
            break
        buf += d
        while len(buf) >= 7:
            tid, pid, ln, uid = struct.unpack(">HHHB", buf[:7])
            if len(buf) < 6 + ln:
                break
            pdu, buf = buf[7:6 + ln], buf[6 + ln:]
            fc = pdu[0]
            if fc == 3:
                addr, qty = struct.unpack(">HH", pdu[1:5])
                resp = bytes([3, 2 * qty]) + b"".join(struct.pack(">H", addr + i) for i in range(qty))
            elif fc == 6:
                resp = pdu[:5]
            else:
                resp = bytes([fc | 0x80, 1])
            c.sendall(struct.pack(">HHHB", tid, 0, len(resp) + 1, uid) + resp)
    c.close()
"#;

/// Modbus/TCP client: three FC 3 reads (trans ids base..base+2, address 0, 4 registers)
/// and one FC 6 write (trans id base+3, register 10 := 1234), each answered before the
/// next. Retries the connection for a while (the server may still be starting).
const MODBUS_CLIENT: &str = r#"
import socket, struct, sys, time
host, base = sys.argv[1], int(sys.argv[2])
deadline = time.time() + 15
while True:
    try:
        c = socket.create_connection((host, 502), timeout=2)
        break
    except OSError:
        if time.time() > deadline:
            raise
        time.sleep(0.2)
def call(tid, pdu):
    c.sendall(struct.pack(">HHHB", tid, 0, len(pdu) + 1, 1) + pdu)
    want, got = None, b""
    while want is None or len(got) < want:
        d = c.recv(4096)
        if not d:
            raise SystemExit("connection closed")
        got += d
        if want is None and len(got) >= 6:
            want = 6 + struct.unpack(">H", got[4:6])[0]
    assert struct.unpack(">H", got[:2])[0] == tid
for i in range(3):
    call(base + i, struct.pack(">BHH", 3, 0, 4))
call(base + 3, struct.pack(">BHH", 6, 10, 1234))
c.close()
print("ok")
"#;

/// The "internet" host: accepts, answers a few bytes, closes.
const INTERNET_SERVER: &str = r#"
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 443))
s.listen(4)
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"hello from the internet\n")
    c.close()
"#;

/// The PLC phoning home: connects from its own address, sends, reads the answer.
const PLC_CALLS_HOME: &str = r#"
import socket, sys, time
deadline = time.time() + 15
while True:
    try:
        c = socket.create_connection((sys.argv[1], 443), timeout=2, source_address=(sys.argv[2], 0))
        break
    except OSError:
        if time.time() > deadline:
            raise
        time.sleep(0.2)
c.sendall(b"GET /firmware HTTP/1.0\r\n\r\n")
c.recv(4096)
c.close()
print("ok")
"#;

const FETCH_METRICS: &str = r#"
import sys, urllib.request
print(urllib.request.urlopen("http://" + sys.argv[1] + "/metrics", timeout=2).read().decode())
"#;

fn require_tools() -> bool {
    std::env::var_os("MIZUBAN_REQUIRE_TOOLS").is_some()
}

fn skip_or_fail(why: &str) {
    if require_tools() {
        panic!("{why} (MIZUBAN_REQUIRE_TOOLS is set)");
    }
    eprintln!("SKIP: {why}");
}

fn have_tool(name: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name} >/dev/null 2>&1"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn python() -> &'static str {
    // Debian's python3-pymodbus lives with /usr/bin/python3; plain sockets need nothing.
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

fn run(args: &[&str]) {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Two namespaces and the veth pair between them; deleted on drop, even when the test
/// fails (deleting a namespace deletes its veth end, and the peer with it).
struct Netns {
    plc: String,
    hmi: String,
    plc_if: String,
    hmi_if: String,
}

impl Netns {
    fn create() -> Netns {
        let pid = std::process::id();
        let n = Netns {
            plc: format!("mzb-plc-{pid}"),
            hmi: format!("mzb-hmi-{pid}"),
            // Interface names are limited to 15 bytes (IFNAMSIZ - 1).
            plc_if: format!("mzp{pid}"),
            hmi_if: format!("mzh{pid}"),
        };
        run(&["ip", "netns", "add", &n.plc]);
        run(&["ip", "netns", "add", &n.hmi]);
        // Created directly inside the namespaces: the host's own namespace never holds
        // either end.
        run(&[
            "ip", "-n", &n.hmi, "link", "add", &n.hmi_if, "type", "veth", "peer", "name",
            &n.plc_if, "netns", &n.plc,
        ]);
        run(&[
            "ip",
            "-n",
            &n.plc,
            "addr",
            "add",
            &format!("{PLC_IP}/24"),
            "dev",
            &n.plc_if,
        ]);
        run(&[
            "ip",
            "-n",
            &n.hmi,
            "addr",
            "add",
            &format!("{HMI_IP}/24"),
            "dev",
            &n.hmi_if,
        ]);
        run(&[
            "ip",
            "-n",
            &n.hmi,
            "addr",
            "add",
            &format!("{INTERNET_IP}/24"),
            "dev",
            &n.hmi_if,
        ]);
        for (ns, dev) in [(&n.plc, &n.plc_if), (&n.hmi, &n.hmi_if)] {
            run(&["ip", "-n", ns, "link", "set", "lo", "up"]);
            run(&["ip", "-n", ns, "link", "set", dev, "up"]);
        }
        // The PLC reaches the "internet" on-link, with no gateway and no default route.
        run(&[
            "ip",
            "-n",
            &n.plc,
            "route",
            "add",
            "203.0.113.0/24",
            "dev",
            &n.plc_if,
        ]);
        n
    }

    fn exec(&self, ns: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns]);
        c
    }

    fn python(&self, ns: &str, script: &str, args: &[&str]) -> Command {
        let mut c = self.exec(ns);
        c.args([python(), "-c", script]).args(args);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for ns in [&self.plc, &self.hmi] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// Background processes, killed on drop (before the namespaces go: declared after them).
#[derive(Default)]
struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Files shown when a wait times out (mizuban's stderr, events, alerts).
static DIAG: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() >= deadline {
            let mut msg = String::new();
            for p in DIAG.lock().map(|d| d.clone()).unwrap_or_default() {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(40).collect();
                msg.push_str(&format!("\n--- {} (last 40 lines)\n", p.display()));
                for l in tail.iter().rev() {
                    msg.push_str(l);
                    msg.push('\n');
                }
            }
            panic!("timed out waiting for {what}{msg}");
        }
        std::thread::sleep(POLL);
    }
}

fn json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The Modbus transactions (function, trans id) between the HMI and the PLC.
fn modbus_transactions(events: &Path) -> Vec<(u64, u64)> {
    json_lines(events)
        .iter()
        .filter(|e| e["type"] == "modbus" && e["server"] == format!("{PLC_IP}:502"))
        .filter(|e| e["client"].as_str().is_some_and(|c| c.starts_with(HMI_IP)))
        .map(|e| {
            (
                e["function"].as_u64().unwrap_or(0),
                e["trans_id"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn expected_transactions(base: u64) -> Vec<(u64, u64)> {
    vec![(3, base), (3, base + 1), (3, base + 2), (6, base + 3)]
}

/// Sum of the samples of `name` whose labels contain `label` ("" for any).
fn metric(text: &str, name: &str, label: &str) -> Option<f64> {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let base = series.split('{').next().unwrap_or("");
        if base == name && series.contains(label) {
            let v: f64 = value.parse().ok()?;
            found = Some(found.unwrap_or(0.0) + v);
        }
    }
    found
}

fn stderr_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn signal(child: &Child, sig: &str) {
    run(&["kill", &format!("-{sig}"), &child.id().to_string()]);
}

fn wait_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(POLL);
    }
}

#[test]
fn live_capture_on_veth_pair() {
    if !nix::unistd::geteuid().is_root() {
        return skip_or_fail("live capture test needs root (network namespaces)");
    }
    for tool in ["ip", "kill"] {
        if !have_tool(tool) {
            return skip_or_fail(&format!("{tool} not installed"));
        }
    }
    if !have_tool(python()) {
        return skip_or_fail("python3 not installed");
    }

    let net = Netns::create();
    let mut procs = Procs::default();
    let dir = tempfile::tempdir().unwrap();
    let alerts = dir.path().join("alerts.jsonl");
    let events = dir.path().join("events.jsonl");
    let log = dir.path().join("mizuban.stderr");
    let config: PathBuf = dir.path().join("mizuban.toml");
    std::fs::write(&config, GOOD_CONFIG).unwrap();
    *DIAG.lock().unwrap() = vec![log.clone(), events.clone(), alerts.clone()];

    // mizuban in the HMI namespace, watching the veth like a SPAN port.
    let mut cmd = net.exec(&net.hmi);
    cmd.arg(env!("CARGO_BIN_EXE_mizuban"))
        .args(["capture", "-i", &net.hmi_if, "--workers", "2"])
        .arg("--config")
        .arg(&config)
        .arg("--alerts")
        .arg(&alerts)
        .arg("--events")
        .arg(&events)
        .args(["--metrics-listen", METRICS_ADDR])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&log).unwrap());
    // `ip netns exec` execs the command, so this pid is mizuban's own.
    let mut mizuban = Some(cmd.spawn().unwrap());
    struct KillOnDrop<'a>(&'a mut Option<Child>);
    impl Drop for KillOnDrop<'_> {
        fn drop(&mut self) {
            if let Some(c) = self.0.as_mut() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
    let guard = KillOnDrop(&mut mizuban);
    let fetch = || -> Option<String> {
        let out = net
            .python(&net.hmi, FETCH_METRICS, &[METRICS_ADDR])
            .stderr(Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    // The metrics server starts after the capture handle is open.
    wait_for("the metrics endpoint", || {
        if let Some(c) = guard.0.as_mut()
            && let Ok(Some(s)) = c.try_wait()
        {
            panic!("mizuban exited early ({s}): {}", stderr_text(&log));
        }
        fetch()
    });

    // Servers: Modbus on the PLC, the "internet" on the HMI side.
    procs.0.push(
        net.python(&net.plc, MODBUS_SERVER, &[PLC_IP])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    procs.0.push(
        net.python(&net.hmi, INTERNET_SERVER, &[INTERNET_IP])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = |base: &str| {
        let out = net
            .python(&net.hmi, MODBUS_CLIENT, &[PLC_IP, base])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "modbus client: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    client("1");
    let out = net
        .python(&net.plc, PLC_CALLS_HOME, &[INTERNET_IP, PLC_IP])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "plc: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // 1. The Modbus transactions in the event log.
    let want = expected_transactions(1);
    wait_for("the Modbus transactions in the event log", || {
        let got = modbus_transactions(&events);
        want.iter().all(|t| got.contains(t)).then_some(())
    });
    let fc6 = json_lines(&events)
        .into_iter()
        .find(|e| e["type"] == "modbus" && e["function"] == 6)
        .unwrap();
    assert_eq!(fc6["address"], 10, "{fc6}");
    assert_eq!(fc6["class"], "write", "{fc6}");

    // 2. The egress alert.
    wait_for("the internet_egress alert", || {
        json_lines(&alerts)
            .iter()
            .any(|a| {
                a["rule"] == "internet_egress"
                    && a["src_ip"] == PLC_IP
                    && a["dst_ip"] == INTERNET_IP
                    && a["dst_port"] == 443
            })
            .then_some(())
    });

    // 3. The counters on /metrics.
    wait_for("capture and alert counters on /metrics", || {
        let m = fetch()?;
        let packets = metric(&m, "mizuban_capture_packets_total", "")?;
        let egress = metric(&m, "mizuban_alerts_total", "rule=\"internet_egress\"")?;
        let fc3 = metric(&m, "mizuban_modbus_transactions_total", "function=\"3\"")?;
        (packets > 0.0 && egress > 0.0 && fc3 >= 3.0).then_some(())
    });

    // 4. Link flap: the interface goes down and comes back; capture resumes by itself.
    let down_before = metric(
        &fetch().unwrap_or_default(),
        "mizuban_drops_total",
        "reason=\"interface_down\"",
    )
    .unwrap_or(0.0);
    run(&["ip", "-n", &net.hmi, "link", "set", &net.hmi_if, "down"]);
    wait_for("mizuban to notice the interface went down", || {
        stderr_text(&log)
            .contains(&format!("interface {} failed", net.hmi_if))
            .then_some(())
    });
    run(&["ip", "-n", &net.hmi, "link", "set", &net.hmi_if, "up"]);
    wait_for("mizuban to reopen the interface", || {
        stderr_text(&log)
            .contains(&format!("interface {} is back", net.hmi_if))
            .then_some(())
    });
    client("10");
    let want = expected_transactions(10);
    wait_for(
        "Modbus transactions captured after the link came back",
        || {
            let got = modbus_transactions(&events);
            want.iter().all(|t| got.contains(t)).then_some(())
        },
    );
    wait_for(
        "mizuban_drops_total{reason=\"interface_down\"} to rise",
        || {
            let m = fetch()?;
            let down = metric(&m, "mizuban_drops_total", "reason=\"interface_down\"")?;
            (down > down_before).then_some(())
        },
    );

    // 5. SIGHUP with a bad config: refused, the running policy kept, still running.
    let child = guard.0.as_mut().unwrap();
    std::fs::write(&config, BAD_CONFIG).unwrap();
    signal(child, "HUP");
    wait_for("the bad config to be refused", || {
        stderr_text(&log)
            .contains("kept the running policy")
            .then_some(())
    });
    assert!(
        child.try_wait().unwrap().is_none(),
        "mizuban died on a bad config"
    );
    // ... and with a good one: reloaded.
    std::fs::write(&config, GOOD_CONFIG).unwrap();
    signal(child, "HUP");
    wait_for("the good config to be reloaded", || {
        stderr_text(&log).contains("reloaded policy").then_some(())
    });
    assert!(
        child.try_wait().unwrap().is_none(),
        "mizuban died on a reload"
    );
    // Still capturing after the reload.
    client("20");
    let want = expected_transactions(20);
    wait_for("Modbus transactions captured after the reload", || {
        let got = modbus_transactions(&events);
        want.iter().all(|t| got.contains(t)).then_some(())
    });

    // 6. Log rotation as logrotate does it: rename, then SIGHUP. The next lines go to a
    // new file at the old path; the renamed one keeps what was written before.
    let (old_events, old_alerts) = (
        dir.path().join("events.jsonl.1"),
        dir.path().join("alerts.jsonl.1"),
    );
    std::fs::rename(&events, &old_events).unwrap();
    std::fs::rename(&alerts, &old_alerts).unwrap();
    *DIAG.lock().unwrap() = vec![log.clone(), events.clone(), old_events.clone()];
    signal(child, "HUP");
    // The periodic flush reopens an idle file too, so both appear without traffic.
    wait_for("new log files after SIGHUP", || {
        (events.exists() && alerts.exists()).then_some(())
    });
    client("30");
    let want = expected_transactions(30);
    wait_for("Modbus transactions in the new event file", || {
        let got = modbus_transactions(&events);
        want.iter().all(|t| got.contains(t)).then_some(())
    });
    let before = modbus_transactions(&old_events);
    assert!(
        expected_transactions(20).iter().all(|t| before.contains(t)),
        "the rotated file lost lines written before the rotation: {before:?}"
    );
    assert!(
        !want.iter().any(|t| before.contains(t)),
        "lines written after SIGHUP went to the rotated file: {before:?}"
    );
    let after = modbus_transactions(&events);
    assert!(
        !expected_transactions(20).iter().any(|t| after.contains(t)),
        "the new file repeats old lines: {after:?}"
    );

    // 7. SIGTERM: drains, prints the summary, exits 0 within 5 s.
    signal(child, "TERM");
    let status = wait_exit(child, SIGTERM_LIMIT);
    let text = stderr_text(&log);
    let status = status.unwrap_or_else(|| panic!("no exit within 5 s after SIGTERM: {text}"));
    assert!(status.success(), "exit {status}: {text}");
    assert!(text.contains("summary"), "{text}");
    assert!(
        text.contains("closed-network verdict: NOT CLOSED"),
        "{text}"
    );
    assert!(text.contains("internet_egress"), "{text}");
    // The egress alert (raised before the rotation) is still in its file after the
    // final flush.
    assert!(
        json_lines(&old_alerts)
            .iter()
            .any(|a| a["rule"] == "internet_egress")
    );
    drop(guard);
}
