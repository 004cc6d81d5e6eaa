//! Regenerates the bundled sample capture and builds large captures for the throughput
//! run. `mizuban-synth sample [OUT]`, `mizuban-synth throughput OUT PACKETS FLOWS`.

use std::fs::File;
use std::io::BufWriter;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("sample") => {
            let out = args
                .get(1)
                .map(String::as_str)
                .unwrap_or("samples/water-plant.pcap");
            let f = BufWriter::new(File::create(out)?);
            mizuban::synth::write_sample(f)?;
            eprintln!("wrote {out}");
        }
        Some("throughput") => {
            let out = args
                .get(1)
                .ok_or_else(|| anyhow::anyhow!("usage: throughput OUT PACKETS FLOWS"))?;
            let packets: u64 = args
                .get(2)
                .map(|s| s.parse())
                .transpose()?
                .unwrap_or(10_000_000);
            let flows: u32 = args
                .get(3)
                .map(|s| s.parse())
                .transpose()?
                .unwrap_or(10_000);
            let f = BufWriter::with_capacity(1 << 20, File::create(out)?);
            mizuban::synth::write_throughput(f, packets, flows)?;
            eprintln!("wrote {out}: {packets} packets over {flows} flows");
        }
        _ => {
            eprintln!("usage: mizuban-synth sample [OUT] | throughput OUT PACKETS FLOWS");
            std::process::exit(2);
        }
    }
    Ok(())
}
