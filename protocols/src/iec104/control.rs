//! IEC 104 ASDUs as control actions (see [`crate::facts`]): which type changes the
//! process or the station, what it touched, and how it ended. The mapping table is in
//! detect/README.md ("Control actions").
//!
//! | type ids | action |
//! |----------|--------|
//! | 45-51, 58-64 process commands and set-points | select when the S/E bit is set, else operate |
//! | 103 clock synchronisation | time_set |
//! | 105 reset process | restart |
//! | 110-113 parameters and parameter activation | config_change |
//! | 120-127 file transfer | file_transfer |
//!
//! Only activations (cause 6) from the controlling station are actions; their outcome is
//! the controlled station's activation confirmation (cause 7, P/N bit set: refused).
//! Interrogations (100, 101), read (102), test (104, 107) and delay acquisition (106)
//! are not control actions.

use super::asdu::{Asdu, Value as AValue};
use super::types;
use crate::facts::{Action, ControlValues, Target, Value};

/// The action of an ASDU from the controlling station, if it changes state.
pub fn action(a: &Asdu) -> Option<Action> {
    let t = a.type_id?;
    let cot = a.cot?;
    let file = (120..=127).contains(&t);
    if cot != types::cot::ACTIVATION && !(file && cot == 13) {
        return None;
    }
    Some(match t {
        t if types::is_command(t) => {
            if a.objects.iter().any(|o| o.select == Some(true)) {
                Action::Select
            } else {
                Action::Operate
            }
        }
        103 => Action::TimeSet,
        105 => Action::Restart,
        110..=113 => Action::ConfigChange,
        120..=127 => Action::FileTransfer,
        _ => return None,
    })
}

pub fn target(a: &Asdu) -> Target {
    Target {
        object: a.type_id.map(|t| types::type_name(t).to_owned()),
        address: a.objects.first().map(|o| o.ioa),
        quantity: Some(a.ioa_total),
    }
}

pub fn values(a: &Asdu) -> Option<ControlValues> {
    let values: Vec<Value> = a
        .objects
        .iter()
        .filter_map(|o| o.value.clone())
        .take(ControlValues::MAX)
        .map(|v| match v {
            AValue::Bool(b) => Value::Bool(b),
            AValue::Int(i) => Value::Int(i),
            AValue::Float(f) => Value::Float(f),
        })
        .collect();
    (!values.is_empty()).then_some(ControlValues {
        values,
        total: a.ioa_total,
    })
}
