//! Per-flow state shared by the parsers that read one banner from each side (SSH
//! identification strings, VNC ProtocolVersion) and emit one `RemoteAccess` carrying both.

use super::RemoteAccess;
use crate::common::StreamBuf;
use crate::event::{AppProtocol, EventKind};
use crate::parser::{Direction, ParseCtx};

/// One direction's banner.
#[derive(Debug, Default)]
pub(crate) struct Side {
    pub(crate) buf: StreamBuf,
    pub(crate) banner: Option<String>,
    /// Banner found or given up on.
    pub(crate) done: bool,
}

/// Both directions, and whether the flow's event was emitted.
#[derive(Debug, Default)]
pub(crate) struct Banners {
    sides: [Side; 2],
    emitted: bool,
}

impl Banners {
    pub(crate) fn side_mut(&mut self, dir: Direction) -> Option<&mut Side> {
        self.sides.get_mut(dir.index())
    }

    /// Emits once both sides are done.
    pub(crate) fn emit_if_done(&mut self, ctx: &mut ParseCtx<'_>, protocol: AppProtocol) {
        if self.sides.iter().all(|s| s.done) {
            self.emit(ctx, protocol);
        }
    }

    /// Emits the flow's event once, if either side sent a banner. The client's banner
    /// travels to the server.
    pub(crate) fn emit(&mut self, ctx: &mut ParseCtx<'_>, protocol: AppProtocol) {
        let [to_server, to_client] = &self.sides;
        if self.emitted || (to_server.banner.is_none() && to_client.banner.is_none()) {
            return;
        }
        self.emitted = true;
        ctx.emit(EventKind::RemoteAccess(RemoteAccess {
            protocol,
            client_software: to_server.banner.clone(),
            server_software: to_client.banner.clone(),
            user: None,
        }));
    }

    /// A gap ends that side's banner search.
    pub(crate) fn on_gap(&mut self, dir: Direction) {
        if let Some(side) = self.side_mut(dir) {
            side.buf.clear();
            side.done = true;
        }
    }
}
