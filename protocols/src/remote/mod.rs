//! Remote access: RDP, VNC, SSH, Telnet, TeamViewer, AnyDesk. Each submodule has a
//! `probe` and a `Parser`; each emits one `RemoteAccess` per flow (Telnet also emits
//! `Auth` events for the login it carries, RDP an `RdpClient` when its client data is
//! in clear).
//!
//! | module | transport | what is read |
//! | --- | --- | --- |
//! | `ssh` | TCP | both identification strings (RFC 4253 4.2) |
//! | `rdp` | TCP | X.224 CR, "Cookie: mstshash=" user (MS-RDPBCGR 2.2.1.1); with standard RDP security, the client core data (`rdp_mcs`) |
//! | `vnc` | TCP | both RFB ProtocolVersion messages (RFC 6143 7.1.1) |
//! | `telnet` | TCP | option negotiation, login prompt and user (RFC 854) |
//! | `teamviewer` | TCP/UDP 5938 | header magic |
//! | `anydesk` | TCP/UDP 7070 | TLS ClientHello with an anydesk SNI |

pub mod anydesk;
mod banner;
pub mod rdp;
pub mod rdp_mcs;
pub mod ssh;
pub mod teamviewer;
pub mod telnet;
pub mod vnc;

use crate::event::{AppProtocol, EventKind};
use crate::parser::ParseCtx;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RemoteAccess {
    pub protocol: AppProtocol,
    /// Client software banner (SSH) or version (VNC), capped at 128 bytes.
    pub client_software: Option<String>,
    pub server_software: Option<String>,
    /// RDP cookie user name (mstshash), capped at 64 bytes.
    pub user: Option<String>,
}

/// Emits a `RemoteAccess` with nothing but the protocol, the first time it is called for
/// a flow (`emitted` is the flow's flag). For parsers whose finding is the session itself.
fn emit_once(emitted: &mut bool, ctx: &mut ParseCtx<'_>, protocol: AppProtocol) {
    if !*emitted {
        *emitted = true;
        ctx.emit(EventKind::RemoteAccess(RemoteAccess {
            protocol,
            client_software: None,
            server_software: None,
            user: None,
        }));
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod props {
    use crate::common::testutil::{datagrams, stream};
    use crate::parser::Direction::{ToClient, ToServer};
    use proptest::prelude::*;

    proptest! {
        /// Arbitrary bytes, both directions, never panic any remote-access parser.
        #[test]
        fn arbitrary_bytes_never_panic(a in proptest::collection::vec(any::<u8>(), 0..400),
                                        b in proptest::collection::vec(any::<u8>(), 0..400)) {
            let f: &[(crate::parser::Direction, &[u8])] = &[(ToServer, &a), (ToClient, &b), (ToServer, &b)];
            let _ = stream(&mut super::ssh::Parser::new(), f);
            let _ = stream(&mut super::rdp::Parser::new(), f);
            let _ = stream(&mut super::vnc::Parser::new(), f);
            let _ = stream(&mut super::telnet::Parser::new(), f);
            let _ = stream(&mut super::teamviewer::Parser::new(), f);
            let _ = stream(&mut super::anydesk::Parser::new(), f);
            let _ = datagrams(&mut super::anydesk::Parser::new(), f);
            let _ = stream(&mut crate::auth::ftp::Parser::new(), f);
        }

        /// A Telnet login split at any point gives the same events as in one piece.
        #[test]
        fn telnet_login_split_anywhere(cut in 0usize..40) {
            let server: &[u8] = b"\xff\xfd\x18login: ";
            let client: &[u8] = b"operator\r\n";
            let cut = cut.min(client.len());
            let whole = stream(&mut super::telnet::Parser::new(), &[(ToClient, server), (ToServer, client)]);
            let split = stream(
                &mut super::telnet::Parser::new(),
                &[(ToClient, server), (ToServer, &client[..cut]), (ToServer, &client[cut..])],
            );
            prop_assert_eq!(whole, split);
        }

        /// FTP commands split at any point give the same events.
        #[test]
        fn ftp_split_anywhere(cut in 0usize..60) {
            let up: &[u8] = b"USER alice\r\nPASS x\r\n";
            let down: &[u8] = b"331 ok\r\n530 no\r\n";
            let cut = cut.min(up.len());
            let whole = stream(&mut crate::auth::ftp::Parser::new(), &[(ToServer, up), (ToClient, down)]);
            let split = stream(
                &mut crate::auth::ftp::Parser::new(),
                &[(ToServer, &up[..cut]), (ToServer, &up[cut..]), (ToClient, down)],
            );
            prop_assert_eq!(whole, split);
        }
    }
}
