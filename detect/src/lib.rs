//! From events to alerts: closed-network policy, baseline, asset inventory.
//!
//! [`Detector`] runs on one thread and sees every event of the run in a deterministic
//! order. A policy is a struct with validated config and bounded state; it takes an event
//! and pushes alerts. No I/O, no clock, no threads here.

pub mod alert;
pub mod baseline;
pub mod config;
pub mod control;
pub mod detector;
pub mod evidence;
pub mod inventory;
pub mod lru;
pub mod oui;
pub mod persist;
pub mod policy;
pub mod registry;
pub mod rules;
pub mod scan;
pub mod spec;
pub mod store;
pub mod verdict;

pub use alert::{Alert, AlertLine, AlertStatus, Finding, Severity};
pub use config::DetectConfig;
pub use detector::{Detector, DetectorStats, FindingSource, Verdict};
pub use policy::Policy;
pub use verdict::VerdictReport;
