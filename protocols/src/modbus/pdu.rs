//! Content: decode a framed PDU (function code + data) into a borrowed [`Message`].
//!
//! Section numbers are those of the Modbus Application Protocol Specification V1.1b3.
//! Anomalies inside a PDU are flags on the message, never errors: the function code,
//! address and quantity that could be read are kept.

use super::event::{DeviceIdentity, WrittenValues};
use super::types::{Anomaly, fc, mei};

/// Quantity bounds (section 6.1-6.17).
pub const MAX_READ_BITS: u16 = 2000;
pub const MAX_READ_REGISTERS: u16 = 125;
pub const MAX_WRITE_BITS: u16 = 1968;
pub const MAX_WRITE_REGISTERS: u16 = 123;
pub const MAX_RW_WRITE_REGISTERS: u16 = 121;
/// Read FIFO Queue: at most 31 registers (section 6.18).
pub const MAX_FIFO_COUNT: u16 = 31;
/// Read File Record request byte count bounds (section 6.14).
pub const FILE_RECORD_SUBREQ_LEN: usize = 7;
/// Text kept per device identification object (bytes, before UTF-8 decoding).
pub const MAX_OBJECT_TEXT: usize = 64;
/// Coil ON value of Write Single Coil (section 6.5).
pub const COIL_ON: u16 = 0xFF00;

/// Values carried by a request or response, borrowed.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Data<'a> {
    #[default]
    None,
    /// Packed coil states, LSB first (section 6.11), `count` of them.
    Coils { bits: &'a [u8], count: u16 },
    /// Big-endian 16-bit registers.
    Registers(&'a [u8]),
    /// One or two inline values (5, 6: the value; 22: and-mask, or-mask).
    Values { values: [u16; 2], len: u8 },
    /// Read Device Identification objects: `count` (id, len, value) triples.
    DeviceId { objects: &'a [u8], count: u8 },
}

/// One decoded PDU.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Message<'a> {
    /// Function code with the exception bit cleared.
    pub function: u8,
    pub exception: Option<u8>,
    /// Diagnostics sub-function (8) or MEI type (43).
    pub subfunction: Option<u16>,
    /// Starting address (for 23: the read address).
    pub address: Option<u16>,
    /// Quantity of coils or registers (for 23: the read quantity; 24 response: FIFO
    /// count).
    pub quantity: Option<u16>,
    /// Write starting address of Read/Write Multiple Registers (23).
    pub write_address: Option<u16>,
    /// Write quantity of Read/Write Multiple Registers (23).
    pub write_quantity: Option<u16>,
    pub data: Data<'a>,
    /// Status of a UMAS (function 90) response, see [`super::umas::response_status`].
    pub umas_status: Option<Result<(), Option<u8>>>,
    /// First anomaly found, if any.
    pub anomaly: Option<Anomaly>,
}

/// A bounds-checked reader over a PDU's data.
struct Rd<'a> {
    b: &'a [u8],
}

impl<'a> Rd<'a> {
    fn u8(&mut self) -> Option<u8> {
        let (&v, rest) = self.b.split_first()?;
        self.b = rest;
        Some(v)
    }
    fn u16(&mut self) -> Option<u16> {
        let (h, rest) = self.b.split_at_checked(2)?;
        self.b = rest;
        Some(u16::from_be_bytes(h.try_into().ok()?))
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (h, rest) = self.b.split_at_checked(n)?;
        self.b = rest;
        Some(h)
    }
    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.b)
    }
    fn len(&self) -> usize {
        self.b.len()
    }
}

