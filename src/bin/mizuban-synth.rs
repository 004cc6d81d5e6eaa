//! Regenerates the bundled sample capture and builds large captures for the throughput
//! run. `mizuban-synth sample [OUT]`, `mizuban-synth throughput OUT PACKETS FLOWS`,
//! `mizuban-synth flood KIND OUT PACKETS [MODBUS_EVERY]` (KIND: address-scan, spoofed,
//! fragments, random-seq, syn, arp, udp-ports, or `all` with OUT a directory).

use std::fs::File;
use std::io::{BufWriter, Write};

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
        Some("flood") => flood(&args)?,
        _ => {
            eprintln!(
                "usage: mizuban-synth sample [OUT] | throughput OUT PACKETS FLOWS | \
                 flood KIND|all OUT PACKETS [MODBUS_EVERY]"
            );
            std::process::exit(2);
        }
    }
    Ok(())
}

/// `flood KIND OUT PACKETS [MODBUS_EVERY]`; with KIND `all`, OUT is a directory that
/// gets one `<kind>.pcap` per kind.
fn flood(args: &[String]) -> anyhow::Result<()> {
    use mizuban::synth::flood::{FloodKind, FloodSpec, write_flood};
    let usage = || anyhow::anyhow!("usage: flood KIND|all OUT PACKETS [MODBUS_EVERY]");
    let kind = args.get(1).ok_or_else(usage)?;
    let out = std::path::PathBuf::from(args.get(2).ok_or_else(usage)?);
    let packets: u64 = args.get(3).ok_or_else(usage)?.parse()?;
    let modbus_every: u64 = args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(0);
    let kinds: Vec<(FloodKind, std::path::PathBuf)> = if kind == "all" {
        std::fs::create_dir_all(&out)?;
        FloodKind::ALL
            .iter()
            .map(|k| (*k, out.join(format!("{}.pcap", k.as_str()))))
            .collect()
    } else {
        let k = FloodKind::parse(kind).ok_or_else(|| anyhow::anyhow!("unknown flood {kind}"))?;
        vec![(k, out)]
    };
    for (kind, path) in kinds {
        let spec = FloodSpec {
            kind,
            packets,
            modbus_every,
            seed: 14,
        };
        let f = BufWriter::with_capacity(1 << 20, File::create(&path)?);
        let (mut f, trace) = write_flood(f, &spec)?;
        f.flush()?;
        eprintln!(
            "wrote {}: {} packets, {} interleaved Modbus transactions",
            path.display(),
            trace.packets,
            trace.modbus_transactions
        );
    }
    Ok(())
}
