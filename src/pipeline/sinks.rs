//! Where events and alerts go: JSON-lines writers and, for tests and library callers,
//! in-memory collections.

use mizuban_detect::AlertLine;
use mizuban_protocols::Event;
use std::io::Write;

#[derive(Default)]
pub struct Sinks {
    pub events: Option<Box<dyn Write + Send>>,
    pub alerts: Option<Box<dyn Write + Send>>,
    /// Keep everything in memory as well (library use, tests).
    pub collect: bool,
    pub collected_events: Vec<Event>,
    pub collected_alerts: Vec<AlertLine>,
    /// File name per input index, for the `file` field of event lines.
    pub file_names: Vec<String>,
    /// Lines that could not be written (counted as DropReason::SinkError).
    pub write_errors: u64,
    /// Flush after every alert line (live capture: an alert must reach its reader now,
    /// not when a buffer fills).
    pub flush_each_line: bool,
    /// Alerts to a syslog receiver, queued (never blocking) for its own thread.
    pub syslog: Option<crate::syslog::SyslogSink>,
}

impl Sinks {
    /// Writes an event's line, serialised by its worker (an empty line is one it could
    /// not serialise); collects the event when asked to.
    pub fn event(&mut self, ev: &Event, line: &[u8]) {
        if let Some(w) = self.events.as_mut()
            && (line.is_empty() || w.write_all(line).is_err())
        {
            self.write_errors += 1;
        }
        if self.collect {
            self.collected_events.push(ev.clone());
        }
    }

    pub fn alert(&mut self, line: &AlertLine) {
        if let Some(w) = self.alerts.as_mut()
            && (mizuban_exporter::json::write_alert(w, line).is_err()
                || (self.flush_each_line && w.flush().is_err()))
        {
            self.write_errors += 1;
        }
        if let Some(s) = &self.syslog {
            s.send(line);
        }
        if self.collect {
            self.collected_alerts.push(line.clone());
        }
    }

    pub fn flush(&mut self) {
        for w in [self.events.as_mut(), self.alerts.as_mut()]
            .into_iter()
            .flatten()
        {
            if w.flush().is_err() {
                self.write_errors += 1;
            }
        }
    }
}
