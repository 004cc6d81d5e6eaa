//! DNP3 requests as control actions (see [`crate::facts`]): which function changes the
//! process or the outstation, what it touched, and how it ended. The mapping table is
//! in detect/README.md ("Control actions").
//!
//! | function | action |
//! |----------|--------|
//! | 2 write | write; time_set when it writes g50 time; file_transfer when it writes g70 |
//! | 3 select | select |
//! | 4 operate, 5 direct operate, 6 direct operate no ack | operate |
//! | 13 cold restart, 14 warm restart, 15 initialize data, 16 initialize application | restart |
//! | 17 start application, 18 stop application | mode_change |
//! | 19 save configuration, 20/21 enable/disable unsolicited, 22 assign class, 31 activate configuration | config_change |
//! | 24 record current time | time_set |
//! | 25-30 open/close/delete file, get file info, authenticate file, abort file | file_transfer |
//!
//! Reads, freezes, confirms, delay measurement and secure authentication are not control
//! actions.

use super::event::Fragment;
use super::objects::AnalogValue;
use super::types::{fc, iin};
use crate::event::AppProtocol;
use crate::facts::{Action, ControlAction, ControlValues, Outcome, Target, Value};

/// The action of a request, if it changes state.
pub fn action(f: &Fragment) -> Option<Action> {
    Some(match f.function {
        fc::WRITE => {
            if f.objects.iter().any(|o| o.group == 50) {
                Action::TimeSet
            } else if f.objects.iter().any(|o| o.group == 70) {
                Action::FileTransfer
            } else {
                Action::Write
            }
        }
        fc::SELECT => Action::Select,
        fc::OPERATE | fc::DIRECT_OPERATE | fc::DIRECT_OPERATE_NR => Action::Operate,
        fc::COLD_RESTART | fc::WARM_RESTART | fc::INITIALIZE_DATA | fc::INITIALIZE_APPL => {
            Action::Restart
        }
        fc::START_APPL | fc::STOP_APPL => Action::ModeChange,
        fc::SAVE_CONFIG
        | fc::ENABLE_UNSOLICITED
        | fc::DISABLE_UNSOLICITED
        | fc::ASSIGN_CLASS
        | fc::ACTIVATE_CONFIG => Action::ConfigChange,
        fc::RECORD_CURRENT_TIME => Action::TimeSet,
        fc::OPEN_FILE..=fc::ABORT_FILE => Action::FileTransfer,
        _ => return None,
    })
}

fn values(f: &Fragment) -> Option<ControlValues> {
    let d = &f.decoded;
    let mut values: Vec<Value> = Vec::new();
    let total: usize;
    if !d.crob.is_empty() {
        total = d.crob.len();
        values.extend(d.crob.iter().map(|c| {
            Value::Text(if c.tcc == "nul" {
                c.op_name.to_owned()
            } else {
                format!("{}_{}", c.tcc, c.op_name)
            })
        }));
    } else if !d.analog_output.is_empty() {
        total = d.analog_output.len();
        values.extend(d.analog_output.iter().map(|a| match a.value {
            AnalogValue::Int(i) => Value::Int(i),
            AnalogValue::Float(x) => Value::Float(x),
        }));
    } else if !d.time.is_empty() {
        total = d.time.len();
        values.extend(
            d.time
                .iter()
                .map(|&t| Value::Int(i64::try_from(t).unwrap_or(i64::MAX))),
        );
    } else if !d.iin_write.is_empty() {
        total = d.iin_write.len();
        values.extend(d.iin_write.iter().map(|w| Value::Bool(w.value)));
    } else if !d.file.is_empty() {
        total = d.file.len();
        values.extend(
            d.file
                .iter()
                .map(|x| Value::Text(x.name.clone().unwrap_or_else(|| x.kind.to_owned()))),
        );
    } else {
        return None;
    }
    values.truncate(ControlValues::MAX);
    let total = u32::try_from(total.saturating_add(usize::try_from(d.dropped).unwrap_or(0)))
        .unwrap_or(u32::MAX);
    Some(ControlValues { values, total })
}

fn target(f: &Fragment) -> Target {
    let Some(first) = f.objects.first() else {
        return Target::default();
    };
    let address = f
        .decoded
        .crob
        .first()
        .map(|c| c.index)
        .or_else(|| f.decoded.analog_output.first().map(|a| a.index))
        .or(first.start);
    let quantity: u32 = f
        .objects
        .iter()
        .filter(|o| o.group == first.group)
        .fold(0u32, |n, o| n.saturating_add(o.count));
    Target {
        object: Some(first.name()),
        address,
        quantity: (quantity > 0).then_some(quantity),
    }
}

/// How a request ended, from its response: IIN2 refusal bits, then a non-zero status
/// echoed in a CROB or analog output block (section 11.9.9.2 status codes).
fn outcome(resp: Option<&Fragment>) -> (Outcome, Option<u16>) {
    let Some(r) = resp else {
        return (Outcome::Unanswered, None);
    };
    if let Some(i) = r.iin
        && i & iin::REFUSED != 0
    {
        return (Outcome::Exception, Some(i & iin::REFUSED));
    }
    let status = r
        .decoded
        .crob
        .iter()
        .map(|c| c.status)
        .chain(r.decoded.analog_output.iter().map(|a| a.status))
        .find(|&s| s != 0);
    match status {
        Some(s) => (Outcome::Exception, Some(u16::from(s))),
        None => (Outcome::Ok, None),
    }
}

/// The control action of a finished request (answered or not), or `None` if it does
/// not change state.
pub fn from_fragments(
    req: &Fragment,
    resp: Option<&Fragment>,
    response_frame: Option<u64>,
) -> Option<ControlAction> {
    let action = action(req)?;
    let (outcome, exception) = outcome(resp);
    Some(ControlAction {
        protocol: AppProtocol::Dnp3,
        action,
        function: u16::from(req.function),
        function_name: req.function_name,
        subfunction: None,
        unit: Some(u32::from(req.link_dst)),
        target: target(req),
        values: values(req),
        outcome,
        exception,
        response_frame,
        password_used: false,
    })
}
