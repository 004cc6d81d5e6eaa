//! Rule ids, severities and guideline points of the baseline and inventory findings:
//! their parts of the one rule registry ([`crate::registry`]).

use crate::alert::Severity;
use crate::spec::RuleSpec;

pub const NEW_HOST: &str = "new_host";
pub const IP_MAC_CHANGE: &str = "ip_mac_change";
pub const NEW_CONVERSATION: &str = "new_conversation";
pub const NEW_SERVICE: &str = "new_service";
pub const NEW_ICS_PROTOCOL: &str = "new_ics_protocol";
pub const NEW_MODBUS_CLIENT: &str = "new_modbus_client";
pub const NEW_MODBUS_WRITER: &str = "new_modbus_writer";
pub const NEW_MODBUS_FUNCTION: &str = "new_modbus_function";
/// Raised by the inventory, in every mode.
pub const UNSUPPORTED_OS: &str = "unsupported_os";
/// Raised by the inventory when `[detect.inventory] require_smb_signing` is set.
pub const SMB_SIGNING_NOT_REQUIRED: &str = "smb_signing_not_required";

pub const GUIDELINE_ASSETS: &str = "asset management";
pub const GUIDELINE_BASELINE: &str = "communication baseline";
pub const GUIDELINE_CONTROL: &str = "control system integrity";
pub const GUIDELINE_PATCHING: &str = "supported software";

/// The baseline's rules (approvable findings): its part of [`crate::registry`].
pub const RULES: &[RuleSpec] = &[
    RuleSpec {
        id: NEW_HOST,
        severity: Severity::Medium,
        guideline: GUIDELINE_ASSETS,
        summary: "an IP or MAC address not in the baseline",
        breach: false,
    },
    RuleSpec {
        // A known IP answering from another interface: a replaced device or ARP spoofing.
        id: IP_MAC_CHANGE,
        severity: Severity::High,
        guideline: GUIDELINE_ASSETS,
        summary: "a known IP address with a MAC address it never had",
        breach: false,
    },
    RuleSpec {
        id: NEW_CONVERSATION,
        severity: Severity::Low,
        guideline: GUIDELINE_BASELINE,
        summary: "two internal hosts talking that never did (host pair + transport)",
        breach: false,
    },
    RuleSpec {
        id: NEW_SERVICE,
        severity: Severity::Medium,
        guideline: GUIDELINE_BASELINE,
        summary: "an internal server answering on a transport port it never served",
        breach: false,
    },
    RuleSpec {
        id: NEW_ICS_PROTOCOL,
        severity: Severity::Medium,
        guideline: GUIDELINE_BASELINE,
        summary: "a host speaking an industrial protocol (or role) it never used",
        breach: false,
    },
    RuleSpec {
        id: NEW_MODBUS_CLIENT,
        severity: Severity::High,
        guideline: GUIDELINE_CONTROL,
        summary: "a Modbus client a server never had",
        breach: false,
    },
    RuleSpec {
        id: NEW_MODBUS_WRITER,
        severity: Severity::High,
        guideline: GUIDELINE_CONTROL,
        summary: "a Modbus client writing to a server it only read from",
        breach: false,
    },
    RuleSpec {
        id: NEW_MODBUS_FUNCTION,
        severity: Severity::Medium,
        guideline: GUIDELINE_CONTROL,
        summary: "a Modbus function code or unit id new on a client/server pair",
        breach: false,
    },
];

/// The inventory's rules, raised in every mode: its part of [`crate::registry`].
pub const INVENTORY_RULES: &[RuleSpec] = &[
    RuleSpec {
        id: UNSUPPORTED_OS,
        severity: Severity::High,
        guideline: GUIDELINE_PATCHING,
        summary: "an operating system whose vendor support has ended",
        breach: false,
    },
    RuleSpec {
        id: SMB_SIGNING_NOT_REQUIRED,
        severity: Severity::Low,
        guideline: GUIDELINE_PATCHING,
        summary: "an SMB server that does not require message signing",
        breach: false,
    },
];

/// Rules the baseline raises (approvable); [`UNSUPPORTED_OS`] is not one of them.
pub fn is_baseline_rule(id: &str) -> bool {
    RULES.iter().any(|r| r.id == id)
}
