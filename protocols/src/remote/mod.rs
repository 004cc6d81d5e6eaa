//! Remote access: RDP, VNC, SSH, Telnet, TeamViewer, AnyDesk. STUB (issue 4).

use crate::event::AppProtocol;
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
