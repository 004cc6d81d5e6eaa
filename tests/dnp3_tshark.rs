//! Differential test of the DNP3 analyzer against tshark (issue 11, point 7), through
//! the whole pipeline, on every DNP3 capture of the corpus and on a built capture of
//! what none of them covers (tests/common/dnp3_synth.rs):
//!
//! - `tshark -r F -Y dnp3.al.func -T fields -E aggregator=';' -e frame.number -e dnp3.src
//!   -e dnp3.dst -e dnp3.al.func` must equal our `dnp3` events tuple for tuple (frame,
//!   link_src, link_dst, function), nothing missing and nothing extra;
//! - per frame, the object headers (`dnp3.al.obj`, `dnp3.al.objq.prefix`,
//!   `dnp3.al.objq.range`, `dnp3.al.range.start/stop/quantity`), the application
//!   sequence, CON and UNS bits and the IIN must be the same multisets;
//! - the CRC errors tshark flags (`dnp3.hdr.CRC.incorrect`,
//!   `dnp3.data_chunk.CRC.incorrect`) must equal our counters.
//!
//! Every exception is in [`KNOWN`] with its reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::{corpus, have_tool, rules_builder, run_stdout};
use mizuban::config::Config;
use mizuban_protocols::event::EventKind;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// What is compared on a frame.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Part {
    Functions,
    Objects,
}

/// Frames where we knowingly differ from tshark 4.0: (file, frame, part, reason).
const KNOWN: &[(&str, u64, Part, &str)] = &[
    (
        "cisagov_dnp3_example.pcap",
        18,
        Part::Functions,
        "a response over two segments whose transport sequence wraps 63 -> 0 (frames \
         17-18, tr 0x7f then 0x80); IEEE 1815-2012 section 8.2.1 counts modulo 64 and we \
         reassemble it, tshark 4.0 never completes it",
    ),
    (
        "cisagov_dnp3_example.pcap",
        114,
        Part::Functions,
        "same as frame 18 (frames 113-114, transport sequence 63 -> 0)",
    ),
    (
        "cisagov_dnp3_example.pcap",
        210,
        Part::Functions,
        "same as frame 18 (frames 209-210, transport sequence 63 -> 0)",
    ),
    (
        "cisagov_dnp3_example.pcap",
        810,
        Part::Functions,
        "same as frame 18 (frames 808-810, transport sequence 62, 63, 0)",
    ),
    (
        "cisagov_dnp3_example.pcap",
        311,
        Part::Functions,
        "a single-segment response (FIR+FIN, transport seq 0, bytes c8 81 ...): tshark \
         joins it to the unfinished reassembly of frame 210 (also keyed by transport seq \
         0, 'conflicting data in fragment overlap') and decodes the stale bytes as \
         function 0; the wire carries function 129",
    ),
    (
        "dnp3_built",
        5,
        Part::Functions,
        "the segment's second link frame has a bad header CRC: tshark flags it \
         (dnp3.hdr.CRC.incorrect) and still decodes its data; IEEE 1815-2012 section \
         9.2.4.1.6 has a frame whose CRC fails discarded, so we count and report it and \
         decode only the first and third frames",
    ),
];

/// Secure authentication functions: tshark 4.0 dissects neither their objects (g120)
/// nor the IIN of an authentication response (131), which IEEE 1815-2012 section
/// 7.5.1 gives the IIN of every response. Their function, sequence and bits are
/// compared; their objects and IIN are not.
const AUTH_FUNCTIONS: &[u8] = &[32, 33, 131];

/// Captures whose object headers are compared only where the fragment is well formed:
/// iti_DNP3-Malformed.pcap is a fuzzed capture (195 frames tshark flags malformed).
/// After a reserved qualifier or a range cut short, tshark keeps reading the next two
/// bytes as more object headers ("while offset <= len - 2"); we stop at the first
/// anomaly and report it as a parse_error. Functions are compared on every frame.
const OBJECTS_ONLY_WHEN_CLEAN: &[&str] = &["iti_DNP3-Malformed.pcap"];

fn known(file: &str, frame: u64, part: Part) -> bool {
    KNOWN
        .iter()
        .any(|(f, n, p, _)| *f == file && *n == frame && *p == part)
}

