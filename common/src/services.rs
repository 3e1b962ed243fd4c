//! Connections to the backing services (NATS, Redis, PostgreSQL) and the schema migrations.
//!
//! Each connect function names the service and the address in its error, so a
//! binary that cannot start says exactly what it could not reach.

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
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Connect to NATS, with the credentials file when one is given. The first connection
/// must succeed (a clear error at start beats a process that waits silently); after it,
/// the client reconnects by itself and `/readyz` reports the state.
pub async fn connect_nats(url: &str, credentials: Option<&Path>, name: &str) -> Result<async_nats::Client, ServiceError> {
    let mut options = async_nats::ConnectOptions::new();
    if let Some(path) = credentials {
        // Read here rather than with `credentials_file`, so the message names the file once.
        let err = |e: std::io::Error| ServiceError::NatsCredentials { path: path.to_owned(), message: e.to_string() };
        let contents = tokio::fs::read_to_string(path).await.map_err(err)?;
        options = options.credentials(&contents).map_err(err)?;
    }
    options
        .name(name)
        .connection_timeout(Duration::from_secs(3))
        .max_reconnects(None)
        .connect(url)
        .await
        .map_err(|e| ServiceError::Nats { url: redact(url), message: e.to_string() })
}

/// A Redis connection manager (reconnects by itself).
pub async fn connect_redis(url: &str) -> Result<redis::aio::ConnectionManager, ServiceError> {
    let err = |source| ServiceError::Redis { url: redact(url), source };
    let client = redis::Client::open(url).map_err(err)?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(3)))
        .set_response_timeout(Some(Duration::from_secs(2)))
        .set_number_of_retries(2);
    redis::aio::ConnectionManager::new_with_config(client, config).await.map_err(err)
}

/// A PostgreSQL pool.
pub async fn connect_postgres(url: &str, max_connections: u32) -> Result<sqlx::PgPool, ServiceError> {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await
        .map_err(|source| ServiceError::Postgres { url: redact(url), source })
}

/// Bring the schema up to date.
pub async fn migrate(pool: &sqlx::PgPool) -> Result<(), ServiceError> {
    MIGRATOR.run(pool).await?;
    Ok(())
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

    #[tokio::test]
    async fn a_missing_nats_credentials_file_is_named_in_the_error() {
        let path = std::env::temp_dir().join(format!("orrery-missing-{:x}.creds", std::process::id()));
        let err = connect_nats("nats://127.0.0.1:1", Some(&path), "test").await.expect_err("no such file");
        assert!(matches!(err, ServiceError::NatsCredentials { .. }), "{err}");
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()), "the message names the file: {message}");
        assert!(message.starts_with("cannot use the NATS credentials file"), "{message}");
    }

    #[tokio::test]
    async fn a_credentials_file_without_credentials_is_named_in_the_error() {
        let path = std::env::temp_dir().join(format!("orrery-garbage-{:x}.creds", std::process::id()));
        std::fs::write(&path, "not a creds file").unwrap();
        let err = connect_nats("nats://127.0.0.1:1", Some(&path), "test").await.expect_err("no JWT in it");
        let _ = std::fs::remove_file(&path);
        assert!(err.to_string().contains(&path.display().to_string()), "{err}");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(super::redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }
}
