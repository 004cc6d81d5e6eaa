//! Payload probes for industrial protocols, so flows of these protocols are identified
//! on any port. No deep parsing here: each submodule checks one header.
//!
//! | module | header checked | spec |
//! | --- | --- | --- |
//! | `dnp3` | 0x05 0x64, length >= 5, header CRC | IEEE 1815-2012 section 9.2 |
//! | `enip` | 24-byte encapsulation header, known command | CIP Vol. 2 section 2-3 |
//! | `s7comm` | TPKT v3, COTP DT, protocol id 0x32 | RFC 1006, ISO 8073, S7 |
//! | `iec104` | 0x68, APDU length 4..=253, control field | IEC 60870-5-104 section 5 |
//! | `bacnet` | BVLC type 0x81, function, length | ASHRAE 135 Annex J.2 |
//! | `opcua` | HEL/ACK/OPN/MSG/CLO/ERR/RHE + chunk type + size | IEC 62541-6 section 7.1.2 |

pub mod bacnet;
pub mod dnp3;
pub mod enip;
pub mod iec104;
pub mod opcua;
pub mod s7comm;

#[cfg(test)]
mod tests;
