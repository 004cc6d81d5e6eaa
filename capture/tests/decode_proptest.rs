//! Arbitrary bytes with every link type never panic, and what `decode` reports always
//! lies inside the captured frame.
#![allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]

use etherparse::PacketBuilder;
use mizuban_capture::{LinkType, decode};
use proptest::prelude::*;

const LINKS: [LinkType; 9] = [
    LinkType::Ethernet,
    LinkType::LinuxSll,
    LinkType::LinuxSll2,
    LinkType::Null,
    LinkType::Loop,
    LinkType::Raw,
    LinkType::Ipv4,
    LinkType::Ipv6,
    LinkType::Unknown(147),
];

fn check(link: LinkType, data: &[u8], wire_len: u32) -> Result<(), TestCaseError> {
    let info = decode(link, data, wire_len);
    let end = u64::from(info.payload_offset) + u64::from(info.payload_len);
    prop_assert!(end <= data.len() as u64, "payload past the frame: {info:?}");
    if let Some(ip) = info.ip() {
        prop_assert!(ip.header_offset < ip.payload_offset);
        prop_assert!(ip.payload_offset as usize <= data.len());
    }
    prop_assert_eq!(
        info.snaplen_truncated,
        (data.len() as u64) < u64::from(wire_len)
    );
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(
        data in proptest::collection::vec(any::<u8>(), 0..200),
        extra in 0u32..100,
    ) {
        for link in LINKS {
            check(link, &data, data.len() as u32 + extra)?;
        }
    }

    /// Valid headers followed by arbitrary bytes reach deeper layers than random bytes.
    #[test]
    fn mutated_valid_packets_never_panic(
        payload in proptest::collection::vec(any::<u8>(), 0..64),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
        v6 in any::<bool>(),
    ) {
        let mut frame = Vec::new();
        let b = PacketBuilder::ethernet2([1; 6], [2; 6]);
        let r = if v6 {
            b.ipv6([1; 16], [2; 16], 5).tcp(1, 2, 3, 4).write(&mut frame, &payload)
        } else {
            b.ipv4([1; 4], [2; 4], 5).udp(1, 2).write(&mut frame, &payload)
        };
        prop_assert!(r.is_ok());
        for (i, v) in flips {
            let i = i.index(frame.len());
            frame[i] = v;
        }
        let len = cut.index(frame.len() + 1);
        for link in LINKS {
            check(link, &frame[..len], frame.len() as u32)?;
        }
    }
}
