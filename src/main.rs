//! The `mizuban` command line.

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand};
use mizuban::config::Config;
use mizuban::pipeline::{self, RunHandles, RunOptions, sinks::Sinks, source::BackPressure};
use mizuban::telemetry::Telemetry;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod cli_report;
mod cli_state;
mod gen_docs;

/// mizuban (水番, the watchman of the water): a passive monitor that proves — or
/// disproves — that an OT network is closed. It reads mirrored-port traffic or capture
/// files, decodes industrial and IT protocols, and reports internet egress, VPNs, remote
/// access and anything new against a learned baseline.
#[derive(Parser)]
#[command(name = "mizuban", version, about, long_about = None, propagate_version = true)]
#[cfg_attr(
    not(feature = "live"),
    command(
        after_help = "Live capture (`mizuban capture -i IFACE`) is not in this build: \
        build with `cargo build --release --features live` (needs libpcap-dev)."
    )
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replay capture files (pcap or pcapng) through the full pipeline.
    ///
    /// Several files are merged in packet-time order. Alerts and events are JSON lines;
    /// a summary with the closed-network verdict goes to stderr at the end.
    Replay(ReplayArgs),
    /// Capture live from network interfaces (a SPAN or TAP port) until SIGTERM.
    ///
    /// SIGTERM or SIGINT drains the pipeline, flushes alerts and state, and exits 0;
    /// SIGHUP reloads the detection policy from the config file (a bad file is refused
    /// and the running policy kept) and reopens the alert and event files (for
    /// logrotate). Needs the `live` cargo feature.
    #[cfg(feature = "live")]
    Capture(CaptureArgs),
    /// Build, read, compare and approve baselines of normal traffic.
    ///
    /// Typical use: `baseline learn --out B.json normal.pcap`, then
    /// `replay --baseline B.json new.pcap` (new hosts, conversations, services, Modbus
    /// clients and writers become alerts), then `baseline approve B.json --alert ID` for
    /// each sanctioned change.
    Baseline(cli_state::BaselineArgs),
    /// Print the asset inventory of a state file (STATE_DIR/state.json).
    Assets(cli_state::AssetsArgs),
    /// Write the audit report: one self-contained HTML file (Japanese or English),
    /// each section mapped to the water-sector guideline item it serves.
    ///
    /// From capture files (replayed with --config and --baseline) or from a sensor's
    /// state file (--from-state STATE_DIR/state.json). Opens offline in any browser
    /// and prints on A4 (the map on a landscape page).
    ///
    /// Example: mizuban report --lang ja --out report.html --from-state /var/lib/mizuban/state.json
    Report(cli_report::ReportArgs),
    /// Draw the communication map alone, as SVG or Graphviz DOT.
    ///
    /// Example: mizuban map --format dot samples/water-plant.pcap | dot -Tpdf -o map.pdf
    Map(cli_report::MapArgs),
    /// Check a configuration file and explain any error (key and line).
    CheckConfig {
        /// The TOML configuration file.
        file: PathBuf,
    },
}

