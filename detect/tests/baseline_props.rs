//! Property tests: hostile inputs to the operator-facing and file-facing entry points
//! never panic, and keys round-trip through approval.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use mizuban_detect::baseline::types::{Conversation, Item, Pair, Service};
use mizuban_detect::baseline::{Baseline, BaselineConfig, rules};
use mizuban_detect::persist;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr};

fn v4() -> impl Strategy<Value = IpAddr> {
    any::<u32>().prop_map(|n| IpAddr::V4(Ipv4Addr::from(n)))
}

proptest! {
    #[test]
    fn approve_never_panics(id in ".{0,80}") {
        let mut b = Baseline::new(BaselineConfig::default());
        let _ = b.approve_alert(&id);
    }

    #[test]
    fn load_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        std::fs::write(&p, &bytes).unwrap();
        let ok = persist::load_baseline(&p).is_ok();
        let starts_with_brace = bytes.first() == Some(&0x7b);
        prop_assert!(!ok || starts_with_brace);
    }

    /// The keys the baseline writes parse back to the item they name.
    #[test]
    fn keys_round_trip(a in v4(), b in v4(), port in any::<u16>(), proto in any::<u8>(), fc in any::<u8>()) {
        let t = mizuban_detect::baseline::types::transport_label(proto);
        let conv = Item::parse(rules::NEW_CONVERSATION, &format!("{a}|{b}|{t}")).unwrap();
        prop_assert_eq!(conv, Item::Conversation(Conversation::new(a, b, proto)));
        let svc = Item::parse(rules::NEW_SERVICE, &format!("{a}|{t}|{port}")).unwrap();
        prop_assert_eq!(svc, Item::Service(Service { server: a, transport: proto, port }));
        let f = Item::parse(rules::NEW_MODBUS_FUNCTION, &format!("{a}|{b}|fc={fc}")).unwrap();
        prop_assert_eq!(f, Item::ModbusFunction { client: a, server: b, function: fc });
        let w = Item::parse(rules::NEW_MODBUS_WRITER, &format!("{a}|{b}")).unwrap();
        prop_assert_eq!(w, Item::ModbusWrites(Pair { client: a, server: b }));
    }
}
