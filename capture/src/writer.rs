//! Minimal pcap and pcapng writers: for tests, the sample generator and the benches.

use crate::link::LinkType;
use crate::time::Timestamp;
use std::io::{self, Write};

/// Writes classic pcap (little-endian). `nanos` selects the nanosecond magic.
pub struct PcapWriter<W: Write> {
    out: W,
    nanos: bool,
}

impl<W: Write> PcapWriter<W> {
    pub fn new(mut out: W, link: LinkType, snaplen: u32, nanos: bool) -> io::Result<Self> {
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        out.write_all(&magic.to_le_bytes())?;
        out.write_all(&2u16.to_le_bytes())?;
        out.write_all(&4u16.to_le_bytes())?;
        out.write_all(&0i32.to_le_bytes())?;
        out.write_all(&0u32.to_le_bytes())?;
        out.write_all(&snaplen.to_le_bytes())?;
        out.write_all(&link.to_linktype().to_le_bytes())?;
        Ok(PcapWriter { out, nanos })
    }

    /// Writes one record; `wire_len` may exceed `data.len()` to model snaplen truncation.
    pub fn write_packet(&mut self, ts: Timestamp, data: &[u8], wire_len: u32) -> io::Result<()> {
        let secs = u32::try_from(ts.secs()).unwrap_or(0);
        let frac = if self.nanos {
            ts.subsec_nanos()
        } else {
            ts.subsec_nanos() / 1000
        };
        let caplen = u32::try_from(data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
        self.out.write_all(&secs.to_le_bytes())?;
        self.out.write_all(&frac.to_le_bytes())?;
        self.out.write_all(&caplen.to_le_bytes())?;
        self.out.write_all(&wire_len.max(caplen).to_le_bytes())?;
        self.out.write_all(data)
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Writes pcapng (draft-ietf-opsawg-pcapng): one section, any number of interfaces, and
/// packets as Enhanced, Simple or obsolete Packet Blocks. For tests, fixtures and
/// benches; `big_endian` writes the whole section in network byte order.
pub struct PcapngWriter<W: Write> {
    out: W,
    big_endian: bool,
    /// if_tsresol and if_tsoffset of each interface, by interface id.
    interfaces: Vec<(u8, i64)>,
}

/// pcapng block types (sections 4.1-4.4, Appendix A).
const SHB_TYPE: u32 = 0x0a0d_0d0a;
const IDB_TYPE: u32 = 1;
const PB_TYPE: u32 = 2;
const SPB_TYPE: u32 = 3;
const EPB_TYPE: u32 = 6;

impl<W: Write> PcapngWriter<W> {
    /// Starts the file with a Section Header Block.
    pub fn new(out: W, big_endian: bool) -> io::Result<Self> {
        let mut w = PcapngWriter {
            out,
            big_endian,
            interfaces: Vec::new(),
        };
        w.write_section_header()?;
        Ok(w)
    }

    /// Starts a new section (SHB, section 4.1): interfaces defined so far are forgotten.
    pub fn write_section_header(&mut self) -> io::Result<()> {
        let mut body = Vec::with_capacity(16);
        self.put_u32(&mut body, 0x1a2b_3c4d);
        self.put_u16(&mut body, 1);
        self.put_u16(&mut body, 0);
        // Section length unknown (-1), as streaming writers do.
        body.extend_from_slice(&[0xff; 8]);
        self.interfaces.clear();
        self.write_block(SHB_TYPE, &body)
    }

    /// Adds an Interface Description Block (section 4.2) and returns its interface id.
    /// `tsresol` is the if_tsresol byte (6 = microseconds, 9 = nanoseconds, 0x80|k =
    /// 2^-k s); `tsoffset` the if_tsoffset seconds. Options are written only when they
    /// differ from the defaults.
    pub fn add_interface(
        &mut self,
        link: LinkType,
        snaplen: u32,
        tsresol: u8,
        tsoffset: i64,
    ) -> io::Result<u32> {
        let linktype = u16::try_from(link.to_linktype())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "link type over 16 bits"))?;
        let mut body = Vec::with_capacity(40);
        self.put_u16(&mut body, linktype);
        self.put_u16(&mut body, 0);
        self.put_u32(&mut body, snaplen);
        if tsresol != 6 {
            self.put_u16(&mut body, 9);
            self.put_u16(&mut body, 1);
            body.extend_from_slice(&[tsresol, 0, 0, 0]);
        }
        if tsoffset != 0 {
            self.put_u16(&mut body, 14);
            self.put_u16(&mut body, 8);
            let b = if self.big_endian {
                tsoffset.to_be_bytes()
            } else {
                tsoffset.to_le_bytes()
            };
            body.extend_from_slice(&b);
        }
        if tsresol != 6 || tsoffset != 0 {
            body.extend_from_slice(&[0; 4]);
        }
        self.write_block(IDB_TYPE, &body)?;
        let id = u32::try_from(self.interfaces.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "too many interfaces"))?;
        self.interfaces.push((tsresol, tsoffset));
        Ok(id)
    }

