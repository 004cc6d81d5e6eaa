//! Modbus transactions as control actions (see [`crate::facts`]): which function (and
//! sub-function) changes the process or the device, what it touched, and how it ended.
//! The mapping table is in detect/README.md ("Control actions").

use super::event::{FunctionClass, Transaction, WrittenValues};
use super::types::{self, fc};
use super::umas;
use crate::event::AppProtocol;
use crate::facts::{Action, ControlAction, ControlValues, Outcome, Target, Value};

/// Diagnostics (8) sub-functions that act on the device (V1.1b3 section 6.8.1):
/// 01 restarts the serial line and clears the listen-only mode; 04 makes the server
/// stop answering (it sends no response, so these end `unanswered`).
const DIAG_RESTART_COMMUNICATIONS: u16 = 0x01;
const DIAG_FORCE_LISTEN_ONLY: u16 = 0x04;

/// The action of a function (exception bit cleared) and sub-function, if it changes
/// state.
pub fn action(function: u8, subfunction: Option<u16>) -> Option<Action> {
    match function {
        // The write functions are the ones the policy class already calls writes.
        f if types::classify(f) == FunctionClass::Write => Some(Action::Write),
        fc::DIAGNOSTICS => match subfunction {
            Some(DIAG_RESTART_COMMUNICATIONS) => Some(Action::Restart),
            Some(DIAG_FORCE_LISTEN_ONLY) => Some(Action::ModeChange),
            _ => None,
        },
        fc::SCHNEIDER_UMAS => subfunction
            .and_then(|s| u8::try_from(s).ok())
            .and_then(umas::action),
        _ => None,
    }
}

fn object(function: u8) -> Option<&'static str> {
    match function {
        fc::WRITE_SINGLE_COIL | fc::WRITE_MULTIPLE_COILS => Some("coils"),
        fc::WRITE_SINGLE_REGISTER
        | fc::WRITE_MULTIPLE_REGISTERS
        | fc::MASK_WRITE_REGISTER
        | fc::READ_WRITE_MULTIPLE_REGISTERS => Some("holding_registers"),
        fc::WRITE_FILE_RECORD => Some("file_records"),
        _ => None,
    }
}

fn values(function: u8, w: &WrittenValues) -> ControlValues {
    let coils = matches!(function, fc::WRITE_SINGLE_COIL | fc::WRITE_MULTIPLE_COILS);
    ControlValues {
        values: w
            .values
            .iter()
            .take(ControlValues::MAX)
            .map(|&v| {
                if coils {
                    Value::Bool(v != 0)
                } else {
                    Value::Int(i64::from(v))
                }
            })
            .collect(),
        total: w.total,
    }
}

/// The control action of a finished transaction (paired or unanswered), or `None` if
/// it does not change state or its request was not seen. `umas` is the status of a
/// function-90 response ([`umas::response_status`]).
pub fn from_transaction(
    tx: &Transaction,
    umas: Option<Result<(), Option<u8>>>,
) -> Option<ControlAction> {
    tx.request_frame?;
    let action = action(tx.function, tx.subfunction)?;
    let function_name = match tx.function {
        fc::DIAGNOSTICS => types::diagnostic_name(tx.subfunction.unwrap_or(0)),
        fc::SCHNEIDER_UMAS => umas::code_name(
            tx.subfunction
                .and_then(|s| u8::try_from(s).ok())
                .unwrap_or(0),
        ),
        f => types::function_name(f, tx.subfunction),
    };
    let (outcome, exception) = match (tx.response_frame, tx.exception, umas) {
        (None, _, _) => (Outcome::Unanswered, None),
        (Some(_), Some(code), _) => (Outcome::Exception, Some(u16::from(code))),
        (Some(_), None, Some(Err(code))) => (
            Outcome::Exception,
            Some(u16::from(code.unwrap_or(umas::STATUS_ERROR))),
        ),
        (Some(_), None, _) => (Outcome::Ok, None),
    };
    // 23 writes at `write_address`; its `quantity` is the read quantity, the written
    // count is in `written.total`.
    let (address, quantity) = if tx.function == fc::READ_WRITE_MULTIPLE_REGISTERS {
        (tx.write_address, tx.written.as_ref().map(|w| w.total))
    } else {
        (tx.address, tx.quantity.map(u32::from))
    };
    let subfunction = match tx.function {
        fc::DIAGNOSTICS | fc::SCHNEIDER_UMAS => tx.subfunction,
        _ => None,
    };
    Some(ControlAction {
        protocol: AppProtocol::Modbus,
        action,
        function: u16::from(tx.function),
        function_name,
        subfunction,
        unit: Some(u32::from(tx.unit_id)),
        target: Target {
            object: object(tx.function).map(str::to_owned),
            address: address.map(u32::from),
            quantity,
        },
        values: tx.written.as_ref().map(|w| values(tx.function, w)),
        outcome,
        exception,
        response_frame: tx.response_frame,
        password_used: false,
    })
}
