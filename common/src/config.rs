//! Command-line arguments shared by the binaries (clap, with `ORRERY_*` environment
//! fallbacks). Each binary flattens these into its own `Config` and validates at start.
//!
//! Secrets never come from flags: the JWT secret is read from `ORRERY_JWT_SECRET`
//! or from a file named by `--jwt-secret-file`, NATS credentials from the file named by
//! `--nats-credentials-file` or the password file named by `--nats-password-file`.
//!
//! TLS to a service is asked for by its URL (`tls://` or a `tls` block on the NATS server,
//! `rediss://`, `sslmode=verify-full`); a service whose certificate a private CA signed is
//! trusted with `--nats-ca-file`, `--redis-ca-file`, `--database-ca-file` (PEM).

use crate::names::Names;
use std::path::PathBuf;

/// Where the backing services are, and the deployment's name prefix.
#[derive(clap::Args, Clone, Debug)]
pub struct ServiceArgs {
    /// NATS server URL.
    #[arg(long, env = "ORRERY_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// NATS credentials file (`.creds`: a user JWT and its NKey seed), for servers using
    /// decentralized authentication. Optional.
    #[arg(long, env = "ORRERY_NATS_CREDENTIALS_FILE")]
    pub nats_credentials_file: Option<PathBuf>,
    /// PEM file of the CA that signed the NATS server's certificate, trusted beside the
    /// system's roots. Makes TLS required.
    #[arg(long, env = "ORRERY_NATS_CA_FILE")]
    pub nats_ca_file: Option<PathBuf>,
    /// Redis URL (`rediss://` for TLS).
    /// NATS user name, for servers with an `authorization { users = [...] }` block (one
    /// user per role: see `orrery-worker service-identities`). Needs `--nats-password-file`.
    #[arg(long, env = "ORRERY_NATS_USER", requires = "nats_password_file")]
    pub nats_user: Option<String>,
    /// File holding the NATS user's password (one line).
    #[arg(long, env = "ORRERY_NATS_PASSWORD_FILE", requires = "nats_user")]
    pub nats_password_file: Option<PathBuf>,
    /// Redis URL.
    #[arg(long, env = "ORRERY_REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,
    /// PEM file of the CA that signed the Redis server's certificate, trusted instead of the
    /// system's roots (with a `rediss://` URL).
    #[arg(long, env = "ORRERY_REDIS_CA_FILE")]
    pub redis_ca_file: Option<PathBuf>,
    /// PostgreSQL URL (`sslmode=verify-full` for TLS with a verified certificate).
    #[arg(long, env = "ORRERY_DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/orrery")]
    pub database_url: String,
    /// PEM file of the CA that signed the PostgreSQL server's certificate (like libpq's
    /// `sslrootcert`). Makes the connection verify the server (`sslmode` `prefer` or
    /// `require` become `verify-full`).
    #[arg(long, env = "ORRERY_DATABASE_CA_FILE")]
    pub database_ca_file: Option<PathBuf>,
    /// Do not migrate the schema at start; check that it is up to date instead (for a
    /// runtime role without DDL rights, with `orrery-worker migrate` run beforehand).
    #[arg(long, env = "ORRERY_SKIP_MIGRATIONS", default_value_t = false)]
    pub skip_migrations: bool,
    /// Prefix of every NATS subject and Redis key (one per deployment or test).
    #[arg(long, env = "ORRERY_PREFIX", default_value = "orrery", value_parser = parse_prefix)]
    pub prefix: String,
}

impl ServiceArgs {
    pub fn names(&self) -> Names {
        Names::new(self.prefix.clone())
    }
}

fn parse_prefix(s: &str) -> Result<String, String> {
    if Names::valid_prefix(s) {
        Ok(s.to_owned())
    } else {
        Err("a prefix is one or more of [A-Za-z0-9_-] (it becomes a NATS subject token)".into())
    }
}