/// One frame as tshark shows it.
#[derive(Debug, Default, PartialEq, Eq)]
struct Frame {
    /// (source, destination) of each link frame.
    links: BTreeSet<(u16, u16)>,
    functions: Vec<u8>,
    /// Per fragment: (sequence, CON, UNS).
    controls: Vec<(u8, bool, bool)>,
    iin: Vec<u16>,
    /// (group << 8 | variation, prefix code, range code).
    objects: Vec<(u16, u8, u8)>,
    starts: Vec<u32>,
    stops: Vec<u32>,
    quantities: Vec<u32>,
    /// Link frames whose header CRC, or one of whose block CRCs, failed (status 0;
    /// tshark checks no block after a bad one).
    bad_header_crc: u64,
    bad_block_crc: u64,
}

fn split(s: &str) -> Vec<&str> {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split(';').collect()
    }
}

fn num(s: &str) -> u32 {
    match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16).unwrap(),
        None => s.parse().unwrap(),
    }
}

fn flag(s: &str) -> bool {
    matches!(s, "1" | "True" | "true")
}

fn tshark_frames(pcap: &Path) -> BTreeMap<u64, Frame> {
    let out = run_stdout(Command::new("tshark").args([
        "-r",
        pcap.to_str().unwrap(),
        "-Y",
        "dnp3",
        "-T",
        "fields",
        "-E",
        "aggregator=;",
        "-e",
        "frame.number",
        "-e",
        "dnp3.src",
        "-e",
        "dnp3.dst",
        "-e",
        "dnp3.al.func",
        "-e",
        "dnp3.al.seq",
        "-e",
        "dnp3.al.con",
        "-e",
        "dnp3.al.uns",
        "-e",
        "dnp3.al.iin",
        "-e",
        "dnp3.al.obj",
        "-e",
        "dnp3.al.objq.prefix",
        "-e",
        "dnp3.al.objq.range",
        "-e",
        "dnp3.al.range.start",
        "-e",
        "dnp3.al.range.stop",
        "-e",
        "dnp3.al.range.quantity",
        "-e",
        "dnp.hdr.CRC.status",
        "-e",
        "dnp.data_chunk.CRC.status",
    ]));
    let mut frames = BTreeMap::new();
    for line in out.lines() {
        let c: Vec<&str> = line.split('\t').collect();
        let mut f = Frame::default();
        for (s, d) in split(c[1]).iter().zip(split(c[2])) {
            f.links.insert((num(s) as u16, num(d) as u16));
        }
        f.functions = split(c[3]).iter().map(|x| num(x) as u8).collect();
        let seqs = split(c[4]);
        let cons = split(c[5]);
        let unss = split(c[6]);
        f.controls = (0..seqs.len())
            .map(|i| (num(seqs[i]) as u8, flag(cons[i]), flag(unss[i])))
            .collect();
        f.iin = split(c[7]).iter().map(|x| num(x) as u16).collect();
        // tshark leaves out the qualifier of a header it could not finish reading.
        let (o, p, r) = (split(c[8]), split(c[9]), split(c[10]));
        let at = |v: &[&str], i: usize| v.get(i).map_or(u8::MAX, |x| num(x) as u8);
        f.objects = (0..o.len())
            .map(|i| (num(o[i]) as u16, at(&p, i), at(&r, i)))
            .collect();
        f.starts = split(c[11]).iter().map(|x| num(x)).collect();
        f.stops = split(c[12]).iter().map(|x| num(x)).collect();
        f.quantities = split(c[13]).iter().map(|x| num(x)).collect();
        f.bad_header_crc = split(c[14]).iter().filter(|x| **x == "0").count() as u64;
        f.bad_block_crc = split(c[15]).iter().filter(|x| **x == "0").count() as u64;
        frames.insert(c[0].parse().unwrap(), f);
    }
    frames
}

/// Our events, seen as tshark would show them.
fn our_frames(events: &[mizuban_protocols::Event]) -> BTreeMap<u64, Frame> {
    let mut frames: BTreeMap<u64, Frame> = BTreeMap::new();
    for e in events {
        let EventKind::Dnp3(d) = &e.kind else {
            continue;
        };
        let f = frames.entry(e.frame).or_default();
        f.links.insert((d.link_src, d.link_dst));
        f.functions.push(d.function);
        f.controls.push((d.app_seq, d.con, d.unsolicited));
        if AUTH_FUNCTIONS.contains(&d.function) {
            continue;
        }
        f.iin.extend(d.iin);
        for o in &d.objects {
            f.objects.push((
                u16::from(o.group) << 8 | u16::from(o.variation),
                o.qualifier >> 4 & 7,
                o.qualifier & 15,
            ));
            match o.qualifier & 15 {
                0..=2 => {
                    f.starts.extend(o.start);
                    f.stops.extend(o.stop);
                }
                7..=9 | 11 => f.quantities.push(o.count),
                _ => {}
            }
        }
    }
    frames
}

