//! Codes and flags: function codes, their names and classes, exception codes, and the
//! closed set of anomaly reasons (Modbus Application Protocol Specification V1.1b3,
//! section 5 "Function Code Categories", 6 "Function codes descriptions", 7 "Exception
//! responses").

use super::event::FunctionClass;

/// Function codes of the public specification (V1.1b3, section 5.1, table "Public
/// Function Code Definition"). Raw codes are kept as `u8`: an unknown code is data.
pub mod fc {
    pub const READ_COILS: u8 = 1;
    pub const READ_DISCRETE_INPUTS: u8 = 2;
    pub const READ_HOLDING_REGISTERS: u8 = 3;
    pub const READ_INPUT_REGISTERS: u8 = 4;
    pub const WRITE_SINGLE_COIL: u8 = 5;
    pub const WRITE_SINGLE_REGISTER: u8 = 6;
    pub const READ_EXCEPTION_STATUS: u8 = 7;
    pub const DIAGNOSTICS: u8 = 8;
    pub const GET_COMM_EVENT_COUNTER: u8 = 11;
    pub const GET_COMM_EVENT_LOG: u8 = 12;
    pub const WRITE_MULTIPLE_COILS: u8 = 15;
    pub const WRITE_MULTIPLE_REGISTERS: u8 = 16;
    pub const REPORT_SERVER_ID: u8 = 17;
    pub const READ_FILE_RECORD: u8 = 20;
    pub const WRITE_FILE_RECORD: u8 = 21;
    pub const MASK_WRITE_REGISTER: u8 = 22;
    pub const READ_WRITE_MULTIPLE_REGISTERS: u8 = 23;
    pub const READ_FIFO_QUEUE: u8 = 24;
    pub const ENCAPSULATED_INTERFACE: u8 = 43;
    /// Schneider Electric UMAS (Unity programming), seen in the field on port 502.
    pub const SCHNEIDER_UMAS: u8 = 90;
    /// The exception bit of a response function code (section 7).
    pub const EXCEPTION_BIT: u8 = 0x80;
}

/// MEI types carried by function 43 (section 6.19-6.21).
pub mod mei {
    pub const CANOPEN_GENERAL_REFERENCE: u8 = 13;
    pub const READ_DEVICE_IDENTIFICATION: u8 = 14;
}

/// User-defined function code ranges (section 5.1: 65-72 and 100-110).
pub const USER_DEFINED_RANGES: [std::ops::RangeInclusive<u8>; 2] = [65..=72, 100..=110];

/// The policy class of a function code (exception bit cleared).
pub fn classify(function: u8) -> FunctionClass {
    match function {
        fc::READ_COILS
        | fc::READ_DISCRETE_INPUTS
        | fc::READ_HOLDING_REGISTERS
        | fc::READ_INPUT_REGISTERS
        | fc::READ_FILE_RECORD
        | fc::READ_FIFO_QUEUE => FunctionClass::Read,
        fc::WRITE_SINGLE_COIL
        | fc::WRITE_SINGLE_REGISTER
        | fc::WRITE_MULTIPLE_COILS
        | fc::WRITE_MULTIPLE_REGISTERS
        | fc::WRITE_FILE_RECORD
        | fc::MASK_WRITE_REGISTER
        | fc::READ_WRITE_MULTIPLE_REGISTERS => FunctionClass::Write,
        // Section 5.1 lists 7, 8, 11, 12 and 17 under "Diagnostics".
        fc::READ_EXCEPTION_STATUS
        | fc::DIAGNOSTICS
        | fc::GET_COMM_EVENT_COUNTER
        | fc::GET_COMM_EVENT_LOG
        | fc::REPORT_SERVER_ID => FunctionClass::Diagnostic,
        fc::ENCAPSULATED_INTERFACE => FunctionClass::Encapsulated,
        fc::SCHNEIDER_UMAS => FunctionClass::Vendor,
        f if USER_DEFINED_RANGES.iter().any(|r| r.contains(&f)) => FunctionClass::UserDefined,
        _ => FunctionClass::Unknown,
    }
}

/// snake_case name of a function code (exception bit cleared); for 43 the MEI type
/// picks the name when known.
pub fn function_name(function: u8, mei_type: Option<u16>) -> &'static str {
    match function {
        fc::READ_COILS => "read_coils",
        fc::READ_DISCRETE_INPUTS => "read_discrete_inputs",
        fc::READ_HOLDING_REGISTERS => "read_holding_registers",
        fc::READ_INPUT_REGISTERS => "read_input_registers",
        fc::WRITE_SINGLE_COIL => "write_single_coil",
        fc::WRITE_SINGLE_REGISTER => "write_single_register",
        fc::READ_EXCEPTION_STATUS => "read_exception_status",
        fc::DIAGNOSTICS => "diagnostics",
        fc::GET_COMM_EVENT_COUNTER => "get_comm_event_counter",
        fc::GET_COMM_EVENT_LOG => "get_comm_event_log",
        fc::WRITE_MULTIPLE_COILS => "write_multiple_coils",
        fc::WRITE_MULTIPLE_REGISTERS => "write_multiple_registers",
        fc::REPORT_SERVER_ID => "report_server_id",
        fc::READ_FILE_RECORD => "read_file_record",
        fc::WRITE_FILE_RECORD => "write_file_record",
        fc::MASK_WRITE_REGISTER => "mask_write_register",
        fc::READ_WRITE_MULTIPLE_REGISTERS => "read_write_multiple_registers",
        fc::READ_FIFO_QUEUE => "read_fifo_queue",
        fc::ENCAPSULATED_INTERFACE => match mei_type {
            Some(t) if t == u16::from(mei::CANOPEN_GENERAL_REFERENCE) => {
                "canopen_general_reference"
            }
            Some(t) if t == u16::from(mei::READ_DEVICE_IDENTIFICATION) => {
                "read_device_identification"
            }
            _ => "encapsulated_interface_transport",
        },
        fc::SCHNEIDER_UMAS => "schneider_umas",
        f if USER_DEFINED_RANGES.iter().any(|r| r.contains(&f)) => "user_defined",
        _ => "unknown",
    }
}

