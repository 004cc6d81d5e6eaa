//! Shared by the Modbus differential tests (protocols/tests/modbus_tshark_payloads.rs and
//! the root tests/modbus_tshark.rs): the tshark oracle CSVs, the tshark view of our
//! transactions, the comparison, and the list of known tshark disagreements.
//!
//! Oracle format: tests/corpus/SOURCES.md, "Modbus oracle CSVs".
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use mizuban_protocols::modbus::Transaction;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Frames where we knowingly differ from tshark 4.0, with the reason. Matched by file
/// name and frame number; both sides of such a frame are left out of the comparison.
pub const KNOWN_DISAGREEMENTS: &[(&str, u64, &str)] = &[
    (
        "iti_mb2.pcap",
        1131,
        "tshark flags the segment as a retransmission (its first 12 bytes repeat frame \
         1014) and dissects none of it, though its last 48 bytes are new: four pipelined \
         requests (trans 22506-22509) whose responses tshark does show in frame 3008",
    ),
    (
        "iti_mb2.pcap",
        3674,
        "a retransmission that also fills a 13-byte hole left before frame 3008 (the \
         response to trans 22505); tshark does not dissect it, our reassembly delivers the \
         missing bytes (only in the pipeline test: the payload test does not fill holes)",
    ),
    (
        "zeek_fuzz-72.pcap",
        5,
        "a fuzzed capture: the server's raw TCP sequence numbers jump around (frame 1: 0, \
         frame 2: 3858759680, frame 5: 36, frame 12: 131153); the pipeline's reassembly \
         does not take frame 5 as in-window data of that stream, tshark dissects every \
         segment on its own (the payload-only test, which follows any jump, matches it)",
    ),
    (
        "iti_mb2.pcap",
        13176,
        "same as frame 1131: a partly new retransmitted segment carrying the responses \
         to trans 9824 and 9825 (requests in frame 13132)",
    ),
];

#[path = "../../../tests/common/corpus.rs"]
pub mod corpus;

/// The corpus directories searched, for messages.
pub fn pcaps_dir() -> String {
    let dirs: Vec<_> = corpus::dirs()
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    dirs.join(" and ")
}

/// True if `tool` runs. If not: prints SKIP and returns false, or fails when
/// MIZUBAN_REQUIRE_TOOLS is set.
pub fn have_tool(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var_os("MIZUBAN_REQUIRE_TOOLS").is_some() {
            panic!("{tool} not installed and MIZUBAN_REQUIRE_TOOLS is set");
        }
        println!("SKIP: {tool} not installed");
    }
    ok
}

/// Every capture with a `<file>.tshark.csv` oracle beside it, sorted; one per file name
/// (the bundled corpus first).
pub fn oracle_files() -> Vec<(PathBuf, PathBuf)> {
    let mut out: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut dirs = corpus::dirs();
    dirs.reverse();
    while let Some(d) = dirs.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if let Some(name) = p.file_name().and_then(|n| n.to_str())
                && let Some(pcap) = name.strip_suffix(".tshark.csv")
                && !out
                    .iter()
                    .any(|(q, _)| q.file_name() == Some(pcap.as_ref()))
            {
                out.push((p.with_file_name(pcap), p.clone()));
            }
        }
    }
    out.sort();
    out
}

/// One PDU as tshark shows it (or as tshark would show ours).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pdu {
    pub trans_id: u16,
    pub unit_id: u8,
    pub func_code: u8,
}

/// One row of an oracle CSV: the PDUs tshark decoded in one frame.
#[derive(Clone, Debug, Default)]
pub struct Row {
    pub frame: u64,
    pub request: bool,
    pub pdus: Vec<Pdu>,
    pub exceptions: Vec<u8>,
    pub refs: Vec<u16>,
    pub counts: Vec<u16>,
}

fn list<T: std::str::FromStr>(cell: &str) -> Vec<T>
where
    T::Err: std::fmt::Debug,
{
    if cell.is_empty() {
        return Vec::new();
    }
    cell.split(';').map(|v| v.parse().unwrap()).collect()
}

