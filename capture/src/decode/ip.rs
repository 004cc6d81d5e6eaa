//! IPv4 (RFC 791) and IPv6 (RFC 8200) headers, IPv6 extension headers, and the
//! fragment identity the defragmenter keys on.

use super::{Decoder, to_u32, transport};
use crate::packet::{DecodeStop, FragmentInfo, IpInfo, Layer, Net, Transport};
use etherparse::err::ipv4::HeaderSliceError as V4Error;
use etherparse::err::ipv6::HeaderSliceError as V6Error;
use etherparse::{
    IpAuthHeaderSlice, IpNumber, Ipv4HeaderSlice, Ipv6FragmentHeaderSlice, Ipv6HeaderSlice,
    Ipv6RawExtHeaderSlice,
};
use std::net::IpAddr;

/// IPv6 extension headers walked before giving up (RFC 8200 section 4.1 recommends an
/// order with each type at most once, twice for destination options: 8 is plenty).
pub(crate) const MAX_IPV6_EXT_HEADERS: usize = 8;

const IPV6_HEADER_LEN: usize = 40;
const PROTO_IPV6_FRAG: u8 = 44;
const PROTO_AH: u8 = 51;

pub(crate) fn ipv4(d: &mut Decoder<'_>, at: usize) {
    let h = match Ipv4HeaderSlice::from_slice(d.rest(at)) {
        Ok(h) => h,
        Err(V4Error::Len(_)) => return d.stop_short(Layer::Ip, at),
        Err(V4Error::Content(_)) => return d.stop(DecodeStop::Malformed(Layer::Ip), at),
    };
    let header_len = h.slice().len();
    let payload_start = at.saturating_add(header_len);
    let total_len = usize::from(h.total_len());
    // A total length shorter than the header is what TCP segmentation offload leaves
    // behind (length 0 on the capture host): fall back to the captured bytes, as
    // etherparse's LaxIpv4Slice does.
    let claimed_end = if total_len < header_len {
        d.data.len()
    } else {
        at.saturating_add(total_len)
    };
    let end = claimed_end.min(d.data.len());
    let offset = u32::from(h.fragments_offset().value()).saturating_mul(8);
    let more = h.more_fragments();
    let fragment = (more || offset > 0).then_some(FragmentInfo {
        id: u32::from(h.identification()),
        offset,
        more_fragments: more,
    });
    let proto = h.protocol().0;
    d.info.net = Net::Ip(IpInfo {
        src: IpAddr::V4(h.source_addr()),
        dst: IpAddr::V4(h.destination_addr()),
        proto,
        ttl: h.ttl(),
        header_offset: to_u32(at),
        payload_offset: to_u32(payload_start),
        payload_len: to_u32(claimed_end.saturating_sub(payload_start)),
        fragment,
    });
    if offset > 0 {
        // A non-first fragment carries no transport header (RFC 791 section 2.3).
        d.set_payload(payload_start, end);
        return;
    }
    transport::decode_into(d, proto, payload_start, end);
}

pub(crate) fn ipv6(d: &mut Decoder<'_>, at: usize) {
    let h = match Ipv6HeaderSlice::from_slice(d.rest(at)) {
        Ok(h) => h,
        Err(V6Error::Len(_)) => return d.stop_short(Layer::Ip, at),
        Err(V6Error::Content(_)) => return d.stop(DecodeStop::Malformed(Layer::Ip), at),
    };
    let start = at.saturating_add(IPV6_HEADER_LEN);
    let plen = usize::from(h.payload_length());
    // Payload length 0 with bytes following is a jumbogram (RFC 2675) or offload
    // artefact: take the captured bytes, as etherparse's LaxIpv6Slice does.
    let claimed_end = if plen == 0 && d.data.len() > start {
        d.data.len()
    } else {
        start.saturating_add(plen)
    };
    let end = claimed_end.min(d.data.len());
    let mut ip = IpInfo {
        src: IpAddr::V6(h.source_addr()),
        dst: IpAddr::V6(h.destination_addr()),
        proto: h.next_header().0,
        ttl: h.hop_limit(),
        header_offset: to_u32(at),
        payload_offset: to_u32(start),
        payload_len: 0,
        fragment: None,
    };
    let walk = walk_extensions(d, &mut ip, start, end);
    ip.payload_offset = to_u32(walk.payload_start);
    ip.payload_len = to_u32(claimed_end.saturating_sub(walk.payload_start));
    d.info.net = Net::Ip(ip);
    match walk.outcome {
        ExtOutcome::Upper => transport::decode_into(d, ip.proto, walk.payload_start, end),
        ExtOutcome::LaterFragment => d.set_payload(walk.payload_start, end),
        ExtOutcome::Stopped(stop) => {
            d.info.transport = Transport::None;
            d.stop(stop, walk.payload_start);
        }
    }
}

