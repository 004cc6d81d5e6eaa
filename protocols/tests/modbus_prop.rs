//! Property tests of the Modbus parser (STYLE.md section 8): a small encoder for
//! requests and responses of every public function code (spec V1.1b3 section 6), the
//! user-defined ranges and vendor 90; random valid transactions cut into random
//! segments parse back exactly; arbitrary bytes never panic; every truncation of an
//! ADU is `Incomplete`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use mizuban_capture::{Timestamp, VlanTags};
use mizuban_protocols::engine::EngineStats;
use mizuban_protocols::event::{Event, EventKind, FlowTuple};
use mizuban_protocols::modbus::frame::{self, FrameError};
use mizuban_protocols::modbus::{DeviceIdentity, ModbusConfig, Parser, Transaction, WrittenValues};
use mizuban_protocols::parser::{Direction, ParseCtx, StreamParser};
use proptest::prelude::*;

/// Expected (subfunction, address, quantity, write_address, written).
type Expected = (
    Option<u16>,
    Option<u16>,
    Option<u16>,
    Option<u16>,
    Option<WrittenValues>,
);

/// A request, with what its response needs.
#[derive(Clone, Debug)]
enum Req {
    ReadBits {
        fc: u8,
        addr: u16,
        qty: u16,
    },
    ReadRegs {
        fc: u8,
        addr: u16,
        qty: u16,
    },
    WriteCoil {
        addr: u16,
        on: bool,
    },
    WriteReg {
        addr: u16,
        val: u16,
    },
    NoData {
        fc: u8,
    },
    Diag {
        sub: u16,
        data: u16,
    },
    WriteCoils {
        addr: u16,
        bits: Vec<bool>,
    },
    WriteRegs {
        addr: u16,
        vals: Vec<u16>,
    },
    ReadFile {
        subs: Vec<[u8; 7]>,
    },
    WriteFile {
        body: Vec<u8>,
    },
    MaskWrite {
        addr: u16,
        and: u16,
        or: u16,
    },
    ReadWrite {
        raddr: u16,
        rqty: u16,
        waddr: u16,
        vals: Vec<u16>,
    },
    Fifo {
        addr: u16,
        count: u16,
    },
    DevId {
        code: u8,
        objects: Vec<(u8, String)>,
    },
    CanOpen {
        data: Vec<u8>,
    },
    Other {
        fc: u8,
        data: Vec<u8>,
    },
}

fn be(v: u16) -> [u8; 2] {
    v.to_be_bytes()
}

fn pack(bits: &[bool]) -> Vec<u8> {
    let mut out = vec![0u8; bits.len().div_ceil(8)];
    for (i, b) in bits.iter().enumerate() {
        if *b {
            out[i / 8] |= 1 << (i % 8);
        }
    }
    out
}

impl Req {
    fn function(&self) -> u8 {
        match self {
            Req::ReadBits { fc, .. } | Req::ReadRegs { fc, .. } | Req::NoData { fc } => *fc,
            Req::Other { fc, .. } => *fc,
            Req::WriteCoil { .. } => 5,
            Req::WriteReg { .. } => 6,
            Req::Diag { .. } => 8,
            Req::WriteCoils { .. } => 15,
            Req::WriteRegs { .. } => 16,
            Req::ReadFile { .. } => 20,
            Req::WriteFile { .. } => 21,
            Req::MaskWrite { .. } => 22,
            Req::ReadWrite { .. } => 23,
            Req::Fifo { .. } => 24,
            Req::DevId { .. } | Req::CanOpen { .. } => 43,
        }
    }

