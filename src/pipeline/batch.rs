//! Packet batches: what crosses the channel from the source thread to a worker.
//!
//! A batch owns one byte arena and a vector of packet headers pointing into it, so filling
//! it allocates nothing once its vectors have grown to their working size; workers send
//! emptied batches back through a return channel for reuse.

use mizuban_capture::{PacketMeta, Timestamp};
use std::ops::Range;

/// One packet inside a batch: its decoded view and where its bytes sit in the arena.
#[derive(Copy, Clone, Debug)]
pub struct BatchedPacket {
    pub meta: PacketMeta,
    start: u32,
    len: u32,
}

#[derive(Default, Debug)]
pub struct PacketBatch {
    packets: Vec<BatchedPacket>,
    data: Vec<u8>,
}

impl PacketBatch {
    pub fn with_capacity(packets: usize, bytes: usize) -> PacketBatch {
        PacketBatch {
            packets: Vec::with_capacity(packets),
            data: Vec::with_capacity(bytes),
        }
    }

    pub fn push(&mut self, meta: PacketMeta, frame: &[u8]) {
        let start = u32::try_from(self.data.len()).unwrap_or(u32::MAX);
        let len = u32::try_from(frame.len()).unwrap_or(0);
        self.data.extend_from_slice(frame);
        self.packets.push(BatchedPacket { meta, start, len });
    }

    pub fn len(&self) -> usize {
        self.packets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    pub fn byte_len(&self) -> usize {
        self.data.len()
    }

    pub fn clear(&mut self) {
        self.packets.clear();
        self.data.clear();
    }

    /// Each packet with its frame bytes.
    pub fn iter(&self) -> impl Iterator<Item = (&PacketMeta, &[u8])> + '_ {
        self.packets.iter().map(|p| {
            let r: Range<usize> =
                p.start as usize..(p.start as usize).saturating_add(p.len as usize);
            (&p.meta, self.data.get(r).unwrap_or(&[]))
        })
    }

    /// Highest sequence number in the batch.
    pub fn last_seq(&self) -> Option<u64> {
        self.packets.last().map(|p| p.meta.seq)
    }
}

/// What a worker receives, in run order.
#[derive(Debug)]
pub enum WorkerMsg {
    Packets(PacketBatch),
    /// Packet time advanced: run expiry. Sent to every worker at the same point.
    Tick {
        now: Timestamp,
        seq: u64,
    },
    /// Nothing for this worker up to `seq`: lets the detector release other workers'
    /// events (without it, a flood between two hosts, all on one worker, would be held
    /// in the merge until the next tick: unbounded memory between threads).
    Watermark {
        seq: u64,
    },
    /// End of input.
    Finish {
        now: Timestamp,
        seq: u64,
    },
}
