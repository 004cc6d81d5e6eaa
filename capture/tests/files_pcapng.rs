//! pcapng reading on files built block by block with a small builder written here
//! (independent of the library's writer): several interfaces with their own link types
//! and timestamp resolutions, EPB, SPB and obsolete PB, skipped blocks, a second
//! section in the other byte order, and every bad-input case. Expected values follow
//! from the bytes (draft-ietf-opsawg-pcapng); tshark confirms the good file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod files_util;

use files_util::{Owned, have_tool, read_bytes, temp_file, tshark_frames};
use mizuban_capture::file::{FileError, MAX_CAPLEN};
use mizuban_capture::writer::PcapngWriter;
use mizuban_capture::{LinkType, Timestamp};

/// Block types (sections 4.1-4.7, Appendix A).
const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const PB: u32 = 2;
const SPB: u32 = 3;
const NRB: u32 = 4;
const ISB: u32 = 5;
const EPB: u32 = 6;
const DSB: u32 = 10;
const CUSTOM: u32 = 0x0000_0bad;

/// Appends blocks in one byte order and remembers where each starts.
struct Ng {
    le: bool,
    out: Vec<u8>,
}

impl Ng {
    fn new(le: bool) -> Ng {
        let mut ng = Ng {
            le,
            out: Vec::new(),
        };
        ng.shb(1);
        ng
    }