/// How tokens are verified (and, for guests, issued).
#[derive(clap::Args, Clone, Debug)]
pub struct AuthArgs {
    /// File holding the HS256 secret (otherwise `ORRERY_JWT_SECRET`). Development use.
    #[arg(long, env = "ORRERY_JWT_SECRET_FILE")]
    pub jwt_secret_file: Option<PathBuf>,
    /// PEM public key for RS256 or ES256 tokens from your identity provider.
    #[arg(long, env = "ORRERY_JWT_PUBLIC_KEY_FILE")]
    pub jwt_public_key_file: Option<PathBuf>,
    /// Algorithm of the public key.
    #[arg(long, env = "ORRERY_JWT_PUBLIC_KEY_ALG", value_enum, default_value = "rs256")]
    pub jwt_public_key_alg: PublicKeyAlg,
    /// Required `iss` claim.
    #[arg(long, env = "ORRERY_JWT_ISSUER", default_value = "orrery")]
    pub jwt_issuer: String,
    /// Required `aud` claim.
    #[arg(long, env = "ORRERY_JWT_AUDIENCE", default_value = "orrery")]
    pub jwt_audience: String,
    /// Longest token lifetime accepted (`exp - iat`, or `exp - now` without `iat`), in seconds.
    #[arg(long, env = "ORRERY_JWT_MAX_LIFETIME_SECS", default_value_t = crate::auth::DEFAULT_MAX_LIFETIME_SECS)]
    pub jwt_max_lifetime_secs: u64,
}

/// Asymmetric algorithms accepted for production tokens.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicKeyAlg {
    Rs256,
    Es256,
}

/// Logging and tracing.
#[derive(clap::Args, Clone, Debug)]
pub struct TelemetryArgs {
    /// Log filter (tracing-subscriber syntax), e.g. `info,orrery_worker=debug`.
    #[arg(long, env = "ORRERY_LOG", default_value = "info")]
    pub log: String,
    /// Log as JSON lines.
    #[arg(long, env = "ORRERY_LOG_JSON", default_value_t = false)]
    pub log_json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        services: ServiceArgs,
    }

    #[test]
    fn the_nats_credentials_file_is_optional() {
        use clap::Parser;
        let none = Cli::try_parse_from(["t"]).unwrap();
        assert_eq!(none.services.nats_credentials_file, None);
        let some = Cli::try_parse_from(["t", "--nats-credentials-file", "/etc/orrery/nats/nats.creds"]).unwrap();
        assert_eq!(some.services.nats_credentials_file, Some(PathBuf::from("/etc/orrery/nats/nats.creds")));
    }

    #[test]
    fn each_service_takes_a_ca_file() {
        use clap::Parser;
        let none = Cli::try_parse_from(["t"]).unwrap().services;
        assert_eq!((none.nats_ca_file, none.redis_ca_file, none.database_ca_file), (None, None, None));
        let some = Cli::try_parse_from(["t", "--nats-ca-file", "/n.pem", "--redis-ca-file", "/r.pem", "--database-ca-file", "/p.pem"])
            .unwrap()
            .services;
        assert_eq!(some.nats_ca_file, Some(PathBuf::from("/n.pem")));
        assert_eq!(some.redis_ca_file, Some(PathBuf::from("/r.pem")));
        assert_eq!(some.database_ca_file, Some(PathBuf::from("/p.pem")));
    }

    #[test]
    fn a_nats_user_needs_a_password_file_and_the_reverse() {
        use clap::Parser;
        assert!(Cli::try_parse_from(["t", "--nats-user", "orrery-gateway"]).is_err());
        assert!(Cli::try_parse_from(["t", "--nats-password-file", "/p"]).is_err());
        let both = Cli::try_parse_from(["t", "--nats-user", "u", "--nats-password-file", "/p"]).unwrap();
        assert_eq!(both.services.nats_user.as_deref(), Some("u"));
        assert!(!both.services.skip_migrations, "migrating at start stays the default");
    }

    #[test]
    fn prefixes_that_would_break_subjects_are_refused() {
        assert!(parse_prefix("orrery_t1").is_ok());
        assert!(parse_prefix("a.b").is_err());
        assert!(parse_prefix("").is_err());
        assert!(parse_prefix("a b").is_err());
    }
}