    /// Request PDU (section 6, "Request" tables).
    fn request(&self) -> Vec<u8> {
        let mut p = vec![self.function()];
        match self {
            Req::ReadBits { addr, qty, .. } | Req::ReadRegs { addr, qty, .. } => {
                p.extend(be(*addr));
                p.extend(be(*qty));
            }
            Req::WriteCoil { addr, on } => {
                p.extend(be(*addr));
                p.extend(be(if *on { 0xFF00 } else { 0 }));
            }
            Req::WriteReg { addr, val } => {
                p.extend(be(*addr));
                p.extend(be(*val));
            }
            Req::NoData { .. } => {}
            Req::Diag { sub, data } => {
                p.extend(be(*sub));
                p.extend(be(*data));
            }
            Req::WriteCoils { addr, bits } => {
                p.extend(be(*addr));
                p.extend(be(bits.len() as u16));
                let packed = pack(bits);
                p.push(packed.len() as u8);
                p.extend(packed);
            }
            Req::WriteRegs { addr, vals } => {
                p.extend(be(*addr));
                p.extend(be(vals.len() as u16));
                p.push((vals.len() * 2) as u8);
                p.extend(vals.iter().flat_map(|v| be(*v)));
            }
            Req::ReadFile { subs } => {
                p.push((subs.len() * 7) as u8);
                p.extend(subs.iter().flatten());
            }
            Req::WriteFile { body } => {
                p.push(body.len() as u8);
                p.extend(body);
            }
            Req::MaskWrite { addr, and, or } => {
                p.extend(be(*addr));
                p.extend(be(*and));
                p.extend(be(*or));
            }
            Req::ReadWrite {
                raddr,
                rqty,
                waddr,
                vals,
            } => {
                p.extend(be(*raddr));
                p.extend(be(*rqty));
                p.extend(be(*waddr));
                p.extend(be(vals.len() as u16));
                p.push((vals.len() * 2) as u8);
                p.extend(vals.iter().flat_map(|v| be(*v)));
            }
            Req::Fifo { addr, .. } => p.extend(be(*addr)),
            Req::DevId { code, .. } => p.extend([14, *code, 0]),
            Req::CanOpen { data } => {
                p.push(13);
                p.extend(data);
            }
            Req::Other { data, .. } => p.extend(data),
        }
        p
    }

    /// Normal response PDU (section 6, "Response" tables); `fill` supplies data bytes.
    fn response(&self, fill: u8) -> Vec<u8> {
        let req = self.request();
        let mut p = vec![self.function()];
        match self {
            Req::ReadBits { qty, .. } => {
                let n = usize::from(*qty).div_ceil(8);
                p.push(n as u8);
                p.extend(std::iter::repeat_n(fill, n));
            }
            Req::ReadRegs { qty, .. } | Req::ReadWrite { rqty: qty, .. } => {
                p.push((qty * 2) as u8);
                p.extend(std::iter::repeat_n(fill, usize::from(*qty) * 2));
            }
            Req::WriteCoil { .. }
            | Req::WriteReg { .. }
            | Req::Diag { .. }
            | Req::MaskWrite { .. }
            | Req::WriteFile { .. } => return req,
            Req::NoData { fc: 7 } => p.push(fill),
            Req::NoData { fc: 11 } => p.extend([0, 0, 0, fill]),
            Req::NoData { fc: 12 } => p.extend([6, 0, 0, 0, 1, 0, fill]),
            Req::NoData { .. } => p.extend([2, fill, 0xFF]), // 17: server id, run indicator
            Req::WriteCoils { addr, bits } => {
                p.extend(be(*addr));
                p.extend(be(bits.len() as u16));
            }
            Req::WriteRegs { addr, vals } => {
                p.extend(be(*addr));
                p.extend(be(vals.len() as u16));
            }
            Req::ReadFile { .. } => p.extend([4, 3, 6, fill, fill]),
            Req::Fifo { count, .. } => {
                p.extend(be(2 + 2 * count));
                p.extend(be(*count));
                p.extend(std::iter::repeat_n(fill, usize::from(*count) * 2));
            }
            Req::DevId { code, objects } => {
                p.extend([14, *code, 0x81, 0, 0, objects.len() as u8]);
                for (id, text) in objects {
                    p.push(*id);
                    p.push(text.len() as u8);
                    p.extend(text.as_bytes());
                }
            }
            Req::CanOpen { data } | Req::Other { data, .. } => {
                p.extend(data);
                if p.len() > 1 && matches!(self, Req::CanOpen { .. }) {
                    p[1] = 13;
                } else if matches!(self, Req::CanOpen { .. }) {
                    p.push(13);
                }
            }
        }
        p
    }

