//! The owned Modbus event: one per request/response transaction.

use serde::Serialize;

/// What a function does, classified once so policy never needs a code table.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionClass {
    Read,
    Write,
    /// Diagnostics (8), comm event counters/logs (11, 12), report server id (17).
    Diagnostic,
    /// Encapsulated interface (43): device identification, CANopen.
    Encapsulated,
    /// User-defined ranges 65-72 and 100-110.
    UserDefined,
    /// Vendor functions seen in the field, e.g. 90 (Schneider UMAS programming).
    Vendor,
    /// A code with no public meaning.
    Unknown,
}

/// Values written by a write request, capped at [`WrittenValues::MAX`] items; `total`
/// says how many the request declared (its quantity field; 5, 6: 1; 22: 2). 5: the coil (0/1); 6: the register; 15: coil
/// states; 16, 23: registers; 22: and-mask then or-mask.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WrittenValues {
    /// Register values (16-bit) or coil states (0/1).
    pub values: Vec<u16>,
    pub total: u32,
}

impl WrittenValues {
    pub const MAX: usize = 32;
}

/// Read Device Identification (43/14) objects, each capped at 64 bytes of text.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DeviceIdentity {
    pub vendor_name: Option<String>,
    pub product_code: Option<String>,
    pub revision: Option<String>,
    pub vendor_url: Option<String>,
    pub product_name: Option<String>,
    pub model_name: Option<String>,
    pub user_application_name: Option<String>,
}

/// One Modbus transaction: a request paired with its response by transaction id.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Transaction {
    pub request_frame: Option<u64>,
    pub response_frame: Option<u64>,
    pub trans_id: u16,
    pub unit_id: u8,
    /// Function code without the exception bit.
    pub function: u8,
    pub function_name: &'static str,
    pub class: FunctionClass,
    /// Sub-function (8) or MEI type (43).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subfunction: Option<u16>,
    /// Starting address; for 23 the read address (the write address is
    /// `write_address`). From the response's echo when the request was not seen.
    pub address: Option<u16>,
    /// Coils or registers addressed; 1 for the single-item writes 5, 6 and 22; for 23
    /// the read quantity; for 24 the FIFO count of the response.
    pub quantity: Option<u16>,
    /// Write starting address of Read/Write Multiple Registers (23).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_address: Option<u16>,
    pub exception: Option<u8>,
    pub response_time_us: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written: Option<WrittenValues>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_identity: Option<DeviceIdentity>,
}

impl Transaction {
    pub fn is_write(&self) -> bool {
        self.class == FunctionClass::Write
    }
}