pub fn load_oracle(csv: &Path) -> BTreeMap<u64, Row> {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut rows = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let c: Vec<&str> = line.split(',').collect();
        assert_eq!(c.len(), 12, "{}: {line}", csv.display());
        let frame: u64 = c[0].parse().unwrap();
        let trans: Vec<u16> = list(c[5]);
        let unit: Vec<u8> = list(c[6]);
        let fc: Vec<u8> = list(c[8]);
        assert_eq!(trans.len(), fc.len(), "{line}");
        let pdus = trans
            .iter()
            .zip(&unit)
            .zip(&fc)
            .map(|((&trans_id, &unit_id), &func_code)| Pdu {
                trans_id,
                unit_id,
                func_code,
            })
            .collect();
        rows.insert(
            frame,
            Row {
                frame,
                request: c[4] == "502",
                pdus,
                exceptions: list(c[9]),
                refs: list(c[10]),
                counts: list(c[11]),
            },
        );
    }
    rows
}

/// Which fields tshark 4.0 fills as `modbus.reference_num` / `modbus.word_cnt`, by
/// side and function (normal responses only; exceptions carry neither). Coil
/// quantities are `modbus.bit_cnt`; 23 uses `modbus.read_reference_num` and friends.
fn tshark_has_ref(request: bool, f: u8) -> bool {
    if request {
        matches!(f, 1..=6 | 15 | 16 | 22 | 24)
    } else {
        matches!(f, 5 | 6 | 15 | 16 | 22)
    }
}
fn tshark_has_count(request: bool, f: u8) -> bool {
    if request {
        matches!(f, 3 | 4 | 16)
    } else {
        matches!(f, 16 | 24)
    }
}

/// Our side of one frame: the PDU plus the values tshark would show for it.
#[derive(Clone, Debug)]
struct Ours {
    pdu: Pdu,
    exception: Option<u8>,
    reference: Option<u16>,
    count: Option<u16>,
}

/// Compares the oracle of one capture with our transactions. Returns one line per
/// difference.
pub fn compare(file: &str, oracle: &BTreeMap<u64, Row>, txs: &[Transaction]) -> Vec<String> {
    let known: Vec<u64> = KNOWN_DISAGREEMENTS
        .iter()
        .filter(|k| k.0 == file)
        .map(|k| k.1)
        .collect();
    let mut ours: BTreeMap<(u64, bool), Vec<Ours>> = BTreeMap::new();
    for t in txs {
        let pdu = Pdu {
            trans_id: t.trans_id,
            unit_id: t.unit_id,
            func_code: t.function,
        };
        if let Some(f) = t.request_frame {
            ours.entry((f, true)).or_default().push(Ours {
                pdu: pdu.clone(),
                exception: None,
                reference: t.address.filter(|_| tshark_has_ref(true, t.function)),
                count: t.quantity.filter(|_| tshark_has_count(true, t.function)),
            });
        }
        if let Some(f) = t.response_frame {
            let normal = t.exception.is_none();
            ours.entry((f, false)).or_default().push(Ours {
                pdu,
                exception: t.exception,
                reference: t
                    .address
                    .filter(|_| normal && tshark_has_ref(false, t.function)),
                count: t
                    .quantity
                    .filter(|_| normal && tshark_has_count(false, t.function)),
            });
        }
    }
    let mut diffs = Vec::new();
    for row in oracle.values() {
        if known.contains(&row.frame) {
            ours.remove(&(row.frame, row.request));
            continue;
        }
        let mut mine = ours.remove(&(row.frame, row.request)).unwrap_or_default();
        // Put ours in tshark's order: each tshark PDU takes the first equal one of ours.
        let mut ordered = Vec::new();
        for p in &row.pdus {
            match mine.iter().position(|o| &o.pdu == p) {
                Some(i) => ordered.push(mine.remove(i)),
                None => diffs.push(format!(
                    "{file} frame {}: tshark {:?} has no transaction of ours (ours there: {:?})",
                    row.frame,
                    p,
                    mine.iter().map(|o| &o.pdu).collect::<Vec<_>>()
                )),
            }
        }
        for o in &mine {
            diffs.push(format!(
                "{file} frame {}: our {:?} is not in tshark's row",
                row.frame, o.pdu
            ));
        }
        let exc: Vec<u8> = ordered.iter().filter_map(|o| o.exception).collect();
        let refs: Vec<u16> = ordered.iter().filter_map(|o| o.reference).collect();
        let counts: Vec<u16> = ordered.iter().filter_map(|o| o.count).collect();
        if exc != row.exceptions {
            diffs.push(format!(
                "{file} frame {}: exception codes tshark {:?} ours {:?}",
                row.frame, row.exceptions, exc
            ));
        }
        if refs != row.refs {
            diffs.push(format!(
                "{file} frame {}: reference_num tshark {:?} ours {:?}",
                row.frame, row.refs, refs
            ));
        }
        if counts != row.counts {
            diffs.push(format!(
                "{file} frame {}: word_cnt tshark {:?} ours {:?}",
                row.frame, row.counts, counts
            ));
        }
    }
    for ((frame, request), rest) in ours {
        if known.contains(&frame) {
            continue;
        }
        for o in rest {
            diffs.push(format!(
                "{file} frame {frame} ({}): our {:?} is not seen by tshark",
                if request { "request" } else { "response" },
                o.pdu
            ));
        }
    }
    diffs
}

