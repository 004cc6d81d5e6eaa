//! RFC 5424 messages (and CEF in their MSG) from alert lines.
//!
//! ```text
//! <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID PARAM="VALUE" ...] MSG
//! ```
//! (RFC 5424 section 6). TIMESTAMP is the alert's last-seen packet time, so a replay
//! gives the same messages every run; MSGID is the rule id; the structured data element
//! `mizuban@32473` carries the alert's fields. 32473 is the private enterprise number
//! IANA reserves for documentation (RFC 5612); a site that owns a number can map the
//! SD-ID in its SIEM.

use mizuban_detect::alert::Direction;
use mizuban_detect::{AlertLine, AlertStatus, Severity};
use serde::Deserialize;
use std::fmt::Write as _;

/// Longest message we send, in bytes: rsyslog's default `maxMessageSize` (8 KiB), well
/// inside a UDP datagram. The MSG part is cut to fit, on a character boundary.
pub const MAX_MESSAGE_LEN: usize = 8192;
/// The SD-ID of our structured data element (RFC 5424 section 6.3.2, `name@PEN`).
pub const SD_ID: &str = "mizuban@32473";
const APP_NAME: &str = "mizuban";
/// MSGID is at most 32 printable ASCII characters (RFC 5424 section 6.2.7).
const MAX_MSGID_LEN: usize = 32;

/// What the MSG part holds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The alert's message text.
    #[default]
    Rfc5424,
    /// ArcSight Common Event Format: `CEF:0|vendor|product|version|id|name|sev|ext`.
    Cef,
}

/// Syslog facilities (RFC 5424 section 6.2.1, table 1) an alert stream plausibly uses.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Facility {
    User,
    Daemon,
    /// Code 4, "security/authorization messages".
    Security,
    /// Code 13, "log audit".
    Audit,
    #[default]
    Local0,
    Local1,
    Local2,
    Local3,
    Local4,
    Local5,
    Local6,
    Local7,
}

impl Facility {
    pub fn code(self) -> u8 {
        match self {
            Facility::User => 1,
            Facility::Daemon => 3,
            Facility::Security => 4,
            Facility::Audit => 13,
            Facility::Local0 => 16,
            Facility::Local1 => 17,
            Facility::Local2 => 18,
            Facility::Local3 => 19,
            Facility::Local4 => 20,
            Facility::Local5 => 21,
            Facility::Local6 => 22,
            Facility::Local7 => 23,
        }
    }
}

/// Syslog severity of an alert (RFC 5424 table 2): critical 2 (Critical), high 3
/// (Error), medium 4 (Warning), low 5 (Notice), info 6 (Informational). Nothing is
/// Emergency or Alert: those mean the sending system itself is unusable.
pub fn syslog_severity(s: Severity) -> u8 {
    match s {
        Severity::Critical => 2,
        Severity::High => 3,
        Severity::Medium => 4,
        Severity::Low => 5,
        Severity::Info => 6,
    }
}

/// CEF severity, 0 (lowest) to 10 (highest).
pub fn cef_severity(s: Severity) -> u8 {
    match s {
        Severity::Info => 1,
        Severity::Low => 3,
        Severity::Medium => 5,
        Severity::High => 8,
        Severity::Critical => 10,
    }
}

fn direction_str(d: Direction) -> &'static str {
    match d {
        Direction::Outbound => "outbound",
        Direction::Inbound => "inbound",
        Direction::Internal => "internal",
        Direction::External => "external",
    }
}

/// Header fields are printable US-ASCII without spaces (RFC 5424 section 6, PRINTUSASCII).
pub fn check_header_field(s: &str, max: usize) -> Result<(), ()> {
    if s.is_empty() || s.len() > max || !s.bytes().all(|b| (33..=126).contains(&b)) {
        return Err(());
    }
    Ok(())
}

/// This machine's host name (Linux), or the NILVALUE when unknown or unusable.
pub fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|h| check_header_field(h, 255).is_ok())
        .unwrap_or_else(|| "-".into())
}

/// Builds messages; fixed parts are checked once, at construction.
#[derive(Clone, Debug)]
pub struct Formatter {
    format: Format,
    facility: Facility,
    hostname: String,
    procid: u32,
}

