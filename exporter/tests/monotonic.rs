//! Property: whatever sequence of snapshots arrives (totals may even go backwards after
//! a restarted stage), every exported counter equals the largest total seen so far, so
//! it never decreases, and the capped Modbus families lose no count.

use mizuban_capture::DropReason;
use mizuban_exporter::{Metrics, MetricsSnapshot};
use prometheus::Registry;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Sum of every sample of `name` in the registry.
fn total(reg: &Registry, name: &str) -> u64 {
    reg.gather()
        .iter()
        .filter(|mf| mf.name() == name)
        .flat_map(|mf| mf.get_metric().iter())
        .map(|m| m.get_counter().value() as u64)
        .sum()
}

fn value(reg: &Registry, name: &str, label: &str, want: &str) -> u64 {
    reg.gather()
        .iter()
        .filter(|mf| mf.name() == name)
        .flat_map(|mf| mf.get_metric().iter())
        .filter(|m| {
            m.get_label()
                .iter()
                .any(|l| l.name() == label && l.value() == want)
        })
        .map(|m| m.get_counter().value() as u64)
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn counters_track_the_running_maximum(
        steps in prop::collection::vec(
            (0u64..1000, prop::collection::btree_map(any::<u8>(), 0u64..1000, 0..100)),
            1..12,
        )
    ) {
        let reg = Registry::new();
        let mut m = Metrics::register(&reg).unwrap();
        let mut max_kernel = 0u64;
        // The running maximum per function code, as the exporter must show in sum.
        let mut max_fc: BTreeMap<u8, u64> = BTreeMap::new();
        for (kernel, fcs) in &steps {
            let mut s = MetricsSnapshot::default();
            s.drops.add(DropReason::Kernel, *kernel);
            s.modbus.transactions = fcs.clone();
            m.update(&s);
            max_kernel = max_kernel.max(*kernel);
            prop_assert_eq!(value(&reg, "mizuban_drops_total", "reason", "kernel"), max_kernel);
            for (fc, n) in fcs {
                let e = max_fc.entry(*fc).or_insert(0);
                *e = (*e).max(*n);
            }
            // Under the cap each code has its own series holding its maximum; past it
            // the `other` series sums a set of codes, which can only be larger.
            let shown = total(&reg, "mizuban_modbus_transactions_total");
            let per_code_max: u64 = max_fc.values().sum();
            if max_fc.len() <= mizuban_exporter::metrics::MAX_MODBUS_FUNCTION_SERIES {
                prop_assert_eq!(shown, per_code_max);
            } else {
                prop_assert!(shown >= fcs.values().sum::<u64>());
            }
        }
    }
}
