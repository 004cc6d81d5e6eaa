//! A Prometheus histogram whose state is set from absolute bucket counts.
//!
//! `prometheus::Histogram` only takes one observation at a time; our observations are
//! made on the detector thread into a plain [`LatencyBuckets`] and copied here by the
//! periodic flush, so this collector exposes those counts directly. Buckets are the
//! fixed [`MODBUS_RESPONSE_BUCKETS_SECONDS`], declared once.

use crate::snapshot::{LatencyBuckets, MODBUS_RESPONSE_BUCKETS_SECONDS};
use prometheus::core::{Collector, Desc};
use prometheus::proto;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// A histogram collector sharing its state with the [`crate::metrics::Metrics`] that
/// updates it.
#[derive(Clone)]
pub struct FixedHistogram {
    desc: Desc,
    state: Arc<Mutex<LatencyBuckets>>,
}

impl FixedHistogram {
    pub fn new(name: &str, help: &str) -> prometheus::Result<FixedHistogram> {
        Ok(FixedHistogram {
            desc: Desc::new(name.to_owned(), help.to_owned(), Vec::new(), HashMap::new())?,
            state: Arc::new(Mutex::new(LatencyBuckets::default())),
        })
    }

    fn lock(&self) -> MutexGuard<'_, LatencyBuckets> {
        // A panic while holding this lock cannot leave the plain data inconsistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the running totals. Each bucket and the sum only ever grow: a smaller value
    /// (a flush from a restarted counter set) keeps the previous one, so the exported
    /// cumulative counts stay monotonic as Prometheus requires.
    pub fn set(&self, totals: &LatencyBuckets) {
        let mut st = self.lock();
        for (cur, new) in st.counts.iter_mut().zip(totals.counts.iter()) {
            *cur = (*cur).max(*new);
        }
        if totals.sum_seconds > st.sum_seconds {
            st.sum_seconds = totals.sum_seconds;
        }
    }

    pub fn get(&self) -> LatencyBuckets {
        self.lock().clone()
    }
}

impl Collector for FixedHistogram {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.desc]
    }

    fn collect(&self) -> Vec<proto::MetricFamily> {
        let st = self.get();
        let mut buckets = Vec::with_capacity(MODBUS_RESPONSE_BUCKETS_SECONDS.len());
        let mut cumulative = 0u64;
        for (bound, n) in MODBUS_RESPONSE_BUCKETS_SECONDS.iter().zip(st.counts.iter()) {
            cumulative = cumulative.saturating_add(*n);
            let mut b = proto::Bucket::default();
            b.set_upper_bound(*bound);
            b.set_cumulative_count(cumulative);
            buckets.push(b);
        }
        let mut h = proto::Histogram::default();
        h.set_bucket(buckets);
        // The +Inf bucket is written by the encoder from the sample count.
        h.set_sample_count(st.count());
        h.set_sample_sum(st.sum_seconds);
        let mut m = proto::Metric::default();
        m.set_histogram(h);
        let mut mf = proto::MetricFamily::default();
        mf.set_name(self.desc.fq_name.clone());
        mf.set_help(self.desc.help.clone());
        mf.set_field_type(proto::MetricType::HISTOGRAM);
        mf.set_metric(vec![m]);
        vec![mf]
    }
}