impl Formatter {
    pub fn new(format: Format, facility: Facility, hostname: &str, procid: u32) -> Formatter {
        let hostname = if check_header_field(hostname, 255).is_ok() {
            hostname.to_string()
        } else {
            "-".to_string()
        };
        Formatter {
            format,
            facility,
            hostname,
            procid,
        }
    }

    /// One complete message (without transport framing).
    pub fn format(&self, line: &AlertLine) -> Vec<u8> {
        let a = &line.alert;
        let pri = u16::from(self.facility.code()) * 8 + u16::from(syslog_severity(a.severity));
        let mut s = String::with_capacity(512);
        let msgid: String = a
            .rule
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(MAX_MSGID_LEN)
            .collect();
        let msgid = if msgid.is_empty() { "-".into() } else { msgid };
        let _ = write!(
            s,
            "<{pri}>1 {} {} {APP_NAME} {} {msgid} ",
            a.last_seen.to_rfc3339(),
            self.hostname,
            self.procid
        );
        self.write_sd(&mut s, line);
        s.push(' ');
        let room = MAX_MESSAGE_LEN.saturating_sub(s.len());
        let msg = match self.format {
            Format::Rfc5424 => clean_text(&a.message),
            Format::Cef => cef(line),
        };
        s.push_str(cut(&msg, room));
        s.into_bytes()
    }

    fn write_sd(&self, s: &mut String, line: &AlertLine) {
        let a = &line.alert;
        s.push('[');
        s.push_str(SD_ID);
        let status = match line.status {
            AlertStatus::New => "new",
            AlertStatus::Update => "update",
        };
        let mut param = |name: &str, value: &str| {
            let _ = write!(s, " {name}=\"");
            sd_escape(s, value);
            s.push('"');
        };
        param("id", &a.id);
        param("rule", a.rule);
        param("severity", a.severity.as_str());
        param("status", status);
        param("count", &a.count.to_string());
        param("first_seen", &a.first_seen.to_rfc3339());
        if !a.guideline.is_empty() {
            param("guideline", a.guideline);
        }
        if let Some(d) = a.direction {
            param("direction", direction_str(d));
        }
        if let Some(t) = a.transport {
            param("transport", t);
        }
        if let Some(ip) = a.src_ip {
            param("src_ip", &ip.to_string());
        }
        if let Some(p) = a.src_port {
            param("src_port", &p.to_string());
        }
        if let Some(ip) = a.dst_ip {
            param("dst_ip", &ip.to_string());
        }
        if let Some(p) = a.dst_port {
            param("dst_port", &p.to_string());
        }
        s.push(']');
    }
}

/// PARAM-VALUE escaping (RFC 5424 section 6.3.3): `"`, `\` and `]` take a backslash.
/// Control characters become spaces so a value never breaks a line-oriented reader.
fn sd_escape(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '"' | '\\' | ']' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
}

/// Free text from the wire (DNS names, SNI, user names) with control characters
/// replaced, so one message stays one line in every receiver's file.
fn clean_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The longest prefix of `s` within `max` bytes, on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// CEF header field: `|` and `\` take a backslash (CEF Implementation Standard,
/// "Character Encoding").
fn cef_header(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '|' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
}

/// CEF extension value: `=` and `\` take a backslash, line breaks become `\n`.
fn cef_value(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '=' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
}

