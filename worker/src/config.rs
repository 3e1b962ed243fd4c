//! The worker's configuration: flags with `ORRERY_*` environment fallbacks, validated at start.

use orrery_common::config::{ServiceArgs, TelemetryArgs};
use orrery_common::identities::postgres::RoleName;
use std::net::SocketAddr;
use std::time::Duration;

/// `orrery-worker` flags.
#[derive(clap::Parser, Clone, Debug)]
#[command(name = "orrery-worker", version, about = "Orrery tick worker: leases rooms and runs their simulation")]
pub struct Config {
    #[command(flatten)]
    pub services: ServiceArgs,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
    /// Address of `/healthz`, `/readyz`, `/metrics` and `POST /v1/shed`.
    #[arg(long, env = "ORRERY_WORKER_OPS_LISTEN", default_value = "0.0.0.0:9300")]
    pub ops_listen: SocketAddr,
    #[command(flatten)]
    pub http: orrery_common::http_serve::HttpArgs,
    /// File holding the bearer secret `POST /v1/shed` requires (`Authorization: Bearer <secret>`).
    /// Without it (or `ORRERY_SHED_TOKEN`) shed refuses every call.
    #[arg(long, env = "ORRERY_SHED_TOKEN_FILE")]
    pub shed_token_file: Option<std::path::PathBuf>,
    /// The shed bearer secret itself (prefer the file).
    #[arg(long, env = "ORRERY_SHED_TOKEN", hide_env_values = true)]
    pub shed_token: Option<String>,
    /// This worker's name in leases and `rooms.owner` (default: host name and a random suffix).
    #[arg(long, env = "ORRERY_WORKER_ID")]
    pub worker_id: Option<String>,
    /// PostgreSQL connections (durable snapshots, claims). Mind the server's max_connections.
    #[arg(long, env = "ORRERY_WORKER_PG_POOL", default_value_t = 8)]
    pub pg_pool: u32,
    /// Most rooms this worker runs at once.
    #[arg(long, env = "ORRERY_WORKER_CAPACITY", default_value_t = 1000)]
    pub capacity: usize,
    #[command(flatten)]
    pub timing: Timing,
    #[command(flatten)]
    pub events: crate::room::event_quota::EventQuotaArgs,
    #[command(flatten)]
    pub spectators: crate::room::spectators::SpectatorArgs,
    #[command(flatten)]
    pub retention: crate::retention::RetentionArgs,
    /// Without a command: run as a worker.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// One-off jobs instead of running as a worker (the image holds this binary, so operators
/// and the chart's migration Job use it).
#[derive(clap::Subcommand, Clone, Debug)]
pub enum Command {
    /// Apply the schema migrations to --database-url (a role allowed DDL) and exit. Servers
    /// then run with --skip-migrations as a runtime role without DDL rights.
    Migrate {
        /// Grant this PostgreSQL role data rights (no DDL) on every table afterwards.
        #[arg(long, env = "ORRERY_GRANT_RUNTIME_ROLE")]
        grant_runtime_role: Option<RoleName>,
    },
    /// Print the NATS authorization block, the Redis ACL users and the PostgreSQL statements
    /// of this deployment's service identities (for --prefix), and exit.
    ServiceIdentities {
        /// The PostgreSQL role that owns the schema and runs `migrate`.
        #[arg(long, default_value = "orrery_migrate")]
        migrator: RoleName,
        /// The PostgreSQL role gateways and workers connect as.
        #[arg(long, default_value = "orrery_runtime")]
        runtime: RoleName,
        /// The database.
        #[arg(long, default_value = "orrery")]
        database: String,
    },
}

/// Lease, scan, snapshot and drain timing. The defaults are written once, in
/// [`Timing::default`]; the rest of the worker reads them through the methods below, which
/// turn them into durations and clamp them.
#[derive(clap::Args, Clone, Debug)]
pub struct Timing {
    /// Lease time-to-live. A dead owner's rooms tick elsewhere within TTL + one scan interval.
    #[arg(long, env = "ORRERY_LEASE_TTL_MS", default_value_t = Timing::default().lease_ttl_ms)]
    pub lease_ttl_ms: u64,
    /// Safety margin: an owner stops ticking at acquire/renew time + TTL - margin unless renewed.
    #[arg(long, env = "ORRERY_LEASE_MARGIN_MS", default_value_t = Timing::default().lease_margin_ms)]
    pub lease_margin_ms: u64,
    /// How often to look for rooms without a live owner.
    #[arg(long, env = "ORRERY_SCAN_INTERVAL_MS", default_value_t = Timing::default().scan_interval_ms)]
    pub scan_interval_ms: u64,
    /// How often live rooms without a lease are re-queued (after Redis lost its data).
    #[arg(long, env = "ORRERY_RECONCILE_INTERVAL_MS", default_value_t = Timing::default().reconcile_interval_ms)]
    pub reconcile_interval_ms: u64,
    /// Most live rooms one reconcile pass looks at; the next pass goes on after the last
    /// one seen, so every room is looked at within ⌈live rooms ÷ batch⌉ passes.
    #[arg(long, env = "ORRERY_RECONCILE_BATCH", default_value_t = Timing::default().reconcile_batch)]
    pub reconcile_batch: u32,
    /// Most rooms claimed per scan (spreads rooms across workers).
    #[arg(long, env = "ORRERY_CLAIM_BATCH", default_value_t = Timing::default().claim_batch)]
    pub claim_batch: usize,
    /// Longest a drain may take before the worker exits anyway.
    #[arg(long, env = "ORRERY_DRAIN_GRACE_MS", default_value_t = Timing::default().drain_grace_ms)]
    pub drain_grace_ms: u64,
    /// Hot snapshot (Redis) period.
    #[arg(long, env = "ORRERY_HOT_SNAPSHOT_MS", default_value_t = Timing::default().hot_snapshot_ms)]
    pub hot_snapshot_ms: u64,
    /// Durable snapshot (PostgreSQL) period; also written at every phase change.
    #[arg(long, env = "ORRERY_DURABLE_SNAPSHOT_MS", default_value_t = Timing::default().durable_snapshot_ms)]
    pub durable_snapshot_ms: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            lease_ttl_ms: 1000,
            lease_margin_ms: 150,
            scan_interval_ms: 250,
            reconcile_interval_ms: 5000,
            reconcile_batch: 10_000,
            claim_batch: 16,
            drain_grace_ms: 5000,
            hot_snapshot_ms: 100,
            durable_snapshot_ms: 2000,
        }
    }
}

