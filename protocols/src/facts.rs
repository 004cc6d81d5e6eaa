//! Protocol-neutral facts that every ICS analyzer reports, so that detection (baseline,
//! inventory, control policy) is written once for all ICS protocols.
//!
//! - [`IcsOperation`]: what one request did (client, server, unit, function, class), set
//!   once by the parser that decoded it; detect never re-derives roles from ports.
//! - [`DeviceIdentity`]: what a device said about itself (vendor, model, firmware, ...).
//! - [`ControlAction`]: a state-changing request (write, operate, program download, PLC
//!   stop, ...), emitted as its own event once its outcome is known or its request timed
//!   out in packet time. Reads, polls and identity requests are never control actions.
//!
//! Each analyzer maps its own function codes onto these types in its module; the table of
//! which function maps to which action is in detect/README.md.

use crate::event::{AppProtocol, Event, EventKind, FlowTuple};
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};

/// What a request does, for policy: classified once by the parser.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationClass {
    Read,
    Write,
    /// Operate, select, mode change, restart: acting on the process or the device.
    Control,
    Diagnostic,
    /// Program or firmware transfer, block insert/delete: changing the device's logic.
    Program,
    /// Identity, vendor, user-defined or unknown functions.
    Other,
}

impl OperationClass {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationClass::Read => "read",
            OperationClass::Write => "write",
            OperationClass::Control => "control",
            OperationClass::Diagnostic => "diagnostic",
            OperationClass::Program => "program",
            OperationClass::Other => "other",
        }
    }

    /// The class of a request whose control action is `a` (one table: the action
    /// mapping of each protocol's control.rs decides both).
    pub fn of_action(a: Action) -> OperationClass {
        match a {
            Action::Write | Action::TimeSet | Action::FileTransfer | Action::ConfigChange => {
                OperationClass::Write
            }
            Action::Operate | Action::Select | Action::ModeChange | Action::Restart => {
                OperationClass::Control
            }
            Action::ProgramDownload | Action::ProgramUpload | Action::FirmwareUpdate => {
                OperationClass::Program
            }
        }
    }

    /// Changes process values, device state or logic.
    pub fn changes_state(self) -> bool {
        matches!(
            self,
            OperationClass::Write | OperationClass::Control | OperationClass::Program
        )
    }
}

/// One ICS request as the parser understood it. `client` sent the request (the master,
/// the controlling station, the engineering station), whatever the flow's orientation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IcsOperation {
    pub protocol: AppProtocol,
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// Unit id, link address, common address or station number, where the protocol has
    /// one.
    pub unit: Option<u32>,
    pub function: u16,
    pub function_name: &'static str,
    pub class: OperationClass,
    /// Frame number of the request, when it was seen.
    pub request_frame: Option<u64>,
    /// The server answered it: proof that the server exists.
    pub answered: bool,
}

/// What a device reported about itself. Text fields are capped by the parser that fills
/// them (64 bytes unless its module says otherwise).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeviceIdentity {
    pub protocol: Option<AppProtocol>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firmware: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Anything else the protocol names (e.g. a Modbus vendor URL, an S7 module name).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<(String, String)>,
}

impl DeviceIdentity {
    pub fn is_empty(&self) -> bool {
        self.vendor.is_none()
            && self.product.is_none()
            && self.model.is_none()
            && self.firmware.is_none()
            && self.serial.is_none()
            && self.extra.is_empty()
    }
}

/// The action classes of the control-action model (issue "Control actions").
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Set a value, register, coil, tag, property or point.
    Write,
    /// Execute a control (DNP3 operate/direct operate, IEC 104 command execute).
    Operate,
    /// The select half of select-before-operate.
    Select,
    ProgramDownload,
    ProgramUpload,
    /// Run/stop/start/halt, disable communication, listen-only mode.
    ModeChange,
    /// Cold/warm restart, reset, reinitialise.
    Restart,
    FirmwareUpdate,
    TimeSet,
    FileTransfer,
    /// Add/delete objects, change parameters.
    ConfigChange,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::Write,
        Action::Operate,
        Action::Select,
        Action::ProgramDownload,
        Action::ProgramUpload,
        Action::ModeChange,
        Action::Restart,
        Action::FirmwareUpdate,
        Action::TimeSet,
        Action::FileTransfer,
        Action::ConfigChange,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Write => "write",
            Action::Operate => "operate",
            Action::Select => "select",
            Action::ProgramDownload => "program_download",
            Action::ProgramUpload => "program_upload",
            Action::ModeChange => "mode_change",
            Action::Restart => "restart",
            Action::FirmwareUpdate => "firmware_update",
            Action::TimeSet => "time_set",
            Action::FileTransfer => "file_transfer",
            Action::ConfigChange => "config_change",
        }
    }
}

