//! Application layer: decode one reassembled fragment: the application header and
//! every object header, with the data of the objects [`super::objects`] decodes.
//!
//! Fragment format (IEEE 1815-2012 section 4.2.2):
//!
//! | field               | size | notes                                               |
//! |---------------------|------|-----------------------------------------------------|
//! | application control | 1    | FIR 0x80, FIN 0x40, CON 0x20, UNS 0x10, SEQ 0x0F    |
//! | function code       | 1    |                                                     |
//! | IIN                 | 2    | responses (129, 130, 131) only                      |
//! | object headers      | n    | group u8, variation u8, qualifier u8, range, then prefixes and data |
//!
//! Qualifier (section 4.4.3.3): bits 4-6 the prefix code (0 none, 1/2/3 a 1/2/4-octet
//! index, 4/5/6 a 1/2/4-octet object size), bits 0-3 the range code (0/1/2 start and
//! stop of 1/2/4 octets, 3/4/5 a virtual address of 1/2/4 octets, 6 no range (all
//! points), 7/8/9 a count of 1/2/4 octets, 11 a 1-octet count of free-format objects).
//! Anomalies are flags on the fragment; what was read before one is kept.

use super::objects::{
    self, AnalogOutput, Attribute, AuthObject, Crob, FileObject, IinWrite, Le, Size,
};
use super::types::{self, Anomaly};
use serde::Serialize;

/// Application control bits.
pub const AC_FIR: u8 = 0x80;
pub const AC_FIN: u8 = 0x40;
pub const AC_CON: u8 = 0x20;
pub const AC_UNS: u8 = 0x10;
pub const AC_SEQ: u8 = 0x0F;

/// Object headers kept per fragment in the event; more are counted, not kept.
pub const MAX_OBJECT_HEADERS: usize = 64;
/// Decoded objects (CROBs, analog outputs, times, files, IIN writes, attributes, secure
/// authentication) kept per fragment, all kinds together; more are counted.
pub const MAX_DECODED: usize = 32;

/// The application header.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub control: u8,
    pub function: u8,
    /// Internal indications of a response (first octet in the high byte, as tshark).
    pub iin: Option<u16>,
}

impl Header {
    pub fn fir(&self) -> bool {
        self.control & AC_FIR != 0
    }
    pub fn fin(&self) -> bool {
        self.control & AC_FIN != 0
    }
    pub fn con(&self) -> bool {
        self.control & AC_CON != 0
    }
    pub fn uns(&self) -> bool {
        self.control & AC_UNS != 0
    }
    pub fn seq(&self) -> u8 {
        self.control & AC_SEQ
    }
}

/// One object header.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectHeader {
    pub group: u8,
    pub variation: u8,
    pub qualifier: u8,
    /// Objects the range names: stop - start + 1, the count, 1 for a virtual address,
    /// 0 for "all points" (range code 6).
    pub count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<u32>,
}

impl ObjectHeader {
    pub fn prefix_code(&self) -> u8 {
        (self.qualifier >> 4) & 0x07
    }
    pub fn range_code(&self) -> u8 {
        self.qualifier & 0x0F
    }
    /// "g12v1", for targets.
    pub fn name(&self) -> String {
        format!("g{}v{}", self.group, self.variation)
    }
}

/// The decoded objects that matter, capped together at [`MAX_DECODED`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Decoded {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub crob: Vec<Crob>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub analog_output: Vec<AnalogOutput>,
    /// Times written or reported with g50 (milliseconds since the epoch).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub time: Vec<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub file: Vec<FileObject>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub iin_write: Vec<IinWrite>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub auth: Vec<AuthObject>,
    /// Decoded objects left out over the cap.
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped: u32,
    #[serde(skip)]
    kept: usize,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Decoded {
    fn room(&mut self) -> bool {
        if self.kept < MAX_DECODED {
            self.kept = self.kept.saturating_add(1);
            true
        } else {
            self.dropped = self.dropped.saturating_add(1);
            false
        }
    }
    pub fn is_empty(&self) -> bool {
        self.kept == 0 && self.dropped == 0
    }
}

/// One decoded fragment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fragment {
    pub header: Option<Header>,
    /// The first [`MAX_OBJECT_HEADERS`] object headers.
    pub objects: Vec<ObjectHeader>,
    /// Every object header found, kept or not.
    pub objects_total: u32,
    pub decoded: Decoded,
    /// First anomaly found, if any.
    pub anomaly: Option<Anomaly>,
}

impl Fragment {
    fn flag(&mut self, a: Anomaly) {
        self.anomaly.get_or_insert(a);
    }
}

