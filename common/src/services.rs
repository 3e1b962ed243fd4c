//! Connections to the backing services (NATS, Redis, PostgreSQL) and the schema migrations.
//!
//! Each connect function names the service and the address in its error, so a
//! binary that cannot start says exactly what it could not reach, and when the reason is
//! a TLS certificate that did not verify, says so and names the CA flag
//! (`service_tls.rs`).

use crate::config::ServiceArgs;
use crate::identities::postgres::{RoleName, grant_runtime};
use crate::service_tls::{Service, postgres_options, read_ca, rejected_certificate};
use std::path::Path;
use std::time::Duration;

/// The migrations in `migrations/`, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A backing service could not be reached or prepared.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("cannot connect to NATS at {url}: {message}")]
    Nats { url: String, message: String },
    #[error("cannot use the NATS credentials file {}: {message}", path.display())]
    NatsCredentials { path: std::path::PathBuf, message: String },
    #[error("cannot connect to Redis at {url}: {source}")]
    Redis { url: String, source: redis::RedisError },
    #[error("cannot connect to PostgreSQL at {url}: {source}")]
    Postgres { url: String, source: sqlx::Error },
    #[error(
        "cannot connect to {service} at {url}: the server's TLS certificate did not verify ({detail}); \
         if a private CA signed it, give that CA's PEM file with {flag}"
    )]
    CertificateNotVerified { service: &'static str, url: String, detail: String, flag: &'static str },
    #[error("cannot use the {service} CA file {}: {message}", path.display())]
    CaFile { service: &'static str, path: std::path::PathBuf, message: String },
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot read the schema's version (run `orrery-worker migrate` first): {0}")]
    SchemaVersion(#[source] sqlx::Error),
    #[error("the schema lacks migrations {missing:?} this binary needs: run `orrery-worker migrate` first")]
    NotMigrated { missing: Vec<i64> },
    #[error("cannot grant the runtime role its rights: {0}")]
    Grant(#[source] sqlx::Error),
}

impl ServiceError {
    /// `source`, a failure to connect to `service` at `url`, as the error to report: one
    /// that says so when the server's certificate did not verify, `otherwise` else.
    fn connecting<E: std::error::Error + 'static>(
        service: Service,
        url: &str,
        source: E,
        otherwise: impl FnOnce(String, E) -> ServiceError,
    ) -> ServiceError {
        match rejected_certificate(&source) {
            Some(detail) => {
                ServiceError::CertificateNotVerified { service: service.name(), url: redact(url), detail, flag: service.ca_flag() }
            }
            None => otherwise(redact(url), source),
        }
    }
}

/// Connect to NATS as `name`, with the identity `args` give: a credentials file, a user and
/// its password file, or a user and password embedded in the URL; trusting the CA in
/// `--nats-ca-file` (and then requiring TLS) when one is given. Replies to this
/// deployment's requests arrive under [`crate::names::Names::inbox_prefix`], so a role's
/// NATS permissions can name them. The first connection must succeed (a clear error at start
/// beats a process that waits silently); after it, the client reconnects by itself and
/// `/readyz` reports the state.
pub async fn connect_nats(args: &ServiceArgs, name: &str) -> Result<async_nats::Client, ServiceError> {
    let url = &args.nats_url;
    let mut options = async_nats::ConnectOptions::new().custom_inbox_prefix(args.names().inbox_prefix());
    if let Some(ca) = &args.nats_ca_file {
        // Read once here, so a missing file is named as such rather than as a TLS failure.
        read_ca(Service::Nats, ca).await?;
        options = options.add_root_certificates(ca.to_owned()).require_tls(true);
    }
    if let Some(path) = &args.nats_credentials_file {
        // Read here rather than with `credentials_file`, so the message names the file once.
        let err = |e: std::io::Error| ServiceError::NatsCredentials { path: path.to_owned(), message: e.to_string() };
        let contents = tokio::fs::read_to_string(path).await.map_err(err)?;
        options = options.credentials(&contents).map_err(err)?;
    }
    if let (Some(user), Some(path)) = (&args.nats_user, &args.nats_password_file) {
        let err = |e: std::io::Error| ServiceError::NatsCredentials { path: path.to_owned(), message: e.to_string() };
        let password = tokio::fs::read_to_string(path).await.map_err(err)?;
        options = options.user_and_password(user.clone(), password.trim_end_matches(['\r', '\n']).to_owned());
    } else if let Some((user, password)) = url_credentials(url) {
        // async-nats ignores a URL's user and password by itself.
        options = options.user_and_password(user, password);
    }
    options
        .name(name)
        .connection_timeout(Duration::from_secs(3))
        .max_reconnects(None)
        .connect(url.as_str())
        .await
        .map_err(|e| ServiceError::connecting(Service::Nats, url, e, |url, e| ServiceError::Nats { url, message: e.to_string() }))
}

/// The user and password of the first server of a NATS URL (`nats://user:pass@host:4222`).
fn url_credentials(url: &str) -> Option<(String, String)> {
    let first: async_nats::ServerAddr = url.split(',').next()?.trim().parse().ok()?;
    Some((first.username()?.to_owned(), first.password()?.to_owned()))
}

/// A Redis connection manager (reconnects by itself), trusting only the CA in `ca` when
/// one is given (for a `rediss://` URL).
pub async fn connect_redis(url: &str, ca: Option<&Path>) -> Result<redis::aio::ConnectionManager, ServiceError> {
    let err = |source| ServiceError::connecting(Service::Redis, url, source, |url, source| ServiceError::Redis { url, source });
    let client = match ca {
        None => redis::Client::open(url).map_err(err)?,
        Some(ca) => {
            let root_cert = Some(read_ca(Service::Redis, ca).await?);
            redis::Client::build_with_tls(url, redis::TlsCertificates { client_tls: None, root_cert }).map_err(err)?
        }
    };
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(3)))
        .set_response_timeout(Some(Duration::from_secs(2)))
        .set_number_of_retries(2);
    redis::aio::ConnectionManager::new_with_config(client, config).await.map_err(err)
}

