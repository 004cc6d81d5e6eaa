//! VPN protocols: IKEv1/v2, ESP, AH, L2TP, PPTP, GRE, OpenVPN, WireGuard, SSL-VPN hints.
//!
//! One submodule per protocol, each with `probe` and a `Parser` (datagram or stream):
//!
//! | module | transport | what is read |
//! | --- | --- | --- |
//! | `ike` | UDP 500, 4500 | ISAKMP header: version, exchange type (RFC 2408, RFC 7296 3.1) |
//! | `esp`, `ah` | IP 50, 51 | nothing but presence (RFC 4303, RFC 4302) |
//! | `gre` | IP 47 | version, protocol type: PPTP's enhanced GRE is version 1 |
//! | `l2tp` | UDP 1701 | header and control message type (RFC 2661 3.1, 4.4) |
//! | `pptp` | TCP 1723 | control messages with magic 0x1A2B3C4D (RFC 2637 2) |
//! | `openvpn` | UDP or TCP, any port | hard-reset opcodes with plausible lengths |
//! | `wireguard` | UDP, any port | handshake messages of fixed size |
//!
//! Each parser emits at most [`MAX_EVENTS_PER_FLOW`] events per flow.

pub mod ah;
pub mod esp;
pub mod gre;
pub mod ike;
pub mod l2tp;
pub mod openvpn;
pub mod pptp;
pub mod wireguard;

use crate::event::{AppProtocol, EventKind};
use crate::parser::ParseCtx;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VpnEvent {
    pub protocol: AppProtocol,
    /// Protocol version where the header carries one (IKE 1/2, OpenVPN key method).
    pub version: Option<u8>,
    /// A short, closed description: e.g. "ike_sa_init", "hard_reset_client_v2",
    /// "handshake_initiation".
    pub message: &'static str,
}

/// VPN events one flow may emit; later handshakes are not reported again.
pub const MAX_EVENTS_PER_FLOW: u32 = 16;

/// Emits `VpnEvent`s under the per-flow cap.
#[derive(Debug, Default)]
pub(crate) struct Emitter {
    count: u32,
}

impl Emitter {
    pub(crate) fn emit(
        &mut self,
        ctx: &mut ParseCtx<'_>,
        protocol: AppProtocol,
        version: Option<u8>,
        message: &'static str,
    ) {
        if self.count >= MAX_EVENTS_PER_FLOW {
            return;
        }
        self.count = self.count.saturating_add(1);
        ctx.emit(EventKind::Vpn(VpnEvent {
            protocol,
            version,
            message,
        }));
    }

    /// Whether anything was emitted yet (parsers that report a flow once use this).
    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }
}

#[cfg(test)]
mod tests;