/// Decodes a fragment. Never fails: a fragment shorter than its header decodes with
/// `header: None` and [`Anomaly::TruncatedHeader`].
pub fn decode(b: &[u8]) -> Fragment {
    let mut f = Fragment::default();
    let mut r = Le::new(b);
    let (Some(control), Some(function)) = (r.u8(), r.u8()) else {
        f.flag(Anomaly::TruncatedHeader);
        return f;
    };
    let mut h = Header {
        control,
        function,
        iin: None,
    };
    if types::is_response(function) {
        let (Some(i1), Some(i2)) = (r.u8(), r.u8()) else {
            f.header = Some(h);
            f.flag(Anomaly::TruncatedHeader);
            return f;
        };
        h.iin = Some(u16::from(i1) << 8 | u16::from(i2));
    }
    f.header = Some(h);
    let headers_only = types::headers_only(function);
    // Each turn consumes at least the 3-octet object header, so the loop is bounded by
    // the fragment length.
    while r.len() >= 3 {
        if walk_object(&mut f, &mut r, headers_only).is_none() {
            break;
        }
    }
    if f.anomaly.is_none() && r.len() > 0 {
        f.flag(Anomaly::TrailingBytes);
    }
    f
}

/// A decoded range field: count, start (or virtual address), stop.
type Range = (u32, Option<u32>, Option<u32>);

/// The range field. Outer `None`: truncated; inner `None`: a reserved code or stop < start.
fn read_range(r: &mut Le<'_>, code: u8) -> Option<Option<Range>> {
    let n = |r: &mut Le<'_>, width: u8| -> Option<u32> {
        match width {
            0 => r.u8().map(u32::from),
            1 => r.u16().map(u32::from),
            _ => r.u32(),
        }
    };
    Some(match code {
        0..=2 => {
            let start = n(r, code)?;
            let stop = n(r, code)?;
            stop.checked_sub(start)
                .and_then(|d| d.checked_add(1))
                .map(|count| (count, Some(start), Some(stop)))
        }
        3..=5 => {
            let addr = n(r, code.saturating_sub(3))?;
            Some((1, Some(addr), None))
        }
        6 => Some((0, None, None)),
        7..=9 => Some((n(r, code.saturating_sub(7))?, None, None)),
        11 => Some((u32::from(r.u8()?), None, None)),
        _ => None,
    })
}

/// Reads one object header and skips (or decodes) its objects. `None`: the walk stops
/// (an anomaly was flagged).
fn walk_object(f: &mut Fragment, r: &mut Le<'_>, headers_only: bool) -> Option<()> {
    let (Some(group), Some(variation), Some(qualifier)) = (r.u8(), r.u8(), r.u8()) else {
        f.flag(Anomaly::TruncatedObject);
        return None;
    };
    let range_code = qualifier & 0x0F;
    let prefix_code = (qualifier >> 4) & 0x07;
    let range = read_range(r, range_code);
    let (count, start, stop) = range.flatten().unwrap_or((0, None, None));
    // The header is reported even when its range is bad or cut: it was on the wire
    // (tshark lists it too).
    f.objects_total = f.objects_total.saturating_add(1);
    if f.objects.len() < MAX_OBJECT_HEADERS {
        f.objects.push(ObjectHeader {
            group,
            variation,
            qualifier,
            count,
            start,
            stop,
        });
    }
    match range {
        None => {
            f.flag(Anomaly::TruncatedObject);
            return None;
        }
        Some(None) => {
            f.flag(Anomaly::BadQualifier);
            return None;
        }
        Some(Some(_)) => {}
    }
    if prefix_code == 7 {
        f.flag(Anomaly::BadQualifier);
        return None;
    }
    let index_len: usize = match prefix_code {
        1 | 4 => 1,
        2 | 5 => 2,
        3 | 6 => 4,
        _ => 0,
    };
    let sized = prefix_code >= 4;
    // Size-prefixed (free-format) objects carry data even in a READ: a file read names
    // its handle and block in a g70v5 object (section 6.8.3).
    if headers_only && !sized {
        // Index lists name points without values.
        if index_len > 0 {
            let n = usize::try_from(count).ok()?.checked_mul(index_len);
            if n.and_then(|n| r.take(n)).is_none() {
                f.flag(Anomaly::TruncatedObject);
                return None;
            }
        }
        return Some(());
    }
    let size = objects::size(group, variation);
    if count == 0 {
        return Some(());
    }
    // Variation 0 ("any") names points in requests; objects that carry data always have
    // a real variation (iti_write_vto_empty_string.pcap writes 65,536 zero-length g112v0
    // blocks per header, a parser stress test).
    if variation == 0 && !sized {
        f.flag(Anomaly::UnknownObject);
        return None;
    }
    if let (Size::Bits(bits), 0) = (size, index_len) {
        // Packed points: count x bits, rounded up to whole octets.
        let n = u64::from(count).saturating_mul(u64::from(bits)).div_ceil(8);
        let Some(data) = usize::try_from(n).ok().and_then(|n| r.take(n)) else {
            f.flag(Anomaly::TruncatedObject);
            return None;
        };
        if group == 80 {
            decode_iin_write(f, start.unwrap_or(0), count, data);
        }
        return Some(());
    }
    let fixed = match size {
        Size::Fixed(n) => Some(n),
        Size::Empty => Some(0),
        Size::VariationOctets => Some(usize::from(variation)),
        Size::Bits(bits) => Some(usize::from(bits).div_ceil(8)),
        Size::Attribute | Size::Prefixed | Size::Unknown => None,
    };
    if index_len == 0 && fixed == Some(0) {
        return Some(());
    }
    if !sized && fixed.is_none() && size != Size::Attribute {
        f.flag(Anomaly::UnknownObject);
        return None;
    }
    // Each item consumes at least one octet (a prefix, or an object of size >= 1), so
    // the loop is bounded by the fragment length, whatever the count says.
    let mut index = start.unwrap_or(0);
    for _ in 0..count {
        let prefix = if index_len > 0 {
            let Some(p) = read_uint(r, index_len) else {
                f.flag(Anomaly::TruncatedObject);
                return None;
            };
            Some(p)
        } else {
            None
        };
        if !sized && let Some(p) = prefix {
            index = p;
        }
        let len = match (sized, prefix, fixed) {
            (true, Some(p), _) => usize::try_from(p).ok(),
            (_, _, Some(n)) => Some(n),
            _ => None,
        };
        let data = match len {
            Some(n) => r.take(n),
            None => take_attribute(r),
        };
        let Some(data) = data else {
            f.flag(Anomaly::TruncatedObject);
            return None;
        };
        decode_item(f, group, variation, index, data);
        index = index.wrapping_add(1);
        if len == Some(0) && index_len == 0 {
            break;
        }
    }
    Some(())
}

