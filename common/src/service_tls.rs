//! TLS to the backing services: each service's CA flag, reading a CA file, the PostgreSQL
//! options a CA file implies, and telling a certificate that did not verify apart from
//! any other failure to connect (so the error at start says which it was).
//!
//! All three clients use rustls with ring; each trusts the system's roots unless given a
//! CA file (see `config::ServiceArgs`).

use crate::services::ServiceError;
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use std::path::Path;
use std::str::FromStr;

/// A backing service, as its errors name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Nats,
    Redis,
    Postgres,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Nats => "NATS",
            Service::Redis => "Redis",
            Service::Postgres => "PostgreSQL",
        }
    }

    /// The flag that gives this service's CA file.
    pub fn ca_flag(self) -> &'static str {
        match self {
            Service::Nats => "--nats-ca-file",
            Service::Redis => "--redis-ca-file",
            Service::Postgres => "--database-ca-file",
        }
    }
}

/// The PEM bytes of a CA file, or an error naming the file and the service.
pub async fn read_ca(service: Service, path: &Path) -> Result<Vec<u8>, ServiceError> {
    let pem = tokio::fs::read(path).await.map_err(|e| ServiceError::CaFile {
        service: service.name(),
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(ServiceError::CaFile { service: service.name(), path: path.to_owned(), message: "no PEM certificate in it".into() });
    }
    Ok(pem)
}

/// PostgreSQL connect options from `url`, trusting `ca` when given (libpq's `sslrootcert`):
/// with a CA file the server is verified, so `prefer` (the default) and `require`, which
/// check nothing, become `verify-full`.
pub fn postgres_options(url: &str, ca: Option<&Path>) -> Result<PgConnectOptions, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?;
    let Some(ca) = ca else { return Ok(options) };
    let options = options.ssl_root_cert(ca);
    Ok(match options.get_ssl_mode() {
        PgSslMode::Prefer | PgSslMode::Require => options.ssl_mode(PgSslMode::VerifyFull),
        _ => options,
    })
}

/// When `err` (or an error under it) is a server certificate that did not verify, what
/// rustls said about it (`invalid peer certificate: UnknownIssuer`, …). The clients wrap
/// rustls's error differently (as a source, or only in their message), so this reads the
/// messages along the chain.
pub fn rejected_certificate(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    const REJECTED: &str = "invalid peer certificate";
    let mut next = Some(err);
    while let Some(e) = next {
        let message = e.to_string();
        if let Some(at) = message.find(REJECTED) {
            return Some(message[at..].to_owned());
        }
        next = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_makes_postgresql_verify_the_server() {
        let ca = Path::new("/etc/orrery/pg-ca.pem");
        let mode = |url: &str, ca: Option<&Path>| postgres_options(url, ca).unwrap().get_ssl_mode();
        assert!(matches!(mode("postgres://h/db", None), PgSslMode::Prefer));
        assert!(matches!(mode("postgres://h/db", Some(ca)), PgSslMode::VerifyFull));
        assert!(matches!(mode("postgres://h/db?sslmode=require", Some(ca)), PgSslMode::VerifyFull));
        assert!(matches!(mode("postgres://h/db?sslmode=verify-ca", Some(ca)), PgSslMode::VerifyCa));
        assert!(matches!(mode("postgres://h/db?sslmode=disable", Some(ca)), PgSslMode::Disable));
    }

    #[test]
    fn a_rejected_certificate_is_found_in_the_message_under_a_wrapper() {
        #[derive(Debug, thiserror::Error)]
        #[error("connection failed")]
        struct Outer(#[source] std::io::Error);
        let inner = std::io::Error::other("tls handshake: invalid peer certificate: UnknownIssuer");
        assert_eq!(rejected_certificate(&Outer(inner)).as_deref(), Some("invalid peer certificate: UnknownIssuer"));
        assert_eq!(rejected_certificate(&Outer(std::io::Error::other("connection refused"))), None);
    }
}
