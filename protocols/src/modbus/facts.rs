//! What a Modbus transaction tells detection, protocol-neutrally (see [`crate::facts`]).

use super::control;
use super::event::{FunctionClass, Transaction};
use crate::event::{AppProtocol, FlowTuple};
use crate::facts::{
    DeviceIdentity, IcsEvent, IcsFacts, IcsOperation, OperationClass, ends_by_server_port,
};

/// The policy class of a transaction: its control action's class when it has one (UMAS
/// programming, diagnostics restarts), else the function's own class.
fn class(tx: &Transaction) -> OperationClass {
    if let Some(a) = control::action(tx.function, tx.subfunction) {
        return OperationClass::of_action(a);
    }
    match tx.class {
        FunctionClass::Read => OperationClass::Read,
        FunctionClass::Write => OperationClass::Write,
        FunctionClass::Diagnostic => OperationClass::Diagnostic,
        FunctionClass::Encapsulated
        | FunctionClass::UserDefined
        | FunctionClass::Vendor
        | FunctionClass::Unknown => OperationClass::Other,
    }
}

/// Read Device Identification (43/14) in the neutral shape: the basic objects by
/// meaning, the rest under their Modbus names.
fn identity(id: &super::event::DeviceIdentity) -> DeviceIdentity {
    let mut extra = Vec::new();
    for (name, v) in [
        ("product_code", &id.product_code),
        ("vendor_url", &id.vendor_url),
        ("user_application_name", &id.user_application_name),
    ] {
        if let Some(v) = v {
            extra.push((name.to_owned(), v.clone()));
        }
    }
    DeviceIdentity {
        protocol: Some(AppProtocol::Modbus),
        vendor: id.vendor_name.clone(),
        product: id.product_name.clone(),
        model: id.model_name.clone(),
        firmware: id.revision.clone(),
        serial: None,
        extra,
    }
}

impl IcsEvent for Transaction {
    fn ics_facts(&self, flow: &FlowTuple, _frame: u64) -> IcsFacts {
        let (client, server) = ends_by_server_port(flow, AppProtocol::Modbus);
        let answered = self.response_frame.is_some();
        IcsFacts {
            operation: Some(IcsOperation {
                protocol: AppProtocol::Modbus,
                client,
                server,
                unit: Some(u32::from(self.unit_id)),
                function: u16::from(self.function),
                function_name: self.function_name,
                class: class(self),
                request_frame: self.request_frame,
                answered,
            }),
            identity: self
                .device_identity
                .as_ref()
                .filter(|_| answered)
                .map(|id| (server.ip(), identity(id)))
                .filter(|(_, id)| !id.is_empty()),
            addresses: Vec::new(),
        }
    }
}
