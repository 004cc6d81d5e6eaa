//! Man pages and shell completions, generated from the clap definitions so they can
//! never say something `--help` does not.
//!
//! `mizuban --generate-docs DIR` writes `DIR/man/*.1` (one page per command, as git
//! does) and `DIR/completions/{mizuban.bash,_mizuban,mizuban.fish}`. It is a packaging
//! hook, not a user command: it is looked for before clap parses, so it appears in no
//! help text, man page or completion (clap_complete lists hidden subcommands too).

use clap::Command;
use clap_complete::Shell;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The flag that asks for the generator.
const FLAG: &str = "--generate-docs";

/// `Some(DIR)` when the command line is exactly `mizuban --generate-docs DIR`.
pub fn requested(mut args: impl Iterator<Item = OsString>) -> Option<PathBuf> {
    let _argv0 = args.next()?;
    let (flag, dir) = (args.next()?, args.next()?);
    (flag == FLAG && args.next().is_none()).then(|| PathBuf::from(dir))
}

/// Writes every man page and completion script under `dir`.
pub fn write_all(cmd: Command, dir: &Path) -> anyhow::Result<()> {
    let man = dir.join("man");
    let completions = dir.join("completions");
    for d in [&man, &completions] {
        std::fs::create_dir_all(d)?;
    }
    // `help` is clap's, and the pages themselves replace it.
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    write_pages(&cmd, &man)?;
    for (shell, name) in [
        (Shell::Bash, "mizuban.bash"),
        (Shell::Zsh, "_mizuban"),
        (Shell::Fish, "mizuban.fish"),
    ] {
        let mut f = std::fs::File::create(completions.join(name))?;
        clap_complete::generate(shell, &mut cmd.clone(), "mizuban", &mut f);
        f.flush()?;
    }
    Ok(())
}

/// One page per command, sub-subcommands included (mizuban-baseline-learn(1)).
fn write_pages(cmd: &Command, dir: &Path) -> anyhow::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir)?;
    }
    let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name());
    let source = format!("mizuban {}", cmd.get_version().unwrap_or_default());
    let page = clap_mangen::Man::new(cmd.clone())
        .source(source)
        .manual("mizuban manual");
    let mut out = Vec::new();
    page.render(&mut out)?;
    let mut text = String::from_utf8(out)?;
    // Our sections go before VERSION, the last one clap_mangen writes.
    let mut extra = extra_sections(name).to_string();
    if name == "mizuban" {
        extra.push_str(&see_also(cmd));
    }
    match text.find(".SH VERSION") {
        Some(at) => text.insert_str(at, &extra),
        None => text.push_str(&extra),
    }
    std::fs::write(dir.join(page.get_filename()), text)?;
    Ok(())
}

/// The pages of the subcommands this build has (capture only with `live`), then the
/// tools the service runs under.
fn see_also(cmd: &Command) -> String {
    let mut refs: Vec<String> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| format!("\\fBmizuban\\-{}\\fR(1)", s.get_name().replace('-', "\\-")))
        .collect();
    refs.push("\\fBsystemctl\\fR(1)".into());
    refs.push("\\fBlogrotate\\fR(8)".into());
    format!(".SH SEE ALSO\n{}\n", refs.join(",\n"))
}

/// What clap cannot say: where the packaged files live and how the service is driven.
/// Plain roff (man(7)); `\-` is a minus sign, `\fB..\fR` bold.
fn extra_sections(page: &str) -> &'static str {
    match page {
        "mizuban" => {
            r".SH FILES
.TP
/etc/mizuban/mizuban.toml
The configuration read by the service; check it with \fBmizuban check\-config\fR.
.TP
/var/lib/mizuban/state.json
Baseline and inventory checkpoints of the service ([state] dir).
.TP
/var/log/mizuban/alerts.jsonl
Alerts of the service, one JSON object per line, rotated by logrotate.
.TP
/usr/share/mizuban/
Prometheus alerting rules and the Grafana dashboard.
.SH EXIT STATUS
0 on success; 1 when an input or a check failed (a capture file, a configuration, a
baseline difference); 2 on a usage or start\-up error.
"
        }
        "mizuban-capture" => {
            r".SH SIGNALS
.TP
SIGTERM, SIGINT
Drain the pipeline, flush alerts and events, save the state, print the summary and
exit 0.
.TP
SIGHUP
Re\-read the detection policy from \fB\-\-config\fR (a bad file is refused and the
running policy kept), and reopen the \fB\-\-alerts\fR and \fB\-\-events\fR files, so
a log rotator can move them away (\fBsystemctl reload mizuban\fR sends it).
.SH FILES
Alert and event files are opened for appending: a restart continues them.
"
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> impl Iterator<Item = OsString> {
        a.iter().map(OsString::from).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn only_the_exact_form_asks_for_the_generator() {
        assert_eq!(
            requested(args(&["mizuban", "--generate-docs", "out"])),
            Some(PathBuf::from("out"))
        );
        assert_eq!(requested(args(&["mizuban", "--generate-docs"])), None);
        assert_eq!(requested(args(&["mizuban", "replay", "x.pcap"])), None);
        assert_eq!(
            requested(args(&["mizuban", "--generate-docs", "out", "more"])),
            None
        );
    }
}
