//! End-to-end throughput: replays a large generated capture (default 10 million
//! Modbus-sized packets over 10 000 flows) through the whole pipeline — read, decode,
//! flows, reassembly, Modbus, detection — with 1 and 2 workers, and prints packets/s and
//! Gbit/s. Not a criterion bench: one long run per worker count is the measurement.
//!
//! `cargo bench --bench end_to_end` (env: MIZUBAN_E2E_PACKETS, MIZUBAN_E2E_FLOWS,
//! MIZUBAN_E2E_WORKERS="1,2").

use mizuban::config::Config;
use mizuban::pipeline::{self, RunHandles, RunOptions, sinks::Sinks, source::BackPressure};
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
    let packets: u64 = env_or("MIZUBAN_E2E_PACKETS", 10_000_000);
    let flows: u32 = env_or("MIZUBAN_E2E_FLOWS", 10_000);
    let workers: String = env_or("MIZUBAN_E2E_WORKERS", "1,2".to_string());
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join(format!("e2e-{packets}-{flows}.pcap"));
    if !file.exists() {
        eprintln!("generating {} ...", file.display());
        let tmp = file.with_extension("tmp");
        let f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
        mizuban::synth::write_throughput(f, packets, flows)?;
        std::fs::rename(&tmp, &file)?;
    }
    let size = std::fs::metadata(&file)?.len();
    println!(
        "capture: {} ({} packets, {} flows, {} bytes)",
        file.display(),
        packets,
        flows,
        size
    );
    let cfg = Config::default();
    for w in workers
        .split(',')
        .filter_map(|s| s.trim().parse::<usize>().ok())
    {
        let mut src = pipeline::files::FileSource::open(std::slice::from_ref(&file));
        let opts = RunOptions {
            tracker: None,
            workers: w,
            back_pressure: BackPressure::Block,
            input_names: vec![pipeline::display_name(&file)],
            sinks: Sinks::default(),
        };
        let r = pipeline::run(&cfg, &mut src, opts, &RunHandles::default())?;
        let secs = r.elapsed.as_secs_f64();
        println!(
            "workers={w}: {} packets in {:.2} s = {:.0} packets/s, {:.3} Gbit/s (wire bytes {}), modbus transactions {}",
            r.summary.packets,
            secs,
            r.summary.packets as f64 / secs,
            r.summary.bytes as f64 * 8.0 / secs / 1e9,
            r.summary.bytes,
            r.summary.modbus.transactions
        );
    }
    Ok(())
}
