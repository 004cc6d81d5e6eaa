//! Packet sources and link-to-transport decoding.
//!
//! Bytes come in from a capture file or a live interface as [`Frame`]s; [`decode`] turns
//! each into a fixed-size, allocation-free [`PacketInfo`] that the rest of the pipeline
//! routes on. Nothing here judges traffic: that is `mizuban-detect`'s job.

pub mod budget;
pub mod community_id;
pub mod decode;
pub mod defrag;
pub mod drop;
pub mod encap;
pub mod file;
pub mod flow_key;
pub mod link;
pub mod packet;
pub mod time;
pub mod time_serde;
pub mod writer;

pub use decode::{decode, decode_transport};
pub use drop::{DropCounters, DropReason};
pub use flow_key::{FlowKey, shard_for};
pub use link::LinkType;
pub use packet::{
    ArpInfo, IpInfo, MacAddr, Net, PacketInfo, PacketMeta, TcpFlags, TcpInfo, Transport, VlanTags,
};
pub use time::Timestamp;