    /// The transaction the parser must report, from the specification's field
    /// meanings (not from the parser).
    fn expected(&self, exception: Option<u8>) -> Expected {
        // (subfunction, address, quantity, write_address, written)
        let w = |values: Vec<u16>, total: u32| {
            Some(WrittenValues {
                values: values.into_iter().take(WrittenValues::MAX).collect(),
                total,
            })
        };
        match self {
            Req::ReadBits { addr, qty, .. } | Req::ReadRegs { addr, qty, .. } => {
                (None, Some(*addr), Some(*qty), None, None)
            }
            Req::WriteCoil { addr, on } => {
                (None, Some(*addr), Some(1), None, w(vec![u16::from(*on)], 1))
            }
            Req::WriteReg { addr, val } => (None, Some(*addr), Some(1), None, w(vec![*val], 1)),
            // Function 90 (Schneider UMAS): a session byte, then the UMAS code, which the
            // transaction reports as its sub-function.
            Req::Other { fc: 90, data } if data.len() >= 2 => {
                (Some(u16::from(data[1])), None, None, None, None)
            }
            Req::NoData { .. } | Req::ReadFile { .. } | Req::Other { .. } => {
                (None, None, None, None, None)
            }
            Req::WriteFile { .. } => (None, None, None, None, None),
            Req::Diag { sub, .. } => (Some(*sub), None, None, None, None),
            Req::WriteCoils { addr, bits } => (
                None,
                Some(*addr),
                Some(bits.len() as u16),
                None,
                w(
                    bits.iter().map(|b| u16::from(*b)).collect(),
                    bits.len() as u32,
                ),
            ),
            Req::WriteRegs { addr, vals } => (
                None,
                Some(*addr),
                Some(vals.len() as u16),
                None,
                w(vals.clone(), vals.len() as u32),
            ),
            Req::MaskWrite { addr, and, or } => {
                (None, Some(*addr), Some(1), None, w(vec![*and, *or], 2))
            }
            Req::ReadWrite {
                raddr,
                rqty,
                waddr,
                vals,
            } => (
                None,
                Some(*raddr),
                Some(*rqty),
                Some(*waddr),
                w(vals.clone(), vals.len() as u32),
            ),
            Req::Fifo { addr, count } => (
                None,
                Some(*addr),
                if exception.is_none() {
                    Some(*count)
                } else {
                    None
                },
                None,
                None,
            ),
            Req::DevId { .. } => (Some(14), None, None, None, None),
            Req::CanOpen { .. } => (Some(13), None, None, None, None),
        }
    }
}

fn text() -> impl Strategy<Value = String> {
    "[ -~]{0,40}"
}

fn req() -> impl Strategy<Value = Req> {
    let a = any::<u16>();
    prop_oneof![
        (prop_oneof![Just(1u8), Just(2)], a, 1u16..=2000)
            .prop_map(|(fc, addr, qty)| Req::ReadBits { fc, addr, qty }),
        (prop_oneof![Just(3u8), Just(4)], a, 1u16..=125)
            .prop_map(|(fc, addr, qty)| Req::ReadRegs { fc, addr, qty }),
        (a, any::<bool>()).prop_map(|(addr, on)| Req::WriteCoil { addr, on }),
        (a, a).prop_map(|(addr, val)| Req::WriteReg { addr, val }),
        prop_oneof![Just(7u8), Just(11), Just(12), Just(17)].prop_map(|fc| Req::NoData { fc }),
        (prop_oneof![0u16..=4, 10u16..=18, Just(20)], a)
            .prop_map(|(sub, data)| Req::Diag { sub, data }),
        (a, prop::collection::vec(any::<bool>(), 1..=1968))
            .prop_map(|(addr, bits)| Req::WriteCoils { addr, bits }),
        (a, prop::collection::vec(any::<u16>(), 1..=123))
            .prop_map(|(addr, vals)| Req::WriteRegs { addr, vals }),
        prop::collection::vec(any::<[u8; 7]>(), 1..=35).prop_map(|subs| Req::ReadFile { subs }),
        prop::collection::vec(any::<u8>(), 7..=200).prop_map(|body| Req::WriteFile { body }),
        (a, a, a).prop_map(|(addr, and, or)| Req::MaskWrite { addr, and, or }),
        (
            a,
            1u16..=125,
            a,
            prop::collection::vec(any::<u16>(), 1..=121)
        )
            .prop_map(|(raddr, rqty, waddr, vals)| Req::ReadWrite {
                raddr,
                rqty,
                waddr,
                vals
            }),
        (a, 0u16..=31).prop_map(|(addr, count)| Req::Fifo { addr, count }),
        (
            1u8..=4,
            prop::sample::subsequence((0u8..=6).collect::<Vec<_>>(), 0..=4),
            prop::collection::vec(text(), 4)
        )
            .prop_map(|(code, ids, texts)| Req::DevId {
                code,
                objects: ids.into_iter().zip(texts).collect()
            }),
        prop::collection::vec(any::<u8>(), 0..=100).prop_map(|data| Req::CanOpen { data }),
        (
            prop_oneof![
                65u8..=72,
                100u8..=110,
                Just(90),
                26u8..=42,
                44u8..=64,
                111u8..=127
            ],
            prop::collection::vec(any::<u8>(), 0..=200)
        )
            .prop_map(|(fc, data)| Req::Other { fc, data }),
    ]
}

