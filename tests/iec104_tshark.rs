//! Differential test of the IEC 60870-5-104 analyzer against tshark (issue 11, point 7),
//! through the whole pipeline, on every IEC 104 capture of the corpus and on a built
//! capture of the commands none of them covers (tests/common/iec104_synth.rs):
//! `tshark -r F -Y iec60870_104 -T fields -E aggregator=';' -e frame.number -e
//! iec60870_104.type -e iec60870_asdu.typeid -e iec60870_asdu.causetx` must equal our
//! `iec104` events per frame (apci as tshark numbers it: I 0, S 1, U 3; type id; cause),
//! and so must the information object addresses (`iec60870_asdu.ioa`), the U functions
//! (`iec60870_104.utype`), the sequence numbers (`iec60870_104.tx/rx`), the P/N and test
//! bits, the originator and the common address. tshark aggregates each field of a
//! frame's APDUs on its own, so each is compared as a multiset per frame.
//!
//! tshark also shows a row for an APDU whose length field is below 4 (a start octet
//! and a length, nothing else); we report those as `parse_error` length_out_of_range
//! instead of an event, and the test checks that each such row has one.
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
use mizuban_protocols::facts::Outcome;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// One frame: each field's values, sorted.
type Fields = BTreeMap<&'static str, Vec<u32>>;

const FIELDS: [(&str, &str); 11] = [
    ("apci", "iec60870_104.type"),
    ("u_function", "iec60870_104.utype"),
    ("send_seq", "iec60870_104.tx"),
    ("recv_seq", "iec60870_104.rx"),
    ("type_id", "iec60870_asdu.typeid"),
    ("cot", "iec60870_asdu.causetx"),
    ("negative", "iec60870_asdu.nega"),
    ("test", "iec60870_asdu.test"),
    ("originator", "iec60870_asdu.oa"),
    ("common_address", "iec60870_asdu.addr"),
    ("ioa", "iec60870_asdu.ioa"),
];

fn num(s: &str) -> u32 {
    match s {
        "True" => 1,
        "False" => 0,
        _ => match s.strip_prefix("0x") {
            Some(h) => u32::from_str_radix(h, 16).unwrap(),
            None => s.parse().unwrap(),
        },
    }
}

fn tshark(pcap: &Path) -> BTreeMap<u64, Fields> {
    let mut cmd = Command::new("tshark");
    cmd.args([
        "-r",
        pcap.to_str().unwrap(),
        "-Y",
        "iec60870_104",
        "-T",
        "fields",
    ]);
    cmd.args(["-E", "aggregator=;", "-e", "frame.number"]);
    for (_, f) in FIELDS {
        cmd.args(["-e", f]);
    }
    let mut frames = BTreeMap::new();
    for line in run_stdout(&mut cmd).lines() {
        let c: Vec<&str> = line.split('\t').collect();
        let mut f = Fields::new();
        for (i, (name, _)) in FIELDS.iter().enumerate() {
            let mut v: Vec<u32> = c[i + 1]
                .split(';')
                .filter(|x| !x.is_empty())
                .map(num)
                .collect();
            v.sort();
            f.insert(name, v);
        }
        frames.insert(c[0].parse().unwrap(), f);
    }
    frames
}

fn ours(events: &[mizuban_protocols::Event]) -> BTreeMap<u64, Fields> {
    let mut frames: BTreeMap<u64, Fields> = BTreeMap::new();
    for e in events {
        let EventKind::Iec104(a) = &e.kind else {
            continue;
        };
        let f = frames
            .entry(e.frame)
            .or_insert_with(|| FIELDS.iter().map(|(n, _)| (*n, Vec::new())).collect());
        let mut push = |k: &'static str, v: Option<u32>| {
            if let Some(v) = v {
                f.get_mut(k).unwrap().push(v);
            }
        };
        push(
            "apci",
            Some(match a.apci {
                "I" => 0,
                "S" => 1,
                _ => 3,
            }),
        );
        push("u_function", a.u_code.map(u32::from));
        push("send_seq", a.send_seq.map(u32::from));
        push("recv_seq", a.recv_seq.map(u32::from));
        push("type_id", a.type_id.map(u32::from));
        push("cot", a.cot.map(u32::from));
        if a.cot.is_some() {
            push("negative", Some(u32::from(a.negative)));
            push("test", Some(u32::from(a.test)));
        }
        push("originator", a.originator.map(u32::from));
        push("common_address", a.common_address.map(u32::from));
        for i in &a.ioas {
            push("ioa", Some(*i));
        }
    }
    for f in frames.values_mut() {
        for v in f.values_mut() {
            v.sort();
        }
    }
    frames
}