/// A pooled PostgreSQL connection idle at least this long is pinged before it is handed
/// out again; one used more recently is handed out as it is. A ping is a round trip on
/// the path of every statement (on a sleeping room's acknowledgement, 0.1–0.3 ms at the
/// median and several ms in the tail on a busy machine: `docs/BENCHMARKS.md`, sleeping
/// rooms), and a connection that just answered is very likely still alive. If one broke
/// in that second anyway (the server restarted), the one statement on it fails, as a
/// statement whose connection breaks while it runs does, and every caller already handles
/// that (a room gives its lease back and is restored from its last commit; an HTTP request
/// is answered with an error). `common/tests/postgres_pool.rs` checks the idle case.
pub const POSTGRES_PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// A PostgreSQL pool, verifying the server against the CA in `ca` when one is given.
pub async fn connect_postgres(url: &str, ca: Option<&Path>, max_connections: u32) -> Result<sqlx::PgPool, ServiceError> {
    let err = |source| ServiceError::connecting(Service::Postgres, url, source, |url, source| ServiceError::Postgres { url, source });
    if let Some(ca) = ca {
        read_ca(Service::Postgres, ca).await?;
    }
    let options = postgres_options(url, ca).map_err(err)?;
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= POSTGRES_PING_AFTER_IDLE {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
        .map_err(err)
}

/// Bring the schema up to date.
pub async fn migrate(pool: &sqlx::PgPool) -> Result<(), ServiceError> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// With migrations skipped at start: fail unless every embedded migration is applied.
pub async fn check_migrated(pool: &sqlx::PgPool) -> Result<(), ServiceError> {
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
        .fetch_all(pool)
        .await
        .map_err(ServiceError::SchemaVersion)?;
    let missing: Vec<i64> =
        MIGRATOR.iter().filter(|m| !m.migration_type.is_down_migration() && !applied.contains(&m.version)).map(|m| m.version).collect();
    if missing.is_empty() { Ok(()) } else { Err(ServiceError::NotMigrated { missing }) }
}

/// `orrery-worker migrate`: bring the schema up to date at `args.database_url` (a role
/// allowed DDL), then grant `runtime` its data rights on every table, new ones included.
pub async fn migrate_only(args: &ServiceArgs, runtime: Option<&RoleName>) -> Result<(), ServiceError> {
    let pg = connect_postgres(&args.database_url, args.database_ca_file.as_deref(), 1).await?;
    migrate(&pg).await?;
    if let Some(role) = runtime {
        grant_runtime(&pg, role).await.map_err(ServiceError::Grant)?;
    }
    pg.close().await;
    Ok(())
}

/// The three backing services, connected and with the schema up to date: what every
/// server process has before it builds anything of its own.
#[derive(Clone)]
pub struct Connected {
    pub nats: async_nats::Client,
    pub redis: redis::aio::ConnectionManager,
    pub pg: sqlx::PgPool,
}

/// Connect to NATS (as `client_name`), Redis and PostgreSQL (a pool of `pg_connections`),
/// then migrate (or, with `--skip-migrations`, check the schema is up to date): the start-up
/// preamble the gateway and the worker share.
pub async fn connect_all(args: &ServiceArgs, client_name: &str, pg_connections: u32) -> Result<Connected, ServiceError> {
    let nats = connect_nats(args, client_name).await?;
    let redis = connect_redis(&args.redis_url, args.redis_ca_file.as_deref()).await?;
    let pg = connect_postgres(&args.database_url, args.database_ca_file.as_deref(), pg_connections.max(1)).await?;
    if args.skip_migrations {
        check_migrated(&pg).await?;
    } else {
        migrate(&pg).await?;
    }
    Ok(Connected { nats, redis, pg })
}

/// Why a server process (gateway, worker) could not start or run; `C` is its own
/// configuration error. Each binary names it `Error` (`pub type Error = StartError<ConfigError>`).
#[derive(Debug, thiserror::Error)]
pub enum StartError<C: std::error::Error + 'static> {
    #[error("invalid configuration: {0}")]
    Config(#[source] C),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &creds[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(nats_url: &str) -> ServiceArgs {
        ServiceArgs {
            nats_url: nats_url.into(),
            nats_credentials_file: None,
            nats_user: None,
            nats_password_file: None,
            nats_ca_file: None,
            redis_url: "redis://127.0.0.1:6379".into(),
            redis_ca_file: None,
            database_url: "postgres://postgres@127.0.0.1:5432/orrery".into(),
            database_ca_file: None,
            skip_migrations: false,
            prefix: "orrery".into(),
        }
    }

    #[test]
    fn a_urls_user_and_password_are_found() {
        assert_eq!(url_credentials("nats://u:p@h:4222"), Some(("u".into(), "p".into())));
        assert_eq!(url_credentials("nats://u:p@h:4222,nats://h2:4222"), Some(("u".into(), "p".into())));
        assert_eq!(url_credentials("nats://h:4222"), None);
    }

    #[tokio::test]
    async fn a_missing_nats_credentials_file_is_named_in_the_error() {
        let path = std::env::temp_dir().join(format!("orrery-missing-{:x}.creds", std::process::id()));
        let args = ServiceArgs { nats_credentials_file: Some(path.clone()), ..args("nats://127.0.0.1:1") };
        let err = connect_nats(&args, "test").await.expect_err("no such file");
        assert!(matches!(err, ServiceError::NatsCredentials { .. }), "{err}");
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()), "the message names the file: {message}");
        assert!(message.starts_with("cannot use the NATS credentials file"), "{message}");
    }

    #[tokio::test]
    async fn a_credentials_file_without_credentials_is_named_in_the_error() {
        let path = std::env::temp_dir().join(format!("orrery-garbage-{:x}.creds", std::process::id()));
        std::fs::write(&path, "not a creds file").unwrap();
        let args = ServiceArgs { nats_credentials_file: Some(path.clone()), ..args("nats://127.0.0.1:1") };
        let err = connect_nats(&args, "test").await.expect_err("no JWT in it");
        let _ = std::fs::remove_file(&path);
        assert!(err.to_string().contains(&path.display().to_string()), "{err}");
    }

    #[tokio::test]
    async fn connect_all_names_the_service_it_cannot_reach_without_its_password() {
        let args = ServiceArgs {
            redis_url: "redis://127.0.0.1:1".into(),
            database_url: "postgres://postgres:secret@127.0.0.1:1/none".into(),
            ..args("nats://127.0.0.1:4222")
        };
        let Err(err) = connect_all(&args, "test", 1).await else { panic!("connected to a closed port") };
        assert!(matches!(err, ServiceError::Redis { .. }), "{err}");
        assert!(err.to_string().contains("redis://127.0.0.1:1"), "{err}");
        let args = ServiceArgs { redis_url: "redis://127.0.0.1:6379".into(), ..args };
        let Err(err) = connect_all(&args, "test", 1).await else { panic!("connected to a closed port") };
        assert!(matches!(err, ServiceError::Postgres { .. }), "{err}");
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(super::redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }
}