/// How a control request ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    /// The device refused: exception, error class/code, negative confirmation.
    Exception,
    /// No response before the request's timeout (packet time) or the end of the flow.
    Unanswered,
}

/// What a control action touched, as far as the protocol says.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Target {
    /// Object, area, block, tag or point type (e.g. `holding_registers`, `DB1`, `g12v1`,
    /// a CIP tag name); capped at 64 bytes by the parser.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u32>,
}

/// One written value.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

/// Written values, capped at [`ControlValues::MAX`] items; `total` is how many the
/// request carried.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ControlValues {
    pub values: Vec<Value>,
    pub total: u32,
}

impl ControlValues {
    pub const MAX: usize = 32;
}

/// A state-changing request and its outcome: the `control_action` event. The envelope's
/// `frame` is the request's frame.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ControlAction {
    pub protocol: AppProtocol,
    pub action: Action,
    pub function: u16,
    pub function_name: &'static str,
    /// Protocol-specific sub-function (Modbus 8 sub-function, UMAS code, PI service).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subfunction: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<u32>,
    pub target: Target,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<ControlValues>,
    pub outcome: Outcome,
    /// Exception or error code when `outcome` is `exception`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_frame: Option<u64>,
    /// A password or key was presented with the request (never stored).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub password_used: bool,
}

/// Most station addresses one event reports (a DNP3 fragment has two, an S7 connection
/// one rack/slot); anything beyond is the parser's bug, not the wire's.
pub const MAX_ADDRESSES: usize = 4;

/// A protocol-level address a device answered to or sent from: DNP3 link address,
/// IEC 104 common address, S7 rack/slot, FINS node, BACnet device instance.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StationAddress {
    pub host: IpAddr,
    /// Closed snake_case name of the address kind (`dnp3_link`, `iec104_common`, ...).
    pub kind: &'static str,
    pub value: u32,
}

/// What one ICS event tells detection, whatever its protocol. The baseline, the
/// inventory and the control policy read only this, so a new analyzer feeds them by
/// implementing [`IcsEvent`] and adding one arm to [`of_event`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IcsFacts {
    /// The request this event carries or answers, classified by its parser.
    pub operation: Option<IcsOperation>,
    /// A device's description of itself, and the address of the device it describes.
    pub identity: Option<(IpAddr, DeviceIdentity)>,
    /// Station addresses seen, at most [`MAX_ADDRESSES`].
    pub addresses: Vec<StationAddress>,
}

/// Implemented, in each ICS protocol's module, by the payload of its event kind.
pub trait IcsEvent {
    /// The facts this event proves; `flow` and `frame` are the event's envelope.
    fn ics_facts(&self, flow: &FlowTuple, frame: u64) -> IcsFacts;
}

/// The ICS facts of an event, or `None` for events that are not an ICS protocol's.
pub fn of_event(ev: &Event) -> Option<IcsFacts> {
    // One arm per ICS event kind.
    let payload: &dyn IcsEvent = match &ev.kind {
        EventKind::Modbus(x) => x,
        EventKind::Dnp3(x) => x,
        EventKind::Iec104(x) => x,
        _ => return None,
    };
    Some(payload.ics_facts(&ev.flow, ev.frame))
}

/// (sender, receiver) of a message the flow's client sent when `from_client`.
pub fn sender_receiver(flow: &FlowTuple, from_client: bool) -> (SocketAddr, SocketAddr) {
    if from_client {
        (flow.client, flow.server)
    } else {
        (flow.server, flow.client)
    }
}

/// (client, server) of a flow for a protocol whose server sits on a registered port:
/// a device answering from that port is the server even when it opened the connection
/// (ITI modbus_test_data_part1.pcap: 10.0.0.8:502 connects out and sends responses).
pub fn ends_by_server_port(flow: &FlowTuple, protocol: AppProtocol) -> (SocketAddr, SocketAddr) {
    match crate::registry::spec(protocol).server_port() {
        Some(port) if flow.client.port() == port && flow.server.port() != port => {
            (flow.server, flow.client)
        }
        _ => (flow.client, flow.server),
    }
}
