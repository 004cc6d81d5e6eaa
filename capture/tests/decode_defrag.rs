//! IPv4 fragment reassembly: in order, out of order, duplicates, overlaps (identical and
//! conflicting), timeout, too large, table full, and a property test over arbitrary
//! fragment sequences. Fragments are built by hand (RFC 791 section 3.1 header) from a
//! known UDP datagram, so the expected reassembly is that datagram.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::cast_possible_truncation
)]

use mizuban_capture::defrag::{DefragConfig, Defragmenter, MAX_DATAGRAM_LEN};
use mizuban_capture::{DropReason, LinkType, Timestamp, Transport, decode};
use proptest::prelude::*;
use std::time::Duration;

const SRC4: [u8; 4] = [10, 0, 0, 1];
const DST4: [u8; 4] = [10, 0, 0, 2];
const PROTO_UDP: u8 = 17;

/// A UDP datagram (header + `body`) from port 20000 to port 47808 (BACnet/IP).
fn udp_datagram(body: &[u8]) -> Vec<u8> {
    let len = (8 + body.len()) as u16;
    let mut d = vec![
        0x4e, 0x20, // src port 20000
        0xba, 0xc0, // dst port 47808
    ];
    d.extend_from_slice(&len.to_be_bytes()); // UDP length
    d.extend_from_slice(&[0, 0]); // checksum (not verified)
    d.extend_from_slice(body);
    d
}

/// A raw-IP IPv4 fragment carrying `data` at byte `offset` of the datagram payload.
fn fragment(id: u16, offset: usize, more: bool, data: &[u8]) -> Vec<u8> {
    fragment_with(id, SRC4, offset, more, data)
}

fn fragment_with(id: u16, src: [u8; 4], offset: usize, more: bool, data: &[u8]) -> Vec<u8> {
    assert_eq!(offset % 8, 0);
    let total = (20 + data.len()) as u16;
    let flags_frag = (u16::from(more) << 13) | (offset / 8) as u16;
    let mut f = vec![0x45, 0x00]; // version 4, IHL 5; DSCP/ECN
    f.extend_from_slice(&total.to_be_bytes()); // total length
    f.extend_from_slice(&id.to_be_bytes()); // identification
    f.extend_from_slice(&flags_frag.to_be_bytes()); // MF + fragment offset
    f.push(64); // TTL
    f.push(PROTO_UDP); // protocol
    f.extend_from_slice(&[0, 0]); // header checksum (not verified)
    f.extend_from_slice(&src);
    f.extend_from_slice(&DST4);
    f.extend_from_slice(data);
    f
}

/// Splits `datagram` into fragments of `size` bytes (a multiple of 8).
fn split(id: u16, datagram: &[u8], size: usize) -> Vec<Vec<u8>> {
    let chunks: Vec<&[u8]> = datagram.chunks(size).collect();
    let n = chunks.len();
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| fragment(id, i * size, i + 1 < n, c))
        .collect()
}

fn t(secs: i64) -> Timestamp {
    Timestamp::from_secs_nanos(secs, 0)
}

/// Feeds one raw-IP frame; returns (transport, payload, whole IP payload) on completion.
fn feed(
    d: &mut Defragmenter,
    now: Timestamp,
    frame: &[u8],
) -> Option<(Transport, Vec<u8>, Vec<u8>)> {
    let info = decode(LinkType::Raw, frame, frame.len() as u32);
    assert!(info.ip().unwrap().fragment.is_some(), "not a fragment");
    d.push(now, &info, frame)
        .map(|r| (r.transport, r.payload.to_vec(), r.ip_payload.to_vec()))
}

fn body(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + 3) as u8).collect()
}

const UDP_BACNET: Transport = Transport::Udp {
    src_port: 20000,
    dst_port: 47808,
};

#[test]
fn in_order() {
    let b = body(100);
    let dgram = udp_datagram(&b);
    let frags = split(1, &dgram, 48);
    assert_eq!(frags.len(), 3);
    let mut d = Defragmenter::default();
    assert!(feed(&mut d, t(1), &frags[0]).is_none());
    assert!(feed(&mut d, t(1), &frags[1]).is_none());
    assert_eq!(d.held_sets(), 1);
    let (tr, payload, ip_payload) = feed(&mut d, t(1), &frags[2]).unwrap();
    assert_eq!(tr, UDP_BACNET);
    assert_eq!(payload, b);
    assert_eq!(ip_payload, dgram);
    assert_eq!(d.held_sets(), 0);
    assert_eq!(d.held_bytes(), 0);
    assert_eq!(d.reassembled(), 1);
    assert_eq!(d.drops().iter().count(), 0);
}

