//! `mizuban report` and `mizuban map`: the audit report and the communication map, from
//! capture files or a sensor's state file.

use clap::Args;
use mizuban::report::{self, Lang, Origin, Report};
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the data comes from: shared by `report` and `map`.
#[derive(Args)]
pub struct InputArgs {
    /// A sensor's state file (STATE_DIR/state.json, e.g. /var/lib/mizuban/state.json)
    /// instead of capture files.
    #[arg(long, value_name = "STATE", conflicts_with_all = ["files", "config", "baseline"])]
    from_state: Option<PathBuf>,
    /// Configuration file (TOML) for the replay: internal networks, zones, policy.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Enforce this baseline in the replay (changes against it are reported).
    #[arg(long, value_name = "B.json")]
    baseline: Option<PathBuf>,
    /// Worker threads for the replay (default: the config's, else one per core).
    #[arg(long, short = 'w', value_name = "N")]
    workers: Option<usize>,
    /// Capture files (pcap or pcapng) to replay.
    #[arg(value_name = "FILE", required_unless_present = "from_state")]
    files: Vec<PathBuf>,
}

#[derive(Args)]
pub struct ReportArgs {
    /// Language: ja or en (default: Japanese where the locale is Japanese, else English).
    #[arg(long, value_name = "LANG", value_parser = parse_lang)]
    lang: Option<Lang>,
    /// Where to write the HTML file ("-" for stdout; default report.html).
    #[arg(long, short = 'o', value_name = "PATH", default_value = "report.html")]
    out: PathBuf,
    #[command(flatten)]
    input: InputArgs,
}

#[derive(Clone, Copy)]
pub enum MapFormat {
    Svg,
    Dot,
}

#[derive(Args)]
pub struct MapArgs {
    /// Output format: svg (a picture) or dot (Graphviz).
    #[arg(long, short = 'f', default_value = "svg", value_parser = parse_map_format)]
    format: MapFormat,
    /// Language of the picture's labels: ja or en (default from the locale).
    #[arg(long, value_name = "LANG", value_parser = parse_lang)]
    lang: Option<Lang>,
    /// Where to write it (default stdout).
    #[arg(long, short = 'o', value_name = "PATH")]
    out: Option<PathBuf>,
    #[command(flatten)]
    input: InputArgs,
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| "expected ja or en".into())
}

fn parse_map_format(s: &str) -> Result<MapFormat, String> {
    match s {
        "svg" => Ok(MapFormat::Svg),
        "dot" => Ok(MapFormat::Dot),
        _ => Err("expected svg or dot".into()),
    }
}

/// The report model from the inputs, and whether a capture file failed.
fn build(input: &InputArgs) -> anyhow::Result<(Report, bool)> {
    if let Some(p) = &input.from_state {
        let st = report::load_state(p)?;
        return Ok((
            Report::build(&st, Origin::State(p.display().to_string())),
            false,
        ));
    }
    let cfg = crate::load_config(input.config.as_deref())?;
    let baseline = input
        .baseline
        .as_deref()
        .map(mizuban::state::load_baseline)
        .transpose()?;
    let workers = cfg.workers(input.workers);
    let r = report::replay(&cfg, &input.files, baseline, workers)?;
    let names = mizuban::pipeline::display_names(&input.files);
    Ok((Report::build(&r.state, Origin::Replay(names)), r.failed))
}

fn code(failed: bool) -> ExitCode {
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

pub fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let (r, failed) = build(&args.input)?;
    let lang = args.lang.unwrap_or_else(Lang::from_env);
    let html = report::html::render(&r, lang);
    report::write_output(Some(&args.out), &html)?;
    if args.out.as_os_str() != "-" {
        eprintln!(
            "mizuban: report written to {} ({}, {} bytes)",
            args.out.display(),
            lang.code(),
            html.len()
        );
    }
    Ok(code(failed))
}

pub fn map(args: MapArgs) -> anyhow::Result<ExitCode> {
    let (r, failed) = build(&args.input)?;
    let m = report::map::build(&r);
    let text = match args.format {
        MapFormat::Svg => {
            let tr = report::i18n::Tr::new(args.lang.unwrap_or_else(Lang::from_env));
            let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            s.push_str(&report::map::svg(&m, &tr));
            s.push('\n');
            s
        }
        MapFormat::Dot => report::map::dot(&m),
    };
    report::write_output(args.out.as_deref(), &text)?;
    Ok(code(failed))
}
