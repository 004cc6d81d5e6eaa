//! A built IEC 104 capture for what the public ones do not cover: single command select
//! then execute (C_SC_NA_1), a refused double command (negative confirmation), float
//! and scaled set-points (C_SE_NC_1, C_SE_TB_1 with time), clock synchronisation,
//! reset process, parameter activation, a file transfer call, interrogation (not an
//! action), STARTDT/TESTFR, a send sequence gap, an acknowledgement of frames never
//! sent, two APDUs in one segment and one APDU split across two. APDUs follow IEC
//! 60870-5-104 (sections named in protocols/src/iec104/); the test checks with tshark.

use mizuban::synth::{Host, TcpSession, TraceWriter};
use mizuban_protocols::iec104::apci::{self, Control};
use mizuban_protocols::iec104::asdu;
use std::io::{self, Write};

pub const COMMON_ADDRESS: u16 = 7;

pub fn scada() -> Host {
    Host::new(0x31, [0x00, 0x0c, 0x29], [10, 30, 0, 5])
}
pub fn rtu() -> Host {
    Host::new(0x41, [0x00, 0x30, 0xa7], [10, 30, 0, 50])
}

/// CP56Time2a for 2026-04-01 06:00:00.000.
const TIME: [u8; 7] = [0x00, 0x00, 0x00, 0x06, 0x01, 0x04, 26];

struct Seq {
    master: u16,
    rtu: u16,
}

impl Seq {
    fn i(&mut self, from_master: bool, type_id: u8, cot: u8, objs: &[(u32, &[u8])]) -> Vec<u8> {
        let (send, recv) = if from_master {
            (&mut self.master, self.rtu)
        } else {
            (&mut self.rtu, self.master)
        };
        let c = Control::I { send: *send, recv };
        *send = send.wrapping_add(1) & 0x7FFF;
        apci::encode(c, &asdu::encode(type_id, cot, COMMON_ADDRESS, objs))
    }
}

pub fn write<W: Write>(w: &mut TraceWriter<W>) -> io::Result<()> {
    let mut s = TcpSession::new(scada(), rtu(), 40555, 2404, 9000);
    let mut q = Seq { master: 0, rtu: 0 };
    s.handshake(w)?;
    let u = |f| apci::encode(Control::U { function: f }, &[]);
    s.exchange(w, &u(apci::u::STARTDT_ACT), &u(apci::u::STARTDT_CON), 2_000)?;
    w.advance_micros(10_000);
    // General interrogation, confirmation, two spontaneous points in one segment.
    let gi = q.i(true, 100, 6, &[(0, &[20])]);
    let mut resp = q.i(false, 100, 7, &[(0, &[20])]);
    resp.extend(q.i(false, 1, 20, &[(1001, &[0x01]), (1002, &[0x00])]));
    s.exchange(w, &gi, &resp, 5_000)?;
    w.advance_micros(10_000);
    // Single command select (S/E 0x80, ON), confirmation, execute, confirmation.
    let sel = q.i(true, 45, 6, &[(5001, &[0x81])]);
    let sel_con = q.i(false, 45, 7, &[(5001, &[0x81])]);
    s.exchange(w, &sel, &sel_con, 4_000)?;
    w.advance_micros(10_000);
    let exe = q.i(true, 45, 6, &[(5001, &[0x01])]);
    let exe_con = q.i(false, 45, 7, &[(5001, &[0x01])]);
    s.exchange(w, &exe, &exe_con, 4_000)?;
    w.advance_micros(10_000);
    // Double command ON (2), refused: P/N set on the confirmation (cause 7 | 0x40).
    let dc = q.i(true, 46, 6, &[(5002, &[0x02])]);
    let dc_neg = q.i(false, 46, 0x47, &[(5002, &[0x02])]);
    s.exchange(w, &dc, &dc_neg, 4_000)?;
    w.advance_micros(10_000);
    // Float set-point 12.5 (C_SE_NC_1), execute; scaled set-point with time (C_SE_TB_1).
    let mut f = 12.5f32.to_le_bytes().to_vec();
    f.push(0x00);
    let sp = q.i(true, 50, 6, &[(6001, &f)]);
    let sp_con = q.i(false, 50, 7, &[(6001, &f)]);
    s.exchange(w, &sp, &sp_con, 4_000)?;
    w.advance_micros(10_000);
    let mut sc = (-300i16).to_le_bytes().to_vec();
    sc.push(0x00);
    sc.extend_from_slice(&TIME);
    let sp2 = q.i(true, 62, 6, &[(6002, &sc)]);
    // This one is split across two segments.
    s.send(w, true, &sp2[..9])?;
    w.advance_micros(500);
    s.send(w, true, &sp2[9..])?;
    w.advance_micros(3_000);
    let sp2_con = q.i(false, 62, 7, &[(6002, &sc)]);
    s.send(w, false, &sp2_con)?;
    w.advance_micros(10_000);
    // Clock synchronisation, reset process (QRP 1), parameter activation (QPA 3).
    let cs = q.i(true, 103, 6, &[(0, &TIME)]);
    let cs_con = q.i(false, 103, 7, &[(0, &TIME)]);
    s.exchange(w, &cs, &cs_con, 4_000)?;
    w.advance_micros(10_000);
    let rp = q.i(true, 105, 6, &[(0, &[1])]);
    let rp_con = q.i(false, 105, 7, &[(0, &[1])]);
    s.exchange(w, &rp, &rp_con, 4_000)?;
    w.advance_micros(10_000);
    let pa = q.i(true, 113, 6, &[(7001, &[3])]);
    let pa_con = q.i(false, 113, 7, &[(7001, &[3])]);
    s.exchange(w, &pa, &pa_con, 4_000)?;
    w.advance_micros(10_000);
    // File transfer: select file 3 (F_SC_NA_1, SCQ 1) with cause 13.
    let fsel = q.i(true, 122, 13, &[(8001, &[0x03, 0x00, 0x00, 0x01])]);
    s.send(w, true, &fsel)?;
    w.advance_micros(10_000);
    // A send sequence gap: the RTU skips N(S) by 5.
    q.rtu = q.rtu.wrapping_add(5);
    let spont = q.i(false, 13, 3, &[(9001, &[0, 0, 0x20, 0x41, 0x00])]);
    s.send(w, false, &spont)?;
    w.advance_micros(10_000);
    // An S frame acknowledging 100 frames the RTU never sent.
    let ack = apci::encode(
        Control::S {
            recv: q.rtu.wrapping_add(100),
        },
        &[],
    );
    s.send(w, true, &ack)?;
    w.advance_micros(10_000);
    s.exchange(w, &u(apci::u::TESTFR_ACT), &u(apci::u::TESTFR_CON), 2_000)?;
    w.advance_micros(10_000);
    s.close(w)
}
