//! What became of a flow that crossed the boundary, from its end record: an attempt that
//! never got an answer (blocked somewhere, still a finding), a refusal, an answer without
//! data, or an exchange with payload.

use mizuban_protocols::event::{FlowEnd, TcpState};
use serde::Serialize;

/// Ordered by how much it proves: the alert keeps the strongest outcome seen.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Only the client spoke (TCP SYN with no SYN-ACK; a datagram with no reply).
    NoAnswer,
    /// TCP reset by the server (or a device on the path) without data.
    Refused,
    /// The server answered (handshake, or reply packets) but no payload moved.
    AnsweredNoPayload,
    /// Payload moved and the server answered.
    Payload,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::NoAnswer,
        Outcome::Refused,
        Outcome::AnsweredNoPayload,
        Outcome::Payload,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::NoAnswer => "no_answer",
            Outcome::Refused => "refused",
            Outcome::AnsweredNoPayload => "answered_no_payload",
            Outcome::Payload => "payload",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    pub fn of(end: &FlowEnd) -> Outcome {
        let answered = end.to_client.packets > 0;
        let payload = end
            .to_server
            .payload_bytes
            .saturating_add(end.to_client.payload_bytes)
            > 0;
        match end.tcp_state {
            TcpState::SynSent => Outcome::NoAnswer,
            _ if !answered => Outcome::NoAnswer,
            _ if payload => Outcome::Payload,
            TcpState::Reset => Outcome::Refused,
            _ => Outcome::AnsweredNoPayload,
        }
    }

    /// How the message words it, from the client's side.
    pub fn verb(self) -> &'static str {
        match self {
            Outcome::NoAnswer => "tried to reach (no answer: blocked or unreachable)",
            Outcome::Refused => "was refused by",
            Outcome::AnsweredNoPayload => "got an answer without data from",
            Outcome::Payload => "exchanged data with",
        }
    }
}
