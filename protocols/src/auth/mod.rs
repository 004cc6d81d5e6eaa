//! Logins seen in cleartext or failing: Telnet (`remote::telnet`), FTP (`ftp`), HTTP
//! Basic and 401 (`http`), SMB2 SESSION_SETUP (`smb`). Passwords are never stored:
//! parsers skip them (FTP `PASS` is not read, Telnet input after a password prompt is
//! discarded, the decoded Basic credential is wiped after the user name is copied).

pub mod ftp;
pub mod smb;

use crate::event::AppProtocol;
use serde::Serialize;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthOutcome {
    /// Credentials sent in cleartext (outcome unknown yet).
    Attempt,
    Success,
    Failure,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuthEvent {
    pub protocol: AppProtocol,
    pub outcome: AuthOutcome,
    pub cleartext: bool,
    /// User name, capped at 64 bytes.
    pub user: Option<String>,
    /// Protocol status code where there is one (FTP 530, HTTP 401, NTSTATUS).
    pub status: Option<u32>,
}