impl<'a> Message<'a> {
    fn flag(&mut self, a: Anomaly) {
        if self.anomaly.is_none() {
            self.anomaly = Some(a);
        }
    }
    fn check_quantity(&mut self, q: u16, max: u16) {
        if q == 0 || q > max {
            self.flag(Anomaly::QuantityOutOfRange);
        }
    }
    fn check_end(&mut self, r: &Rd<'_>) {
        if r.len() != 0 {
            self.flag(Anomaly::TrailingBytes);
        }
    }
    /// Byte count `bc` must equal the bytes left; returns the counted bytes (or what
    /// there is).
    fn counted(&mut self, r: &mut Rd<'a>, bc: usize) -> &'a [u8] {
        if r.len() < bc {
            self.flag(Anomaly::ByteCountMismatch);
            r.rest()
        } else {
            let v = r.take(bc).unwrap_or_default();
            self.check_end(r);
            v
        }
    }
}

/// Bytes needed for `n` packed bits.
pub fn bit_bytes(n: u16) -> usize {
    usize::from(n).div_ceil(8)
}

/// The request or response the request context knows about, to check response byte
/// counts against the request's quantity.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestInfo {
    pub function: u8,
    pub quantity: Option<u16>,
}

/// Decodes a request PDU (client to server). `pdu` holds at least the function code
/// (guaranteed by framing); an empty one decodes as function 0, truncated.
pub fn decode_request(pdu: &[u8]) -> Message<'_> {
    let mut m = Message::default();
    let Some((&byte, data)) = pdu.split_first() else {
        m.flag(Anomaly::TruncatedPdu);
        return m;
    };
    m.function = byte & !fc::EXCEPTION_BIT;
    if byte & fc::EXCEPTION_BIT != 0 {
        m.flag(Anomaly::WrongDirection);
        return m;
    }
    let mut r = Rd { b: data };
    if decode_request_fields(&mut m, &mut r).is_none() {
        m.flag(Anomaly::TruncatedPdu);
    }
    m
}

