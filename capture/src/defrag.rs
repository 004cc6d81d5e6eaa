//! IPv4 fragment reassembly: bounded buffers, packet-time timeouts, overlap handling.
//! STUB: to be implemented (issue 2, point 2).

use crate::drop::DropCounters;
use crate::packet::{PacketInfo, Transport};
use crate::time::Timestamp;
use serde::Deserialize;
use std::time::Duration;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DefragConfig {
    /// Fragment sets held at once; the oldest is evicted beyond this.
    pub max_sets: usize,
    /// A set incomplete after this much packet time is dropped.
    #[serde(with = "crate::time_serde")]
    pub timeout: Duration,
}

impl Default for DefragConfig {
    fn default() -> Self {
        DefragConfig {
            max_sets: 4096,
            timeout: Duration::from_secs(30),
        }
    }
}

/// A complete datagram, borrowed from the defragmenter until the next call.
pub struct Reassembled<'a> {
    pub transport: Transport,
    /// The transport payload (after the transport header).
    pub payload: &'a [u8],
}

#[derive(Default)]
pub struct Defragmenter {
    drops: DropCounters,
}

impl Defragmenter {
    pub fn new(_cfg: &DefragConfig) -> Defragmenter {
        Defragmenter::default()
    }

    /// Feeds one fragment (`frame` is the whole captured frame `info` describes).
    /// Returns the datagram when this fragment completes it.
    pub fn push(
        &mut self,
        _now: Timestamp,
        _info: &PacketInfo,
        _frame: &[u8],
    ) -> Option<Reassembled<'_>> {
        None
    }

    /// Drops sets older than the timeout.
    pub fn expire(&mut self, _now: Timestamp) {}

    pub fn drops(&self) -> &DropCounters {
        &self.drops
    }
}
