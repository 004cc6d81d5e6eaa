//! `mizuban baseline ...` and `mizuban assets`: build, read, compare and approve
//! baselines, and print the asset inventory of a state file.

use anyhow::Context;
use clap::{Args, Subcommand};
use mizuban::pipeline::{self, RunHandles, RunOptions, sinks::Sinks, source::BackPressure};
use mizuban::state;
use mizuban_detect::baseline::tracker::lock;
use mizuban_detect::baseline::{Baseline, BaselineConfig, BaselineState, diff, show};
use mizuban_detect::inventory::InventoryState;
use mizuban_detect::inventory::render::{self, Format};
use mizuban_detect::persist::{self, PersistError};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct BaselineArgs {
    #[command(subcommand)]
    command: BaselineCommand,
}

#[derive(Subcommand)]
enum BaselineCommand {
    /// Learn a baseline from capture files of normal traffic and save it.
    ///
    /// Every host, MAC, conversation, service, ICS role and Modbus client/function
    /// seen in the files becomes normal. Enforce it with
    /// `mizuban replay --baseline B.json FILE...`.
    ///
    /// Example: mizuban baseline learn --out plant.json week1.pcap week2.pcap
    Learn(LearnArgs),
    /// Print a baseline: mode, counts, pending findings and items.
    ///
    /// Shows the learning window, the counts per set and what caps dropped, the
    /// pending findings (with the rule:key to approve each by), then every item.
    /// Also reads the baseline half of a state file (STATE_DIR/state.json).
    Show {
        /// Baseline file (from `baseline learn`) or state file (`--state-dir`).
        file: PathBuf,
        /// Counts and pending findings only, without the item list.
        #[arg(long)]
        summary: bool,
    },
    /// Compare two baselines: `+ item` is only in NEW, `- item` only in OLD.
    ///
    /// Exits 0 when they hold the same items, 1 when they differ.
    Diff {
        /// The older baseline.
        old: PathBuf,
        /// The newer baseline.
        new: PathBuf,
    },
    /// Accept flagged changes so they stop alerting; rewrites FILE atomically.
    ///
    /// `mizuban replay --baseline FILE` records what it flagged in FILE; approve a
    /// finding by the `id` of its alert (e.g. new_host-0123456789abcdef), or by the
    /// `rule:key` `baseline show` lists, or a whole host with every pending finding
    /// that involves it.
    ///
    /// Example: mizuban baseline approve plant.json --host 192.168.0.99
    Approve(ApproveArgs),
}