/// Response: None = normal, Some(code) = exception.
fn resp_kind() -> impl Strategy<Value = Option<u8>> {
    prop_oneof![3 => Just(None), 1 => prop_oneof![1u8..=6, Just(8), Just(10), Just(11)].prop_map(Some)]
}

fn adu(trans_id: u16, unit_id: u8, pdu: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(be(trans_id));
    v.extend([0, 0]);
    v.extend(be(pdu.len() as u16 + 1));
    v.push(unit_id);
    v.extend(pdu);
    v
}

fn flow() -> FlowTuple {
    FlowTuple {
        client: ([10, 0, 0, 1], 40000).into(),
        server: ([10, 0, 0, 2], 502).into(),
        proto: 6,
        vlan: VlanTags::default(),
    }
}

struct Run {
    parser: Parser,
    stats: EngineStats,
    events: Vec<Event>,
    sub: u32,
}

impl Run {
    fn new() -> Run {
        Run {
            parser: Parser::new(&ModbusConfig::default()),
            stats: EngineStats::default(),
            events: Vec::new(),
            sub: 0,
        }
    }
    fn data(&mut self, frame: u64, dir: Direction, bytes: &[u8]) {
        let mut ctx = ParseCtx::new(
            Timestamp::from_nanos(frame as i64),
            frame,
            0,
            frame,
            flow(),
            &mut self.stats,
            &mut self.events,
            &mut self.sub,
        );
        self.parser.on_data(&mut ctx, dir, bytes);
    }
    fn gap(&mut self, dir: Direction) {
        let mut ctx = ParseCtx::new(
            Timestamp::ZERO,
            0,
            0,
            0,
            flow(),
            &mut self.stats,
            &mut self.events,
            &mut self.sub,
        );
        self.parser.on_gap(&mut ctx, dir, 1);
    }
    fn close(&mut self) {
        let mut ctx = ParseCtx::new(
            Timestamp::ZERO,
            0,
            0,
            0,
            flow(),
            &mut self.stats,
            &mut self.events,
            &mut self.sub,
        );
        self.parser.on_close(&mut ctx);
    }
}

/// Cuts `stream` at the sorted `cuts` (taken modulo its length) and feeds the pieces
/// as frames numbered from `first`. Returns, for each byte offset, its frame.
fn feed(run: &mut Run, dir: Direction, stream: &[u8], cuts: &[usize], first: u64) -> Vec<u64> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % stream.len().max(1)).collect();
    points.push(0);
    points.push(stream.len());
    points.sort_unstable();
    points.dedup();
    let mut frame_of = vec![0u64; stream.len()];
    for (i, w) in points.windows(2).enumerate() {
        let frame = first + i as u64;
        run.data(frame, dir, &stream[w[0]..w[1]]);
        frame_of[w[0]..w[1]].fill(frame);
    }
    frame_of
}

