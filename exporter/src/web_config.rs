//! The web configuration file for `/metrics`, in the format of Prometheus'
//! exporter-toolkit (`--web.config.file`), so operators reuse what they know:
//!
//! ```yaml
//! tls_server_config:
//!   cert_file: sensor.crt      # PEM, leaf first; relative to this file's directory
//!   key_file: sensor.key       # PEM private key (PKCS#8, PKCS#1 or SEC1)
//!   min_version: TLS12         # optional: TLS12 (default) or TLS13
//! basic_auth_users:
//!   prometheus: $2y$10$...     # bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\n')
//! ```
//!
//! Keys this implementation does not support (client certificates, HTTP/2 settings,
//! custom headers, ...) are rejected rather than silently ignored: a sensor configured
//! for client-certificate auth must not come up without it.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest web config file read, in bytes. Real ones are a few hundred bytes.
pub const MAX_WEB_CONFIG_BYTES: u64 = 64 * 1024;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebConfigError {
    #[error("web config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("web config {path}: larger than {MAX_WEB_CONFIG_BYTES} bytes")]
    TooLarge { path: PathBuf },
    #[error("web config: {0}")]
    Yaml(String),
    #[error("web config: basic_auth_users.{user}: not a bcrypt hash")]
    BadHash { user: String },
    #[error("web config: basic_auth_users: empty user name")]
    EmptyUser,
    #[error("web config: tls_server_config.min_version {0:?}: expected TLS12 or TLS13")]
    MinVersion(String),
    #[error("web config: tls {what} {path}: {reason}")]
    Tls {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTop {
    tls_server_config: Option<FileTls>,
    basic_auth_users: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTls {
    cert_file: PathBuf,
    key_file: PathBuf,
    min_version: Option<String>,
}

/// TLS settings with paths resolved against the config file's directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSettings {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    /// Allow TLS 1.2 (the default, as in exporter-toolkit) or only TLS 1.3.
    pub allow_tls12: bool,
}

/// A validated web configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebConfig {
    pub tls: Option<TlsSettings>,
    /// User name to bcrypt hash. Empty: no authentication.
    pub basic_auth_users: BTreeMap<String, String>,
}

impl WebConfig {
    /// Reads and validates a web config file. Relative paths in it are resolved
    /// against the file's directory, as exporter-toolkit does.
    pub fn from_file(path: &Path) -> Result<WebConfig, WebConfigError> {
        use std::io::Read;
        let read_err = |source| WebConfigError::Read {
            path: path.to_owned(),
            source,
        };
        let f = std::fs::File::open(path).map_err(read_err)?;
        let mut text = String::new();
        f.take(MAX_WEB_CONFIG_BYTES.saturating_add(1))
            .read_to_string(&mut text)
            .map_err(read_err)?;
        if text.len() as u64 > MAX_WEB_CONFIG_BYTES {
            return Err(WebConfigError::TooLarge {
                path: path.to_owned(),
            });
        }
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        WebConfig::from_yaml(&text, base)
    }

    /// Parses and validates YAML text; relative paths resolve against `base_dir`.
    /// TLS files are checked (readable, parse as PEM) here, so a bad file fails at
    /// startup rather than at the first scrape.
    pub fn from_yaml(text: &str, base_dir: &Path) -> Result<WebConfig, WebConfigError> {
        // An empty file is a valid config meaning "plain HTTP, no auth".
        if text.trim().is_empty() {
            return Ok(WebConfig::default());
        }
        let top: FileTop =
            serde_yaml_ng::from_str(text).map_err(|e| WebConfigError::Yaml(e.to_string()))?;
        let basic_auth_users = top.basic_auth_users.unwrap_or_default();
        for (user, hash) in &basic_auth_users {
            if user.is_empty() {
                return Err(WebConfigError::EmptyUser);
            }
            if hash.parse::<bcrypt::HashParts>().is_err() {
                return Err(WebConfigError::BadHash { user: user.clone() });
            }
        }
        let tls = match top.tls_server_config {
            None => None,
            Some(t) => {
                let allow_tls12 = match t.min_version.as_deref() {
                    None | Some("TLS12") => true,
                    Some("TLS13") => false,
                    Some(other) => return Err(WebConfigError::MinVersion(other.to_owned())),
                };
                let settings = TlsSettings {
                    cert_file: base_dir.join(t.cert_file),
                    key_file: base_dir.join(t.key_file),
                    allow_tls12,
                };
                settings.server_config()?;
                Some(settings)
            }
        };
        Ok(WebConfig {
            tls,
            basic_auth_users,
        })
    }
}

impl TlsSettings {
    /// Loads the certificate chain and key into a rustls server config (ring provider).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, WebConfigError> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let tls_err = |what: &'static str, path: &Path, reason: String| WebConfigError::Tls {
            what,
            path: path.to_owned(),
            reason,
        };
        let certs = CertificateDer::pem_file_iter(&self.cert_file)
            .map_err(|e| tls_err("cert_file", &self.cert_file, e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| tls_err("cert_file", &self.cert_file, e.to_string()))?;
        if certs.is_empty() {
            return Err(tls_err(
                "cert_file",
                &self.cert_file,
                "no CERTIFICATE block".to_owned(),
            ));
        }
        let key = PrivateKeyDer::from_pem_file(&self.key_file)
            .map_err(|e| tls_err("key_file", &self.key_file, e.to_string()))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: &[&rustls::SupportedProtocolVersion] = if self.allow_tls12 {
            &[&rustls::version::TLS13, &rustls::version::TLS12]
        } else {
            &[&rustls::version::TLS13]
        };
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .map_err(|e| tls_err("config", &self.cert_file, e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| tls_err("key_file", &self.key_file, e.to_string()))?;
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(cfg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_means_plain_http_without_auth() {
        assert_eq!(
            WebConfig::from_yaml("", Path::new(".")).unwrap(),
            WebConfig::default()
        );
    }

    #[test]
    fn unknown_top_level_key_is_rejected() {
        let e = WebConfig::from_yaml("http_server_config:\n  http2: false\n", Path::new("."))
            .unwrap_err();
        assert!(e.to_string().contains("http_server_config"), "{e}");
    }

    #[test]
    fn unsupported_tls_key_is_rejected() {
        let y = "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n";
        let e = WebConfig::from_yaml(y, Path::new(".")).unwrap_err();
        assert!(e.to_string().contains("client_ca_file"), "{e}");
    }

    #[test]
    fn tls_needs_both_files() {
        let e = WebConfig::from_yaml("tls_server_config:\n  cert_file: a\n", Path::new("."))
            .unwrap_err();
        assert!(e.to_string().contains("key_file"), "{e}");
    }

    #[test]
    fn missing_cert_file_is_reported_with_its_resolved_path() {
        let y = "tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n";
        let e = WebConfig::from_yaml(y, Path::new("/nonexistent-dir")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent-dir/nope.crt"), "{e}");
    }

    #[test]
    fn bad_min_version_is_rejected() {
        let y = "tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: SSL3\n";
        assert!(matches!(
            WebConfig::from_yaml(y, Path::new(".")),
            Err(WebConfigError::MinVersion(_))
        ));
    }

    #[test]
    fn users_parse_and_hashes_are_checked() {
        // Cost 4 (the minimum) keeps the test fast.
        let hash = bcrypt::hash("secret", 4).unwrap();
        let ok = WebConfig::from_yaml(
            &format!("basic_auth_users:\n  prom: '{hash}'\n"),
            Path::new("."),
        )
        .unwrap();
        assert_eq!(
            ok.basic_auth_users.get("prom").map(String::as_str),
            Some(hash.as_str())
        );
        let bad = WebConfig::from_yaml("basic_auth_users:\n  prom: plaintext\n", Path::new("."));
        assert!(matches!(bad, Err(WebConfigError::BadHash { .. })));
    }
}