/// Field layouts of requests (section 6):
///
/// | fc     | fields                                                                |
/// |--------|-----------------------------------------------------------------------|
/// | 1-4    | address u16, quantity u16                                             |
/// | 5, 6   | address u16, value u16                                                |
/// | 7,11,12,17 | nothing                                                           |
/// | 8      | sub-function u16, data                                                |
/// | 15, 16 | address u16, quantity u16, byte count u8, values                      |
/// | 20     | byte count u8, sub-requests of 7 bytes                                |
/// | 21     | byte count u8, sub-requests                                           |
/// | 22     | address u16, and-mask u16, or-mask u16                                |
/// | 23     | read address, read quantity, write address, write quantity (u16 each), byte count u8, values |
/// | 24     | FIFO pointer address u16                                              |
/// | 43     | MEI type u8; 14: read device id code u8, object id u8                 |
fn decode_request_fields<'a>(m: &mut Message<'a>, r: &mut Rd<'a>) -> Option<()> {
    match m.function {
        fc::READ_COILS | fc::READ_DISCRETE_INPUTS => {
            m.address = Some(r.u16()?);
            let q = r.u16()?;
            m.quantity = Some(q);
            m.check_quantity(q, MAX_READ_BITS);
            m.check_end(r);
        }
        fc::READ_HOLDING_REGISTERS | fc::READ_INPUT_REGISTERS => {
            m.address = Some(r.u16()?);
            let q = r.u16()?;
            m.quantity = Some(q);
            m.check_quantity(q, MAX_READ_REGISTERS);
            m.check_end(r);
        }
        fc::WRITE_SINGLE_COIL => {
            m.address = Some(r.u16()?);
            m.quantity = Some(1);
            let v = r.u16()?;
            if v != 0 && v != COIL_ON {
                m.flag(Anomaly::InvalidValue);
            }
            m.data = Data::Values {
                values: [u16::from(v == COIL_ON), 0],
                len: 1,
            };
            m.check_end(r);
        }
        fc::WRITE_SINGLE_REGISTER => {
            m.address = Some(r.u16()?);
            m.quantity = Some(1);
            let v = r.u16()?;
            m.data = Data::Values {
                values: [v, 0],
                len: 1,
            };
            m.check_end(r);
        }
        fc::READ_EXCEPTION_STATUS
        | fc::GET_COMM_EVENT_COUNTER
        | fc::GET_COMM_EVENT_LOG
        | fc::REPORT_SERVER_ID => m.check_end(r),
        fc::DIAGNOSTICS => {
            m.subfunction = Some(r.u16()?);
        }
        fc::WRITE_MULTIPLE_COILS => {
            m.address = Some(r.u16()?);
            let q = r.u16()?;
            m.quantity = Some(q);
            let bc = usize::from(r.u8()?);
            m.check_quantity(q, MAX_WRITE_BITS);
            if bc != bit_bytes(q) {
                m.flag(Anomaly::ByteCountMismatch);
            }
            let bits = m.counted(r, bc);
            m.data = Data::Coils { bits, count: q };
        }
        fc::WRITE_MULTIPLE_REGISTERS => {
            m.address = Some(r.u16()?);
            let q = r.u16()?;
            m.quantity = Some(q);
            let bc = usize::from(r.u8()?);
            m.check_quantity(q, MAX_WRITE_REGISTERS);
            if bc != usize::from(q).saturating_mul(2) {
                m.flag(Anomaly::ByteCountMismatch);
            }
            m.data = Data::Registers(m.counted(r, bc));
        }
        fc::READ_FILE_RECORD => {
            let bc = usize::from(r.u8()?);
            if bc % FILE_RECORD_SUBREQ_LEN != 0 || bc == 0 {
                m.flag(Anomaly::ByteCountMismatch);
            }
            m.counted(r, bc);
        }
        fc::WRITE_FILE_RECORD => {
            let bc = usize::from(r.u8()?);
            m.counted(r, bc);
        }
        fc::MASK_WRITE_REGISTER => {
            m.address = Some(r.u16()?);
            m.quantity = Some(1);
            let and = r.u16()?;
            let or = r.u16()?;
            m.data = Data::Values {
                values: [and, or],
                len: 2,
            };
            m.check_end(r);
        }
        fc::READ_WRITE_MULTIPLE_REGISTERS => {
            m.address = Some(r.u16()?);
            let rq = r.u16()?;
            m.quantity = Some(rq);
            m.write_address = Some(r.u16()?);
            let wq = r.u16()?;
            m.write_quantity = Some(wq);
            let bc = usize::from(r.u8()?);
            m.check_quantity(rq, MAX_READ_REGISTERS);
            m.check_quantity(wq, MAX_RW_WRITE_REGISTERS);
            if bc != usize::from(wq).saturating_mul(2) {
                m.flag(Anomaly::ByteCountMismatch);
            }
            m.data = Data::Registers(m.counted(r, bc));
        }
        fc::READ_FIFO_QUEUE => {
            m.address = Some(r.u16()?);
            m.check_end(r);
        }
        fc::ENCAPSULATED_INTERFACE => {
            let t = r.u8()?;
            m.subfunction = Some(u16::from(t));
            if t == mei::READ_DEVICE_IDENTIFICATION {
                r.u8()?; // read device id code
                r.u8()?; // object id
                m.check_end(r);
            }
        }
        // UMAS: session byte then the UMAS code, kept as the sub-function.
        fc::SCHNEIDER_UMAS => {
            if let Some((_, code)) = super::umas::request(r.rest()) {
                m.subfunction = Some(u16::from(code));
            }
        }
        // User-defined and unknown codes: no public layout to check.
        _ => {}
    }
    Some(())
}

/// Decodes a response PDU (server to client). `req` is the matched request, if any.
pub fn decode_response(pdu: &[u8], req: Option<RequestInfo>) -> Message<'_> {
    let mut m = Message::default();
    let Some((&byte, data)) = pdu.split_first() else {
        m.flag(Anomaly::TruncatedPdu);
        return m;
    };
    m.function = byte & !fc::EXCEPTION_BIT;
    let mut r = Rd { b: data };
    if byte & fc::EXCEPTION_BIT != 0 {
        // Section 7: function | 0x80, one exception code byte.
        match r.u8() {
            Some(code) => {
                m.exception = Some(code);
                if !matches!(code, 1..=6 | 8 | 0x0A | 0x0B) {
                    m.flag(Anomaly::InvalidExceptionCode);
                }
                m.check_end(&r);
            }
            None => m.flag(Anomaly::TruncatedPdu),
        }
        return m;
    }
    let req_q = req
        .filter(|q| q.function == m.function)
        .and_then(|q| q.quantity);
    if decode_response_fields(&mut m, &mut r, req_q).is_none() {
        m.flag(Anomaly::TruncatedPdu);
    }
    m
}