/// Sub-function names of Diagnostics (08), section 6.8.1.
pub fn diagnostic_name(sub: u16) -> &'static str {
    match sub {
        0x00 => "return_query_data",
        0x01 => "restart_communications_option",
        0x02 => "return_diagnostic_register",
        0x03 => "change_ascii_input_delimiter",
        0x04 => "force_listen_only_mode",
        0x0A => "clear_counters_and_diagnostic_register",
        0x0B => "return_bus_message_count",
        0x0C => "return_bus_communication_error_count",
        0x0D => "return_bus_exception_error_count",
        0x0E => "return_server_message_count",
        0x0F => "return_server_no_response_count",
        0x10 => "return_server_nak_count",
        0x11 => "return_server_busy_count",
        0x12 => "return_bus_character_overrun_count",
        0x14 => "clear_overrun_counter_and_flag",
        _ => "reserved",
    }
}

/// Exception codes (section 7). Others are kept raw and flagged.
pub fn exception_name(code: u8) -> &'static str {
    match code {
        1 => "illegal_function",
        2 => "illegal_data_address",
        3 => "illegal_data_value",
        4 => "server_device_failure",
        5 => "acknowledge",
        6 => "server_device_busy",
        8 => "memory_parity_error",
        0x0A => "gateway_path_unavailable",
        0x0B => "gateway_target_device_failed_to_respond",
        _ => "unknown",
    }
}

/// Why a unit was malformed: the `reason` of a `parse_error` event. A closed set: it
/// labels a metric.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Anomaly {
    /// MBAP protocol identifier was not 0 (Messaging Implementation Guide 3.1.3).
    ProtocolIdNotZero,
    /// MBAP length outside 2..=254 (unit id + PDU of at most 253 bytes, section 4.1).
    LengthOutOfRange,
    /// A byte count disagrees with the quantity or with the bytes present.
    ByteCountMismatch,
    /// A quantity outside the range the function allows.
    QuantityOutOfRange,
    /// The PDU ends before the function's fixed fields.
    TruncatedPdu,
    /// Bytes left over after the function's fields.
    TrailingBytes,
    /// A field value the specification forbids (e.g. a coil value other than
    /// 0x0000/0xFF00, section 6.5).
    InvalidValue,
    /// An exception code outside section 7's list.
    InvalidExceptionCode,
    /// A response whose function does not match the request with its transaction id.
    UnexpectedResponse,
    /// A response in the client-to-server direction, or an exception bit on a request.
    WrongDirection,
}

impl Anomaly {
    pub const ALL: [Anomaly; 10] = [
        Anomaly::ProtocolIdNotZero,
        Anomaly::LengthOutOfRange,
        Anomaly::ByteCountMismatch,
        Anomaly::QuantityOutOfRange,
        Anomaly::TruncatedPdu,
        Anomaly::TrailingBytes,
        Anomaly::InvalidValue,
        Anomaly::InvalidExceptionCode,
        Anomaly::UnexpectedResponse,
        Anomaly::WrongDirection,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Anomaly::ProtocolIdNotZero => "protocol_id_not_zero",
            Anomaly::LengthOutOfRange => "length_out_of_range",
            Anomaly::ByteCountMismatch => "byte_count_mismatch",
            Anomaly::QuantityOutOfRange => "quantity_out_of_range",
            Anomaly::TruncatedPdu => "truncated_pdu",
            Anomaly::TrailingBytes => "trailing_bytes",
            Anomaly::InvalidValue => "invalid_value",
            Anomaly::InvalidExceptionCode => "invalid_exception_code",
            Anomaly::UnexpectedResponse => "unexpected_response",
            Anomaly::WrongDirection => "wrong_direction",
        }
    }

    /// Every anomaly's name: the closed set of `mizuban_modbus_parse_errors_total`'s label.
    // Evaluated by the compiler: an index out of range is a build error, not a panic.
    #[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
    pub const NAMES: [&'static str; 10] = {
        let mut names = [""; 10];
        let mut i = 0;
        while i < names.len() {
            names[i] = Anomaly::ALL[i].as_str();
            i += 1;
        }
        names
    };

    /// Index into per-reason counter arrays.
    pub fn index(self) -> usize {
        match self {
            Anomaly::ProtocolIdNotZero => 0,
            Anomaly::LengthOutOfRange => 1,
            Anomaly::ByteCountMismatch => 2,
            Anomaly::QuantityOutOfRange => 3,
            Anomaly::TruncatedPdu => 4,
            Anomaly::TrailingBytes => 5,
            Anomaly::InvalidValue => 6,
            Anomaly::InvalidExceptionCode => 7,
            Anomaly::UnexpectedResponse => 8,
            Anomaly::WrongDirection => 9,
        }
    }
}

impl std::fmt::Display for Anomaly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
