//! A worker thread: owns one shard of the flow table (an [`Engine`]) and turns packet
//! batches into events.

use super::batch::{PacketBatch, WorkerMsg};
use crossbeam_channel::{Receiver, Sender};
use mizuban_protocols::{Engine, EngineStats, Event};
use std::time::{Duration, Instant};

/// What workers send the detector thread.
pub enum WorkerOut {
    /// Events, and the sequence number up to which this worker has processed everything.
    Events {
        worker: usize,
        events: Vec<Event>,
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

pub fn run(
    worker: usize,
    mut engine: Engine,
    input: Receiver<WorkerMsg>,
    output: Sender<WorkerOut>,
    recycle: Sender<PacketBatch>,
) {
    let mut last_stats = Instant::now();
    let mut events: Vec<Event> = Vec::new();
    while let Ok(msg) = input.recv() {
        let (watermark, done) = match msg {
            WorkerMsg::Packets(mut batch) => {
                for (meta, frame) in batch.iter() {
                    engine.process(meta, frame, &mut events);
                }
                let wm = batch.last_seq().unwrap_or(0);
                batch.clear();
                // The pool is bounded: a full pool just frees the batch.
                let _ = recycle.try_send(batch);
                (wm, false)
            }
            WorkerMsg::Tick { now, seq } => {
                engine.tick(now, seq, &mut events);
                (seq, false)
            }
            WorkerMsg::Finish { now, seq } => {
                engine.finish(now, seq, &mut events);
                (u64::MAX, true)
            }
        };
        let mut out = std::mem::take(&mut events);
        super::merge::sort_for_merge(&mut out);
        if output
            .send(WorkerOut::Events {
                worker,
                events: out,
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
