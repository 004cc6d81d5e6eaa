//! Event chunks: what a worker sends the detector for one batch. The events, sorted for
//! the merge, and, when events are written, each one's finished JSON line: the workers
//! serialise in parallel and the detector only copies lines out in merge order.
//!
//! Chunks go back to the workers through a bounded pool once the merge has used them,
//! so their three buffers grow to their working size once and are then reused: no heap
//! allocation per event beyond the output buffer.

use crossbeam_channel::{Receiver, Sender, bounded};
use mizuban_exporter::event_line::{FileNames, append_event};
use mizuban_protocols::Event;
use std::sync::Arc;

#[derive(Default, Debug)]
pub struct EventChunk {
    pub events: Vec<Event>,
    /// The lines of `events`, back to back, when events are written; else empty.
    text: Vec<u8>,
    /// End offset in `text` of each event's line.
    ends: Vec<usize>,
}

impl EventChunk {
    pub fn from_events(events: Vec<Event>) -> EventChunk {
        EventChunk {
            events,
            ..EventChunk::default()
        }
    }

    /// Writes every event's line (after the events are in merge order). A line that
    /// cannot be serialised stays empty; the sink counts it as a write error.
    pub fn serialise(&mut self, files: &FileNames) {
        self.text.clear();
        self.ends.clear();
        for ev in &self.events {
            let _ = append_event(&mut self.text, ev, files);
            self.ends.push(self.text.len());
        }
    }

    /// Event `i` and its line (empty when events are not written).
    pub fn get(&self, i: usize) -> Option<(&Event, &[u8])> {
        let ev = self.events.get(i)?;
        let start = match i.checked_sub(1) {
            Some(p) => self.ends.get(p).copied().unwrap_or(0),
            None => 0,
        };
        let line = self
            .ends
            .get(i)
            .and_then(|&end| self.text.get(start..end))
            .unwrap_or(&[]);
        Some((ev, line))
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    fn clear(&mut self) {
        self.events.clear();
        self.text.clear();
        self.ends.clear();
    }
}

/// Where used chunks wait for a worker to take them again.
#[derive(Clone)]
pub struct ChunkPool {
    tx: Sender<EventChunk>,
    rx: Receiver<EventChunk>,
}

impl ChunkPool {
    pub fn new(capacity: usize) -> ChunkPool {
        let (tx, rx) = bounded(capacity.max(1));
        ChunkPool { tx, rx }
    }

    /// A cleared chunk, reused when one is free.
    pub fn take(&self) -> EventChunk {
        self.rx.try_recv().unwrap_or_default()
    }

    /// Hands a used chunk back; a full pool just frees it.
    pub fn give(&self, mut chunk: EventChunk) {
        chunk.clear();
        let _ = self.tx.try_send(chunk);
    }
}

/// What workers need to serialise their events: the escaped file names, or `None` when
/// no event file is written.
pub type LineFormat = Option<Arc<FileNames>>;

#[cfg(test)]
mod tests {
    use super::super::merge::tests::ev;
    use super::*;

    #[test]
    fn lines_line_up_with_their_events() {
        let mut c = EventChunk::from_events(vec![ev(1, 0, 1000), ev(2, 0, 1001)]);
        c.serialise(&FileNames::new(&["f.pcap"]));
        let (e0, l0) = c.get(0).unwrap();
        let (e1, l1) = c.get(1).unwrap();
        assert_eq!((e0.order.seq, e1.order.seq), (1, 2));
        assert!(String::from_utf8_lossy(l0).contains("\"client\":\"10.0.0.1:1000\""));
        assert!(String::from_utf8_lossy(l1).contains("\"client\":\"10.0.0.1:1001\""));
        assert!(l0.ends_with(b"\n") && l1.ends_with(b"\n"));
        assert!(c.get(2).is_none());
    }

    #[test]
    fn without_serialising_lines_are_empty() {
        let c = EventChunk::from_events(vec![ev(1, 0, 1000)]);
        assert_eq!(c.get(0).map(|(_, l)| l.len()), Some(0));
    }
}
