//! Hostile traffic throughput (issue 14): each flood kind of `mizuban-synth flood`
//! (address scan, spoofed Modbus sources, incomplete fragments, random sequence numbers,
//! SYN flood, ARP storm, UDP to random ports), 1 million packets by default, replayed
//! through the whole pipeline with 2 workers under the default 256 MB budget. Prints
//! packets/s, the flows evicted and the peak bytes accounted per table. Not a criterion
//! bench: one long run per flood is the measurement. Peak RSS: run the binary on the
//! same files under `/usr/bin/time -v` (README, "Hostile traffic").
//!
//! `cargo bench --bench floods` (env: MIZUBAN_FLOOD_PACKETS, MIZUBAN_FLOOD_WORKERS,
//! MIZUBAN_FLOOD_KINDS="address-scan,spoofed").

use mizuban::config::Config;
use mizuban::pipeline::{self, RunHandles, RunOptions, sinks::Sinks, source::BackPressure};
use mizuban::synth::flood::{FloodKind, FloodSpec, write_flood};
use std::io::Write;
use std::path::PathBuf;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let packets: u64 = env_or("MIZUBAN_FLOOD_PACKETS", 1_000_000);
    let workers: usize = env_or("MIZUBAN_FLOOD_WORKERS", 2);
    let kinds: String = env_or("MIZUBAN_FLOOD_KINDS", String::new());
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&dir)?;
    let cfg = Config::default();
    for kind in FloodKind::ALL {
        if !kinds.is_empty() && !kinds.split(',').any(|k| k.trim() == kind.as_str()) {
            continue;
        }
        let file = dir.join(format!("flood-{}-{packets}.pcap", kind.as_str()));
        if !file.exists() {
            let tmp = file.with_extension("tmp");
            let f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
            let spec = FloodSpec {
                kind,
                packets,
                modbus_every: 0,
                seed: 14,
            };
            let (mut f, _) = write_flood(f, &spec)?;
            f.flush()?;
            drop(f);
            std::fs::rename(&tmp, &file)?;
        }
        let mut src = pipeline::files::FileSource::open(std::slice::from_ref(&file));
        let opts = RunOptions {
            tracker: None,
            workers,
            back_pressure: BackPressure::Block,
            input_names: vec![pipeline::display_name(&file)],
            sinks: Sinks::default(),
        };
        let r = pipeline::run(&cfg, &mut src, opts, &RunHandles::default())?;
        let secs = r.elapsed.as_secs_f64();
        println!(
            "{:<13} workers={workers}: {} packets in {:.2} s = {:.0} packets/s, flows {} (evicted {}), {}",
            kind.as_str(),
            r.summary.packets,
            secs,
            r.summary.packets as f64 / secs,
            r.summary.flows,
            r.summary.flows_evicted,
            r.summary.memory.render()
        );
    }
    Ok(())
}
