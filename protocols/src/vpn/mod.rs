//! VPN protocols: IKEv1/v2, ESP, AH, L2TP, PPTP, GRE, OpenVPN, WireGuard, SSL-VPN hints.
//! STUB (issue 4).

use crate::event::AppProtocol;
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