    /// Writes an Enhanced Packet Block (section 4.3).
    pub fn write_packet(
        &mut self,
        interface: u32,
        ts: Timestamp,
        data: &[u8],
        wire_len: u32,
    ) -> io::Result<()> {
        let units = self.units(interface, ts)?;
        let mut body = Vec::with_capacity(data.len().saturating_add(24));
        self.put_u32(&mut body, interface);
        self.put_timestamp(&mut body, units);
        self.put_packet(&mut body, data, wire_len)?;
        self.write_block(EPB_TYPE, &body)
    }

    /// Writes an obsolete Packet Block (Appendix A).
    pub fn write_obsolete_packet(
        &mut self,
        interface: u16,
        ts: Timestamp,
        data: &[u8],
        wire_len: u32,
    ) -> io::Result<()> {
        let units = self.units(u32::from(interface), ts)?;
        let mut body = Vec::with_capacity(data.len().saturating_add(24));
        self.put_u16(&mut body, interface);
        self.put_u16(&mut body, 0);
        self.put_timestamp(&mut body, units);
        self.put_packet(&mut body, data, wire_len)?;
        self.write_block(PB_TYPE, &body)
    }

    /// Writes a Simple Packet Block (section 4.4): interface 0, no timestamp; the
    /// captured length is implied by `data` (the reader also cuts it to the snaplen).
    pub fn write_simple_packet(&mut self, data: &[u8], wire_len: u32) -> io::Result<()> {
        let caplen = len_u32(data)?;
        let mut body = Vec::with_capacity(data.len().saturating_add(8));
        self.put_u32(&mut body, wire_len.max(caplen));
        body.extend_from_slice(data);
        self.write_block(SPB_TYPE, &body)
    }

    /// Writes any block: type, lengths and padding of the body to 32 bits (section 3.1).
    pub fn write_block(&mut self, block_type: u32, body: &[u8]) -> io::Result<()> {
        let pad = padding(body.len());
        let total = body
            .len()
            .checked_add(pad.saturating_add(12))
            .and_then(|t| u32::try_from(t).ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "block too large"))?;
        let mut head = Vec::with_capacity(8);
        self.put_u32(&mut head, block_type);
        self.put_u32(&mut head, total);
        self.out.write_all(&head)?;
        self.out.write_all(body)?;
        self.out.write_all(zeros(pad))?;
        head.clear();
        self.put_u32(&mut head, total);
        self.out.write_all(&head)
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    /// `ts` in units of the interface's if_tsresol, after removing its if_tsoffset.
    fn units(&self, interface: u32, ts: Timestamp) -> io::Result<u64> {
        let &(tsresol, tsoffset) = usize::try_from(interface)
            .ok()
            .and_then(|i| self.interfaces.get(i))
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "undefined interface"))?;
        let ns = i128::from(ts.as_nanos())
            .saturating_sub(i128::from(tsoffset).saturating_mul(1_000_000_000));
        let per_sec: i128 = if tsresol & 0x80 == 0 {
            10i128.checked_pow(u32::from(tsresol))
        } else {
            1i128.checked_shl(u32::from(tsresol & 0x7f))
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "resolution too fine"))?;
        let units = ns
            .checked_mul(per_sec)
            .map(|v| v.div_euclid(1_000_000_000))
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "timestamp out of range"))?;
        Ok(units)
    }

    fn put_timestamp(&self, body: &mut Vec<u8>, units: u64) {
        // High 32 bits first, each half in the section's byte order (section 4.3).
        self.put_u32(body, (units >> 32) as u32);
        self.put_u32(body, units as u32);
    }

    /// caplen, orig len, data, padding (EPB and PB share this tail).
    fn put_packet(&self, body: &mut Vec<u8>, data: &[u8], wire_len: u32) -> io::Result<()> {
        let caplen = len_u32(data)?;
        self.put_u32(body, caplen);
        self.put_u32(body, wire_len.max(caplen));
        body.extend_from_slice(data);
        body.extend_from_slice(zeros(padding(data.len())));
        Ok(())
    }

    fn put_u16(&self, body: &mut Vec<u8>, v: u16) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        body.extend_from_slice(&b);
    }

    fn put_u32(&self, body: &mut Vec<u8>, v: u32) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        body.extend_from_slice(&b);
    }
}

/// Bytes needed after `len` to reach a multiple of 4 (0..=3).
fn padding(len: usize) -> usize {
    len.wrapping_neg() & 3
}

/// `n` (at most 3) zero bytes of padding.
fn zeros(n: usize) -> &'static [u8] {
    [0u8; 3].get(..n).unwrap_or(&[])
}

fn len_u32(data: &[u8]) -> io::Result<u32> {
    u32::try_from(data.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))
}