#[test]
fn out_of_order_last_first() {
    let b = body(200);
    let dgram = udp_datagram(&b);
    let frags = split(2, &dgram, 64);
    let mut d = Defragmenter::default();
    for i in [3, 1, 0] {
        assert!(feed(&mut d, t(1), &frags[i]).is_none());
    }
    let (tr, payload, _) = feed(&mut d, t(1), &frags[2]).unwrap();
    assert_eq!(tr, UDP_BACNET);
    assert_eq!(payload, b);
    assert_eq!(d.drops().iter().count(), 0);
}

#[test]
fn exact_duplicate_is_an_overlap_but_not_a_conflict() {
    let b = body(40);
    let dgram = udp_datagram(&b);
    let frags = split(3, &dgram, 24);
    let mut d = Defragmenter::default();
    assert!(feed(&mut d, t(1), &frags[0]).is_none());
    assert!(feed(&mut d, t(1), &frags[0]).is_none());
    let (_, payload, _) = feed(&mut d, t(1), &frags[1]).unwrap();
    assert_eq!(payload, b);
    assert_eq!(d.drops().get(DropReason::FragmentOverlap), 1);
    assert_eq!(d.drops().get(DropReason::FragmentConflict), 0);
}

#[test]
fn conflicting_overlap_keeps_first_copy_and_is_counted() {
    let b = body(40);
    let dgram = udp_datagram(&b); // 48 bytes
    let mut d = Defragmenter::default();
    // First copy of bytes 0..32.
    assert!(feed(&mut d, t(1), &fragment(4, 0, true, &dgram[..32])).is_none());
    // A second fragment at 16..40 whose first 16 bytes differ from what is held.
    let mut evil = dgram[16..40].to_vec();
    evil[..16].fill(0xee);
    assert!(feed(&mut d, t(1), &fragment(4, 16, true, &evil)).is_none());
    let (_, _, ip_payload) = feed(&mut d, t(1), &fragment(4, 40, false, &dgram[40..])).unwrap();
    // First copy wins for 16..32; the new bytes 32..40 were taken from the second one.
    assert_eq!(ip_payload, dgram);
    assert_eq!(d.drops().get(DropReason::FragmentOverlap), 1);
    assert_eq!(d.drops().get(DropReason::FragmentConflict), 1);
}

#[test]
fn timeout_in_packet_time() {
    let cfg = DefragConfig {
        timeout: Duration::from_secs(30),
        ..DefragConfig::default()
    };
    let dgram = udp_datagram(&body(40));
    let frags = split(5, &dgram, 24);
    let mut d = Defragmenter::new(&cfg);
    assert!(feed(&mut d, t(100), &frags[0]).is_none());
    d.expire(t(130)); // exactly the timeout: still held
    assert_eq!(d.held_sets(), 1);
    d.expire(t(131));
    assert_eq!(d.held_sets(), 0);
    assert_eq!(d.drops().get(DropReason::FragmentTimeout), 1);
    // The late second fragment starts a new set, which cannot complete.
    assert!(feed(&mut d, t(131), &frags[1]).is_none());
    assert_eq!(d.held_sets(), 1);
    assert_eq!(d.held_bytes(), frags[1].len() - 20 + 24); // buffer spans from offset 0
}

#[test]
fn push_expires_old_sets_by_itself() {
    let mut d = Defragmenter::default();
    let dgram = udp_datagram(&body(40));
    let frags = split(6, &dgram, 24);
    assert!(feed(&mut d, t(0), &frags[0]).is_none());
    let other = split(7, &dgram, 24);
    assert!(feed(&mut d, t(31), &other[0]).is_none());
    assert_eq!(d.held_sets(), 1);
    assert_eq!(d.drops().get(DropReason::FragmentTimeout), 1);
}

#[test]
fn too_large_drops_the_set() {
    let mut d = Defragmenter::default();
    assert!(feed(&mut d, t(1), &fragment(8, 0, true, &[0; 64])).is_none());
    assert_eq!(d.held_sets(), 1);
    // Offset 65528 + 16 bytes + 20-byte header > 65535 (ping of death).
    assert!(feed(&mut d, t(1), &fragment(8, 65528, false, &[0; 16])).is_none());
    assert_eq!(d.drops().get(DropReason::FragmentTooLarge), 1);
    assert_eq!(d.held_sets(), 0);
    // The largest legal datagram still fits: 20 + 65512 + 3 = 65535.
    assert!(feed(&mut d, t(1), &fragment(9, 65512, false, &[1; 3])).is_none());
    assert_eq!(d.drops().get(DropReason::FragmentTooLarge), 1);
    assert_eq!(20 + 65512 + 3, MAX_DATAGRAM_LEN);
}

