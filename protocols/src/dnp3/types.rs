//! Codes and flags: application function codes with their names, the internal
//! indications, and the closed set of anomaly reasons (IEEE 1815-2012 section 4.2.2
//! "application layer function codes", table 4-? and section 5.2.2 "IIN").

/// Application layer function codes (section 4.2.2.5). Raw codes are kept as `u8`: an
/// unknown code is data.
pub mod fc {
    pub const CONFIRM: u8 = 0;
    pub const READ: u8 = 1;
    pub const WRITE: u8 = 2;
    pub const SELECT: u8 = 3;
    pub const OPERATE: u8 = 4;
    pub const DIRECT_OPERATE: u8 = 5;
    pub const DIRECT_OPERATE_NR: u8 = 6;
    pub const IMMED_FREEZE: u8 = 7;
    pub const IMMED_FREEZE_NR: u8 = 8;
    pub const FREEZE_CLEAR: u8 = 9;
    pub const FREEZE_CLEAR_NR: u8 = 10;
    pub const FREEZE_AT_TIME: u8 = 11;
    pub const FREEZE_AT_TIME_NR: u8 = 12;
    pub const COLD_RESTART: u8 = 13;
    pub const WARM_RESTART: u8 = 14;
    pub const INITIALIZE_DATA: u8 = 15;
    pub const INITIALIZE_APPL: u8 = 16;
    pub const START_APPL: u8 = 17;
    pub const STOP_APPL: u8 = 18;
    pub const SAVE_CONFIG: u8 = 19;
    pub const ENABLE_UNSOLICITED: u8 = 20;
    pub const DISABLE_UNSOLICITED: u8 = 21;
    pub const ASSIGN_CLASS: u8 = 22;
    pub const DELAY_MEASURE: u8 = 23;
    pub const RECORD_CURRENT_TIME: u8 = 24;
    pub const OPEN_FILE: u8 = 25;
    pub const CLOSE_FILE: u8 = 26;
    pub const DELETE_FILE: u8 = 27;
    pub const GET_FILE_INFO: u8 = 28;
    pub const AUTHENTICATE_FILE: u8 = 29;
    pub const ABORT_FILE: u8 = 30;
    pub const ACTIVATE_CONFIG: u8 = 31;
    pub const AUTHENTICATE_REQ: u8 = 32;
    pub const AUTH_REQ_NO_ACK: u8 = 33;
    pub const RESPONSE: u8 = 129;
    pub const UNSOLICITED_RESPONSE: u8 = 130;
    pub const AUTHENTICATE_RESP: u8 = 131;
}

/// snake_case name of a function code.
pub fn function_name(function: u8) -> &'static str {
    match function {
        fc::CONFIRM => "confirm",
        fc::READ => "read",
        fc::WRITE => "write",
        fc::SELECT => "select",
        fc::OPERATE => "operate",
        fc::DIRECT_OPERATE => "direct_operate",
        fc::DIRECT_OPERATE_NR => "direct_operate_nr",
        fc::IMMED_FREEZE => "immediate_freeze",
        fc::IMMED_FREEZE_NR => "immediate_freeze_nr",
        fc::FREEZE_CLEAR => "freeze_and_clear",
        fc::FREEZE_CLEAR_NR => "freeze_and_clear_nr",
        fc::FREEZE_AT_TIME => "freeze_at_time",
        fc::FREEZE_AT_TIME_NR => "freeze_at_time_nr",
        fc::COLD_RESTART => "cold_restart",
        fc::WARM_RESTART => "warm_restart",
        fc::INITIALIZE_DATA => "initialize_data",
        fc::INITIALIZE_APPL => "initialize_application",
        fc::START_APPL => "start_application",
        fc::STOP_APPL => "stop_application",
        fc::SAVE_CONFIG => "save_configuration",
        fc::ENABLE_UNSOLICITED => "enable_unsolicited",
        fc::DISABLE_UNSOLICITED => "disable_unsolicited",
        fc::ASSIGN_CLASS => "assign_class",
        fc::DELAY_MEASURE => "delay_measure",
        fc::RECORD_CURRENT_TIME => "record_current_time",
        fc::OPEN_FILE => "open_file",
        fc::CLOSE_FILE => "close_file",
        fc::DELETE_FILE => "delete_file",
        fc::GET_FILE_INFO => "get_file_info",
        fc::AUTHENTICATE_FILE => "authenticate_file",
        fc::ABORT_FILE => "abort_file",
        fc::ACTIVATE_CONFIG => "activate_config",
        fc::AUTHENTICATE_REQ => "authenticate_request",
        fc::AUTH_REQ_NO_ACK => "authenticate_request_no_ack",
        fc::RESPONSE => "response",
        fc::UNSOLICITED_RESPONSE => "unsolicited_response",
        fc::AUTHENTICATE_RESP => "authenticate_response",
        _ => "unknown",
    }
}

/// A response function (from the outstation): carries internal indications.
pub fn is_response(function: u8) -> bool {
    matches!(
        function,
        fc::RESPONSE | fc::UNSOLICITED_RESPONSE | fc::AUTHENTICATE_RESP
    )
}