/// Compares one capture; returns the differences and the APDUs tshark showed.
fn compare(name: &str, pcap: &Path) -> (Vec<String>, usize, mizuban::pipeline::RunResult) {
    let theirs = tshark(pcap);
    let run = mizuban::pipeline::collect(&[pcap.to_path_buf()], &Config::default(), 2).unwrap();
    let mine = ours(&run.events);
    let mut diffs = Vec::new();
    let mut apdus = 0;
    let empty: Fields = FIELDS.iter().map(|(n, _)| (*n, Vec::new())).collect();
    let frames: std::collections::BTreeSet<u64> =
        theirs.keys().chain(mine.keys()).copied().collect();
    for n in frames {
        let t = theirs.get(&n).unwrap_or(&empty);
        let o = mine.get(&n).unwrap_or(&empty);
        apdus += t["apci"].len();
        if t["apci"].is_empty() && o["apci"].is_empty() {
            // A row with no APCI type: an APDU length below 4.
            let reported = run.events.iter().any(|e| {
                e.frame == n
                    && matches!(&e.kind, EventKind::ParseError(p) if p.reason == "length_out_of_range")
            });
            if !reported {
                diffs.push(format!("{name} frame {n}: short APDU not reported"));
            }
            continue;
        }
        for (k, _) in FIELDS {
            if t[k] != o[k] {
                diffs.push(format!(
                    "{name} frame {n} {k}: tshark {:?} ours {:?}",
                    t[k], o[k]
                ));
            }
        }
    }
    (diffs, apdus, run)
}

#[test]
fn every_iec104_capture_matches_tshark() {
    if !have_tool("tshark") {
        return;
    }
    let files = corpus::captures_in("iec104");
    assert!(files.len() >= 3, "{files:?}");
    let mut all = Vec::new();
    let mut total = 0;
    for pcap in &files {
        let name = pcap.file_name().unwrap().to_str().unwrap().to_string();
        let (diffs, apdus, _) = compare(&name, pcap);
        println!("{name}: {apdus} APDUs, {} diffs", diffs.len());
        total += apdus;
        all.extend(diffs);
    }
    for d in all.iter().take(40) {
        println!("{d}");
    }
    println!("{total} tshark APDUs compared");
    assert!(total >= 150, "{total}");
    assert!(all.is_empty(), "{} differences with tshark", all.len());
}

#[test]
fn built_capture_matches_tshark_and_gives_control_actions() {
    let built = rules_builder::build("iec104_built", common::iec104_synth::write);
    if have_tool("tshark") {
        let (diffs, apdus, _) = compare("iec104_built", &built.path);
        for d in &diffs {
            println!("{d}");
        }
        assert!(diffs.is_empty(), "{} differences with tshark", diffs.len());
        assert_eq!(apdus, 26, "every APDU of the built capture");
    }
    let run = mizuban::pipeline::collect(std::slice::from_ref(&built.path), &Config::default(), 1)
        .unwrap();
    let actions: Vec<_> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ControlAction(c) => {
                Some((c.function, c.action.as_str(), c.outcome, c.target.address))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            (45, "select", Outcome::Ok, Some(5001)),
            (45, "operate", Outcome::Ok, Some(5001)),
            (46, "operate", Outcome::Exception, Some(5002)),
            (50, "operate", Outcome::Ok, Some(6001)),
            (62, "operate", Outcome::Ok, Some(6002)),
            (103, "time_set", Outcome::Ok, Some(0)),
            (105, "restart", Outcome::Ok, Some(0)),
            (113, "config_change", Outcome::Ok, Some(7001)),
            (122, "file_transfer", Outcome::Unanswered, Some(8001)),
        ]
    );
    {
        let tracker = mizuban_detect::baseline::tracker::lock(&run.tracker);
        let ip = std::net::IpAddr::V4(common::iec104_synth::rtu().ip);
        let t = tracker.inventory.assets()[&ip].telecontrol.clone().unwrap();
        assert_eq!(
            t.iec104_common_addresses.into_iter().collect::<Vec<_>>(),
            vec![common::iec104_synth::COMMON_ADDRESS]
        );
    }
    let s = &run.engine.iec104;
    assert_eq!(s.sequence_gaps, 1);
    assert_eq!(s.ack_out_of_window, 1);
    assert_eq!(s.u_frames.get("startdt_act"), Some(&1));
    // The set-point value and the control action's values.
    let sp = run
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::ControlAction(c) if c.function == 50 => c.values.clone(),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        sp.values,
        vec![mizuban_protocols::facts::Value::Float(12.5)]
    );
}

#[test]
fn malformed_iec104_gives_counted_errors_and_no_panic() {
    let pcap = corpus::path("iec104/iti_TestDissectIec104.pcap");
    let run = mizuban::pipeline::collect(&[pcap], &Config::default(), 1).unwrap();
    let s = &run.engine.iec104;
    let errors: u64 = s.parse_errors.values().sum();
    let reported = run
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::ParseError(p) if p.protocol == mizuban_protocols::AppProtocol::Iec104))
        .count() as u64;
    assert!(errors > 0);
    assert_eq!(errors, reported);
}
