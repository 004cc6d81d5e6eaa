//! A minimal pcap writer: for tests, the sample generator and the throughput bench.

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
