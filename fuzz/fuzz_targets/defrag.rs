//! The IPv4 defragmenter on fragment sequences derived from the input: each record is
//! [id (1 byte), offset in blocks (2), flags (1: bit 0 = MF, bits 1-7 = time step),
//! length (1), data...], wrapped in a valid IPv4 header so records reach the table.
//! A small table and short timeout make eviction and expiry paths reachable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mizuban_capture::defrag::{DefragConfig, Defragmenter, MAX_DATAGRAM_LEN};
use mizuban_capture::{LinkType, Timestamp, decode};
use std::time::Duration;

/// Records per input, so one input cannot run forever.
const MAX_RECORDS: usize = 256;

fuzz_target!(|input: &[u8]| {
    let cfg = DefragConfig {
        max_sets: 4,
        timeout: Duration::from_secs(5),
        max_bytes: 0,
    };
    let mut d = Defragmenter::new(&cfg);
    let mut rest = input;
    let mut now = 0i64;
    for _ in 0..MAX_RECORDS {
        let Some((head, tail)) = rest.split_at_checked(5) else {
            break;
        };
        let id = head[0];
        let offset = u16::from_be_bytes([head[1], head[2]]) & 0x1fff;
        let more = head[3] & 1 != 0;
        now += i64::from(head[3] >> 1);
        let len = usize::from(head[4]).min(tail.len());
        let (data, tail) = tail.split_at(len);
        rest = tail;
        let total = u16::try_from(20 + data.len()).unwrap_or(u16::MAX);
        let ff = (u16::from(more) << 13) | offset;
        let mut frame = vec![0x45, 0];
        frame.extend_from_slice(&total.to_be_bytes());
        frame.extend_from_slice(&[0, id]);
        frame.extend_from_slice(&ff.to_be_bytes());
        frame.extend_from_slice(&[64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        frame.extend_from_slice(data);
        let info = decode(LinkType::Raw, &frame, u32::from(total));
        if let Some(r) = d.push(Timestamp::from_secs_nanos(now, 0), &info, &frame) {
            assert!(r.ip_payload.len() <= MAX_DATAGRAM_LEN);
            assert!(r.payload.len() <= r.ip_payload.len());
        }
        assert!(d.held_sets() <= 4);
    }
});