impl Timing {
    pub fn lease_ttl(&self) -> Duration {
        Duration::from_millis(self.lease_ttl_ms)
    }
    /// How long after acquiring (or renewing) a lease the owner may still act.
    pub fn lease_budget(&self) -> Duration {
        Duration::from_millis(self.lease_ttl_ms - self.lease_margin_ms)
    }
    pub fn renew_interval(&self) -> Duration {
        Duration::from_millis(self.lease_ttl_ms / 3)
    }
    pub fn scan_interval(&self) -> Duration {
        Duration::from_millis(self.scan_interval_ms)
    }
    pub fn reconcile_interval(&self) -> Duration {
        Duration::from_millis(self.reconcile_interval_ms.max(100))
    }
    pub fn drain_grace(&self) -> Duration {
        Duration::from_millis(self.drain_grace_ms)
    }
    /// Most rooms claimed per scan (at least one).
    pub fn claim_batch(&self) -> usize {
        self.claim_batch.max(1)
    }
    pub fn hot_snapshot_every(&self) -> Duration {
        Duration::from_millis(self.hot_snapshot_ms)
    }
    pub fn durable_snapshot_every(&self) -> Duration {
        Duration::from_millis(self.durable_snapshot_ms)
    }
}

/// A configuration that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "--lease-margin-ms ({margin}) must be less than a third of --lease-ttl-ms ({ttl}): the owner must be able to renew before its deadline"
    )]
    Margin { margin: u64, ttl: u64 },
    #[error("--lease-ttl-ms must be at least 100")]
    Ttl,
    #[error("--capacity must be at least 1")]
    Capacity,
    #[error("--hot-snapshot-ms and --durable-snapshot-ms must be at least 10")]
    Snapshot,
    #[error("--shed-token-file {path}: {source}")]
    ShedTokenFile { path: String, source: std::io::Error },
    #[error("the shed secret must be at least 16 characters")]
    ShedTokenShort,
}

impl Config {
    /// Check what clap cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let t = &self.timing;
        if t.lease_ttl_ms < 100 {
            return Err(ConfigError::Ttl);
        }
        if t.lease_margin_ms * 3 >= t.lease_ttl_ms {
            return Err(ConfigError::Margin { margin: t.lease_margin_ms, ttl: t.lease_ttl_ms });
        }
        if self.capacity == 0 {
            return Err(ConfigError::Capacity);
        }
        if t.hot_snapshot_ms < 10 || t.durable_snapshot_ms < 10 {
            return Err(ConfigError::Snapshot);
        }
        self.shed_secret()?;
        Ok(())
    }

    /// The secret `POST /v1/shed` requires: the file's (trimmed) or the flag's. `None`: shed is refused.
    pub fn shed_secret(&self) -> Result<Option<String>, ConfigError> {
        let secret = match (&self.shed_token_file, &self.shed_token) {
            (Some(path), _) => std::fs::read_to_string(path)
                .map_err(|source| ConfigError::ShedTokenFile { path: path.display().to_string(), source })?
                .trim()
                .to_owned(),
            (None, Some(token)) => token.trim().to_owned(),
            (None, None) => return Ok(None),
        };
        if secret.len() < 16 {
            return Err(ConfigError::ShedTokenShort);
        }
        Ok(Some(secret))
    }

    /// The worker id, generated when not given.
    pub fn worker_id(&self) -> String {
        self.worker_id.clone().unwrap_or_else(|| {
            let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into());
            format!("{host}-{:08x}", rand::random::<u32>())
        })
    }
}
