//! The /metrics server: plain HTTP, basic auth, TLS, bind errors, shutdown. Loopback only.

use mizuban_exporter::server::{MetricsServer, ServeError};
use mizuban_exporter::{Metrics, MetricsSnapshot, WebConfig};
use prometheus::Registry;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::oneshot;

/// Bound on any single network step of a test, so a hang fails instead of stalling CI.
const STEP: Duration = Duration::from_secs(20);

struct Response {
    status: u16,
    head: String,
    body: String,
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    path: &str,
    auth: Option<(&str, &str)>,
) -> std::io::Result<Response> {
    use base64::Engine;
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some((u, p)) = auth {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
        req.push_str(&format!("Authorization: Basic {token}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no HTTP head in {text:?}")))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in {head:?}")))?;
    Ok(Response {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    })
}

async fn get(addr: SocketAddr, path: &str, auth: Option<(&str, &str)>) -> Response {
    tokio::time::timeout(STEP, async {
        let s = tokio::net::TcpStream::connect(addr).await?;
        exchange(s, path, auth).await
    })
    .await
    .expect("request timed out")
    .expect("request failed")
}

fn tls_connector(ca_der: rustls::pki_types::CertificateDer<'static>) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca_der).unwrap();
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
}

async fn get_tls(
    connector: &tokio_rustls::TlsConnector,
    addr: SocketAddr,
    path: &str,
    auth: Option<(&str, &str)>,
) -> std::io::Result<Response> {
    tokio::time::timeout(STEP, async {
        let tcp = tokio::net::TcpStream::connect(addr).await?;
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let tls = connector.connect(name, tcp).await?;
        exchange(tls, path, auth).await
    })
    .await
    .expect("TLS request timed out")
}

/// A registry with every family touched, so scrapes have content to check.
fn registry() -> Registry {
    let reg = Registry::new();
    let mut m = Metrics::register(&reg).unwrap();
    m.update(&MetricsSnapshot::every_family());
    reg
}

/// Starts a server on a free loopback port; dropping the sender shuts it down.
fn start(
    web: Option<WebConfig>,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), ServeError>>,
) {
    let server = MetricsServer::bind("127.0.0.1:0".parse().unwrap(), web, registry()).unwrap();
    let addr = server.local_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = rx.await;
    }));
    (addr, tx, task)
}

async fn stop(tx: oneshot::Sender<()>, task: tokio::task::JoinHandle<Result<(), ServeError>>) {
    drop(tx);
    tokio::time::timeout(STEP, task)
        .await
        .expect("server did not shut down")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn serves_metrics_index_and_health_over_http_then_shuts_down() {
    let (addr, tx, task) = start(None);
    let r = get(addr, "/metrics", None).await;
    assert_eq!(r.status, 200);
    assert!(
        r.head
            .to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{}",
        r.head
    );
    assert!(
        r.body.contains("# TYPE mizuban_alerts_total counter"),
        "{}",
        r.body
    );
    assert!(r.body.contains("mizuban_drops_total{reason=\"kernel\"} 7"));
    let r = get(addr, "/", None).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<a href=\"metrics\">"), "{}", r.body);
    let r = get(addr, "/-/healthy", None).await;
    assert_eq!(r.status, 200);
    let r = get(addr, "/nope", None).await;
    assert_eq!(r.status, 404);
    stop(tx, task).await;
}

#[tokio::test]
async fn bind_error_names_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let e = MetricsServer::bind(addr, None, Registry::new())
        .err()
        .expect("binding a taken port must fail");
    assert!(matches!(e, ServeError::Bind { .. }), "{e:?}");
    assert!(e.to_string().contains(&addr.to_string()), "{e}");
}

fn auth_config() -> WebConfig {
    // Cost 4 (the minimum) keeps the test fast; production hashes use 10 or more.
    let hash = bcrypt::hash("s3cret", 4).unwrap();
    WebConfig::from_yaml(
        &format!("basic_auth_users:\n  prometheus: '{hash}'\n"),
        std::path::Path::new("."),
    )
    .unwrap()
}

#[tokio::test]
async fn basic_auth_accepts_the_right_password_and_refuses_the_rest() {
    let (addr, tx, task) = start(Some(auth_config()));
    let r = get(addr, "/metrics", None).await;
    assert_eq!(r.status, 401);
    assert!(
        r.head
            .to_ascii_lowercase()
            .contains("www-authenticate: basic"),
        "{}",
        r.head
    );
    assert!(!r.body.contains("mizuban_"));
    assert_eq!(
        get(addr, "/metrics", Some(("prometheus", "wrong")))
            .await
            .status,
        401
    );
    assert_eq!(
        get(addr, "/metrics", Some(("intruder", "s3cret")))
            .await
            .status,
        401
    );
    assert_eq!(get(addr, "/-/healthy", None).await.status, 401);
    let ok = get(addr, "/metrics", Some(("prometheus", "s3cret"))).await;
    assert_eq!(ok.status, 200);
    assert!(ok.body.contains("mizuban_build_info"));
    // Again, now answered from the verified-password cache; a wrong one still fails.
    assert_eq!(
        get(addr, "/metrics", Some(("prometheus", "s3cret")))
            .await
            .status,
        200
    );
    assert_eq!(
        get(addr, "/metrics", Some(("prometheus", "s3cre")))
            .await
            .status,
        401
    );
    stop(tx, task).await;
}

