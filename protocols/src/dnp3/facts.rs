//! What a DNP3 fragment tells detection, protocol-neutrally (see [`crate::facts`]).
//!
//! A request fragment (master to outstation) is one operation; responses carry the
//! outstation's identity (group 0 device attributes) and both ends' link addresses.

use super::control;
use super::event::Fragment;
use super::types::fc;
use crate::event::{AppProtocol, FlowTuple};
use crate::facts::{
    DeviceIdentity, IcsEvent, IcsFacts, IcsOperation, OperationClass, StationAddress,
    sender_receiver,
};

fn class(f: &Fragment) -> OperationClass {
    match control::action(f) {
        Some(a) => OperationClass::of_action(a),
        None if f.function == fc::READ => OperationClass::Read,
        None => OperationClass::Other,
    }
}

/// Group 0 device attributes (IEEE 1815-2012 table 11-1 variations).
fn identity(f: &Fragment) -> DeviceIdentity {
    let mut id = DeviceIdentity {
        protocol: Some(AppProtocol::Dnp3),
        ..DeviceIdentity::default()
    };
    for at in &f.decoded.attributes {
        let Some(text) = at.text.as_deref() else {
            continue;
        };
        // The inventory keeps 64 bytes of any self-reported text.
        let text = crate::common::capped(text.as_bytes(), 64);
        match at.variation {
            252 => id.vendor = Some(text),
            250 => id.model = Some(text),
            242 => id.firmware = Some(text),
            248 => id.serial = Some(text),
            243 => id.extra.push(("hardware".to_owned(), text)),
            247 => id.extra.push(("device_name".to_owned(), text)),
            _ => {}
        }
    }
    id
}

impl IcsEvent for Fragment {
    fn ics_facts(&self, flow: &FlowTuple, frame: u64) -> IcsFacts {
        let (sender, receiver) = sender_receiver(flow, self.from_client);
        let request = !self.is_response() && self.function != fc::CONFIRM;
        let operation = request.then(|| IcsOperation {
            protocol: AppProtocol::Dnp3,
            client: sender,
            server: receiver,
            unit: Some(u32::from(self.link_dst)),
            function: u16::from(self.function),
            function_name: self.function_name,
            class: class(self),
            request_frame: Some(frame),
            answered: self.response_frame.is_some(),
        });
        let identity = Some(identity(self))
            .filter(|id| self.is_response() && !id.is_empty())
            .map(|id| (sender.ip(), id));
        IcsFacts {
            operation,
            identity,
            addresses: vec![StationAddress {
                host: sender.ip(),
                kind: "dnp3_link",
                value: u32::from(self.link_src),
            }],
        }
    }
}
