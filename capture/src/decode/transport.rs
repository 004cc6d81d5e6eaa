//! Transport headers: TCP (RFC 9293 section 3.1), UDP (RFC 768), ICMP (RFC 792) and
//! ICMPv6 (RFC 4443). Other IP protocols (ESP, AH over IPv4, GRE, SCTP, ...) are
//! reported as [`Transport::Other`] with the whole IP payload as payload.

use super::{Decoder, short_stop, tunnel};
use crate::packet::{DecodeStop, Layer, TcpFlags, TcpInfo, Transport};
use etherparse::err::tcp::HeaderSliceError as TcpError;
use etherparse::{Icmpv4Slice, Icmpv6Slice, TcpHeaderSlice, UdpHeaderSlice};

const PROTO_ICMP: u8 = 1;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
const PROTO_ICMPV6: u8 = 58;
/// Byte 13 of the TCP header holds CWR..FIN (RFC 9293 section 3.1, RFC 3168).
const TCP_FLAGS_BYTE: usize = 13;
const UDP_HEADER_LEN: usize = 8;

/// What the transport layer yielded: offsets are into the slice given to
/// [`decode_transport_at`].
pub(crate) struct TransportResult {
    pub(crate) transport: Transport,
    pub(crate) payload_start: usize,
    pub(crate) payload_len: usize,
    pub(crate) stop: Option<DecodeStop>,
}

/// Decodes the transport header at `data[start..end]` into the decoder's view.
#[inline]
pub(crate) fn decode_into(d: &mut Decoder<'_>, proto: u8, start: usize, end: usize) {
    if proto == tunnel::PROTO_GRE && tunnel::gre(d, start, end) {
        return;
    }
    let t = decode_transport_at(proto, d.data, start, end, d.info.snaplen_truncated);
    if let Transport::Udp { dst_port, .. } = t.transport
        && dst_port == tunnel::VXLAN_PORT
        && t.stop.is_none()
        && tunnel::vxlan(
            d,
            t.payload_start,
            t.payload_start.saturating_add(t.payload_len),
        )
    {
        return;
    }
    d.info.transport = t.transport;
    match t.stop {
        Some(stop) => d.stop(stop, t.payload_start),
        None => d.set_payload(
            t.payload_start,
            t.payload_start.saturating_add(t.payload_len),
        ),
    }
}

/// Decodes the transport header of protocol `proto` in `data[start..end]`; `end` is
/// where the IP header says the datagram ends, clamped to the captured bytes.
#[inline]
pub(crate) fn decode_transport_at(
    proto: u8,
    data: &[u8],
    start: usize,
    end: usize,
    snaplen_truncated: bool,
) -> TransportResult {
    let end = end.min(data.len());
    let seg = data.get(start..end).unwrap_or(&[]);
    let ok = |transport: Transport, header_len: usize, payload_end: usize| {
        let payload_start = start.saturating_add(header_len).min(payload_end);
        TransportResult {
            transport,
            payload_start,
            payload_len: payload_end.saturating_sub(payload_start),
            stop: None,
        }
    };
    let stop = |stop: DecodeStop| TransportResult {
        transport: Transport::None,
        payload_start: start,
        payload_len: 0,
        stop: Some(stop),
    };
    let short = || stop(short_stop(Layer::Transport, snaplen_truncated));
    match proto {
        PROTO_TCP => match TcpHeaderSlice::from_slice(seg) {
            Ok(h) => {
                let flags = h.slice().get(TCP_FLAGS_BYTE).copied().unwrap_or(0);
                let info = TcpInfo {
                    src_port: h.source_port(),
                    dst_port: h.destination_port(),
                    seq: h.sequence_number(),
                    ack: h.acknowledgment_number(),
                    flags: TcpFlags(flags),
                    window: h.window_size(),
                };
                ok(Transport::Tcp(info), h.slice().len(), end)
            }
            Err(TcpError::Len(_)) => short(),
            Err(TcpError::Content(_)) => stop(DecodeStop::Malformed(Layer::Transport)),
        },
        PROTO_UDP => match UdpHeaderSlice::from_slice(seg) {
            Ok(h) => {
                // Trust the UDP length when it is consistent with the IP payload; fall
                // back to the IP payload otherwise (0 is legal for IPv6 jumbograms).
                let udp_len = usize::from(h.length());
                let payload_end = if udp_len >= UDP_HEADER_LEN && udp_len <= seg.len() {
                    start.saturating_add(udp_len)
                } else {
                    end
                };
                let transport = Transport::Udp {
                    src_port: h.source_port(),
                    dst_port: h.destination_port(),
                };
                ok(transport, UDP_HEADER_LEN, payload_end)
            }
            Err(_) => short(),
        },
        PROTO_ICMP => match Icmpv4Slice::from_slice(seg) {
            Ok(h) => ok(
                Transport::Icmp {
                    icmp_type: h.type_u8(),
                    code: h.code_u8(),
                },
                h.header_len(),
                end,
            ),
            Err(_) => short(),
        },
        PROTO_ICMPV6 => match Icmpv6Slice::from_slice(seg) {
            Ok(h) => ok(
                Transport::Icmpv6 {
                    icmp_type: h.type_u8(),
                    code: h.code_u8(),
                },
                h.header_len(),
                end,
            ),
            Err(_) => short(),
        },
        _ => ok(Transport::Other, 0, end),
    }
}