fn sorted<T: Ord + Clone>(v: &[T]) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// What one capture gave.
struct Compared {
    diffs: Vec<String>,
    /// tshark fragments and object headers compared.
    fragments: usize,
    headers: usize,
    /// Header and block CRC errors: ours, then tshark's.
    crc: (u64, u64),
    tshark_crc: (u64, u64),
}

fn compare(name: &str, pcap: &Path) -> Compared {
    let theirs = tshark_frames(pcap);
    let run = mizuban::pipeline::collect(&[pcap.to_path_buf()], &Config::default(), 2).unwrap();
    let ours = our_frames(&run.events);
    let mut diffs = Vec::new();
    let (mut fragments, mut headers) = (0, 0);
    let empty = Frame::default();
    let all: BTreeSet<u64> = theirs.keys().chain(ours.keys()).copied().collect();
    for n in all {
        let t = theirs.get(&n).unwrap_or(&empty);
        let o = ours.get(&n).unwrap_or(&empty);
        if !known(name, n, Part::Functions) {
            fragments += t.functions.len();
            if sorted(&t.functions) != sorted(&o.functions) {
                diffs.push(format!(
                    "{name} frame {n}: functions tshark {:?} ours {:?}",
                    t.functions, o.functions
                ));
            }
            if !o.links.is_subset(&t.links) {
                diffs.push(format!(
                    "{name} frame {n}: link addresses tshark {:?} ours {:?}",
                    t.links, o.links
                ));
            }
            if sorted(&t.controls) != sorted(&o.controls) || sorted(&t.iin) != sorted(&o.iin) {
                diffs.push(format!(
                    "{name} frame {n}: seq/con/uns/iin tshark {:?} {:?} ours {:?} {:?}",
                    t.controls, t.iin, o.controls, o.iin
                ));
            }
        }
        let clean = !OBJECTS_ONLY_WHEN_CLEAN.contains(&name)
            || !run.events.iter().any(|e| {
                e.frame == n
                    && matches!(&e.kind, EventKind::ParseError(p)
                        if p.protocol == mizuban_protocols::AppProtocol::Dnp3)
            });
        if clean && !known(name, n, Part::Objects) && !known(name, n, Part::Functions) {
            headers += t.objects.len();
            let same = sorted(&t.objects) == sorted(&o.objects)
                && sorted(&t.starts) == sorted(&o.starts)
                && sorted(&t.stops) == sorted(&o.stops)
                && sorted(&t.quantities) == sorted(&o.quantities);
            if !same {
                diffs.push(format!(
                    "{name} frame {n}: objects tshark {:?} {:?}/{:?}/{:?} ours {:?} {:?}/{:?}/{:?}",
                    t.objects,
                    t.starts,
                    t.stops,
                    t.quantities,
                    o.objects,
                    o.starts,
                    o.stops,
                    o.quantities
                ));
            }
        }
    }
    let s = &run.engine.dnp3;
    Compared {
        diffs,
        fragments,
        headers,
        crc: (s.crc_errors_header, s.crc_errors_data),
        tshark_crc: (
            theirs.values().map(|f| f.bad_header_crc).sum(),
            theirs.values().map(|f| f.bad_block_crc).sum(),
        ),
    }
}

#[test]
fn every_dnp3_capture_matches_tshark() {
    if !have_tool("tshark") {
        return;
    }
    let files = corpus::captures_in("dnp3");
    assert!(files.len() >= 10, "{files:?}");
    let mut all = Vec::new();
    let (mut fragments, mut headers) = (0, 0);
    for pcap in &files {
        let name = pcap.file_name().unwrap().to_str().unwrap().to_string();
        let c = compare(&name, pcap);
        assert_eq!(c.crc, c.tshark_crc, "{name}: CRC errors");
        println!(
            "{name}: {} fragments, {} object headers, {} diffs",
            c.fragments,
            c.headers,
            c.diffs.len()
        );
        fragments += c.fragments;
        headers += c.headers;
        all.extend(c.diffs);
    }
    for d in all.iter().take(40) {
        println!("{d}");
    }
    println!("{fragments} tshark fragments and {headers} object headers compared");
    assert!(fragments >= 990 && headers >= 1250, "{fragments} {headers}");
    assert!(all.is_empty(), "{} differences with tshark", all.len());
}

