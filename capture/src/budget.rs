//! One memory budget for the whole process (issue 14), shared out to the tables that
//! grow with what the network sends: flows (with their parsers' pending transactions),
//! reassembly buffers, fragment sets, detector state and the queues between threads.
//!
//! Each table accounts its own bytes against its share and evicts its least valuable
//! state first when it gets there; [`MemoryUse`] is what they report, exported as
//! `mizuban_memory_bytes{table}` next to `mizuban_memory_limit_bytes`. The shares are
//! fixed fractions: what a flood fills is the flow table, and giving it the largest share
//! keeps the rest (reassembly of the sessions that matter, the detector) out of its reach.

use serde::{Deserialize, Deserializer};

/// The default budget: the process stays under 256 MB resident on every flood of the
/// issue's table.
pub const DEFAULT_MEMORY: u64 = 256 << 20;
/// Below this the shares are too small to hold a working set of flows.
pub const MIN_MEMORY: u64 = 16 << 20;
/// 1 TiB: a typo guard, not a real limit.
pub const MAX_MEMORY: u64 = 1 << 40;

/// A table that holds memory on behalf of the network.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    Flows,
    Reassembly,
    Defrag,
    Detector,
    Queues,
}

impl Table {
    pub const ALL: [Table; 5] = [
        Table::Flows,
        Table::Reassembly,
        Table::Defrag,
        Table::Detector,
        Table::Queues,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Table::Flows => "flows",
            Table::Reassembly => "reassembly",
            Table::Defrag => "defrag",
            Table::Detector => "detector",
            Table::Queues => "queues",
        }
    }

    /// Share of the budget, in per mille. What is left (100 ‰) is the reserve for code,
    /// stacks, the allocator's slack and the small fixed tables.
    pub fn permille(self) -> u64 {
        match self {
            Table::Flows => 450,
            Table::Reassembly => 150,
            Table::Defrag => 50,
            Table::Detector => 150,
            Table::Queues => 100,
        }
    }
}

/// `[limits]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// The whole process's memory budget: bytes, or a string such as "256MB" or "1GiB"
    /// (K, M, G and T are powers of 1024, with or without a trailing "B" or "iB").
    #[serde(deserialize_with = "deserialize_bytes")]
    pub memory: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            memory: DEFAULT_MEMORY,
        }
    }
}

impl LimitsConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(MIN_MEMORY..=MAX_MEMORY).contains(&self.memory) {
            return Err(format!(
                "limits.memory: {} bytes is outside {} MiB .. {} GiB",
                self.memory,
                MIN_MEMORY >> 20,
                MAX_MEMORY >> 30
            ));
        }
        Ok(())
    }

    pub fn budget(&self) -> MemoryBudget {
        MemoryBudget { total: self.memory }
    }
}

/// The process's budget and each table's share of it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct MemoryBudget {
    pub total: u64,
}

impl Default for MemoryBudget {
    fn default() -> Self {
        MemoryBudget {
            total: DEFAULT_MEMORY,
        }
    }
}

impl MemoryBudget {
    /// Bytes `table` may hold, over the whole process.
    pub fn share(&self, table: Table) -> u64 {
        (self.total.checked_div(1000).unwrap_or(0)).saturating_mul(table.permille())
    }

    /// One worker's part of a table that is split across `shards` workers.
    pub fn share_per_shard(&self, table: Table, shards: usize) -> u64 {
        let shards = u64::try_from(shards.max(1)).unwrap_or(1);
        self.share(table).checked_div(shards).unwrap_or(0)
    }
}

/// Bytes each table accounts right now.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryUse {
    bytes: [u64; Table::ALL.len()],
}

impl MemoryUse {
    pub fn set(&mut self, table: Table, bytes: u64) {
        if let Some(b) = self.bytes.get_mut(table as usize) {
            *b = bytes;
        }
    }

    pub fn get(&self, table: Table) -> u64 {
        self.bytes.get(table as usize).copied().unwrap_or(0)
    }

    /// Adds another thread's use (workers each hold a part of the flow table).
    pub fn merge(&mut self, o: &MemoryUse) {
        for (a, b) in self.bytes.iter_mut().zip(o.bytes.iter()) {
            *a = a.saturating_add(*b);
        }
    }

    pub fn total(&self) -> u64 {
        self.bytes.iter().fold(0u64, |a, b| a.saturating_add(*b))
    }

    pub fn iter(&self) -> impl Iterator<Item = (Table, u64)> + '_ {
        Table::ALL.iter().map(|t| (*t, self.get(*t)))
    }
}

/// "256MB", "1GiB", "512k", "1048576" → bytes.
pub fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(&unit);
    let shift = match unit {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => return None,
    };
    n.checked_mul(1u64 << shift)
}

fn deserialize_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bytes(u64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Bytes(b) => Ok(b),
        Raw::Text(t) => parse_bytes(&t).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid size {t:?}: use e.g. \"256MB\", \"1GiB\" or a number of bytes"
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_bytes("256MB"), Some(256 << 20));
        assert_eq!(parse_bytes("256 MiB"), Some(256 << 20));
        assert_eq!(parse_bytes("1g"), Some(1 << 30));
        assert_eq!(parse_bytes("4096"), Some(4096));
        assert_eq!(parse_bytes("12 parsecs"), None);
        assert_eq!(parse_bytes("MB"), None);
        assert_eq!(parse_bytes("99999999999999T"), None);
    }

    #[test]
    fn shares_stay_within_the_budget() {
        let b = MemoryBudget { total: 256 << 20 };
        let sum: u64 = Table::ALL.iter().map(|t| b.share(*t)).sum();
        assert!(sum < b.total, "{sum} of {}", b.total);
        assert_eq!(
            b.share_per_shard(Table::Flows, 2) * 2,
            b.share(Table::Flows)
        );
    }

    #[test]
    fn out_of_range_budget_is_refused() {
        let l = LimitsConfig { memory: 1 << 20 };
        assert!(l.validate().unwrap_err().contains("limits.memory"));
        assert!(LimitsConfig::default().validate().is_ok());
    }
}
