//! What an IEC 104 APDU tells detection, protocol-neutrally (see [`crate::facts`]).
//!
//! An I-frame ASDU from the controlling station is one operation; every ASDU names the
//! controlled station's common address.

use super::event::Apdu;
use super::types;
use crate::event::{AppProtocol, FlowTuple};
use crate::facts::{
    IcsEvent, IcsFacts, IcsOperation, OperationClass, StationAddress, sender_receiver,
};

/// The class of a type id sent in the control direction (IEC 60870-5-101 7.2.1.1).
/// Only an activation (or, for files, a file transfer cause) changes state; a
/// deactivation cancels a command, so it is `other`, as control.rs has no action for it.
fn class(type_id: u8, cot: Option<u8>) -> OperationClass {
    let file = (120..=127).contains(&type_id);
    let activates = cot == Some(types::cot::ACTIVATION) || (file && cot == Some(13));
    match type_id {
        // Interrogation, counter interrogation, read; test, delay acquisition.
        100..=102 => OperationClass::Read,
        104 | 106 | 107 => OperationClass::Diagnostic,
        _ if !activates => OperationClass::Other,
        t if types::is_command(t) => OperationClass::Control,
        // Reset process.
        105 => OperationClass::Control,
        // Clock synchronisation, parameters of measured values, file transfer.
        103 | 110..=113 | 120..=127 => OperationClass::Write,
        _ => OperationClass::Other,
    }
}

impl IcsEvent for Apdu {
    fn ics_facts(&self, flow: &FlowTuple, frame: u64) -> IcsFacts {
        let (sender, receiver) = sender_receiver(flow, self.from_client);
        let (controlling, station) = if self.from_controlling {
            (sender, receiver)
        } else {
            (receiver, sender)
        };
        let operation = self
            .type_id
            .filter(|_| self.from_controlling)
            .map(|t| IcsOperation {
                protocol: AppProtocol::Iec104,
                client: controlling,
                server: station,
                unit: self.common_address.map(u32::from),
                function: u16::from(t),
                function_name: types::type_name(t),
                class: class(t, self.cot),
                request_frame: Some(frame),
                // An APDU is not paired here; the station's confirmation is its own APDU.
                answered: false,
            });
        IcsFacts {
            operation,
            identity: None,
            addresses: self
                .common_address
                .map(|ca| StationAddress {
                    host: station.ip(),
                    kind: "iec104_common",
                    value: u32::from(ca),
                })
                .into_iter()
                .collect(),
        }
    }
}
