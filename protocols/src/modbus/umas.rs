//! Schneider Electric UMAS, carried in Modbus function 90 (0x5A) to program and operate
//! Modicon PLCs (Unity Pro / EcoStruxure Control Expert).
//!
//! UMAS has no public specification and tshark 4.0 has no dissector. The layout and
//! codes here come from published research:
//! - Luis Rosa (Liras en la red), "The Unity (UMAS) protocol", parts I-IV (2017),
//!   <https://lirasenlared.blogspot.com/2017/08/the-unity-umas-protocol-part-i.html>;
//! - TonyPhipps/tech-notes, `Products/protocol-modbus-umas.md` (function code table
//!   with tshark filters, based on the same series).
//!
//! A request PDU is `0x5A | session (pairing key) | UMAS code | data`; a response is
//! `0x5A | session | 0xFE (ok) or 0xFD (error) | data`.
//!
//! Direction words follow the research, which calls PC -> PLC "upload" (0x30-0x32)
//! and PLC -> PC "download" (0x33-0x35). Our action classes use the ICS convention of
//! the other analyzers (S7comm, IEC 61131 tools): a program written into the controller
//! is a `program_download`, one read out of it a `program_upload`.

use crate::facts::Action;

/// Response status codes (second byte of a function-90 response).
pub const STATUS_OK: u8 = 0xFE;
pub const STATUS_ERROR: u8 = 0xFD;

/// The (session, UMAS code) of a function-90 request's data (after the function byte).
pub fn request(data: &[u8]) -> Option<(u8, u8)> {
    match data {
        [session, code, ..] => Some((*session, *code)),
        _ => None,
    }
}

/// snake_case name of a UMAS code (Rosa part I table; TonyPhipps' list).
pub fn code_name(code: u8) -> &'static str {
    match code {
        0x01 => "umas_init_comm",
        0x02 => "umas_read_id",
        0x03 => "umas_read_project_info",
        0x04 => "umas_read_plc_info",
        0x06 => "umas_read_card_info",
        0x0A => "umas_repeat",
        0x10 => "umas_take_plc_reservation",
        0x11 => "umas_release_plc_reservation",
        0x12 => "umas_keep_alive",
        0x20 => "umas_read_memory_block",
        0x21 => "umas_write_memory_block",
        0x22 => "umas_read_variables",
        0x23 => "umas_write_variables",
        0x24 => "umas_read_coils_registers",
        0x25 => "umas_write_coils_registers",
        0x30 => "umas_initialize_download",
        0x31 => "umas_download_block",
        0x32 => "umas_end_download",
        0x33 => "umas_initialize_upload",
        0x34 => "umas_upload_block",
        0x35 => "umas_end_upload",
        0x39 => "umas_read_eth_master_data",
        0x40 => "umas_start_plc",
        0x41 => "umas_stop_plc",
        0x50 => "umas_monitor_plc",
        0x58 => "umas_check_plc",
        0x70 => "umas_read_io_object",
        0x71 => "umas_write_io_object",
        0x73 => "umas_get_status_module",
        _ => "umas_unknown",
    }
}

/// The control action of a UMAS code; `None` for reads, polls, identity, reservation
/// and unknown codes (those stay visible in the `modbus` event's `subfunction`).
pub fn action(code: u8) -> Option<Action> {
    match code {
        0x21 | 0x23 | 0x25 | 0x71 => Some(Action::Write),
        // PC -> PLC: the program is written into the controller.
        0x30..=0x32 => Some(Action::ProgramDownload),
        // PLC -> PC: the program is read out of the controller.
        0x33..=0x35 => Some(Action::ProgramUpload),
        0x40 | 0x41 => Some(Action::ModeChange),
        _ => None,
    }
}

/// Outcome of a function-90 response's data: `Ok(())` for 0xFE, `Err(code)` for 0xFD
/// (the byte after it when present), `None` when the status byte is neither.
pub fn response_status(data: &[u8]) -> Option<Result<(), Option<u8>>> {
    match data {
        [_, STATUS_OK, ..] => Some(Ok(())),
        [_, STATUS_ERROR, rest @ ..] => Some(Err(rest.first().copied())),
        _ => None,
    }
}