#[derive(Args)]
pub struct LearnArgs {
    /// Where to write the baseline (written atomically; overwritten if present).
    #[arg(long, short = 'o', value_name = "B.json")]
    out: PathBuf,
    /// Configuration file (TOML): internal ranges, [detect.baseline] caps.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Worker threads (default: the config's, else one per core).
    #[arg(long, short = 'w', value_name = "N")]
    workers: Option<usize>,
    /// Capture files (pcap or pcapng) of normal traffic, merged in packet-time order.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

#[derive(Args)]
pub struct ApproveArgs {
    /// The baseline file to update.
    file: PathBuf,
    /// An alert id (new_host-0123456789abcdef) or rule:key; repeat for several.
    #[arg(long = "alert", value_name = "ID")]
    alerts: Vec<String>,
    /// Accept a host (IP address) and every pending finding involving it; repeatable.
    #[arg(long = "host", value_name = "IP")]
    hosts: Vec<IpAddr>,
}

#[derive(Args)]
pub struct AssetsArgs {
    /// Output format: table (fits a terminal), json or csv.
    #[arg(long, short = 'f', default_value = "table", value_parser = parse_format)]
    format: Format,
    /// State file: STATE_DIR/state.json, written by `replay --state-dir DIR` or by a
    /// run with `[state] dir` set.
    #[arg(value_name = "STATE")]
    state: PathBuf,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

pub fn baseline(args: BaselineArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        BaselineCommand::Learn(a) => learn(a),
        BaselineCommand::Show { file, summary } => {
            let st = load_any_baseline(&file)?;
            print!("{}", show::render(&st, !summary));
            Ok(ExitCode::SUCCESS)
        }
        BaselineCommand::Diff { old, new } => {
            let (a, b) = (load_any_baseline(&old)?, load_any_baseline(&new)?);
            let d = diff(&a.model, &b.model);
            print!("{}", d.render());
            Ok(if d.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        BaselineCommand::Approve(a) => approve(a),
    }
}

fn learn(args: LearnArgs) -> anyhow::Result<ExitCode> {
    let cfg = crate::load_config(args.config.as_deref())?;
    let workers = cfg.workers(args.workers);
    let tracker = state::learning_tracker(&cfg);
    let mut src = pipeline::files::FileSource::open(&args.files);
    let opts = RunOptions {
        tracker: Some(tracker.clone()),
        workers,
        back_pressure: BackPressure::Block,
        input_names: pipeline::display_names(&args.files),
        sinks: Sinks::default(),
    };
    let result = pipeline::run(&cfg, &mut src, opts, &RunHandles::default())?;
    for input in &result.summary.inputs {
        if let Some(e) = &input.error {
            eprintln!("mizuban: {}: {e}", input.name);
        }
    }
    if result.source.inputs.iter().any(|i| i.fatal) {
        anyhow::bail!("not writing {}: an input failed", args.out.display());
    }
    let Some(last) = result.source.last_ts else {
        anyhow::bail!(
            "not writing {}: the files hold no packets",
            args.out.display()
        );
    };
    let mut t = lock(&tracker);
    let b = t
        .baseline
        .as_mut()
        .context("the learning tracker has no baseline")?;
    b.finish_learning(last);
    state::save_baseline(&args.out, b)?;
    eprint!("{}", show::render(b.state(), false));
    eprintln!("mizuban: baseline written to {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

fn approve(args: ApproveArgs) -> anyhow::Result<ExitCode> {
    if args.alerts.is_empty() && args.hosts.is_empty() {
        anyhow::bail!("nothing to approve: give --alert ID and/or --host IP");
    }
    let st = state::load_baseline(&args.file)?;
    let mut b = Baseline::from_state(BaselineConfig::default(), st);
    for id in &args.alerts {
        let item = b
            .approve_alert(id)
            .with_context(|| format!("{}", args.file.display()))?;
        println!("approved {id}: {item}");
    }
    for ip in &args.hosts {
        for item in b.approve_host(*ip) {
            println!("approved {ip}: {item}");
        }
    }
    state::save_baseline(&args.file, &b)?;
    Ok(ExitCode::SUCCESS)
}

/// A baseline file, or the baseline half of a state file.
fn load_any_baseline(path: &Path) -> anyhow::Result<BaselineState> {
    match persist::load_baseline(path) {
        Err(PersistError::WrongKind { .. }) => persist::load_state(path)?
            .baseline
            .with_context(|| format!("{}: the state file holds no baseline", path.display())),
        other => Ok(other?),
    }
}

/// The inventory half of a state file, or an inventory file.
fn load_any_inventory(path: &Path) -> anyhow::Result<InventoryState> {
    match persist::load_state(path) {
        Err(PersistError::WrongKind { found, .. }) => match persist::load_inventory(path) {
            Err(PersistError::WrongKind { .. }) => anyhow::bail!(
                "{}: holds a {found}, not a state file; `mizuban assets` reads \
                 STATE_DIR/state.json (`replay --state-dir DIR`, `[state] dir`)",
                path.display()
            ),
            other => Ok(other?),
        },
        other => Ok(other?.inventory.unwrap_or_default()),
    }
}

pub fn assets(args: AssetsArgs) -> anyhow::Result<ExitCode> {
    let inv = load_any_inventory(&args.state)?;
    print!("{}", render::render(&inv, args.format));
    Ok(ExitCode::SUCCESS)
}
