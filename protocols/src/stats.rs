//! Counters that merge and export themselves.
//!
//! Workers keep their own counters; the pipeline merges them for the summary and the
//! exporter. A stats struct declared with [`merged!`] merges every one of its fields, so a
//! counter added later is merged too (or the build fails, if its type cannot merge).
//!
//! A protocol's own counters reach Prometheus through one generic path: its
//! [`ProtocolSpec::counters`](crate::registry::ProtocolSpec::counters) documents them,
//! its stats type implements [`ExportStats`], and the exporter registers a
//! `mizuban_<protocol>_*_total` family for each.

use mizuban_capture::DropCounters;
use std::collections::BTreeMap;

/// Adds another worker's counters into these.
pub trait Merge {
    fn merge(&mut self, other: &Self);
}

impl Merge for u64 {
    fn merge(&mut self, other: &u64) {
        *self = self.saturating_add(*other);
    }
}

impl<K: Ord + Clone, V: Merge + Default> Merge for BTreeMap<K, V> {
    fn merge(&mut self, other: &Self) {
        for (k, v) in other {
            self.entry(k.clone()).or_default().merge(v);
        }
    }
}

/// Element-wise, growing to the longer of the two.
impl Merge for Vec<u64> {
    fn merge(&mut self, other: &Self) {
        if self.len() < other.len() {
            self.resize(other.len(), 0);
        }
        for (a, b) in self.iter_mut().zip(other) {
            a.merge(b);
        }
    }
}

impl Merge for DropCounters {
    fn merge(&mut self, other: &Self) {
        DropCounters::merge(self, other);
    }
}

/// Declares a stats struct whose [`Merge`] merges every field.
macro_rules! merged {
    ($(#[$m:meta])* $vis:vis struct $name:ident {
        $($(#[$fm:meta])* $fvis:vis $f:ident: $t:ty,)*
    }) => {
        $(#[$m])* $vis struct $name { $($(#[$fm])* $fvis $f: $t,)* }

        impl $crate::stats::Merge for $name {
            fn merge(&mut self, other: &Self) {
                $($crate::stats::Merge::merge(&mut self.$f, &other.$f);)*
            }
        }
    };
}
pub(crate) use merged;

/// A counter a protocol exports: its full Prometheus name, `mizuban_<protocol>_..._total`
/// (a registry test checks the shape), at most one label whose values come from a closed
/// set, and its help text.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CounterDoc {
    pub name: &'static str,
    pub labels: &'static [&'static str],
    /// Every value the label may take (empty without a label).
    pub values: &'static [&'static str],
    pub help: &'static str,
}

/// One exported value: the counter's name (as in its [`CounterDoc`]), its label value
/// (`None` for an unlabelled counter) and its running total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CounterValue {
    pub name: &'static str,
    pub label: Option<&'static str>,
    pub value: u64,
}

/// A protocol's stats, as values of the counters its spec documents.
pub trait ExportStats {
    fn export(&self, out: &mut Vec<CounterValue>);
}

/// Pushes an unlabelled value.
pub fn value(out: &mut Vec<CounterValue>, name: &'static str, value: u64) {
    out.push(CounterValue {
        name,
        label: None,
        value,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    merged! {
        #[derive(Debug, Default, PartialEq)]
        struct Sample {
            a: u64,
            by: BTreeMap<&'static str, u64>,
            v: Vec<u64>,
        }
    }

    #[test]
    fn every_field_merges() {
        let mut x = Sample {
            a: 1,
            by: [("p", 1)].into(),
            v: vec![1],
        };
        let y = Sample {
            a: u64::MAX,
            by: [("p", 2), ("q", 3)].into(),
            v: vec![1, 2],
        };
        x.merge(&y);
        assert_eq!(
            x,
            Sample {
                a: u64::MAX,
                by: [("p", 3), ("q", 3)].into(),
                v: vec![2, 2],
            }
        );
    }
}