#[tokio::test]
async fn malformed_authorization_headers_are_refused() {
    let (addr, tx, task) = start(Some(auth_config()));
    for header in [
        "Basic !!!notbase64",
        "Bearer abc",
        "Basic ",                 // empty
        "Basic cHJvbWV0aGV1cw==", // "prometheus" without a colon
    ] {
        let r = tokio::time::timeout(STEP, async {
            let mut s = tokio::net::TcpStream::connect(addr).await?;
            let req = format!(
                "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: {header}\r\n\r\n"
            );
            s.write_all(req.as_bytes()).await?;
            let mut raw = Vec::new();
            s.read_to_end(&mut raw).await?;
            std::io::Result::Ok(String::from_utf8_lossy(&raw).into_owned())
        })
        .await
        .unwrap()
        .unwrap();
        assert!(r.starts_with("HTTP/1.1 401"), "{header}: {r}");
    }
    stop(tx, task).await;
}

/// Writes a self-signed certificate for "localhost" and its key into `dir`.
fn self_signed(dir: &std::path::Path) -> rustls::pki_types::CertificateDer<'static> {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.join("sensor.crt"), ck.cert.pem()).unwrap();
    std::fs::write(dir.join("sensor.key"), ck.signing_key.serialize_pem()).unwrap();
    ck.cert.der().clone()
}

#[tokio::test]
async fn tls_with_basic_auth_from_a_web_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let ca = self_signed(dir.path());
    let hash = bcrypt::hash("s3cret", 4).unwrap();
    let cfg_path = dir.path().join("web.yml");
    // Relative paths resolve against the config file's directory, as in exporter-toolkit.
    std::fs::write(
        &cfg_path,
        format!(
            "tls_server_config:\n  cert_file: sensor.crt\n  key_file: sensor.key\n\
             basic_auth_users:\n  prometheus: '{hash}'\n"
        ),
    )
    .unwrap();
    let web = WebConfig::from_file(&cfg_path).unwrap();
    let (addr, tx, task) = start(Some(web));
    let connector = tls_connector(ca);
    let r = get_tls(&connector, addr, "/metrics", Some(("prometheus", "s3cret")))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.contains("mizuban_build_info"));
    let r = get_tls(&connector, addr, "/metrics", None).await.unwrap();
    assert_eq!(r.status, 401);
    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = tokio::time::timeout(STEP, async {
        let s = tokio::net::TcpStream::connect(addr).await?;
        exchange(s, "/metrics", Some(("prometheus", "s3cret"))).await
    })
    .await
    .unwrap();
    assert!(plain.is_err() || plain.is_ok_and(|r| r.status != 200));
    stop(tx, task).await;
}

#[tokio::test]
async fn tls_refuses_a_client_that_does_not_trust_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let _served = self_signed(dir.path());
    let web = WebConfig::from_yaml(
        "tls_server_config:\n  cert_file: sensor.crt\n  key_file: sensor.key\n  min_version: TLS13\n",
        dir.path(),
    )
    .unwrap();
    let (addr, tx, task) = start(Some(web));
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let connector = tls_connector(other.cert.der().clone());
    assert!(get_tls(&connector, addr, "/metrics", None).await.is_err());
    stop(tx, task).await;
}

#[test]
fn key_that_does_not_match_is_reported_at_config_time() {
    let dir = tempfile::tempdir().unwrap();
    let _ = self_signed(dir.path());
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(
        dir.path().join("other.key"),
        other.signing_key.serialize_pem(),
    )
    .unwrap();
    let e = WebConfig::from_yaml(
        "tls_server_config:\n  cert_file: sensor.crt\n  key_file: other.key\n",
        dir.path(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("other.key"), "{e}");
}

/// The shipped example uses only supported keys; its placeholder hash must be replaced
/// before a sensor starts with it.
#[test]
fn shipped_web_config_example_has_only_known_keys() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy/prometheus/web-config.example.yml");
    match WebConfig::from_file(&path) {
        Err(mizuban_exporter::WebConfigError::BadHash { user }) => assert_eq!(user, "prometheus"),
        other => panic!("{other:?}"),
    }
}