/// Field layouts of normal responses (section 6):
///
/// | fc       | fields                                                           |
/// |----------|------------------------------------------------------------------|
/// | 1, 2     | byte count u8 (= ceil(quantity / 8)), coil status                |
/// | 3, 4, 23 | byte count u8 (= 2 x quantity), registers                        |
/// | 5, 6     | echo: address u16, value u16                                     |
/// | 7        | output data u8                                                   |
/// | 8        | sub-function u16, data                                           |
/// | 11       | status u16, event count u16                                      |
/// | 12, 17, 20 | byte count u8, data                                            |
/// | 15, 16   | address u16, quantity u16                                        |
/// | 21       | byte count u8, echo of the request                               |
/// | 22       | echo: address u16, and-mask u16, or-mask u16                     |
/// | 24       | byte count u16, FIFO count u16, registers                        |
/// | 43/14    | MEI u8, code u8, conformity u8, more u8, next id u8, count u8, objects |
fn decode_response_fields<'a>(
    m: &mut Message<'a>,
    r: &mut Rd<'a>,
    req_q: Option<u16>,
) -> Option<()> {
    match m.function {
        fc::READ_COILS | fc::READ_DISCRETE_INPUTS => {
            let bc = usize::from(r.u8()?);
            if req_q.is_some_and(|q| bit_bytes(q) != bc) {
                m.flag(Anomaly::ByteCountMismatch);
            }
            let bits = m.counted(r, bc);
            if let Some(q) = req_q {
                m.data = Data::Coils { bits, count: q };
            }
        }
        fc::READ_HOLDING_REGISTERS
        | fc::READ_INPUT_REGISTERS
        | fc::READ_WRITE_MULTIPLE_REGISTERS => {
            let bc = usize::from(r.u8()?);
            if bc % 2 != 0 || req_q.is_some_and(|q| usize::from(q).saturating_mul(2) != bc) {
                m.flag(Anomaly::ByteCountMismatch);
            }
            m.data = Data::Registers(m.counted(r, bc));
        }
        fc::WRITE_SINGLE_COIL | fc::WRITE_SINGLE_REGISTER => {
            m.address = Some(r.u16()?);
            m.quantity = Some(1);
            let v = r.u16()?;
            if m.function == fc::WRITE_SINGLE_COIL && v != 0 && v != COIL_ON {
                m.flag(Anomaly::InvalidValue);
            }
            m.check_end(r);
        }
        fc::READ_EXCEPTION_STATUS => {
            r.u8()?;
            m.check_end(r);
        }
        fc::DIAGNOSTICS => {
            m.subfunction = Some(r.u16()?);
        }
        fc::GET_COMM_EVENT_COUNTER => {
            r.u16()?;
            r.u16()?;
            m.check_end(r);
        }
        fc::GET_COMM_EVENT_LOG
        | fc::REPORT_SERVER_ID
        | fc::READ_FILE_RECORD
        | fc::WRITE_FILE_RECORD => {
            let bc = usize::from(r.u8()?);
            m.counted(r, bc);
        }
        fc::WRITE_MULTIPLE_COILS | fc::WRITE_MULTIPLE_REGISTERS => {
            m.address = Some(r.u16()?);
            m.quantity = Some(r.u16()?);
            m.check_end(r);
        }
        fc::MASK_WRITE_REGISTER => {
            m.address = Some(r.u16()?);
            m.quantity = Some(1);
            r.u16()?;
            r.u16()?;
            m.check_end(r);
        }
        fc::READ_FIFO_QUEUE => {
            let bc = usize::from(r.u16()?);
            let count = r.u16()?;
            m.quantity = Some(count);
            if count > MAX_FIFO_COUNT {
                m.flag(Anomaly::QuantityOutOfRange);
            }
            // The byte count covers the FIFO count field and the registers.
            if bc != usize::from(count).saturating_mul(2).saturating_add(2) {
                m.flag(Anomaly::ByteCountMismatch);
            }
            m.data = Data::Registers(m.counted(r, bc.saturating_sub(2)));
        }
        fc::ENCAPSULATED_INTERFACE => {
            let t = r.u8()?;
            m.subfunction = Some(u16::from(t));
            if t == mei::READ_DEVICE_IDENTIFICATION {
                r.u8()?; // read device id code
                r.u8()?; // conformity level
                r.u8()?; // more follows
                r.u8()?; // next object id
                let count = r.u8()?;
                let objects = r.rest();
                let mut w = Rd { b: objects };
                for _ in 0..count {
                    w.u8()?;
                    let len = usize::from(w.u8()?);
                    w.take(len)?;
                }
                m.check_end(&w);
                m.data = Data::DeviceId { objects, count };
            }
        }
        fc::SCHNEIDER_UMAS => m.umas_status = super::umas::response_status(r.rest()),
        _ => {}
    }
    Some(())
}