#[test]
fn table_full_evicts_oldest() {
    let cfg = DefragConfig {
        max_sets: 2,
        ..DefragConfig::default()
    };
    let mut d = Defragmenter::new(&cfg);
    let dgram = udp_datagram(&body(40));
    let a = split(10, &dgram, 24);
    let b = split(11, &dgram, 24);
    let c = split(12, &dgram, 24);
    assert!(feed(&mut d, t(1), &a[0]).is_none());
    assert!(feed(&mut d, t(2), &b[0]).is_none());
    assert!(feed(&mut d, t(3), &c[0]).is_none());
    assert_eq!(d.held_sets(), 2);
    assert_eq!(d.drops().get(DropReason::FragmentTableFull), 1);
    // a was evicted: its last fragment cannot complete it; b and c still can.
    assert!(feed(&mut d, t(4), &b[1]).is_some());
    assert!(feed(&mut d, t(4), &c[1]).is_some());
    assert!(feed(&mut d, t(4), &a[1]).is_none());
}

#[test]
fn byte_budget_evicts_oldest() {
    let cfg = DefragConfig {
        max_bytes: 0, // raised to one maximum datagram
        ..DefragConfig::default()
    };
    let mut d = Defragmenter::new(&cfg);
    assert!(feed(&mut d, t(1), &fragment(20, 40000, true, &[1; 8])).is_none());
    assert!(feed(&mut d, t(2), &fragment(21, 40000, true, &[1; 8])).is_none());
    assert_eq!(d.held_sets(), 1);
    assert_eq!(d.drops().get(DropReason::FragmentTableFull), 1);
    assert!(d.held_bytes() <= MAX_DATAGRAM_LEN);
}

#[test]
fn sets_are_keyed_by_source_and_id() {
    let dgram = udp_datagram(&body(40));
    let mut d = Defragmenter::default();
    assert!(
        feed(
            &mut d,
            t(1),
            &fragment_with(30, SRC4, 0, true, &dgram[..24])
        )
        .is_none()
    );
    // Same id from another source: a different datagram.
    let other = [10, 0, 0, 9];
    assert!(
        feed(
            &mut d,
            t(1),
            &fragment_with(30, other, 24, false, &dgram[24..])
        )
        .is_none()
    );
    assert_eq!(d.held_sets(), 2);
}

#[test]
fn malformed_fragments_are_counted() {
    let mut d = Defragmenter::default();
    // A middle fragment whose length is not a multiple of 8.
    assert!(feed(&mut d, t(1), &fragment(40, 0, true, &[0; 12])).is_none());
    assert_eq!(d.drops().get(DropReason::Malformed), 1);
    // Two last fragments that disagree on the end.
    assert!(feed(&mut d, t(1), &fragment(41, 8, false, &[0; 8])).is_none());
    assert!(feed(&mut d, t(1), &fragment(41, 8, false, &[0; 16])).is_none());
    assert_eq!(d.drops().get(DropReason::Malformed), 2);
    // Data held past a last fragment's end.
    assert!(feed(&mut d, t(1), &fragment(42, 64, true, &[0; 8])).is_none());
    assert!(feed(&mut d, t(1), &fragment(42, 8, false, &[0; 8])).is_none());
    assert_eq!(d.drops().get(DropReason::Malformed), 3);
}

#[test]
fn snaplen_cut_fragment_is_counted_truncated() {
    let dgram = udp_datagram(&body(40));
    let frame = fragment(50, 0, true, &dgram[..24]);
    let info = decode(LinkType::Raw, &frame[..30], frame.len() as u32);
    let mut d = Defragmenter::default();
    assert!(d.push(t(1), &info, &frame[..30]).is_none());
    assert_eq!(d.drops().get(DropReason::Truncated), 1);
    assert_eq!(d.held_sets(), 0);
}

