//! One event's JSON line, written where the event is made.
//!
//! The workers serialise their own events (issue 15): the detector then only copies
//! finished lines to the file in merge order, so the output is the same bytes whatever the
//! worker count and the writing no longer runs on one thread. The envelope (`ts`, `file`,
//! `frame`, the flow) is written by hand, without serde's `flatten` (which routes every
//! field through a map serializer and formats addresses with `fmt`); the kind's fields go
//! through serde and are spliced in after the envelope. [`crate::json::write_event`] is
//! the reference: a test checks both give the same bytes for every event of the corpus.

use mizuban_capture::community_id;
use mizuban_protocols::{Event, FlowTuple};
use std::io;
use std::net::SocketAddr;

/// The capture files' names, JSON-escaped once per run rather than once per event.
#[derive(Clone, Debug, Default)]
pub struct FileNames(Vec<Box<[u8]>>);

impl FileNames {
    pub fn new<S: AsRef<str>>(names: &[S]) -> FileNames {
        FileNames(
            names
                .iter()
                .map(|n| {
                    serde_json::to_vec(n.as_ref())
                        .unwrap_or_else(|_| b"\"\"".to_vec())
                        .into_boxed_slice()
                })
                .collect(),
        )
    }

    /// The quoted name of input `index`; `""` for an index with no name, as before.
    fn get(&self, index: u16) -> &[u8] {
        self.0.get(usize::from(index)).map_or(b"\"\"", |n| n)
    }
}

/// Appends `ev` as one JSON line (newline included) to `out`. On an error nothing is
/// left in `out` of the line.
pub fn append_event(out: &mut Vec<u8>, ev: &Event, files: &FileNames) -> io::Result<()> {
    let start = out.len();
    out.extend_from_slice(b"{\"ts\":\"");
    match ev.ts.rfc3339_bytes() {
        Some(ts) => out.extend_from_slice(&ts),
        None => out.extend_from_slice(ev.ts.to_rfc3339().as_bytes()),
    }
    out.extend_from_slice(b"\",\"file\":");
    out.extend_from_slice(files.get(ev.file));
    out.extend_from_slice(b",\"frame\":");
    out.extend_from_slice(itoa::Buffer::new().format(ev.frame).as_bytes());
    if let Err(e) = append_flow(out, &ev.flow) {
        out.truncate(start);
        return Err(e);
    }
    // The kind serialises as an object whose first field is `type`; its opening brace
    // becomes the comma after the envelope.
    let kind_at = out.len();
    if let Err(e) = serde_json::to_writer(&mut *out, &ev.kind) {
        out.truncate(start);
        return Err(io::Error::other(e));
    }
    match out.get_mut(kind_at) {
        Some(b) if *b == b'{' => *b = b',',
        _ => {
            out.truncate(start);
            return Err(io::Error::other("event kind is not a JSON object"));
        }
    }
    out.push(b'\n');
    Ok(())
}

/// `,"client":..,"server":..,"transport":..[,"vlan":[..]][,"community_id":..]`, as `FlowTuple`'s `Serialize`.
fn append_flow(out: &mut Vec<u8>, flow: &FlowTuple) -> io::Result<()> {
    out.extend_from_slice(b",\"client\":\"");
    append_socket_addr(out, &flow.client);
    out.extend_from_slice(b"\",\"server\":\"");
    append_socket_addr(out, &flow.server);
    out.extend_from_slice(b"\",\"transport\":\"");
    out.extend_from_slice(flow.transport().as_bytes());
    out.push(b'"');
    if !flow.vlan.is_empty() {
        out.extend_from_slice(b",\"vlan\":");
        serde_json::to_writer(&mut *out, &flow.vlan).map_err(io::Error::other)?;
    }
    if let Some(id) = community_id::v1(flow.client, flow.server, flow.proto, 0) {
        out.extend_from_slice(b",\"community_id\":\"");
        out.extend_from_slice(&id);
        out.push(b'"');
    }
    Ok(())
}

/// The address as `Display` writes it (which is what serde's `Serialize` uses); IPv4 by
/// hand, IPv6 (rare on control networks) through `fmt`.
fn append_socket_addr(out: &mut Vec<u8>, addr: &SocketAddr) {
    match addr {
        SocketAddr::V4(a) => {
            let mut digits = itoa::Buffer::new();
            for (i, octet) in a.ip().octets().iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                out.extend_from_slice(digits.format(*octet).as_bytes());
            }
            out.push(b':');
            out.extend_from_slice(digits.format(a.port()).as_bytes());
        }
        SocketAddr::V6(a) => {
            use std::io::Write;
            // Writing into a Vec cannot fail.
            let _ = write!(out, "{a}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mizuban_capture::{Timestamp, VlanTags};
    use mizuban_protocols::EventOrder;
    use mizuban_protocols::event::{Arp, EventKind};

    fn event(client: &str, server: &str, vlan: VlanTags) -> Event {
        Event {
            order: EventOrder { seq: 7, sub: 0 },
            ts: Timestamp::from_secs_nanos(1_445_508_253, 123_456_789),
            file: 0,
            frame: 7,
            flow: FlowTuple {
                client: client.parse().unwrap(),
                server: server.parse().unwrap(),
                proto: 17,
                vlan,
            },
            kind: EventKind::Arp(Arp {
                operation: 1,
                sender_mac: Default::default(),
                sender_ip: "10.0.0.1".parse().unwrap(),
                target_ip: "10.0.0.2".parse().unwrap(),
            }),
        }
    }

    fn reference(ev: &Event, name: &str) -> Vec<u8> {
        let mut v = Vec::new();
        crate::json::write_event(&mut v, ev, name).unwrap();
        v
    }

    #[test]
    fn same_bytes_as_the_serde_writer() {
        let names = FileNames::new(&["a \"quoted\"\\name.pcap"]);
        let vlan = VlanTags {
            outer: Some(100),
            inner: Some(7),
        };
        for ev in [
            event("10.0.0.1:1000", "10.0.0.2:502", VlanTags::default()),
            event("255.255.255.255:65535", "0.0.0.0:0", vlan),
            event("[fe80::1%3]:5353", "[2001:db8::ff]:53", VlanTags::default()),
        ] {
            let mut out = b"previous line\n".to_vec();
            append_event(&mut out, &ev, &names).unwrap();
            let mut want = b"previous line\n".to_vec();
            want.extend(reference(&ev, "a \"quoted\"\\name.pcap"));
            assert_eq!(
                String::from_utf8(out).unwrap(),
                String::from_utf8(want).unwrap()
            );
        }
    }

    #[test]
    fn an_unknown_file_index_gets_an_empty_name_as_before() {
        let mut ev = event("10.0.0.1:1000", "10.0.0.2:502", VlanTags::default());
        ev.file = 3;
        let mut out = Vec::new();
        append_event(&mut out, &ev, &FileNames::new(&["x.pcap"])).unwrap();
        assert_eq!(out, reference(&ev, ""));
    }
}