/// The values a write request carries, capped at [`WrittenValues::MAX`].
pub fn written_values(m: &Message<'_>) -> Option<WrittenValues> {
    if super::types::classify(m.function) != super::event::FunctionClass::Write {
        return None;
    }
    let mut values = Vec::new();
    let total: u32;
    match m.data {
        Data::Values { values: v, len } => {
            total = u32::from(len);
            values.extend(v.iter().take(usize::from(len)));
        }
        Data::Coils { bits, count } => {
            total = u32::from(count);
            let n = usize::from(count).min(WrittenValues::MAX);
            for i in 0..n {
                let byte = bits.get(i / 8).copied().unwrap_or(0);
                values.push(u16::from((byte >> (i % 8)) & 1));
            }
        }
        Data::Registers(regs) => {
            // The declared quantity (16) or write quantity (23), even when the byte
            // count disagrees with it (flagged); the registers present otherwise.
            let declared = if m.function == super::types::fc::READ_WRITE_MULTIPLE_REGISTERS {
                m.write_quantity
            } else {
                m.quantity
            };
            total = declared.map_or_else(
                || u32::try_from(regs.len() / 2).unwrap_or(u32::MAX),
                u32::from,
            );
            values.extend(regs.chunks_exact(2).take(WrittenValues::MAX).map(|c| {
                u16::from_be_bytes([
                    c.first().copied().unwrap_or(0),
                    c.get(1).copied().unwrap_or(0),
                ])
            }));
        }
        Data::None | Data::DeviceId { .. } => return None,
    }
    Some(WrittenValues { values, total })
}

/// Device identification objects 0-6 (section 6.21, table "Basic" and "Regular"
/// categories), each capped at [`MAX_OBJECT_TEXT`] bytes.
pub fn device_identity(objects: &[u8], count: u8) -> DeviceIdentity {
    let mut id = DeviceIdentity::default();
    let mut r = Rd { b: objects };
    for _ in 0..count {
        let (Some(obj), Some(len)) = (r.u8(), r.u8()) else {
            break;
        };
        let Some(value) = r.take(usize::from(len)) else {
            break;
        };
        let text = value.get(..MAX_OBJECT_TEXT).unwrap_or(value);
        let slot = match obj {
            0 => &mut id.vendor_name,
            1 => &mut id.product_code,
            2 => &mut id.revision,
            3 => &mut id.vendor_url,
            4 => &mut id.product_name,
            5 => &mut id.model_name,
            6 => &mut id.user_application_name,
            _ => continue,
        };
        *slot = Some(String::from_utf8_lossy(text).into_owned());
    }
    id
}
