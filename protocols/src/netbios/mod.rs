//! NetBIOS over TCP/IP (RFC 1001, RFC 1002): the name service on UDP 137 and the
//! datagram service on UDP 138 with the Windows browser announcements inside it.
//!
//! - `name.rs`: the first-level name encoding and suffix types.
//! - `ns.rs`: name service messages -> [`NbnsMessage`] (`nbns` events).
//! - `dgm.rs`: datagrams, SMB mailslot transactions, browser payloads ->
//!   [`BrowserAnnouncement`] (`browser` events).
//!
//! NBNS looks like DNS (same header, RFC 1002 section 4.2.1) but its names are
//! 32-character encoded labels: it has its own probe and port, so it is never
//! reported as DNS (issue 19).

use crate::registry::{ANY_PORT, Category, DatagramOnly, On, ProtocolSpec};
mod dgm;
mod event;
pub mod name;
mod ns;

/// Registry entry of nbns (see [`crate::registry`]).
pub const NBNS_SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Naming,
    udp: On::ports(&[137]).probe(probe_ns, ANY_PORT),
    parser: Some(|_| Box::new(DatagramOnly(Parser::new(Service::Name)))),
    ..ProtocolSpec::new(AppProtocol::Nbns, "nbns")
};

/// Registry entry of netbios_dgm (see [`crate::registry`]).
pub const DGM_SPEC: ProtocolSpec = ProtocolSpec {
    category: Category::Naming,
    udp: On::ports(&[138]).probe(probe_dgm, ANY_PORT),
    parser: Some(|_| Box::new(DatagramOnly(Parser::new(Service::Datagram)))),
    ..ProtocolSpec::new(AppProtocol::NetbiosDgm, "netbios_dgm")
};

#[cfg(test)]
mod tests;

pub use dgm::{Datagram, DgmError, SERVER_TYPE_BITS, parse_browser, parse_datagram};
pub use event::{BrowserAnnouncement, NbAddress, NbRecord, NbnsMessage, NodeName};
pub use name::NetbiosName;
pub use ns::{NsError, parse_message};

use crate::common::ErrorBudget;
use crate::event::{AppProtocol, EventKind};
use crate::parser::{DatagramParser, Direction, ParseCtx, Probe};

/// NetBIOS name service port (RFC 1002 section 4.2).
pub const NS_PORT: u16 = 137;
/// NetBIOS datagram service port (RFC 1002 section 4.4).
pub const DGM_PORT: u16 = 138;

/// Name service probe: a DNS-shaped header with a defined opcode and a first name that
/// is a first-level encoded label.
pub fn probe_ns(data: &[u8], _dir: Direction) -> Probe {
    match parse_message(data) {
        Ok(m) if m.query.is_some() || !m.records.is_empty() => Probe::Match,
        _ => Probe::NoMatch,
    }
}

/// Datagram service probe: message type 0x10-0x12 and an encoded source name.
pub fn probe_dgm(data: &[u8], _dir: Direction) -> Probe {
    if dgm::looks_like(data) {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}

/// Which service a flow carries.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Service {
    Name,
    Datagram,
}

/// Per-flow state: only the error budget (every datagram stands alone).
#[derive(Debug)]
pub struct Parser {
    service: Service,
    errors: ErrorBudget,
}

impl Parser {
    pub fn new(service: Service) -> Parser {
        Parser {
            service,
            errors: ErrorBudget::default(),
        }
    }
}

impl DatagramParser for Parser {
    fn on_datagram(&mut self, ctx: &mut ParseCtx<'_>, dir: Direction, data: &[u8]) {
        if self.errors.exhausted() {
            return;
        }
        match self.service {
            Service::Name => match parse_message(data) {
                Ok(mut m) => {
                    m.sender = match dir {
                        Direction::ToServer => ctx.flow.client.ip(),
                        Direction::ToClient => ctx.flow.server.ip(),
                    };
                    ctx.emit(EventKind::Nbns(m));
                }
                Err(e) => self.errors.report(ctx, AppProtocol::Nbns, e.reason()),
            },
            Service::Datagram => match parse_datagram(data) {
                Ok(Datagram::Browser(a)) => ctx.emit(EventKind::Browser(*a)),
                Ok(Datagram::Other { .. }) => {}
                Err(e) => self.errors.report(ctx, AppProtocol::NetbiosDgm, e.reason()),
            },
        }
    }
}