#[test]
fn built_capture_matches_tshark_and_counts_bad_crcs() {
    if !have_tool("tshark") {
        return;
    }
    let built = rules_builder::build("dnp3_built", common::dnp3_synth::write);
    if let Some(dir) = std::env::var_os("MIZUBAN_KEEP_BUILT") {
        std::fs::copy(&built.path, Path::new(&dir).join("dnp3_built.pcap")).unwrap();
    }
    let c = compare("dnp3_built", &built.path);
    for d in &c.diffs {
        println!("{d}");
    }
    assert!(
        c.diffs.is_empty(),
        "{} differences with tshark",
        c.diffs.len()
    );
    println!("{} fragments, {} object headers", c.fragments, c.headers);
    assert_eq!(
        c.fragments, 27,
        "every fragment of the built capture but frame 5's"
    );
    assert!(c.headers >= 20, "{}", c.headers);
    assert_eq!(c.crc, (1, 1));
    assert_eq!(c.tshark_crc, (1, 1));
}

#[test]
fn built_capture_gives_control_actions_inventory_and_errors() {
    let built = rules_builder::build("dnp3_built", common::dnp3_synth::write);
    let run = mizuban::pipeline::collect(std::slice::from_ref(&built.path), &Config::default(), 1)
        .unwrap();
    let actions: Vec<_> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ControlAction(c) => Some((
                c.function,
                c.action.as_str(),
                c.outcome,
                c.target.object.clone(),
            )),
            _ => None,
        })
        .collect();
    use mizuban_protocols::facts::Outcome::{Exception, Ok as Fine};
    let g = |s: &str| Some(s.to_string());
    assert_eq!(
        actions,
        vec![
            (3, "select", Fine, g("g12v1")),
            (4, "operate", Exception, g("g12v1")),
            (5, "operate", Fine, g("g41v2")),
            (2, "time_set", Fine, g("g50v1")),
            (2, "write", Fine, g("g80v1")),
            (25, "file_transfer", Fine, g("g70v3")),
            (20, "config_change", Fine, g("g60v2")),
            (14, "restart", Fine, None),
            (18, "mode_change", Exception, None),
        ]
    );
    let attrs: Vec<_> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Dnp3(d) => Some(d.decoded.attributes.clone()),
            _ => None,
        })
        .flatten()
        .map(|a| (a.name, a.text.unwrap_or_default()))
        .collect();
    assert_eq!(attrs.len(), 4, "{attrs:?}");
    assert!(attrs.contains(&("device_manufacturer_name", "Acme Controls".into())));
    // The inventory: the outstation's device attributes and link address.
    {
        let tracker = mizuban_detect::baseline::tracker::lock(&run.tracker);
        let ip = std::net::IpAddr::V4(common::dnp3_synth::outstation().ip);
        let t = tracker.inventory.assets()[&ip].telecontrol.clone().unwrap();
        assert_eq!(t.vendor.as_deref(), Some("Acme Controls"));
        assert_eq!(t.model.as_deref(), Some("RTU-5000"));
        assert_eq!(t.firmware.as_deref(), Some("4.2.1"));
        assert_eq!(t.serial.as_deref(), Some("SN-0042"));
        assert!(
            t.dnp3_link_addresses
                .contains(&common::dnp3_synth::OUTSTATION_ADDR)
        );
        let ip = std::net::IpAddr::V4(common::dnp3_synth::master().ip);
        let m = tracker.inventory.assets()[&ip].telecontrol.clone().unwrap();
        assert!(
            m.dnp3_link_addresses
                .contains(&common::dnp3_synth::MASTER_ADDR)
        );
    }
    let s = &run.engine.dnp3;
    assert_eq!(s.unsolicited, 1);
    assert_eq!(s.parse_errors.get("header_crc"), Some(&1));
    assert_eq!(s.parse_errors.get("data_crc"), Some(&1));
    let auth: Vec<_> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Dnp3(d) => Some(d.decoded.auth.iter().map(|a| a.name).collect::<Vec<_>>()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(auth, vec!["session_key_status_request", "challenge"]);
}

#[test]
fn malformed_captures_give_counted_errors_and_no_panic() {
    for rel in [
        "dnp3/iti_DNP3-Malformed.pcap",
        "dnp3/suricata_dnp3-too-long-reassembly-request.pcap",
        "dnp3/suricata_dnp3-too-long-reassembly-response.pcap",
    ] {
        let pcap = corpus::path(rel);
        let run = mizuban::pipeline::collect(&[pcap], &Config::default(), 1).unwrap();
        let s = &run.engine.dnp3;
        let errors: u64 = s.parse_errors.values().sum();
        let events = run
            .events
            .iter()
            .filter(|e| matches!(&e.kind, EventKind::ParseError(p) if p.protocol == mizuban_protocols::AppProtocol::Dnp3))
            .count() as u64;
        assert!(errors > 0, "{rel}");
        assert_eq!(errors, events, "{rel}: every error counted is reported");
    }
}
