//! Why a packet, a byte or a table entry was dropped. A closed set, so every drop point
//! has a name and metrics can label by it without unbounded values.

use serde::Serialize;

macro_rules! drop_reasons {
    ($($variant:ident => $name:literal, $doc:literal;)*) => {
        /// A reason something was dropped or left unparsed. Every variant is counted and
        /// exported; add one rather than dropping silently.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum DropReason {
            $(#[doc = $doc] $variant,)*
        }

        impl DropReason {
            pub const ALL: &'static [DropReason] = &[$(DropReason::$variant,)*];
            pub fn as_str(self) -> &'static str {
                match self { $(DropReason::$variant => $name,)* }
            }
        }
    };
}

drop_reasons! {
    Kernel => "kernel", "Dropped by the kernel or capture library before we saw it.";
    InterfaceDown => "interface_down", "Lost while the capture interface was down.";
    QueueFull => "queue_full", "A worker queue was full in live mode and the batch was dropped.";
    Truncated => "truncated", "Captured length shorter than the wire length (snaplen).";
    Malformed => "malformed", "A link, IP or transport header that does not parse.";
    NotIp => "not_ip", "Non-IP frame (LLDP, STP, ...): decoded no further, not an error.";
    UnsupportedLink => "unsupported_link", "A frame of a registered link type we do not decode (e.g. IEEE 802.15.4).";
    FragmentTimeout => "fragment_timeout", "An IPv4 fragment set expired incomplete.";
    FragmentOverlap => "fragment_overlap", "A fragment overlapped data already held (first copy kept).";
    FragmentTableFull => "fragment_table_full", "The fragment table was full; the oldest set was evicted.";
    FragmentTooLarge => "fragment_too_large", "A fragment set would exceed the maximum datagram size.";
    FragmentConflict => "fragment_conflict", "An overlapping fragment whose bytes differ from those held (the classic IDS evasion); also counted in fragment_overlap.";
    Ipv6Fragment => "ipv6_fragment", "An IPv6 fragment: not reassembled, so the payload of the datagram is not parsed.";
    FlowTableFull => "flow_table_full", "The flow table was full; the least recently seen flow was evicted.";
    ReassemblyFlowCap => "reassembly_flow_cap", "Out-of-order bytes over the per-flow buffer cap.";
    ReassemblyGlobalCap => "reassembly_global_cap", "Out-of-order bytes over the global buffer cap.";
    ReassemblyGap => "reassembly_gap", "Bytes never seen in a TCP stream (capture loss or pickup).";
    SeqOutOfWindow => "seq_out_of_window", "TCP payload bytes whose sequence number lies far outside the stream's window (forged, random or garbled): not reassembled, not counted as capture loss.";
    ParseError => "parse_error", "An application unit a parser could not decode.";
    TxCap => "tx_cap", "Pending transactions over the per-flow cap.";
    InventoryFull => "inventory_full", "The asset inventory or baseline was full.";
    AlertRateLimited => "alert_rate_limited", "Alerts suppressed by the global rate limit.";
    SinkError => "sink_error", "An output line could not be written.";
    SyslogQueueFull => "syslog_queue_full", "An alert for syslog found the send queue full (receiver slow or unreachable).";
    SyslogUnsent => "syslog_unsent", "An alert refused by the network or still queued for syslog when the run ended.";
}

/// A plain counter per reason, kept on the owning thread and merged at flush time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DropCounters {
    counts: [u64; DropReason::ALL.len()],
}

impl DropCounters {
    #[inline]
    pub fn add(&mut self, reason: DropReason, n: u64) {
        if let Some(c) = self.counts.get_mut(reason as usize) {
            *c = c.saturating_add(n);
        }
    }

    #[inline]
    pub fn inc(&mut self, reason: DropReason) {
        self.add(reason, 1);
    }

    pub fn get(&self, reason: DropReason) -> u64 {
        self.counts.get(reason as usize).copied().unwrap_or(0)
    }

    pub fn merge(&mut self, other: &DropCounters) {
        for r in DropReason::ALL {
            self.add(*r, other.get(*r));
        }
    }

    /// Non-zero counts, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL
            .iter()
            .map(|r| (*r, self.get(*r)))
            .filter(|(_, n)| *n > 0)
    }
}
