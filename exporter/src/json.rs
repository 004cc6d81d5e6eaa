//! JSON-lines sinks for events and alerts.

use mizuban_detect::AlertLine;
use mizuban_protocols::Event;
use serde::Serialize;
use std::io::{self, Write};

/// Serializes one event as a JSON object (no newline): the envelope, then the kind's
/// fields, with `file` resolved to the capture file's name.
pub fn write_event<W: Write>(out: &mut W, ev: &Event, file_name: &str) -> io::Result<()> {
    #[derive(Serialize)]
    struct Line<'a> {
        ts: mizuban_capture::Timestamp,
        file: &'a str,
        frame: u64,
        #[serde(flatten)]
        flow: &'a mizuban_protocols::FlowTuple,
        #[serde(flatten)]
        kind: &'a mizuban_protocols::EventKind,
    }
    let line = Line {
        ts: ev.ts,
        file: file_name,
        frame: ev.frame,
        flow: &ev.flow,
        kind: &ev.kind,
    };
    serde_json::to_writer(&mut *out, &line).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// Serializes one alert line with `type: "alert"`.
pub fn write_alert<W: Write>(out: &mut W, line: &AlertLine) -> io::Result<()> {
    #[derive(Serialize)]
    struct Line<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        #[serde(flatten)]
        line: &'a AlertLine,
    }
    serde_json::to_writer(
        &mut *out,
        &Line {
            kind: "alert",
            line,
        },
    )
    .map_err(io::Error::other)?;
    out.write_all(b"\n")
}
