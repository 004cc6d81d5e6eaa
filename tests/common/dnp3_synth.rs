//! A built DNP3 capture for what no public capture covers: bad header and block CRCs,
//! select-before-operate of a CROB (g12v1) with a refused operate, analog output
//! (g41), time write (g50), IIN write (g80), file open (g70), device attributes (g0),
//! secure authentication (g120), restarts, unsolicited enable, an unsolicited response,
//! a fragment over several segments whose transport sequence wraps, and a link frame
//! split across TCP segments. Frames follow IEEE 1815-2012 (sections named in
//! protocols/src/dnp3/); the test checks with tshark that they decode as DNP3.

use mizuban::synth::{Host, TcpSession, TraceWriter};
use mizuban_protocols::dnp3::{app, link, transport};
use std::io::{self, Write};

pub const MASTER_ADDR: u16 = 1;
pub const OUTSTATION_ADDR: u16 = 10;
const CTL_MASTER: u8 = 0xC4;
const CTL_OUTSTATION: u8 = 0x44;

pub fn master() -> Host {
    Host::new(0x11, [0x00, 0x0c, 0x29], [10, 20, 0, 11])
}
pub fn outstation() -> Host {
    Host::new(0x21, [0x00, 0x30, 0xa7], [10, 20, 0, 21])
}

/// Link frames for one fragment, segmented at `max_payload` bytes per segment.
fn frames(ctl: u8, dst: u16, src: u16, fragment: &[u8], max_payload: usize, seq: u8) -> Vec<u8> {
    let mut out = Vec::new();
    for s in transport::segment(fragment, max_payload, seq) {
        out.extend_from_slice(&link::encode(ctl, dst, src, &s));
    }
    out
}

fn req(fragment: &[u8]) -> Vec<u8> {
    frames(CTL_MASTER, OUTSTATION_ADDR, MASTER_ADDR, fragment, 249, 0)
}
fn resp(fragment: &[u8]) -> Vec<u8> {
    frames(
        CTL_OUTSTATION,
        MASTER_ADDR,
        OUTSTATION_ADDR,
        fragment,
        249,
        0,
    )
}

fn crob(function: u8, seq: u8, code: u8, status: u8, iin: Option<u16>) -> Vec<u8> {
    // g12v1, qualifier 0x28 (2-octet index, 16-bit count), index 3, count 1, 500/0 ms.
    let objs = [
        0x0C, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00, code, 0x01, 0xF4, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, status,
    ];
    app::encode(0xC0 | seq, function, iin, &objs)
}

fn attribute(v: u8, text: &str) -> Vec<u8> {
    let mut o = vec![0x00, v, 0x00, 0x00, 0x00, 0x01, text.len() as u8];
    o.extend_from_slice(text.as_bytes());
    o
}

fn open_file(name: &str) -> Vec<u8> {
    let mut obj = Vec::new();
    obj.extend_from_slice(&26u16.to_le_bytes());
    obj.extend_from_slice(&(name.len() as u16).to_le_bytes());
    obj.extend_from_slice(&[0; 12]); // time, permissions, authentication key
    obj.extend_from_slice(&0u32.to_le_bytes()); // size
    obj.extend_from_slice(&2u16.to_le_bytes()); // mode: write
    obj.extend_from_slice(&1024u16.to_le_bytes());
    obj.extend_from_slice(&1u16.to_le_bytes());
    obj.extend_from_slice(name.as_bytes());
    let mut o = vec![0x46, 0x03, 0x5B, 0x01];
    o.extend_from_slice(&(obj.len() as u16).to_le_bytes());
    o.extend_from_slice(&obj);
    o
}

