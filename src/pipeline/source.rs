//! The source thread: reads frames, decodes L2-L4, assigns sequence numbers, shards by
//! IP pair and batches. It also emits packet-time ticks, at the same point of the run for
//! every worker, so that expiry is deterministic whatever the worker count.

use super::batch::{PacketBatch, WorkerMsg};
use crossbeam_channel::{Receiver, Sender, TrySendError};
use mizuban_capture::file::{FileError, Frame};
use mizuban_capture::packet::DecodeStop;
use mizuban_capture::{DropCounters, DropReason, Net, PacketMeta, Timestamp, decode, shard_for};
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// What a packet source hands the source thread.
pub enum SourceItem<'a> {
    Frame {
        file: u16,
        frame: Frame<'a>,
    },
    /// A file (or interface) failed; the source goes on with the others.
    Error {
        file: u16,
        error: FileError,
    },
    /// Nothing right now (live capture timeout): lets the thread flush and check for stop.
    Idle,
    /// Packets lost before we could read them (kernel drops, interface down).
    Dropped {
        reason: DropReason,
        count: u64,
    },
    End,
}

/// Capture files or live interfaces, as one stream of frames.
pub trait FrameSource {
    fn next_item(&mut self) -> SourceItem<'_>;
}

/// Whether a full worker queue stalls the source (replay: lose nothing) or drops the
/// batch and counts it (live: never stall the capture).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BackPressure {
    Block,
    Drop,
}

/// Per-file (or per-interface) counts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct InputStats {
    pub name: String,
    pub packets: u64,
    pub bytes: u64,
    /// One-line error, when the input stopped early.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whether that error fails the run (a truncated last record does not).
    #[serde(skip)]
    pub fatal: bool,
}

/// Counters the source keeps; `live` mirrors a few of them for the exporter.
#[derive(Clone, Debug, Default)]
pub struct SourceStats {
    pub inputs: Vec<InputStats>,
    pub packets: u64,
    pub bytes: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    pub drops: DropCounters,
    /// Truncated by snaplen but still processed as far as it went.
    pub snaplen_truncated: u64,
    pub non_ip: u64,
    /// Packets that came through each kind of encapsulation (issue 15).
    pub encap: mizuban_capture::encap::EncapCounters,
}

/// Counters readable from other threads while the source runs (for /metrics).
#[derive(Default, Debug)]
pub struct LiveCounters {
    pub packets: AtomicU64,
    pub bytes: AtomicU64,
    pub queue_full_batches: AtomicU64,
    /// (depth, capacity) per worker queue, sampled at batch flushes.
    pub queue_depths: std::sync::Mutex<Vec<(u64, u64)>>,
    /// Packets per encapsulation, copied at batch flushes.
    pub encap: std::sync::Mutex<mizuban_capture::encap::EncapCounters>,
}

/// Packets after which a worker that got none is sent a watermark, so the detector's
/// merge never holds more than about this many packets' events of the other workers.
pub const WATERMARK_LAG: u64 = 8192;

pub struct SourceConfig {
    pub batch_size: usize,
    pub back_pressure: BackPressure,
    /// Packet time between ticks, in seconds.
    pub tick_secs: i64,
}

pub struct Source<'a> {
    workers: &'a [Sender<WorkerMsg>],
    recycle: &'a Receiver<PacketBatch>,
    cfg: SourceConfig,
    batches: Vec<PacketBatch>,
    seq: u64,
    stats: SourceStats,
    live: Arc<LiveCounters>,
    shared_drops: Arc<std::sync::Mutex<DropCounters>>,
    flushes: u64,
    /// Highest seq sent to each worker (a batch's last packet, or a watermark).
    last_sent: Vec<u64>,
    /// Packets and bytes not yet added to the shared atomics (added per flush, not per
    /// packet, to keep atomics off the per-packet path).
    unpublished: (u64, u64),
    next_tick_secs: Option<i64>,
    last_ts: Timestamp,
}

