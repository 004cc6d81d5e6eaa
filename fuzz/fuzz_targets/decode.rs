//! `decode` on arbitrary bytes: the first byte picks the link type and how much of the
//! frame the "capture" kept, so every link layer and both truncated and short packets
//! are reachable. Checks that reported ranges stay inside the frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mizuban_capture::{LinkType, decode};

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

fuzz_target!(|input: &[u8]| {
    let Some((&sel, data)) = input.split_first() else {
        return;
    };
    let link = LINKS[usize::from(sel) % LINKS.len()];
    // High bits of the selector: extra wire length, so snaplen truncation is exercised.
    let wire = u32::try_from(data.len()).unwrap_or(u32::MAX) + u32::from(sel >> 4) * 64;
    let info = decode(link, data, wire);
    let end = u64::from(info.payload_offset) + u64::from(info.payload_len);
    assert!(end <= data.len() as u64);
    if let Some(ip) = info.ip() {
        assert!(ip.payload_offset as usize <= data.len());
    }
});