    fn u16(&self, v: u16) -> [u8; 2] {
        if self.le {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    }

    fn u32(&self, v: u32) -> [u8; 4] {
        if self.le {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    }

    fn offset(&self) -> u64 {
        self.out.len() as u64
    }

    /// type, total length, body padded to 32 bits, total length (section 3.1).
    fn block(&mut self, btype: u32, body: &[u8]) -> u64 {
        let at = self.offset();
        let padded = body.len().div_ceil(4) * 4;
        let total = (12 + padded) as u32;
        self.out.extend(self.u32(btype));
        self.out.extend(self.u32(total));
        self.out.extend_from_slice(body);
        self.out.resize(self.out.len() + padded - body.len(), 0);
        self.out.extend(self.u32(total));
        at
    }

    /// A new section in this builder's byte order (section 4.1).
    fn shb(&mut self, major: u16) -> u64 {
        let mut b = Vec::new();
        b.extend(self.u32(0x1a2b_3c4d)); // byte-order magic
        b.extend(self.u16(major)); // major version
        b.extend(self.u16(0)); // minor version
        b.extend([0xff; 8]); // section length: unknown
        self.block(SHB, &b)
    }

    /// IDB with options as (code, value); opt_endofopt appended if any (section 4.2).
    fn idb(&mut self, linktype: u16, snaplen: u32, opts: &[(u16, Vec<u8>)]) -> u64 {
        let mut b = Vec::new();
        b.extend(self.u16(linktype)); // link type
        b.extend(self.u16(0)); // reserved
        b.extend(self.u32(snaplen)); // snaplen
        for (code, value) in opts {
            b.extend(self.u16(*code));
            b.extend(self.u16(value.len() as u16));
            b.extend_from_slice(value);
            b.resize(b.len().div_ceil(4) * 4, 0);
        }
        if !opts.is_empty() {
            b.extend([0; 4]);
        }
        self.block(IDB, &b)
    }

    /// EPB (section 4.3): timestamp as high and low 32-bit halves.
    fn epb(&mut self, iface: u32, units: u64, data: &[u8], orig: u32) -> u64 {
        let mut b = Vec::new();
        b.extend(self.u32(iface));
        b.extend(self.u32((units >> 32) as u32));
        b.extend(self.u32(units as u32));
        b.extend(self.u32(data.len() as u32));
        b.extend(self.u32(orig));
        b.extend_from_slice(data);
        self.block(EPB, &b)
    }

    /// SPB (section 4.4): original length, then data.
    fn spb(&mut self, orig: u32, data: &[u8]) -> u64 {
        let mut b = self.u32(orig).to_vec();
        b.extend_from_slice(data);
        self.block(SPB, &b)
    }

    /// Obsolete PB (Appendix A): 16-bit interface id and drop count.
    fn pb(&mut self, iface: u16, units: u64, data: &[u8], orig: u32) -> u64 {
        let mut b = Vec::new();
        b.extend(self.u16(iface));
        b.extend(self.u16(0)); // drops count
        b.extend(self.u32((units >> 32) as u32));
        b.extend(self.u32(units as u32));
        b.extend(self.u32(data.len() as u32));
        b.extend(self.u32(orig));
        b.extend_from_slice(data);
        self.block(PB, &b)
    }

    /// Switches byte order and starts a new section.
    fn new_section(&mut self, le: bool) -> u64 {
        self.le = le;
        self.shb(1)
    }
}

fn ts(secs: i64, nanos: u32) -> Timestamp {
    Timestamp::from_secs_nanos(secs, nanos)
}

/// The mixed file and the frames it must yield.
fn mixed_file() -> (Vec<u8>, Vec<Owned>) {
    let mut ng = Ng::new(false); // big-endian section first
    ng.idb(1, 0, &[]); // if 0: Ethernet, default resolution (microseconds)
    ng.idb(101, 0, &[(9, vec![9])]); // if 1: raw IP, if_tsresol 10^-9
    ng.idb(
        113,
        32,
        &[(9, vec![0x8a]), (14, 1000u64.to_be_bytes().to_vec())],
    ); // if 2: SLL, 2^-10 s, +1000 s
    // NRB: one IPv4 record (type 1, length 9: address and "plc\0"), then nrb_record_end.
    ng.block(
        NRB,
        &[
            0, 1, 0, 9, 10, 0, 0, 1, b'p', b'l', b'c', 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
    );
    let mut want = Vec::new();
    // tshark numbers the custom block as a frame: numbers after it skip one.
    let mut number = 0;
    let mut push = |gap: u64, at: u64, t, link, data: &[u8], wire_len, interface| {
        number += gap + 1;
        want.push(Owned {
            ts: t,
            link,
            data: data.to_vec(),
            wire_len,
            interface,
            number,
            offset: at,
        });
    };
    // 1600000000.250000 s in microseconds.
    let at = ng.epb(0, 1_600_000_000_250_000, &[0xe0; 60], 60);
    push(
        0,
        at,
        ts(1_600_000_000, 250_000_000),
        LinkType::Ethernet,
        &[0xe0; 60],
        60,
        0,
    );
    // 1600000000.123456789 s in nanoseconds; 21 bytes exercise the padding.
    let at = ng.epb(1, 1_600_000_000_123_456_789, &[0x45; 21], 1500);
    push(
        0,
        at,
        ts(1_600_000_000, 123_456_789),
        LinkType::Raw,
        &[0x45; 21],
        1500,
        1,
    );
    // 1536 units of 2^-10 s = 1.5 s, plus the 1000 s offset.
    let at = ng.epb(2, 1536, &[0x11; 40], 40);
    push(
        0,
        at,
        ts(1001, 500_000_000),
        LinkType::LinuxSll,
        &[0x11; 40],
        40,
        2,
    );
    // ISB (section 4.6): interface 0, timestamp, no options.
    ng.block(ISB, &[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2]);
    // Custom block (section 4.8): PEN 32473 and four bytes of data.
    ng.block(CUSTOM, &[0, 0, 0x7e, 0xd9, 1, 2, 3, 4]);
    // SPB: 62 bytes (2 of padding); interface 0 has no snaplen; no timestamp, so it
    // carries the last packet time.
    let at = ng.spb(62, &[0x5b; 62]);
    push(
        1,
        at,
        ts(1001, 500_000_000),
        LinkType::Ethernet,
        &[0x5b; 62],
        62,
        0,
    );
    // Obsolete PB on interface 1 (nanoseconds).
    let at = ng.pb(1, 1_600_000_002_000_000_001, &[0x60; 48], 48);
    push(
        0,
        at,
        ts(1_600_000_002, 1),
        LinkType::Raw,
        &[0x60; 48],
        48,
        1,
    );
    // DSB (section 4.7): secrets type "TLSK" and 4 bytes.
    ng.block(DSB, &[0x54, 0x4c, 0x53, 0x4b, 0, 0, 0, 4, 1, 2, 3, 4]);
    // A little-endian section: interfaces reset, if 0 is now raw IP at microseconds.
    ng.new_section(true);
    ng.idb(101, 0, &[]);
    let at = ng.epb(0, 1_700_000_000_000_001, &[0x46; 28], 28);
    push(
        0,
        at,
        ts(1_700_000_000, 1_000),
        LinkType::Raw,
        &[0x46; 28],
        28,
        0,
    );
    (ng.out, want)
}

#[test]
fn interfaces_resolutions_and_packet_blocks() {
    let (bytes, want) = mixed_file();
    let (frames, err) = read_bytes(bytes).unwrap();
    assert_eq!(err, None);
    assert_eq!(frames, want);
}

/// tshark on the same file. Known difference: tshark gives an SPB no time (empty
/// frame.time_epoch); we give it the previous packet's time so packet time never jumps
/// back to 1970 in the pipeline.
#[test]
fn mixed_file_agrees_with_tshark() {
    if !have_tool("tshark") {
        return;
    }
    let (bytes, want) = mixed_file();
    let tmp = temp_file(&bytes, ".pcapng");
    let tshark = tshark_frames(tmp.path());
    // One more frame: the custom block, which tshark shows as frame 4.
    assert_eq!(tshark.len(), want.len() + 1);
    for w in &want {
        let t = tshark[w.number as usize - 1];
        let spb = w.number == 5;
        assert_eq!(t.0, (!spb).then_some(w.ts), "frame {}", w.number);
        assert_eq!(
            (t.1, t.2, t.3),
            (w.wire_len, w.data.len() as u32, w.interface),
            "frame {}",
            w.number
        );
    }
}

/// The library's writer produces what tshark reads, in both byte orders.
#[test]
fn library_writer_agrees_with_reader_and_tshark() {
    for big_endian in [false, true] {
        let mut w = PcapngWriter::new(Vec::new(), big_endian).unwrap();
        let eth = w.add_interface(LinkType::Ethernet, 0, 9, 0).unwrap();
        let sll = w.add_interface(LinkType::LinuxSll2, 0, 0x94, -5).unwrap();
        let t0 = ts(1_650_000_000, 987_654_321);
        w.write_packet(eth, t0, &[1; 70], 70).unwrap();
        // 2^-20 s resolution: 0.5 s is exact.
        w.write_packet(sll, ts(1_650_000_001, 500_000_000), &[2; 33], 99)
            .unwrap();
        w.write_obsolete_packet(0, t0, &[3; 5], 5).unwrap();
        w.write_simple_packet(&[4; 10], 10).unwrap();
        w.write_block(0x0000_0bad, &[0, 0, 0, 1, 9]).unwrap();
        let bytes = w.into_inner();
        let (frames, err) = read_bytes(bytes.clone()).unwrap();
        assert_eq!(err, None);
        let got: Vec<_> = frames
            .iter()
            .map(|f| (f.ts, f.wire_len, f.data.len() as u32, f.interface))
            .collect();
        let expected = vec![
            (t0, 70, 70, 0),
            (ts(1_650_000_001, 500_000_000), 99, 33, 1),
            (t0, 5, 5, 0),
            (t0, 10, 10, 0),
        ];
        assert_eq!(got, expected);
        assert_eq!(frames[1].link, LinkType::LinuxSll2);
        if have_tool("tshark") {
            let tmp = temp_file(&bytes, ".pcapng");
            let mut tshark = tshark_frames(tmp.path());
            // The SPB has no time: see mixed_file_agrees_with_tshark.
            assert_eq!(tshark[3].0, None);
            tshark[3].0 = Some(t0);
            // The trailing custom block is a frame to tshark, not to us.
            assert_eq!(tshark.pop().map(|t| t.0), Some(None));
            let expected: Vec<_> = expected
                .iter()
                .map(|&(t, a, b, c)| (Some(t), a, b, c))
                .collect();
            assert_eq!(tshark, expected);
        }
    }
}

fn one_interface(le: bool) -> Ng {
    let mut ng = Ng::new(le);
    ng.idb(1, 0, &[]);
    ng
}

fn expect_err(bytes: Vec<u8>, frames_before: usize) -> FileError {
    let (frames, err) = read_bytes(bytes).unwrap();
    assert_eq!(frames.len(), frames_before);
    err.unwrap()
}

fn assert_corrupt(err: FileError, offset: u64) {
    assert!(
        matches!(err, FileError::CorruptRecord { offset: o, .. } if o == offset),
        "expected CorruptRecord at {offset}, got {err:?}"
    );
    assert!(err.is_fatal());
}

/// capinfos counts packets only; tshark also numbers custom (0x0BAD, 0x40000BAD) and
/// systemd journal (9) blocks as frames, and we follow its numbering.
#[test]
fn frame_numbers_skip_blocks_tshark_numbers() {
    let mut ng = one_interface(true);
    ng.epb(0, 1, &[0; 4], 4);
    ng.block(CUSTOM, &[0, 0, 0x7e, 0xd9, 1, 2, 3, 4]);
    ng.block(0x4000_0bad, &[0, 0, 0x7e, 0xd9, 1, 2, 3, 4]);
    ng.block(9, b"__REALTIME_TIMESTAMP=1600000000000000\nMESSAGE=x\n");
    ng.block(ISB, &[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2]);
    ng.epb(0, 2, &[0; 4], 4);
    let bytes = ng.out;
    let (frames, err) = read_bytes(bytes.clone()).unwrap();
    assert_eq!(err, None);
    let numbers: Vec<_> = frames.iter().map(|f| f.number).collect();
    assert_eq!(numbers, vec![1, 5]);
    if have_tool("tshark") && have_tool("capinfos") {
        let tmp = temp_file(&bytes, ".pcapng");
        assert_eq!(tshark_frames(tmp.path()).len(), 5);
        assert_eq!(files_util::capinfos(tmp.path()).packets, 2);
    }
}

#[test]
fn unknown_link_type_reported_at_its_first_packet() {
    let mut ng = one_interface(true);
    ng.idb(999, 0, &[]); // if 1: a value in no LINKTYPE registry
    ng.epb(0, 1, &[0; 14], 14);
    let at = ng.epb(1, 2, &[0; 14], 14);
    ng.epb(0, 3, &[0; 14], 14);
    let err = expect_err(ng.out, 1);
    assert_eq!(
        err,
        FileError::UnknownLinkType {
            offset: at,
            linktype: 999
        }
    );
    assert!(err.is_fatal());
}

#[test]
fn unknown_link_type_without_packets_is_harmless() {
    let mut ng = one_interface(true);
    ng.idb(999, 0, &[]);
    ng.epb(0, 1, &[0; 14], 14);
    let (frames, err) = read_bytes(ng.out).unwrap();
    assert_eq!((frames.len(), err), (1, None));
}

#[test]
fn registered_but_undecoded_link_type_is_read() {
    let mut ng = one_interface(true);
    ng.idb(147, 0, &[]); // if 1: LINKTYPE_USER0, registered, not decoded
    ng.epb(1, 1, &[0; 14], 14);
    let (frames, err) = read_bytes(ng.out).unwrap();
    assert_eq!(err, None);
    assert_eq!(frames[0].link, LinkType::Unknown(147));
}

#[test]
fn truncated_last_block() {
    let mut ng = one_interface(true);
    ng.epb(0, 1, &[0; 14], 14);
    let at = ng.epb(0, 2, &[0; 64], 64);
    // EPB total: 12 + 20 + 64 = 96 bytes; cut it to 50.
    ng.out.truncate(at as usize + 50);
    let err = expect_err(ng.out, 1);
    assert_eq!(
        err,
        FileError::TruncatedRecord {
            offset: at,
            needed: 96,
            available: 50
        }
    );
    assert!(!err.is_fatal());
}

#[test]
fn truncated_block_header() {
    let mut ng = one_interface(false);
    let at = ng.offset();
    ng.out.extend_from_slice(&[0, 0, 0, 6, 0]);
    let err = expect_err(ng.out, 0);
    assert_eq!(
        err,
        FileError::TruncatedRecord {
            offset: at,
            needed: 8,
            available: 5
        }
    );
}

#[test]
fn truncated_skipped_block() {
    let mut ng = one_interface(true);
    let at = ng.block(NRB, &[0; 100]);
    ng.out.truncate(at as usize + 60);
    let err = expect_err(ng.out, 0);
    assert_eq!(
        err,
        FileError::TruncatedRecord {
            offset: at,
            needed: 112,
            available: 60
        }
    );
}

#[test]
fn block_length_not_multiple_of_four() {
    let mut ng = one_interface(true);
    let at = ng.offset();
    ng.out.extend(6u32.to_le_bytes()); // EPB
    ng.out.extend(34u32.to_le_bytes()); // total length 34
    ng.out.extend([0; 26]);
    assert_corrupt(expect_err(ng.out, 0), at);
}

#[test]
fn block_length_below_minimum() {
    let mut ng = one_interface(true);
    ng.epb(0, 1, &[0; 4], 4);
    let at = ng.offset();
    ng.out.extend(4u32.to_le_bytes()); // NRB
    ng.out.extend(8u32.to_le_bytes()); // total length 8 < 12
    ng.out.extend([0; 16]);
    assert_corrupt(expect_err(ng.out, 1), at);
}

#[test]
fn block_trailer_differs() {
    let mut ng = one_interface(true);
    let at = ng.epb(0, 1, &[0; 8], 8);
    let n = ng.out.len();
    ng.out[n - 4..].copy_from_slice(&44u32.to_le_bytes()); // trailer says 44, header 40
    assert_corrupt(expect_err(ng.out, 0), at);
}

#[test]
fn skipped_block_trailer_differs() {
    let mut ng = one_interface(false);
    let at = ng.block(ISB, &[0; 12]);
    let n = ng.out.len();
    ng.out[n - 1] ^= 0x04;
    assert_corrupt(expect_err(ng.out, 0), at);
}

#[test]
fn epb_caplen_beyond_block() {
    let mut ng = one_interface(true);
    let at = ng.epb(0, 1, &[0; 8], 8);
    // caplen field is at block offset 8 + 12: claim 9 bytes in an 8-byte data area.
    let pos = at as usize + 20;
    ng.out[pos..pos + 4].copy_from_slice(&9u32.to_le_bytes());
    assert_corrupt(expect_err(ng.out, 0), at);
}

#[test]
fn epb_caplen_over_max() {
    let mut ng = one_interface(true);
    let big = vec![0u8; MAX_CAPLEN as usize + 4];
    let at = ng.epb(0, 1, &big, MAX_CAPLEN + 4);
    assert_corrupt(expect_err(ng.out, 0), at);
}

#[test]
fn packet_block_over_buffer_max() {
    let mut ng = one_interface(true);
    let at = ng.offset();
    ng.out.extend(6u32.to_le_bytes()); // EPB
    ng.out.extend((2u32 << 20).to_le_bytes()); // 2 MiB
    ng.out.extend([0; 64]);
    assert_corrupt(expect_err(ng.out, 0), at);
}

#[test]
fn skipped_block_over_max() {
    let mut ng = one_interface(true);
    let at = ng.offset();
    ng.out.extend(4u32.to_le_bytes()); // NRB
    ng.out.extend((32u32 << 20).to_le_bytes()); // 32 MiB
    ng.out.extend([0; 64]);
    assert_corrupt(expect_err(ng.out, 0), at);
}

#[test]
fn packet_on_undefined_interface() {
    let mut ng = one_interface(true);
    let at = ng.epb(1, 1, &[0; 8], 8);
    assert_corrupt(expect_err(ng.out, 0), at);
}

#[test]
fn simple_packet_without_interface() {
    let mut ng = Ng::new(true);
    let at = ng.spb(8, &[0; 8]);
    assert_corrupt(expect_err(ng.out, 0), at);
}

#[test]
fn new_section_forgets_interfaces() {
    let mut ng = Ng::new(true);
    ng.idb(1, 0, &[]);
    ng.idb(1, 0, &[]);
    ng.epb(1, 1, &[0; 8], 8);
    ng.new_section(false);
    ng.idb(1, 0, &[]);
    let at = ng.epb(1, 1, &[0; 8], 8);
    assert_corrupt(expect_err(ng.out, 1), at);
}

/// Section 4.4: the block must hold min(original length, snaplen) bytes; tshark
/// rejects one that does not ("too small for N bytes of packet data").
#[test]
fn simple_packet_shorter_than_its_packet() {
    let mut ng = one_interface(true);
    let at = ng.spb(100, &[0; 60]);
    assert_corrupt(expect_err(ng.out, 0), at);
}

#[test]
fn simple_packet_cut_to_snaplen() {
    let mut ng = Ng::new(true);
    ng.idb(1, 16, &[]);
    // Original 100 bytes, 20 present (the writer kept more than the snaplen).
    ng.spb(100, &[7; 20]);
    let (frames, err) = read_bytes(ng.out).unwrap();
    assert_eq!(err, None);
    assert_eq!(frames[0].data, vec![7; 16]);
    assert_eq!(frames[0].wire_len, 100);
}

#[test]
fn bad_byte_order_magic() {
    let mut ng = Ng::new(true);
    ng.out[8..12].copy_from_slice(&[1, 2, 3, 4]);
    assert_corrupt(read_bytes(ng.out).err().unwrap(), 0);
}

#[test]
fn truncated_first_section_header() {
    let mut ng = Ng::new(true);
    ng.out.truncate(20);
    assert_corrupt(read_bytes(ng.out).err().unwrap(), 0);
    assert_corrupt(
        read_bytes(vec![0x0a, 0x0d, 0x0d, 0x0a, 28]).err().unwrap(),
        0,
    );
}

#[test]
fn unsupported_section_version() {
    let mut ng = one_interface(true);
    ng.epb(0, 1, &[0; 8], 8);
    let at = ng.shb(2);
    ng.idb(1, 0, &[]);
    ng.epb(0, 1, &[0; 8], 8);
    assert_corrupt(expect_err(ng.out, 1), at);
}

#[test]
fn option_running_past_idb_keeps_defaults() {
    let mut ng = Ng::new(true);
    // if_tsresol claims 40 bytes of value in an IDB whose body ends after 4.
    let mut body = Vec::new();
    body.extend(1u16.to_le_bytes()); // Ethernet
    body.extend(0u16.to_le_bytes());
    body.extend(0u32.to_le_bytes());
    body.extend(9u16.to_le_bytes());
    body.extend(40u16.to_le_bytes());
    ng.block(IDB, &body);
    ng.epb(0, 2_000_000, &[0; 8], 8);
    let (frames, err) = read_bytes(ng.out).unwrap();
    assert_eq!(err, None);
    assert_eq!(frames[0].ts, ts(2, 0));
}