enum ExtOutcome {
    /// Reached the upper-layer protocol in `IpInfo::proto`.
    Upper,
    /// A fragment header with a non-zero offset: the rest is fragment data.
    LaterFragment,
    /// An extension header did not fit or the chain was too long.
    Stopped(DecodeStop),
}

struct ExtWalk {
    payload_start: usize,
    outcome: ExtOutcome,
}

/// Walks hop-by-hop, routing, fragment, destination options and AH headers (RFC 8200
/// section 4; RFC 4302 for AH) to the upper-layer protocol, recording it in `ip.proto`
/// and the fragment header in `ip.fragment`. Bounded by [`MAX_IPV6_EXT_HEADERS`].
fn walk_extensions(d: &Decoder<'_>, ip: &mut IpInfo, start: usize, end: usize) -> ExtWalk {
    let mut at = start;
    let stopped = |at: usize, stop: DecodeStop| ExtWalk {
        payload_start: at,
        outcome: ExtOutcome::Stopped(stop),
    };
    let short = |at: usize| {
        stopped(
            at,
            super::short_stop(Layer::IpExtension, d.info.snaplen_truncated),
        )
    };
    for _ in 0..MAX_IPV6_EXT_HEADERS {
        let next = ip.proto;
        let rest = d.data.get(at..end).unwrap_or(&[]);
        let (len, following) = if next == PROTO_IPV6_FRAG {
            let Ok(f) = Ipv6FragmentHeaderSlice::from_slice(rest) else {
                return short(at);
            };
            let offset = u32::from(f.fragment_offset().value()).saturating_mul(8);
            let more = f.more_fragments();
            ip.fragment = (more || offset > 0).then_some(FragmentInfo {
                id: f.identification(),
                offset,
                more_fragments: more,
            });
            if offset > 0 {
                // Later fragments start with fragment data, not headers (RFC 8200 4.5).
                ip.proto = f.next_header().0;
                return ExtWalk {
                    payload_start: at.saturating_add(f.slice().len()),
                    outcome: ExtOutcome::LaterFragment,
                };
            }
            (f.slice().len(), f.next_header())
        } else if next == PROTO_AH {
            match IpAuthHeaderSlice::from_slice(rest) {
                Ok(a) => (a.slice().len(), a.next_header()),
                Err(etherparse::err::ip_auth::HeaderSliceError::Len(_)) => return short(at),
                Err(etherparse::err::ip_auth::HeaderSliceError::Content(_)) => {
                    return stopped(at, DecodeStop::Malformed(Layer::IpExtension));
                }
            }
        } else if Ipv6RawExtHeaderSlice::header_type_supported(IpNumber(next)) {
            let Ok(x) = Ipv6RawExtHeaderSlice::from_slice(rest) else {
                return short(at);
            };
            (x.slice().len(), x.next_header())
        } else {
            return ExtWalk {
                payload_start: at,
                outcome: ExtOutcome::Upper,
            };
        };
        ip.proto = following.0;
        at = at.saturating_add(len);
    }
    stopped(at, DecodeStop::Malformed(Layer::IpExtension))
}