#[cfg(feature = "live")]
#[derive(clap::Args)]
struct CaptureArgs {
    /// Interface to capture on; repeat for several.
    #[arg(long = "interface", short = 'i', value_name = "IFACE")]
    interfaces: Vec<String>,
    /// Configuration file (TOML); SIGHUP reloads its detection policy.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Worker threads (default: the config's, else one per core).
    #[arg(long, short = 'w', value_name = "N")]
    workers: Option<usize>,
    /// Append alerts as JSON lines to PATH ("-" for stdout); reopened on SIGHUP.
    #[arg(long, value_name = "PATH")]
    alerts: Option<String>,
    /// Send each alert to a syslog receiver as RFC 5424, e.g. udp://10.0.0.9:514 or
    /// tcp://siem:601 (default: [output.syslog] target).
    #[arg(long, value_name = "URL")]
    alerts_syslog: Option<String>,
    /// Syslog message body: rfc5424 (text) or cef (default: [output.syslog] format).
    #[arg(long, value_name = "FORMAT", value_parser = parse_syslog_format)]
    alerts_syslog_format: Option<mizuban::syslog::Format>,
    /// Append protocol events as JSON lines to PATH ("-" for stdout); reopened on SIGHUP.
    #[arg(long, value_name = "PATH")]
    events: Option<String>,
    /// Serve Prometheus metrics on ADDR (default: [exporter] listen, else 127.0.0.1:9731).
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<std::net::SocketAddr>,
    /// BPF filter (tcpdump syntax), overriding [capture] filter.
    #[arg(long, value_name = "EXPR")]
    filter: Option<String>,
    /// Keep the baseline and inventory in DIR/state.json (default: [state] dir):
    /// resumed at start, saved every [state] checkpoint_interval and at shutdown. On
    /// first start the baseline learns for [detect.baseline] learn_secs, then enforces.
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ReplayArgs {
    /// Configuration file (TOML). Without it, built-in defaults apply.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Worker threads (default: the config's, else one per core).
    #[arg(long, short = 'w', value_name = "N")]
    workers: Option<usize>,
    /// Write alerts as JSON lines to PATH ("-" for stdout).
    #[arg(long, value_name = "PATH")]
    alerts: Option<String>,
    /// Write protocol events as JSON lines to PATH ("-" for stdout).
    #[arg(long, value_name = "PATH")]
    events: Option<String>,
    /// Send each alert to a syslog receiver as RFC 5424, e.g. udp://10.0.0.9:514 or
    /// tcp://siem:601 (default: [output.syslog] target).
    #[arg(long, value_name = "URL")]
    alerts_syslog: Option<String>,
    /// Syslog message body: rfc5424 (text) or cef (default: [output.syslog] format).
    #[arg(long, value_name = "FORMAT", value_parser = parse_syslog_format)]
    alerts_syslog_format: Option<mizuban::syslog::Format>,
    /// Write the end-of-run summary as JSON to PATH.
    #[arg(long, value_name = "PATH")]
    summary_json: Option<PathBuf>,
    /// Never draw a progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Serve Prometheus metrics on ADDR (e.g. 127.0.0.1:9731) while replaying.
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<std::net::SocketAddr>,
    /// After the files end, keep serving metrics until interrupted (SIGINT/SIGTERM).
    #[arg(long, requires = "metrics_listen")]
    linger: bool,
    /// Write the final metrics in Prometheus text format to PATH (node_exporter's
    /// textfile collector), atomically.
    #[arg(long, value_name = "PATH")]
    metrics_textfile: Option<PathBuf>,
    /// Enforce this baseline (from `mizuban baseline learn`): what it lacks raises
    /// alerts. The findings are recorded in the file at the end, so `mizuban baseline
    /// approve B.json --alert ID` can accept them. With --state-dir, it replaces the
    /// checkpoint's baseline (the inventory still resumes).
    #[arg(long, value_name = "B.json")]
    baseline: Option<PathBuf>,
    /// Keep baseline and inventory in DIR/state.json: resume from it if present, save
    /// it every checkpoint interval and at the end (default: [state] dir).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Wall time between checkpoints, e.g. 30s, 5m (default: [state] checkpoint_interval).
    #[arg(long, value_name = "DURATION", value_parser = parse_interval)]
    checkpoint_interval: Option<std::time::Duration>,
    /// Capture files to replay.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

fn parse_interval(s: &str) -> Result<std::time::Duration, String> {
    mizuban_capture::time_serde::parse_duration(s)
        .ok_or_else(|| format!("{s:?} is not a duration (e.g. 30s, 5m, 250ms)"))
}

fn parse_syslog_format(s: &str) -> Result<mizuban::syslog::Format, String> {
    match s {
        "rfc5424" => Ok(mizuban::syslog::Format::Rfc5424),
        "cef" => Ok(mizuban::syslog::Format::Cef),
        _ => Err("expected rfc5424 or cef".into()),
    }
}

/// The syslog output, when `--alerts-syslog` or `[output.syslog] target` asks for one.
fn open_syslog(
    url: Option<&str>,
    format: Option<mizuban::syslog::Format>,
    cfg: &Config,
    handles: &RunHandles,
) -> anyhow::Result<Option<mizuban::syslog::SyslogSink>> {
    let mut sc = cfg.output.syslog.clone();
    if let Some(f) = format {
        sc.format = f;
    }
    let Some(url) = url.or(sc.target.as_deref()) else {
        return Ok(None);
    };
    let target =
        mizuban::syslog::Target::parse(url).map_err(|e| anyhow::anyhow!("--alerts-syslog {e}"))?;
    let sink = mizuban::syslog::SyslogSink::start(target, &sc, handles.syslog.clone())
        .context("starting the syslog sender")?;
    Ok(Some(sink))
}

fn main() -> ExitCode {
    if let Some(dir) = gen_docs::requested(std::env::args_os()) {
        return match gen_docs::write_all(Cli::command(), &dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("mizuban: error: {}: {e:#}", dir.display());
                ExitCode::from(2)
            }
        };
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay(args) => replay(args),
        Command::CheckConfig { file } => check_config(&file),
        Command::Baseline(args) => cli_state::baseline(args),
        Command::Assets(args) => cli_state::assets(args),
        Command::Report(args) => cli_report::report(args),
        Command::Map(args) => cli_report::map(args),
        #[cfg(feature = "live")]
        Command::Capture(args) => capture(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mizuban: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    match path {
        Some(p) => Ok(Config::load(p)?),
        None => Ok(Config::default()),
    }
}

fn check_config(file: &Path) -> anyhow::Result<ExitCode> {
    match Config::load(file) {
        Ok(_) => {
            println!("{}: OK", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::from(1))
        }
    }
}

/// Opens an output: "-" is stdout, anything else a file (created or truncated).
fn open_output(spec: &str) -> anyhow::Result<Box<dyn Write + Send>> {
    if spec == "-" {
        Ok(Box::new(BufWriter::new(std::io::stdout())))
    } else {
        let f = std::fs::File::create(spec).with_context(|| format!("cannot create {spec}"))?;
        Ok(Box::new(BufWriter::with_capacity(1 << 16, f)))
    }
}

fn replay(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let cfg = load_config(args.config.as_deref())?;
    let workers = cfg.workers(args.workers);
    // Before any output is created: a refused baseline or state file stops here.
    let baseline = args
        .baseline
        .as_deref()
        .map(mizuban::state::load_baseline)
        .transpose()?;
    let run_state = mizuban::state::RunState::open(
        &cfg,
        args.state_dir.as_deref(),
        baseline,
        args.checkpoint_interval,
    )?;
    let handles = RunHandles::default();
    let sinks = Sinks {
        events: args.events.as_deref().map(open_output).transpose()?,
        alerts: args.alerts.as_deref().map(open_output).transpose()?,
        file_names: pipeline::display_names(&args.files),
        syslog: open_syslog(
            args.alerts_syslog.as_deref(),
            args.alerts_syslog_format,
            &cfg,
            &handles,
        )?,
        ..Sinks::default()
    };
    let mut src = pipeline::files::FileSource::open(&args.files);
    let opts = RunOptions {
        tracker: run_state.tracker.clone(),
        workers,
        back_pressure: BackPressure::Block,
        input_names: pipeline::display_names(&args.files),
        sinks,
    };
    let listen = args.metrics_listen.or(cfg.exporter.listen);
    let textfile = args
        .metrics_textfile
        .clone()
        .or(cfg.exporter.textfile.clone());
    let telemetry = if listen.is_some() || textfile.is_some() {
        let t = Telemetry::start(listen, cfg.exporter.web_config.as_deref(), &handles, "file")?;
        if let Some(addr) = t.local_addr {
            eprintln!("mizuban: serving metrics on http://{addr}/metrics");
        }
        Some(t)
    } else {
        None
    };
    let progress = !args.no_progress && std::io::stderr().is_terminal();
    let bar = progress.then(|| pipeline::progress::start(&args.files, handles.live.clone()));
    let result = pipeline::run(&cfg, &mut src, opts, &handles)?;
    if let Some(bar) = bar {
        bar.finish();
    }
    run_state.finish()?;
    if let Some(path) = &args.baseline {
        record_findings(&result.tracker, path)?;
    }
    if let Some(t) = &telemetry {
        t.update_now();
        if let Some(path) = &textfile {
            mizuban_exporter::textfile::write_textfile(&t.registry, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    let summary = &result.summary;
    // Errors name the path as given on the command line, so it can be pasted back.
    for (input, path) in summary.inputs.iter().zip(&args.files) {
        if let Some(e) = &input.error {
            eprintln!("mizuban: {}: {e}", path.display());
        }
    }
    eprint!("{}", summary.render_human(Some(result.elapsed), workers));
    if let Some(path) = &args.summary_json {
        let mut text = serde_json::to_string_pretty(summary)?;
        text.push('\n');
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let failed = result.source.inputs.iter().any(|i| i.fatal);
    if args.linger
        && let Some(t) = &telemetry
    {
        eprintln!("mizuban: replay done; serving metrics until interrupted (--linger)");
        t.wait_for_signal();
    }
    drop(telemetry);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes the enforced baseline, with the findings this run added to its pending list,
/// back to its file (atomically) so they can be approved by alert id.
fn record_findings(
    tracker: &mizuban_detect::baseline::SharedTracker,
    path: &Path,
) -> anyhow::Result<()> {
    let t = mizuban_detect::baseline::tracker::lock(tracker);
    if let Some(b) = &t.baseline {
        mizuban::state::save_baseline(path, b)?;
    }
    Ok(())
}

/// The default metrics address for live capture: loopback only, so a sensor exposes
/// nothing to the network unless configured to.
#[cfg(feature = "live")]
const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:9731";

/// Live output goes out line by line: on a quiet link a block buffer would hold the last
/// events indefinitely (found by tests/live_capture.rs), and one write per line is far
/// below the cost of capturing it. Files are appended to (a restart continues them) and
/// reopened on SIGHUP, for logrotate.
#[cfg(feature = "live")]
fn open_live_output(
    spec: &str,
    reopen: &mizuban::logfile::ReopenRequest,
) -> anyhow::Result<Box<dyn Write + Send>> {
    if spec == "-" {
        Ok(Box::new(std::io::LineWriter::new(std::io::stdout())))
    } else {
        let f = mizuban::logfile::LogFile::open(Path::new(spec), reopen.clone())
            .with_context(|| format!("cannot open {spec}"))?;
        Ok(Box::new(f))
    }
}

#[cfg(feature = "live")]
fn capture(args: CaptureArgs) -> anyhow::Result<ExitCode> {
    let mut cfg = load_config(args.config.as_deref())?;
    cfg.capture
        .interfaces
        .extend(args.interfaces.iter().cloned());
    if args.filter.is_some() {
        cfg.capture.filter = args.filter.clone();
    }
    let workers = cfg.workers(args.workers);
    let mut src = mizuban::live::LiveSource::open(&cfg.capture)?;
    if let Some(msg) = mizuban::live::drop_privileges(cfg.capture.user.as_deref())? {
        eprintln!("mizuban: {msg}");
    }
    let names = src.names();
    let handles = RunHandles::default();
    let open = |spec: &str| open_live_output(spec, &handles.reopen_logs);
    let sinks = Sinks {
        events: args.events.as_deref().map(open).transpose()?,
        alerts: args.alerts.as_deref().map(open).transpose()?,
        file_names: names.clone(),
        flush_each_line: true,
        syslog: open_syslog(
            args.alerts_syslog.as_deref(),
            args.alerts_syslog_format,
            &cfg,
            &handles,
        )?,
        ..Sinks::default()
    };
    let listen = args
        .metrics_listen
        .or(cfg.exporter.listen)
        .unwrap_or_else(|| {
            DEFAULT_METRICS_LISTEN
                .parse()
                .expect("constant address parses")
        });
    let telemetry = Telemetry::start(
        Some(listen),
        cfg.exporter.web_config.as_deref(),
        &handles,
        &names.join(","),
    )?;
    if let Some(addr) = telemetry.local_addr {
        eprintln!(
            "mizuban: capturing on {}; metrics on http://{addr}/metrics",
            names.join(", ")
        );
    }
    telemetry.on_signals(handles.clone(), args.config.clone());
    // Opened after dropping privileges: the checkpoints belong to the service user.
    let run_state = mizuban::state::RunState::open(&cfg, args.state_dir.as_deref(), None, None)?;
    let opts = RunOptions {
        tracker: run_state.tracker.clone(),
        workers,
        back_pressure: BackPressure::Drop,
        input_names: names,
        sinks,
    };
    let result = pipeline::run(&cfg, &mut src, opts, &handles)?;
    run_state.finish()?;
    telemetry.update_now();
    eprint!(
        "{}",
        result.summary.render_human(Some(result.elapsed), workers)
    );
    drop(telemetry);
    Ok(ExitCode::SUCCESS)
}