fn read_uint(r: &mut Le<'_>, len: usize) -> Option<u32> {
    match len {
        1 => r.u8().map(u32::from),
        2 => r.u16().map(u32::from),
        _ => r.u32(),
    }
}

/// A device attribute: data type, length, value; returned whole.
fn take_attribute<'a>(r: &mut Le<'a>) -> Option<&'a [u8]> {
    let len = usize::from(*r.peek().get(1)?);
    r.take(len.checked_add(2)?)
}

fn decode_item(f: &mut Fragment, group: u8, variation: u8, index: u32, data: &[u8]) {
    let d = &mut f.decoded;
    match (group, variation) {
        (0, v) if v < 254 => {
            if let (Some(&dt), Some(value)) = (data.first(), data.get(2..))
                && d.room()
            {
                d.attributes.push(objects::decode_attribute(v, dt, value));
            }
        }
        (12, 1) => {
            if let Some(c) = objects::decode_crob(index, data)
                && d.room()
            {
                d.crob.push(c);
            }
        }
        (41, 1..=4) => {
            if let Some(a) = objects::decode_analog_output(index, variation, data)
                && d.room()
            {
                d.analog_output.push(a);
            }
        }
        (50, 1..=4) => {
            if let Some(t) = objects::decode_time(data)
                && d.room()
            {
                d.time.push(t);
            }
        }
        (70, _) if d.room() => d.file.push(objects::decode_file(variation, data)),
        (120, _) if d.room() => d.auth.push(objects::decode_auth(variation, data)),
        _ => {}
    }
}

fn decode_iin_write(f: &mut Fragment, start: u32, count: u32, data: &[u8]) {
    for i in 0..count.min(16) {
        let byte = data
            .get(usize::try_from(i / 8).unwrap_or(0))
            .copied()
            .unwrap_or(0);
        let index = start.saturating_add(i);
        if f.decoded.room() {
            f.decoded.iin_write.push(IinWrite {
                index,
                name: objects::iin_name(index),
                value: (byte >> (i % 8)) & 1 != 0,
            });
        }
    }
}

/// Encodes a fragment (for tests, benches and fuzz seeds): control, function, IIN when
/// given, then the object bytes as they are.
pub fn encode(control: u8, function: u8, iin: Option<u16>, objects: &[u8]) -> Vec<u8> {
    let mut v = vec![control, function];
    if let Some(i) = iin {
        v.extend_from_slice(&i.to_be_bytes());
    }
    v.extend_from_slice(objects);
    v
}
