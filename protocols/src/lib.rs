//! From decoded packets to typed application events.
//!
//! [`Engine`] is what one worker thread owns: a shard of the flow table, TCP reassembly,
//! protocol identification and every parser. It takes packets and packet-time ticks and
//! pushes [`Event`]s. No policy lives here: events say what was on the wire, and
//! `mizuban-detect` decides what is suspicious.
//!
//! Every protocol is registered once, in [`registry::PROTOCOLS`]; each has its own folder
//! (`modbus/`, `dnp3/`, `dns/`, ...) exporting its `SPEC`.

pub mod auth;
pub mod bacnet;
pub(crate) mod common;
pub mod dhcp;
pub mod dnp3;
pub mod dns;
pub mod engine;
pub mod enip;
pub mod event;
pub mod facts;
pub mod flow;
pub mod http;
pub mod identify;
pub mod iec104;
pub mod modbus;
pub mod netbios;
pub mod ntp;
pub mod opcua;
pub mod parser;
pub mod registry;
pub mod remote;
pub mod s7comm;
pub mod ssdp;
pub mod stats;
pub mod tls;
pub mod vpn;

pub use engine::{Engine, EngineConfig, EngineStats};
pub use event::{AppProtocol, Event, EventKind, EventOrder, FlowTuple};
pub use parser::{DatagramParser, Direction, ParseCtx, Probe, StreamParser};
pub use registry::{Category, PROTOCOLS, ProtocolSpec, ProtocolsConfig};