/// Writes the capture's packets (one TCP connection, master to outstation port 20000).
pub fn write<W: Write>(w: &mut TraceWriter<W>) -> io::Result<()> {
    let mut s = TcpSession::new(master(), outstation(), 40101, 20000, 7000);
    s.handshake(w)?;
    let ok = Some(0x0000);
    // Read class 0, with a bad block CRC: counted, the fragment is lost.
    let mut bad = req(&app::encode(0xC0, 0x01, None, &[0x3C, 0x01, 0x06]));
    let n = bad.len();
    if let Some(b) = bad.get_mut(n - 1) {
        *b ^= 0x5A;
    }
    s.send(w, true, &bad)?;
    w.advance_micros(5_000);
    // A good read, a link frame with a bad header CRC, then a good confirm, in one
    // segment (tshark only looks at a segment whose first header checks).
    let mut bad_hdr = req(&app::encode(0xC1, 0x01, None, &[0x3C, 0x02, 0x06]));
    let mut bad = req(&app::encode(0xC1, 0x01, None, &[0x3C, 0x03, 0x06]));
    if let Some(b) = bad.get_mut(8) {
        *b ^= 0xA5;
    }
    bad_hdr.extend_from_slice(&bad);
    bad_hdr.extend_from_slice(&req(&app::encode(0xD0, 0x00, None, &[])));
    s.send(w, true, &bad_hdr)?;
    w.advance_micros(20_000);
    s.send(w, false, &resp(&app::encode(0xC1, 0x81, Some(0x9000), &[])))?;
    w.advance_micros(10_000);
    // Select then operate a CROB (close, pulse on); the operate is refused (status 2).
    s.exchange(
        w,
        &req(&crob(3, 2, 0x41, 0, None)),
        &resp(&crob(0x81, 2, 0x41, 0, ok)),
        15_000,
    )?;
    w.advance_micros(10_000);
    s.exchange(
        w,
        &req(&crob(4, 3, 0x41, 0, None)),
        &resp(&crob(0x81, 3, 0x41, 2, ok)),
        15_000,
    )?;
    w.advance_micros(10_000);
    // Direct operate an analog output block g41v2 index 7 = 1234.
    let ao = app::encode(
        0xC4,
        0x05,
        None,
        &[0x29, 0x02, 0x17, 0x01, 0x07, 0xD2, 0x04, 0x00],
    );
    let ao_r = app::encode(
        0xC4,
        0x81,
        ok,
        &[0x29, 0x02, 0x17, 0x01, 0x07, 0xD2, 0x04, 0x00],
    );
    s.exchange(w, &req(&ao), &resp(&ao_r), 12_000)?;
    w.advance_micros(10_000);
    // Write the time (g50v1, qualifier 0x07 count 1) and clear the restart IIN (g80v1).
    let t = app::encode(
        0xC5,
        0x02,
        None,
        &[0x32, 0x01, 0x07, 0x01, 0x00, 0x20, 0x13, 0x9F, 0x9D, 0x01],
    );
    s.exchange(w, &req(&t), &resp(&app::encode(0xC5, 0x81, ok, &[])), 9_000)?;
    w.advance_micros(10_000);
    let iin = app::encode(0xC6, 0x02, None, &[0x50, 0x01, 0x00, 0x07, 0x07, 0x00]);
    s.exchange(
        w,
        &req(&iin),
        &resp(&app::encode(0xC6, 0x81, ok, &[])),
        9_000,
    )?;
    w.advance_micros(10_000);
    // Read and answer device attributes (g0v254 all; g0v252/250/242/248).
    s.send(
        w,
        true,
        &req(&app::encode(0xC7, 0x01, None, &[0x00, 0xFE, 0x06])),
    )?;
    w.advance_micros(8_000);
    let mut attrs = attribute(252, "Acme Controls");
    attrs.extend(attribute(250, "RTU-5000"));
    attrs.extend(attribute(242, "4.2.1"));
    attrs.extend(attribute(248, "SN-0042"));
    s.send(w, false, &resp(&app::encode(0xC7, 0x81, ok, &attrs)))?;
    w.advance_micros(10_000);
    // Open a file for writing (g70v3).
    s.exchange(
        w,
        &req(&app::encode(0xC8, 0x19, None, &open_file("/cfg/relay.cfg"))),
        &resp(&app::encode(0xC8, 0x81, ok, &[])),
        11_000,
    )?;
    w.advance_micros(10_000);
    // Secure authentication: an aggressive-mode-less challenge exchange (g120v1/v2).
    let challenge = [
        0x78, 0x01, 0x5B, 0x01, 0x0C, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x04, 0x01, 0x11,
        0x22, 0x33, 0x44,
    ];
    s.exchange(
        w,
        &req(&app::encode(
            0xC9,
            0x20,
            None,
            &[0x78, 0x04, 0x07, 0x01, 0x01, 0x00],
        )),
        &resp(&app::encode(0xC9, 0x83, ok, &challenge)),
        7_000,
    )?;
    w.advance_micros(10_000);
    // Enable unsolicited (class 1-3), warm restart, stop application.
    let en = app::encode(
        0xCA,
        0x14,
        None,
        &[0x3C, 0x02, 0x06, 0x3C, 0x03, 0x06, 0x3C, 0x04, 0x06],
    );
    s.exchange(
        w,
        &req(&en),
        &resp(&app::encode(0xCA, 0x81, ok, &[])),
        6_000,
    )?;
    w.advance_micros(10_000);
    s.exchange(
        w,
        &req(&app::encode(0xCB, 0x0E, None, &[])),
        &resp(&app::encode(
            0xCB,
            0x81,
            ok,
            &[0x34, 0x02, 0x07, 0x01, 0x10, 0x27],
        )),
        6_000,
    )?;
    w.advance_micros(10_000);
    s.exchange(
        w,
        &req(&app::encode(0xCC, 0x12, None, &[])),
        &resp(&app::encode(0xCC, 0x81, Some(0x0001), &[])),
        6_000,
    )?;
    w.advance_micros(10_000);
    // An unsolicited response (binary input event g2v1) and its confirm.
    s.send(
        w,
        false,
        &resp(&app::encode(
            0xF3,
            0x82,
            Some(0x0200),
            &[0x02, 0x01, 0x17, 0x01, 0x04, 0x81],
        )),
    )?;
    w.advance_micros(4_000);
    s.send(w, true, &req(&app::encode(0xD3, 0x00, None, &[])))?;
    w.advance_micros(10_000);
    // A read answered by a 600-byte response over three segments whose transport
    // sequence runs 20, 21, 22, its second link frame split across two TCP segments.
    s.send(
        w,
        true,
        &req(&app::encode(0xCD, 0x01, None, &[0x1E, 0x01, 0x06])),
    )?;
    w.advance_micros(8_000);
    let mut big = Vec::new();
    big.extend_from_slice(&[0x1E, 0x01, 0x01, 0x00, 0x00, 0x75, 0x00]); // g30v1 0..117
    for i in 0..118u32 {
        big.push(0x01);
        big.extend_from_slice(&i.to_le_bytes());
    }
    let long = app::encode(0xCD, 0x81, ok, &big);
    let bytes = frames(CTL_OUTSTATION, MASTER_ADDR, OUTSTATION_ADDR, &long, 249, 20);
    let (a, b) = bytes.split_at(400);
    s.send(w, false, a)?;
    w.advance_micros(1_000);
    s.send(w, false, b)?;
    w.advance_micros(10_000);
    s.close(w)
}