/// Fields the oracle CSVs do not hold, read from tshark at test time, per frame:
/// `modbus.bit_cnt` (coil quantities of 1, 2, 15) and the four quantities of 23.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extra {
    pub bit_cnt: Vec<u16>,
    pub read_ref: Vec<u16>,
    pub read_cnt: Vec<u16>,
    pub write_ref: Vec<u16>,
    pub write_cnt: Vec<u16>,
}

impl Extra {
    fn sort(&mut self) {
        for v in [
            &mut self.bit_cnt,
            &mut self.read_ref,
            &mut self.read_cnt,
            &mut self.write_ref,
            &mut self.write_cnt,
        ] {
            v.sort_unstable();
        }
    }
    fn is_empty(&self) -> bool {
        *self == Extra::default()
    }
}

/// Runs tshark on `pcap` for the [`Extra`] fields (values sorted per frame).
pub fn tshark_extra(pcap: &Path) -> BTreeMap<u64, Extra> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args(["-Y", "mbtcp", "-T", "fields", "-E", "aggregator=;"])
        .args(["-e", "frame.number", "-e", "modbus.bit_cnt"])
        .args([
            "-e",
            "modbus.read_reference_num",
            "-e",
            "modbus.read_word_cnt",
        ])
        .args([
            "-e",
            "modbus.write_reference_num",
            "-e",
            "modbus.write_word_cnt",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "tshark failed on {}", pcap.display());
    let mut map = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let c: Vec<&str> = line.split('\t').collect();
        let mut e = Extra {
            bit_cnt: list(c[1]),
            read_ref: list(c[2]),
            read_cnt: list(c[3]),
            write_ref: list(c[4]),
            write_cnt: list(c[5]),
        };
        e.sort();
        if !e.is_empty() {
            map.insert(c[0].parse().unwrap(), e);
        }
    }
    map
}

/// Compares the [`Extra`] fields per frame (as sorted multisets).
pub fn compare_extra(
    file: &str,
    tshark: &BTreeMap<u64, Extra>,
    txs: &[Transaction],
) -> Vec<String> {
    let mut ours: BTreeMap<u64, Extra> = BTreeMap::new();
    for t in txs {
        if let Some(f) = t.request_frame {
            let e = ours.entry(f).or_default();
            match t.function {
                1 | 2 | 15 => e.bit_cnt.extend(t.quantity),
                23 => {
                    e.read_ref.extend(t.address);
                    e.read_cnt.extend(t.quantity);
                    e.write_ref.extend(t.write_address);
                    e.write_cnt
                        .extend(t.written.as_ref().map(|w| u16::try_from(w.total).unwrap()));
                }
                _ => {}
            }
        }
        if let Some(f) = t.response_frame
            && t.exception.is_none()
            && t.function == 15
        {
            ours.entry(f).or_default().bit_cnt.extend(t.quantity);
        }
    }
    let known: Vec<u64> = KNOWN_DISAGREEMENTS
        .iter()
        .filter(|k| k.0 == file)
        .map(|k| k.1)
        .collect();
    let mut frames: Vec<u64> = tshark.keys().chain(ours.keys()).copied().collect();
    frames.sort_unstable();
    frames.dedup();
    let mut diffs = Vec::new();
    for f in frames.into_iter().filter(|f| !known.contains(f)) {
        let mut mine = ours.get(&f).cloned().unwrap_or_default();
        mine.sort();
        let theirs = tshark.get(&f).cloned().unwrap_or_default();
        if mine != theirs {
            diffs.push(format!("{file} frame {f}: tshark {theirs:?} ours {mine:?}"));
        }
    }
    diffs
}
