//! The HTTP(S) server for `/metrics`, on tokio with axum and axum-server.
//!
//! Routes: `/metrics` (Prometheus text format), `/` (a link page) and `/-/healthy`.
//! With a [`WebConfig`], TLS and HTTP basic auth apply to every route, as in
//! Prometheus' exporter-toolkit.

use crate::web_config::{WebConfig, WebConfigError};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use prometheus::{Encoder, Registry, TextEncoder};
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long in-flight scrapes may finish after shutdown is asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// A client must send its request head within this time (a slow sender holding
/// connections open must not starve Prometheus' scrapes).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest `Authorization` header considered; longer ones are refused unparsed.
pub const MAX_AUTH_HEADER_BYTES: usize = 1024;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    #[error("metrics listener: cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    WebConfig(#[from] WebConfigError),
    #[error("metrics server on {addr}: {source}")]
    Serve {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A bound, not yet running, metrics server. Binding first lets the caller report a
/// busy port at startup and learn the port when it asked for port 0.
pub struct MetricsServer {
    listener: std::net::TcpListener,
    local: SocketAddr,
    tls: Option<Arc<rustls::ServerConfig>>,
    app: Router,
}

impl MetricsServer {
    /// Binds `listen` and prepares TLS (reading the certificate files) and auth.
    pub fn bind(
        listen: SocketAddr,
        web: Option<WebConfig>,
        registry: Registry,
    ) -> Result<MetricsServer, ServeError> {
        let web = web.unwrap_or_default();
        let tls = match &web.tls {
            Some(t) => Some(t.server_config()?),
            None => None,
        };
        let bind_err = |source| ServeError::Bind {
            addr: listen,
            source,
        };
        let listener = std::net::TcpListener::bind(listen).map_err(bind_err)?;
        // tokio adopts the socket only in non-blocking mode.
        listener.set_nonblocking(true).map_err(bind_err)?;
        let local = listener.local_addr().map_err(bind_err)?;
        Ok(MetricsServer {
            listener,
            local,
            tls,
            app: router(registry, web.basic_auth_users),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish for at
    /// most [`SHUTDOWN_GRACE`]. Must run inside a tokio runtime.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let addr = self.local;
        let serve_err = |source| ServeError::Serve { addr, source };
        let handle = axum_server::Handle::new();
        let h = handle.clone();
        tokio::spawn(async move {
            shutdown.await;
            h.graceful_shutdown(Some(SHUTDOWN_GRACE));
        });
        let make = self.app.into_make_service();
        match self.tls {
            None => {
                let mut server = axum_server::from_tcp(self.listener).map_err(serve_err)?;
                limit_http1(&mut server);
                server.handle(handle).serve(make).await
            }
            Some(cfg) => {
                let cfg = axum_server::tls_rustls::RustlsConfig::from_config(cfg);
                let mut server = axum_server::tls_rustls::from_tcp_rustls(self.listener, cfg)
                    .map_err(serve_err)?;
                limit_http1(&mut server);
                server.handle(handle).serve(make).await
            }
        }
        .map_err(serve_err)
    }
}

/// Binds and serves `/metrics` until `shutdown` completes.
pub async fn serve(
    listen: SocketAddr,
    web: Option<WebConfig>,
    registry: Registry,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    MetricsServer::bind(listen, web, registry)?
        .run(shutdown)
        .await
}

fn router(registry: Registry, users: BTreeMap<String, String>) -> Router {
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/", get(index))
        .route("/-/healthy", get(healthy))
        .with_state(registry);
    if users.is_empty() {
        app
    } else {
        let auth = Arc::new(Auth {
            users,
            verified: Mutex::new(BTreeMap::new()),
        });
        app.layer(middleware::from_fn_with_state(auth, require_auth))
    }
}

async fn metrics(State(registry): State<Registry>) -> Response {
    let encoder = TextEncoder::new();
    let mut body = Vec::new();
    match encoder.encode(&registry.gather(), &mut body) {
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(prometheus::TEXT_FORMAT),
            )],
            body,
        )
            .into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("encoding metrics failed: {e}\n"),
        )
            .into_response(),
    }
}

async fn index() -> Html<&'static str> {
    Html(concat!(
        "<!DOCTYPE html>\n<html><head><title>mizuban</title></head><body>\n",
        "<h1>mizuban</h1>\n<p>Passive OT network monitor, version ",
        env!("CARGO_PKG_VERSION"),
        ".</p>\n<ul><li><a href=\"metrics\">Metrics</a></li>\n",
        "<li><a href=\"-/healthy\">Health</a></li></ul>\n</body></html>\n"
    ))
}

async fn healthy() -> &'static str {
    "mizuban is healthy.\n"
}

/// Basic-auth users and the passwords already verified for them. bcrypt is slow on
/// purpose (tens of milliseconds per check); remembering the last good password per
/// user, as exporter-toolkit does, keeps every scrape from paying that.
struct Auth {
    users: BTreeMap<String, String>,
    verified: Mutex<BTreeMap<String, Vec<u8>>>,
}

async fn require_auth(State(auth): State<Arc<Auth>>, req: Request, next: Next) -> Response {
    if authorized(&auth, req.headers()).await {
        next.run(req).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"mizuban\""),
            )],
            "Unauthorized\n",
        )
            .into_response()
    }
}

/// Splits `Authorization: Basic base64(user:password)`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, Vec<u8>)> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    if value.len() > MAX_AUTH_HEADER_BYTES {
        return None;
    }
    let (scheme, rest) = value.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case(b"basic ") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim_ascii())
        .ok()?;
    let colon = decoded.iter().position(|b| *b == b':')?;
    let (user, pass) = decoded.split_at(colon);
    let user = String::from_utf8(user.to_vec()).ok()?;
    Some((user, pass.get(1..)?.to_vec()))
}

/// Equal-length-time comparison, so a cached password cannot be guessed byte by byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn authorized(auth: &Arc<Auth>, headers: &HeaderMap) -> bool {
    let Some((user, pass)) = basic_credentials(headers) else {
        return false;
    };
    {
        let verified = auth.verified.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(good) = verified.get(&user)
            && constant_time_eq(good, &pass)
        {
            return true;
        }
    }
    // An unknown user still costs one bcrypt check (against any configured hash), so
    // response time does not tell which user names exist.
    let known = auth.users.get(&user);
    let Some(hash) = known.or_else(|| auth.users.values().next()).cloned() else {
        return false;
    };
    let pw = pass.clone();
    let ok = tokio::task::spawn_blocking(move || bcrypt::verify(&pw, &hash).unwrap_or(false))
        .await
        .unwrap_or(false);
    if ok && known.is_some() {
        auth.verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(user, pass);
        return true;
    }
    false
}

/// HTTP/1 settings shared by the plain and the TLS listener: a slow client gets
/// [`HEADER_READ_TIMEOUT`] to send its request head.
fn limit_http1<A: axum_server::Address, Acc>(server: &mut axum_server::Server<A, Acc>) {
    server
        .http_builder()
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
}
