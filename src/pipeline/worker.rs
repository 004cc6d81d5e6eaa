//! A worker thread: owns one shard of the flow table (an [`Engine`]) and turns packet
//! batches into events.

use super::batch::{PacketBatch, WorkerMsg};
use super::chunk::{ChunkPool, EventChunk, LineFormat};
use crossbeam_channel::{Receiver, Sender};
use mizuban_protocols::{Engine, EngineStats};
use std::time::{Duration, Instant};

/// What workers send the detector thread.
pub enum WorkerOut {
    /// Events (sorted for the merge, serialised when events are written), and the
    /// sequence number up to which this worker has processed everything.
    Events {
        worker: usize,
        chunk: EventChunk,
        watermark: u64,
    },
    /// A copy of the worker's counters, for the metrics (sent at most every
    /// [`STATS_INTERVAL`] of wall time: it is for the exporter, not for detection).
    Stats {
        worker: usize,
        stats: Box<EngineStats>,
    },
    /// Final counters; the worker has stopped.
    Done {
        worker: usize,
        stats: Box<EngineStats>,
    },
}

pub const STATS_INTERVAL: Duration = Duration::from_millis(500);

/// Where a worker's output goes: the detector, and the pools batches and chunks are
/// recycled through.
pub struct WorkerIo {
    pub output: Sender<WorkerOut>,
    pub recycle: Sender<PacketBatch>,
    pub chunks: ChunkPool,
    pub lines: LineFormat,
}

pub fn run(worker: usize, mut engine: Engine, input: Receiver<WorkerMsg>, io: WorkerIo) {
    let WorkerIo {
        output,
        recycle,
        chunks,
        lines,
    } = io;
    let mut last_stats = Instant::now();
    let mut chunk = chunks.take();
    while let Ok(msg) = input.recv() {
        let events = &mut chunk.events;
        let (watermark, done) = match msg {
            WorkerMsg::Packets(mut batch) => {
                for (meta, frame) in batch.iter() {
                    engine.process(meta, frame, events);
                }
                let wm = batch.last_seq().unwrap_or(0);
                batch.clear();
                // The pool is bounded: a full pool just frees the batch.
                let _ = recycle.try_send(batch);
                (wm, false)
            }
            WorkerMsg::Tick { now, seq } => {
                engine.tick(now, seq, events);
                (seq, false)
            }
            WorkerMsg::Watermark { seq } => (seq, false),
            WorkerMsg::Finish { now, seq } => {
                engine.finish(now, seq, events);
                (u64::MAX, true)
            }
        };
        super::merge::sort_for_merge(events);
        if let Some(files) = &lines {
            chunk.serialise(files);
        }
        let out = std::mem::replace(&mut chunk, chunks.take());
        if output
            .send(WorkerOut::Events {
                worker,
                chunk: out,
                watermark,
            })
            .is_err()
        {
            return;
        }
        if done {
            let _ = output.send(WorkerOut::Done {
                worker,
                stats: Box::new(engine.stats().clone()),
            });
            return;
        }
        if last_stats.elapsed() >= STATS_INTERVAL {
            last_stats = Instant::now();
            let _ = output.send(WorkerOut::Stats {
                worker,
                stats: Box::new(engine.stats().clone()),
            });
        }
    }
}
