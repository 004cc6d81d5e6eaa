//! From decoded packets to typed application events.
//!
//! [`Engine`] is what one worker thread owns: a shard of the flow table, TCP reassembly,
//! protocol identification and every parser. It takes packets and packet-time ticks and
//! pushes [`Event`]s. No policy lives here: events say what was on the wire, and
//! `mizuban-detect` decides what is suspicious.

pub mod auth;
pub(crate) mod common;
pub mod dhcp;
pub mod dnp3;
pub mod dns;
pub mod engine;
pub mod event;
pub mod facts;
pub mod flow;
pub mod http;
pub mod ics;
pub mod identify;
pub mod modbus;
pub mod netbios;
pub mod parser;
pub mod remote;
pub mod ssdp;
pub mod tls;
pub mod vpn;

pub use engine::{Engine, EngineConfig, EngineStats};
pub use event::{AppProtocol, Event, EventKind, EventOrder, FlowTuple};
pub use parser::{DatagramParser, Direction, ParseCtx, Probe, StreamParser};
