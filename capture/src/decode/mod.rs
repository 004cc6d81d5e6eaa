//! Link to transport decoding: one pass over the captured bytes, no heap, no panic.
//!
//! The link layers ([`link`]) hand an ether type or an IP version to the network layer
//! ([`ip`]), which hands an IP protocol number and a payload range to the transport
//! layer ([`transport`]). Each header is validated with an etherparse slice type before
//! any field is read. Decoding is lax, in the spirit of etherparse's `LaxSlicedPacket`:
//! a packet cut by the capture's snaplen keeps every layer it had and says in
//! [`PacketInfo::stop`] where it ended.
//!
//! Offsets in [`PacketInfo`] and [`IpInfo`](crate::packet::IpInfo) are byte offsets into
//! the captured frame; payload ranges never reach past the captured bytes, nor past the
//! length the IP (or UDP) header claims, so Ethernet padding is never payload.

mod ip;
mod link;
mod transport;
mod tunnel;

use crate::link::LinkType;
use crate::packet::{DecodeStop, Layer, PacketInfo, Transport};

/// Decodes a captured frame as far as it goes. Never fails: where it stops, and why, is
/// in [`PacketInfo::stop`]. `wire_len` is the length on the wire, so a snaplen cut can be
/// told apart from a packet that is short on the wire (truncated versus malformed).
pub fn decode(link: LinkType, data: &[u8], wire_len: u32) -> PacketInfo {
    let snaplen_truncated = u64::try_from(data.len()).unwrap_or(u64::MAX) < u64::from(wire_len);
    let mut d = Decoder {
        data,
        tunnels: 0,
        info: PacketInfo {
            snaplen_truncated,
            ..PacketInfo::default()
        },
    };
    link::decode_link(&mut d, link);
    d.info
}

/// Decodes a transport header from an IP payload (used after fragment reassembly).
/// Returns the transport, and the payload offset and length within `data`, and where
/// decoding stopped if it did. The datagram is complete, so a header that does not fit
/// is malformed, never truncated.
pub fn decode_transport(proto: u8, data: &[u8]) -> (Transport, u32, u32, Option<DecodeStop>) {
    let t = transport::decode_transport_at(proto, data, 0, data.len(), false);
    (
        t.transport,
        to_u32(t.payload_start),
        to_u32(t.payload_len),
        t.stop,
    )
}

/// Decoding state: the frame and the view being filled.
pub(crate) struct Decoder<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) info: PacketInfo,
    /// Tunnels opened so far (bounded by [`tunnel::MAX_TUNNELS`]).
    pub(crate) tunnels: usize,
}

impl<'a> Decoder<'a> {
    /// The captured bytes from `start`, empty when `start` is past the end.
    #[inline]
    pub(crate) fn rest(&self, start: usize) -> &'a [u8] {
        self.data.get(start..).unwrap_or(&[])
    }

    /// Records that a header at `layer` did not fit in the captured bytes: a snaplen cut
    /// when the capture says the packet was longer on the wire, otherwise the packet
    /// itself is short (malformed).
    #[inline]
    pub(crate) fn stop_short(&mut self, layer: Layer, at: usize) {
        let stop = short_stop(layer, self.info.snaplen_truncated);
        self.stop(stop, at);
    }

    /// Stops decoding at byte `at` for `stop`; there is no application payload.
    #[inline]
    pub(crate) fn stop(&mut self, stop: DecodeStop, at: usize) {
        self.info.stop = Some(stop);
        self.info.payload_offset = to_u32(at.min(self.data.len()));
        self.info.payload_len = 0;
    }

    /// Sets the application payload to `start..end` (clamped to the captured bytes).
    #[inline]
    pub(crate) fn set_payload(&mut self, start: usize, end: usize) {
        let end = end.min(self.data.len());
        let start = start.min(end);
        self.info.payload_offset = to_u32(start);
        self.info.payload_len = to_u32(end.saturating_sub(start));
    }
}

/// Stop reason for a header that did not fit: see [`Decoder::stop_short`].
#[inline]
pub(crate) fn short_stop(layer: Layer, snaplen_truncated: bool) -> DecodeStop {
    if snaplen_truncated {
        DecodeStop::Truncated(layer)
    } else {
        DecodeStop::Malformed(layer)
    }
}

/// Frame offsets fit in u32 for any real capture (records are at most 4 GiB by format);
/// saturate rather than wrap on anything else.
#[inline]
pub(crate) fn to_u32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}