impl<'a> Source<'a> {
    pub fn new(
        workers: &'a [Sender<WorkerMsg>],
        recycle: &'a Receiver<PacketBatch>,
        cfg: SourceConfig,
        input_names: Vec<String>,
        live: Arc<LiveCounters>,
        shared_drops: Arc<std::sync::Mutex<DropCounters>>,
    ) -> Source<'a> {
        let batches = workers
            .iter()
            .map(|_| PacketBatch::with_capacity(cfg.batch_size, cfg.batch_size * 128))
            .collect();
        let inputs = input_names
            .into_iter()
            .map(|name| InputStats {
                name,
                ..InputStats::default()
            })
            .collect();
        Source {
            workers,
            recycle,
            cfg,
            batches,
            seq: 0,
            stats: SourceStats {
                inputs,
                ..SourceStats::default()
            },
            live,
            shared_drops,
            flushes: 0,
            last_sent: Vec::new(),
            unpublished: (0, 0),
            next_tick_secs: None,
            last_ts: Timestamp::ZERO,
        }
    }

    /// Reads until the source ends or `stop` is set, then tells the workers to finish.
    pub fn run(mut self, src: &mut dyn FrameSource, stop: &AtomicBool) -> SourceStats {
        loop {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            match src.next_item() {
                SourceItem::Frame { file, frame } => self.on_frame(file, &frame),
                SourceItem::Error { file, error } => {
                    if let Some(input) = self.stats.inputs.get_mut(usize::from(file)) {
                        input.fatal = error.is_fatal();
                        input.error = Some(error.to_string());
                    }
                }
                SourceItem::Idle => self.flush_all(),
                SourceItem::Dropped { reason, count } => self.stats.drops.add(reason, count),
                SourceItem::End => break,
            }
        }
        self.flush_all();
        self.seq += 1;
        let (now, seq) = (self.last_ts, self.seq);
        for w in self.workers {
            let _ = w.send(WorkerMsg::Finish { now, seq });
        }
        self.stats
    }

    fn on_frame(&mut self, file: u16, frame: &Frame<'_>) {
        let ts = frame.ts;
        self.maybe_tick(ts);
        self.stats.packets += 1;
        self.stats.bytes += u64::from(frame.wire_len);
        self.unpublished.0 += 1;
        self.unpublished.1 += u64::from(frame.wire_len);
        if let Some(input) = self.stats.inputs.get_mut(usize::from(file)) {
            input.packets += 1;
            input.bytes += u64::from(frame.wire_len);
        }
        if self.stats.first_ts.is_none() {
            self.stats.first_ts = Some(ts);
        }
        self.stats.last_ts = Some(ts);
        self.last_ts = ts;

        let info = decode(frame.link, frame.data, frame.wire_len);
        if !info.encap.seen.is_empty() {
            self.stats.encap.add(info.encap.seen);
        }
        if info.snaplen_truncated {
            self.stats.snaplen_truncated += 1;
            self.stats.drops.inc(DropReason::Truncated);
        }
        let shard = match &info.net {
            Net::Ip(ip) => shard_for(ip.src, ip.dst, info.vlan, self.workers.len()),
            Net::Arp(arp) => shard_for(
                arp.sender_ip.into(),
                arp.target_ip.into(),
                info.vlan,
                self.workers.len(),
            ),
            Net::None => {
                if !frame.link.is_supported() {
                    self.stats.drops.inc(DropReason::UnsupportedLink);
                    return;
                }
                match info.stop {
                    Some(DecodeStop::Malformed(_)) => self.stats.drops.inc(DropReason::Malformed),
                    Some(DecodeStop::Truncated(_)) if !info.snaplen_truncated => {
                        self.stats.drops.inc(DropReason::Truncated)
                    }
                    _ => {
                        self.stats.non_ip += 1;
                        self.stats.drops.inc(DropReason::NotIp);
                    }
                }
                return;
            }
        };
        self.seq += 1;
        let meta = PacketMeta {
            seq: self.seq,
            file,
            frame: frame.number,
            ts,
            wire_len: frame.wire_len,
            cap_len: u32::try_from(frame.data.len()).unwrap_or(u32::MAX),
            info,
        };
        if let Some(batch) = self.batches.get_mut(shard) {
            batch.push(meta, frame.data);
            if batch.len() >= self.cfg.batch_size {
                self.flush(shard);
            }
        }
    }

    /// Sends a tick to every worker when packet time enters a new tick interval. Ticks
    /// follow packet time, so they fall at the same packets whatever the worker count.
    fn maybe_tick(&mut self, ts: Timestamp) {
        let secs = ts.secs();
        match self.next_tick_secs {
            None => self.next_tick_secs = Some(secs.saturating_add(self.cfg.tick_secs)),
            Some(next) if secs >= next => {
                self.flush_all();
                self.seq += 1;
                let seq = self.seq;
                for w in self.workers {
                    match self.cfg.back_pressure {
                        BackPressure::Block => {
                            let _ = w.send(WorkerMsg::Tick { now: ts, seq });
                        }
                        // A tick lost to a full queue only delays expiry to the next one.
                        BackPressure::Drop => {
                            let _ = w.try_send(WorkerMsg::Tick { now: ts, seq });
                        }
                    }
                }
                self.next_tick_secs = Some(secs.saturating_add(self.cfg.tick_secs));
            }
            Some(_) => {}
        }
    }

    /// Tells workers that got nothing for [`WATERMARK_LAG`] packets that they are done
    /// up to `seq`; a lagging worker with a partial batch gets that batch instead.
    /// `shard` is the worker being sent a batch.
    fn send_watermarks(&mut self, shard: usize, seq: u64) {
        if self.last_sent.len() != self.workers.len() {
            self.last_sent = vec![0; self.workers.len()];
        }
        if let Some(l) = self.last_sent.get_mut(shard) {
            *l = seq;
        }
        let mut partial = Vec::new();
        for (i, w) in self.workers.iter().enumerate() {
            let Some(last) = self.last_sent.get_mut(i) else {
                continue;
            };
            if i == shard || seq.saturating_sub(*last) < WATERMARK_LAG {
                continue;
            }
            *last = seq;
            if self.batches.get(i).is_some_and(|b| !b.is_empty()) {
                partial.push(i);
            } else {
                // Lost to a full queue, it only delays the release to the next one.
                let _ = w.try_send(WorkerMsg::Watermark { seq });
            }
        }
        // Their `last_sent` is fresh now, so these flushes do not come back here for them.
        for i in partial {
            self.flush(i);
        }
    }

    fn flush_all(&mut self) {
        for shard in 0..self.batches.len() {
            self.flush(shard);
        }
        self.publish();
    }

    /// Makes the counters visible to the exporter.
    fn publish(&mut self) {
        let (p, b) = std::mem::take(&mut self.unpublished);
        self.live.packets.fetch_add(p, Ordering::Relaxed);
        self.live.bytes.fetch_add(b, Ordering::Relaxed);
        if let Ok(mut d) = self.shared_drops.lock() {
            *d = self.stats.drops.clone();
        }
        if let Ok(mut e) = self.live.encap.lock() {
            *e = self.stats.encap;
        }
        if let Ok(mut q) = self.live.queue_depths.lock() {
            q.clear();
            q.extend(
                self.workers
                    .iter()
                    .map(|w| (w.len() as u64, w.capacity().unwrap_or(0) as u64)),
            );
        }
    }

    fn flush(&mut self, shard: usize) {
        let Some(slot) = self.batches.get_mut(shard) else {
            return;
        };
        if slot.is_empty() {
            return;
        }
        let fresh = self.recycle.try_recv().unwrap_or_else(|_| {
            PacketBatch::with_capacity(self.cfg.batch_size, self.cfg.batch_size * 128)
        });
        let batch = std::mem::replace(slot, fresh);
        self.flushes += 1;
        if self.flushes.is_multiple_of(64) {
            self.publish();
        }
        let Some(w) = self.workers.get(shard) else {
            return;
        };
        let seq = batch.last_seq().unwrap_or(self.seq);
        self.send_watermarks(shard, seq);
        match self.cfg.back_pressure {
            BackPressure::Block => {
                let _ = w.send(WorkerMsg::Packets(batch));
            }
            BackPressure::Drop => {
                if let Err(TrySendError::Full(WorkerMsg::Packets(lost))) =
                    w.try_send(WorkerMsg::Packets(batch))
                {
                    self.stats
                        .drops
                        .add(DropReason::QueueFull, lost.len() as u64);
                    self.live.queue_full_batches.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}
