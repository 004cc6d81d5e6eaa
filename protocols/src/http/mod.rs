//! HTTP/1.x request and response heads. STUB (issue 4).

use serde::Serialize;

/// A request head. Text fields capped at 256 bytes; the Basic password is never kept.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HttpRequest {
    pub method: String,
    pub uri: String,
    pub host: Option<String>,
    pub user_agent: Option<String>,
    /// User name from an `Authorization: Basic` header.
    pub basic_auth_user: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HttpResponse {
    pub status: u16,
    pub server: Option<String>,
}