/// A request the outstation answers with a solicited response (section 4.2.2.5: the
/// "no response" variants and confirms are never answered).
pub fn expects_response(function: u8) -> bool {
    !matches!(
        function,
        fc::CONFIRM
            | fc::DIRECT_OPERATE_NR
            | fc::IMMED_FREEZE_NR
            | fc::FREEZE_CLEAR_NR
            | fc::FREEZE_AT_TIME_NR
            | fc::AUTH_REQ_NO_ACK
    ) && !is_response(function)
}

/// Requests whose object headers carry no object data, only ranges or index lists
/// (section 4.4: READ and the freezes without time name points, they send no values).
pub fn headers_only(function: u8) -> bool {
    matches!(
        function,
        fc::READ | fc::IMMED_FREEZE | fc::IMMED_FREEZE_NR | fc::FREEZE_CLEAR | fc::FREEZE_CLEAR_NR
    )
}

/// Function codes counted by the per-function metric: 0-33 and the three responses;
/// everything else is counted as "unknown".
pub fn metric_label(function: u8) -> &'static str {
    function_name(function)
}

/// Internal indication bits as tshark numbers them: first octet in the high byte
/// (section 5.2.2: IIN1.0 broadcast ... IIN1.7 device restart, IIN2.0 no function
/// code support ... IIN2.5 configuration corrupt).
pub mod iin {
    pub const DEVICE_RESTART: u16 = 0x8000;
    pub const NO_FUNC_CODE_SUPPORT: u16 = 0x0001;
    pub const OBJECT_UNKNOWN: u16 = 0x0002;
    pub const PARAMETER_ERROR: u16 = 0x0004;
    pub const ALREADY_EXECUTING: u16 = 0x0010;
    /// The IIN2 bits that say a request was refused.
    pub const REFUSED: u16 =
        NO_FUNC_CODE_SUPPORT | OBJECT_UNKNOWN | PARAMETER_ERROR | ALREADY_EXECUTING;
}

/// Why a unit was malformed or lost: the `reason` of a `parse_error` event. A closed
/// set: it labels a metric.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Anomaly {
    /// Link header CRC failed (section 9.2.4.1.6): the frame is skipped.
    HeaderCrc,
    /// A user-data block CRC failed: the frame's data is discarded.
    DataCrc,
    /// Link length field below 5.
    LengthOutOfRange,
    /// Bytes that are not a link frame were skipped to find the next one.
    NotDnp3,
    /// A transport segment with no fragment in progress (no FIR seen).
    TransportNoFirst,
    /// A transport segment out of sequence: the fragment was dropped.
    TransportSequence,
    /// A fragment grew past `max_fragment_len`.
    FragmentTooLong,
    /// A FIR segment restarted a fragment in progress.
    FragmentRestarted,
    /// The fragment ends before the application header (2 octets; 4 on responses).
    TruncatedHeader,
    /// An object header or its data runs past the end of the fragment.
    TruncatedObject,
    /// An object group/variation the object library does not define: the rest of
    /// the fragment cannot be walked.
    UnknownObject,
    /// A reserved qualifier code, or a range whose stop is below its start.
    BadQualifier,
    /// One or two bytes after the last object header.
    TrailingBytes,
    /// A request function code from the outstation side or a response from the master.
    WrongDirection,
    /// A datagram ends inside a link frame.
    TruncatedFrame,
}

impl Anomaly {
    pub const ALL: [Anomaly; 15] = [
        Anomaly::HeaderCrc,
        Anomaly::DataCrc,
        Anomaly::LengthOutOfRange,
        Anomaly::NotDnp3,
        Anomaly::TransportNoFirst,
        Anomaly::TransportSequence,
        Anomaly::FragmentTooLong,
        Anomaly::FragmentRestarted,
        Anomaly::TruncatedHeader,
        Anomaly::TruncatedObject,
        Anomaly::UnknownObject,
        Anomaly::BadQualifier,
        Anomaly::TrailingBytes,
        Anomaly::WrongDirection,
        Anomaly::TruncatedFrame,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Anomaly::HeaderCrc => "header_crc",
            Anomaly::DataCrc => "data_crc",
            Anomaly::LengthOutOfRange => "length_out_of_range",
            Anomaly::NotDnp3 => "not_dnp3",
            Anomaly::TransportNoFirst => "transport_no_first",
            Anomaly::TransportSequence => "transport_sequence",
            Anomaly::FragmentTooLong => "fragment_too_long",
            Anomaly::FragmentRestarted => "fragment_restarted",
            Anomaly::TruncatedHeader => "truncated_header",
            Anomaly::TruncatedObject => "truncated_object",
            Anomaly::UnknownObject => "unknown_object",
            Anomaly::BadQualifier => "bad_qualifier",
            Anomaly::TrailingBytes => "trailing_bytes",
            Anomaly::WrongDirection => "wrong_direction",
            Anomaly::TruncatedFrame => "truncated_frame",
        }
    }
}

impl std::fmt::Display for Anomaly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