#[test]
fn ipv6_fragments_are_counted_not_held() {
    let mut frame = vec![0x60, 0, 0, 0, 0, 16, 44, 64];
    frame.extend_from_slice(&[1; 16]);
    frame.extend_from_slice(&[2; 16]);
    frame.extend_from_slice(&[17, 0, 0x00, 0x01, 0, 0, 0, 9]); // fragment header, M=1
    frame.extend_from_slice(&[0, 1, 0, 2, 0, 8, 0, 0]); // UDP
    let info = decode(LinkType::Raw, &frame, frame.len() as u32);
    let mut d = Defragmenter::default();
    assert!(d.push(t(1), &info, &frame).is_none());
    assert_eq!(d.drops().get(DropReason::Ipv6Fragment), 1);
    assert_eq!(d.held_sets(), 0);
}

#[test]
fn reassembled_tcp_is_decoded() {
    let mut seg = vec![
        0x01, 0xf6, // src port 502
        0xc0, 0x00, // dst port 49152
        0, 0, 0, 1, // seq
        0, 0, 0, 2, // ack
        0x50, 0x18, // data offset 5, PSH|ACK
        0x10, 0x00, // window 4096
        0, 0, 0, 0, // checksum, urgent pointer
    ];
    seg.extend_from_slice(&body(30));
    let frags = split(60, &seg, 16);
    let mut d = Defragmenter::default();
    let mut out = None;
    for f in frags.iter().rev() {
        let mut frame = f.clone();
        frame[9] = 6; // protocol: TCP
        let info = decode(LinkType::Raw, &frame, frame.len() as u32);
        if let Some(r) = d.push(t(1), &info, &frame) {
            out = Some((r.transport, r.payload.to_vec()));
        }
    }
    let (tr, payload) = out.unwrap();
    let Transport::Tcp(tcp) = tr else {
        panic!("{tr:?}")
    };
    assert_eq!(
        (tcp.src_port, tcp.dst_port, tcp.seq, tcp.ack),
        (502, 49152, 1, 2)
    );
    assert_eq!(tcp.flags.0, 0x18);
    assert_eq!(tcp.window, 4096);
    assert_eq!(payload, body(30));
}

proptest! {
    /// Any order, with duplicates, of the fragments of a datagram reassembles it exactly,
    /// once every fragment has been seen at least once.
    #[test]
    fn any_order_with_duplicates_reassembles(
        len in 1usize..3000,
        size_blocks in 1usize..40,
        order in proptest::collection::vec(any::<prop::sample::Index>(), 0..40),
        seed in any::<u8>(),
    ) {
        let b: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
        let dgram = udp_datagram(&b);
        let frags = split(0x77, &dgram, size_blocks * 8);
        prop_assume!(frags.len() > 1, "one fragment is not fragmented");
        // Random extra copies first, then every fragment once in a rotated order.
        let mut seq: Vec<usize> = order.iter().map(|i| i.index(frags.len())).collect();
        let rot = usize::from(seed) % frags.len();
        seq.extend((0..frags.len()).map(|i| (i + rot) % frags.len()));
        let mut d = Defragmenter::default();
        let mut done = None;
        for i in seq {
            if let Some(r) = feed(&mut d, t(1), &frags[i]) {
                prop_assert!(done.is_none(), "completed twice without a new set");
                done = Some(r);
                break;
            }
        }
        let (tr, payload, ip_payload) = done.expect("complete");
        prop_assert_eq!(tr, UDP_BACNET);
        prop_assert_eq!(payload, b);
        prop_assert_eq!(ip_payload, dgram);
        prop_assert_eq!(d.drops().get(DropReason::FragmentConflict), 0);
    }

    /// Arbitrary fragment headers and bytes never panic and never hold more than the
    /// configured sets.
    #[test]
    fn arbitrary_fragments_never_panic(
        frags in proptest::collection::vec(
            (0u16..4, 0usize..8200, any::<bool>(), proptest::collection::vec(any::<u8>(), 0..64), 0i64..100),
            0..60,
        ),
    ) {
        let cfg = DefragConfig { max_sets: 3, ..DefragConfig::default() };
        let mut d = Defragmenter::new(&cfg);
        for (id, block, more, data, secs) in frags {
            let f = fragment(id, block * 8, more, &data);
            let info = decode(LinkType::Raw, &f, f.len() as u32);
            if let Some(r) = d.push(t(secs), &info, &f) {
                prop_assert!(r.ip_payload.len() <= MAX_DATAGRAM_LEN);
            }
            prop_assert!(d.held_sets() <= 3);
            prop_assert!(d.held_bytes() <= DefragConfig::default().max_bytes);
        }
    }
}