/// The alert in CEF. Extension keys are CEF's own dictionary names: `rt` (ms since the
/// epoch), `src`/`spt`, `dst`/`dpt`, `proto`, `cnt`, `externalId`, `msg`; the guideline
/// goes in the custom string `cs1` labelled `guideline`.
fn cef(line: &AlertLine) -> String {
    let a = &line.alert;
    let mut s = String::with_capacity(256);
    s.push_str("CEF:0|mizuban|mizuban|");
    cef_header(&mut s, env!("CARGO_PKG_VERSION"));
    s.push('|');
    cef_header(&mut s, a.rule);
    s.push('|');
    cef_header(&mut s, a.rule);
    let _ = write!(s, "|{}|", cef_severity(a.severity));
    let mut ext: Vec<(&str, String)> = vec![
        ("rt", (a.last_seen.0 / 1_000_000).to_string()),
        ("externalId", a.id.clone()),
        ("cnt", a.count.to_string()),
    ];
    if let Some(ip) = a.src_ip {
        ext.push(("src", ip.to_string()));
    }
    if let Some(p) = a.src_port {
        ext.push(("spt", p.to_string()));
    }
    if let Some(ip) = a.dst_ip {
        ext.push(("dst", ip.to_string()));
    }
    if let Some(p) = a.dst_port {
        ext.push(("dpt", p.to_string()));
    }
    if let Some(t) = a.transport {
        ext.push(("proto", t.to_ascii_uppercase()));
    }
    if !a.guideline.is_empty() {
        ext.push(("cs1Label", "guideline".into()));
        ext.push(("cs1", a.guideline.to_string()));
    }
    ext.push(("msg", a.message.clone()));
    for (i, (k, v)) in ext.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(k);
        s.push('=');
        cef_value(&mut s, v);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use mizuban_capture::Timestamp;
    use mizuban_detect::Alert;

    fn line() -> AlertLine {
        AlertLine {
            status: AlertStatus::New,
            alert: Alert {
                id: "internet_egress-00ff".into(),
                rule: "internet_egress",
                severity: Severity::High,
                guideline: "no internet",
                first_seen: Timestamp::from_secs_nanos(1_445_508_253, 123_456_000),
                last_seen: Timestamp::from_secs_nanos(1_445_508_253, 123_456_000),
                count: 1,
                src_ip: "10.0.0.5".parse().ok(),
                dst_ip: "8.8.8.8".parse().ok(),
                dst_port: Some(53),
                transport: Some("udp"),
                message: "a \"quoted\"]\nname=x|y".into(),
                ..Alert::default()
            },
        }
    }

    fn text(f: Format) -> String {
        let fm = Formatter::new(f, Facility::Local0, "sensor-1", 42);
        String::from_utf8(fm.format(&line())).unwrap()
    }

    #[test]
    fn header_has_pri_version_time_host_app_pid_msgid() {
        // local0 (16) * 8 + error (3) = 131.
        assert!(
            text(Format::Rfc5424).starts_with(
                "<131>1 2015-10-22T10:04:13.123456Z sensor-1 mizuban 42 internet_egress [mizuban@32473 id=\"internet_egress-00ff\" rule=\"internet_egress\" severity=\"high\""
            ),
            "{}",
            text(Format::Rfc5424)
        );
    }

    #[test]
    fn sd_values_are_escaped_and_message_is_one_line() {
        let t = text(Format::Rfc5424);
        assert!(t.contains("dst_ip=\"8.8.8.8\" dst_port=\"53\"]"));
        assert!(t.ends_with("] a \"quoted\"] name=x|y"), "{t}");
        let mut s = String::new();
        sd_escape(&mut s, "a\"b\\c]d");
        assert_eq!(s, "a\\\"b\\\\c\\]d");
    }

    #[test]
    fn cef_escapes_header_and_extension() {
        let t = text(Format::Cef);
        let msg = t.split_once("] ").unwrap().1;
        assert!(msg.starts_with("CEF:0|mizuban|mizuban|"), "{msg}");
        assert!(msg.contains("|internet_egress|internet_egress|8|rt=1445508253123 "));
        assert!(msg.contains("src=10.0.0.5 dst=8.8.8.8 dpt=53 proto=UDP"));
        assert!(msg.ends_with("msg=a \"quoted\"]\\nname\\=x|y"), "{msg}");
    }

    #[test]
    fn long_messages_are_cut_on_a_char_boundary() {
        let mut l = line();
        l.alert.message = "é".repeat(MAX_MESSAGE_LEN);
        let fm = Formatter::new(Format::Rfc5424, Facility::Local0, "h", 1);
        let out = fm.format(&l);
        assert!(out.len() <= MAX_MESSAGE_LEN);
        assert!(String::from_utf8(out).is_ok());
    }

    #[test]
    fn bad_hostname_becomes_nilvalue() {
        let fm = Formatter::new(Format::Rfc5424, Facility::User, "has space", 1);
        assert!(
            String::from_utf8(fm.format(&line()))
                .unwrap()
                .contains("Z - mizuban")
        );
    }
}
