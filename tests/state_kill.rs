//! Checkpoints survive SIGKILL (issue 5 point 5): a real `mizuban replay --state-dir`
//! killed mid-run leaves a complete state file (persist writes a temp file, fsyncs it
//! and renames it over the old one), and a restart with the same directory resumes
//! from it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::{mizuban, sample_pcap};
use mizuban_detect::persist;
use std::fs::File;
use std::io::BufWriter;
use std::net::IpAddr;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, SystemTime};

/// Packets in the generated capture: a debug build replays it for far longer than
/// the kills below wait, so each kill lands mid-run (checked with `try_wait`).
const PACKETS: u64 = 300_000;
/// Connections in it: thousands of hosts make each checkpoint a megabyte or so, so
/// a kill has a real chance to land inside a save.
const FLOWS: u32 = 2_000;
/// Kills, each after the state file has been (re)written a different number of times.
const KILLS: u32 = 3;
/// Loop bound while waiting for a checkpoint (20 ms steps: 2 minutes). A bound on
/// the loop, not a timing assertion: a slow machine only waits longer.
const MAX_POLLS: u32 = 6_000;
const POLL: Duration = Duration::from_millis(20);

fn spawn(state_dir: &Path, pcap: &Path, stderr: &Path) -> Child {
    mizuban()
        .args([
            "replay",
            "--no-progress",
            "-w",
            "1",
            "--checkpoint-interval",
            "100ms",
            "--state-dir",
        ])
        .arg(state_dir)
        .arg(pcap)
        .stdout(Stdio::null())
        .stderr(File::create(stderr).unwrap())
        .spawn()
        .unwrap()
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Waits until `state` has been written `writes` times after `since` (a new
/// modification time each), with the child still running; false if it exited first.
fn wait_for_checkpoints(child: &mut Child, state: &Path, writes: u32) -> bool {
    let mut last = modified(state);
    let mut seen = 0;
    for _ in 0..MAX_POLLS {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let now = modified(state);
        if now.is_some() && now != last {
            seen += 1;
            last = now;
            if seen >= writes {
                return true;
            }
        }
        std::thread::sleep(POLL);
    }
    panic!("no checkpoint within {MAX_POLLS} polls");
}

#[test]
fn sigkill_mid_run_leaves_a_loadable_state_and_a_restart_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("throughput.pcap");
    let f = BufWriter::new(File::create(&pcap).unwrap());
    mizuban::synth::write_throughput(f, PACKETS, FLOWS).unwrap();
    let state_dir = dir.path().join("state");
    let state = state_dir.join("state.json");

    let mut hosts_before = 0;
    for kill in 1..=KILLS {
        let log = dir.path().join(format!("stderr-{kill}.txt"));
        let mut child = spawn(&state_dir, &pcap, &log);
        let running = wait_for_checkpoints(&mut child, &state, kill);
        assert!(
            running,
            "replay ended before it could be killed: raise PACKETS"
        );
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        assert!(!status.success(), "killed, not finished: {status:?}");

        // Whatever instant the kill hit, the file is a complete checkpoint.
        let st = persist::load_state(&state).unwrap_or_else(|e| panic!("kill {kill}: {e}"));
        let inv = st.inventory.expect("inventory half");
        assert!(st.baseline.is_some(), "baseline half");
        assert!(!inv.assets.is_empty());
        // Resumed runs start from the saved hosts: the inventory never shrinks.
        assert!(inv.assets.len() >= hosts_before, "kill {kill}");
        hosts_before = inv.assets.len();
        let err = std::fs::read_to_string(&log).unwrap();
        assert_eq!(
            err.contains("resuming from"),
            kill > 1,
            "kill {kill}: {err}"
        );
    }

    // A restart on another capture, run to the end: the saved hosts are still there
    // and the new ones are added.
    let log = dir.path().join("stderr-final.txt");
    let status = spawn(&state_dir, &sample_pcap(), &log).wait().unwrap();
    let err = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "{err}");
    assert!(err.contains("resuming from"), "{err}");
    let inv = persist::load_state(&state).unwrap().inventory.unwrap();
    assert!(inv.assets.len() > hosts_before);
    // 10.1.0.1 and 10.200.0.1 are flow 0's client and server
    // (`synth::write_throughput`); 192.168.10.21 is a PLC of the bundled sample
    // (`synth::PLCS`).
    for ip in ["10.1.0.1", "10.200.0.1", "192.168.10.21"] {
        let ip: IpAddr = ip.parse().unwrap();
        assert!(inv.assets.contains_key(&ip), "{ip}");
    }
    // Temporary files a kill left mid-save were cleared on restart.
    let names: Vec<String> = std::fs::read_dir(&state_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["state.json"]);
}