fn device_identity(objects: &[(u8, String)]) -> DeviceIdentity {
    let mut id = DeviceIdentity::default();
    for (obj, t) in objects {
        let slot = match obj {
            0 => &mut id.vendor_name,
            1 => &mut id.product_code,
            2 => &mut id.revision,
            3 => &mut id.vendor_url,
            4 => &mut id.product_name,
            5 => &mut id.model_name,
            _ => &mut id.user_application_name,
        };
        *slot = Some(t.clone());
    }
    id
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random valid transactions, requests then responses (pipelined, answered in a
    /// shuffled order), each direction cut at random points, parse back exactly.
    #[test]
    fn transactions_round_trip(
        txs in prop::collection::vec((req(), resp_kind(), any::<u8>(), any::<u8>()), 1..20),
        order in any::<prop::sample::Index>(),
        req_cuts in prop::collection::vec(any::<usize>(), 0..30),
        resp_cuts in prop::collection::vec(any::<usize>(), 0..30),
    ) {
        let mut reqs = Vec::new();
        let mut ends = Vec::new();
        for (i, (r, _, unit, _)) in txs.iter().enumerate() {
            reqs.extend(adu(i as u16, *unit, &r.request()));
            ends.push(reqs.len() - 1);
        }
        // Answer in a rotated order: pairing must go by transaction id.
        let n = txs.len();
        let rot = order.index(n);
        let mut resps = Vec::new();
        let mut resp_end = vec![0usize; n];
        for k in 0..n {
            let i = (k + rot) % n;
            let (r, exc, unit, fill) = &txs[i];
            let pdu = match exc {
                None => r.response(*fill),
                Some(code) => vec![r.function() | 0x80, *code],
            };
            resps.extend(adu(i as u16, *unit, &pdu));
            resp_end[i] = resps.len() - 1;
        }
        let mut run = Run::new();
        let req_frames = feed(&mut run, Direction::ToServer, &reqs, &req_cuts, 1);
        let first_resp = req_frames.last().unwrap() + 1;
        let resp_frames = feed(&mut run, Direction::ToClient, &resps, &resp_cuts, first_resp);
        run.close();
        let errors: Vec<_> = run.events.iter().filter_map(|e| match &e.kind {
            EventKind::ParseError(p) => Some(p.reason),
            _ => None,
        }).collect();
        prop_assert!(errors.is_empty(), "{errors:?}");
        let got: Vec<&Transaction> = run.events.iter().filter_map(|e| match &e.kind {
            EventKind::Modbus(t) => Some(t),
            _ => None,
        }).collect();
        prop_assert_eq!(got.len(), n);
        for t in got {
            let i = usize::from(t.trans_id);
            let (r, exc, unit, _) = &txs[i];
            let (sub, addr, qty, waddr, written) = r.expected(*exc);
            prop_assert_eq!(t.unit_id, *unit);
            prop_assert_eq!(t.function, r.function());
            prop_assert_eq!(t.request_frame, Some(req_frames[ends[i]]));
            prop_assert_eq!(t.response_frame, Some(resp_frames[resp_end[i]]));
            prop_assert_eq!(t.exception, *exc);
            prop_assert_eq!(t.subfunction, sub);
            prop_assert_eq!(t.address, addr, "{:?}", r);
            prop_assert_eq!(t.quantity, qty, "{:?}", r);
            prop_assert_eq!(t.write_address, waddr);
            prop_assert_eq!(&t.written, &written);
            let id = match (r, exc) {
                (Req::DevId { objects, .. }, None) => Some(device_identity(objects)),
                _ => None,
            };
            prop_assert_eq!(&t.device_identity, &id);
        }
        prop_assert_eq!(run.parser.pending_len(), 0);
    }

    /// Every strict prefix of a valid ADU is Incomplete, and the whole one frames.
    #[test]
    fn every_truncation_is_incomplete(r in req(), unit in any::<u8>(), tid in any::<u16>()) {
        let a = adu(tid, unit, &r.request());
        for n in 0..a.len() {
            let res = frame::parse_adu(&a[..n]);
            prop_assert!(matches!(res, Err(FrameError::Incomplete { .. })), "{n}: {res:?}");
        }
        let (adu, rest) = frame::parse_adu(&a).unwrap();
        prop_assert_eq!(adu.header.trans_id, tid);
        prop_assert!(rest.is_empty());
    }

    /// Arbitrary bytes, in both directions, cut anywhere, with gaps: no panic, and the
    /// reassembly buffer stays within one ADU.
    #[test]
    fn arbitrary_bytes_never_panic(
        chunks in prop::collection::vec((any::<bool>(), any::<bool>(), prop::collection::vec(any::<u8>(), 0..300)), 0..40),
    ) {
        let mut run = Run::new();
        for (i, (to_server, gap, bytes)) in chunks.iter().enumerate() {
            let dir = if *to_server { Direction::ToServer } else { Direction::ToClient };
            if *gap {
                run.gap(dir);
            }
            run.data(i as u64 + 1, dir, bytes);
        }
        run.close();
        prop_assert_eq!(run.parser.pending_len(), 0);
    }

    /// Valid ADUs with garbage and gaps between them: parsing goes on afterwards (the
    /// last request after a gap is always found).
    #[test]
    fn resyncs_after_garbage_and_gaps(
        garbage in prop::collection::vec(any::<u8>(), 1..100),
        r in req(),
    ) {
        let mut run = Run::new();
        run.data(1, Direction::ToServer, &garbage);
        run.gap(Direction::ToServer);
        run.data(2, Direction::ToServer, &adu(7, 1, &r.request()));
        run.close();
        let found = run.events.iter().any(|e| matches!(&e.kind, EventKind::Modbus(t) if t.trans_id == 7 && t.request_frame == Some(2)));
        prop_assert!(found);
    }
}
