//! The tick worker: claims rooms, runs their fixed-rate simulation, publishes a frame
//! per tick, snapshots hot (Redis) and durable (PostgreSQL), and hands rooms over
//! safely when it dies, pauses or is told to stop.
//!
//! A worker is disposable: everything it knows about a room can be rebuilt from the
//! newest snapshot, and the Redis lease plus the PostgreSQL epoch make sure at most one
//! owner's writes count at a time (invariants I1–I7 in `docs/ARCHITECTURE.md`).
//!
//! # Map
//!
//! - [`Worker`] (this file): connect, then run the loops below until shutdown, then drain.
//!   [`config`]: flags, timing and their validation. [`metrics`]: `orrery_worker_*`.
//! - Owning rooms: [`claim`] (scan, lease, epoch, restore, spawn), [`lease`] (the Redis
//!   lease scripts and `LeaseClock`, the local deadline: I6), [`renew`] (every lease in one
//!   round trip), [`worker_lease`] (the one lease a worker's sleeping rooms hold theirs
//!   through, and the recovery of a dead worker's sleeping rooms), [`reconcile`] (re-queue rooms Redis forgot: I4).
//! - Running rooms: [`owned_rooms`] (the set of owned rooms, their signals, shedding) and
//!   [`room`], one room: [`room::state`] (the state machine: I5),
//!   [`room::task`] (the tick loop), [`room::schedule`] (when ticks and snapshots are due,
//!   on the room's [`tick_grid`]), [`room::persist`] (fenced writes, close, drain: I1, I2),
//!   [`room::spans`].
//! - Storage: [`snapshot`] (what a snapshot holds; the hot compare-and-set: I2), [`store`]
//!   (PostgreSQL: epochs, durable snapshots, events, results: I1), [`ratings`] (Elo after a
//!   ranked match, written with its results).
//! - Housekeeping: [`retention`] (delete what closed rooms left behind, one worker at a
//!   time, in bounded batches).
//! - Ending: [`shed`] (`POST /v1/shed`, drain some rooms), [`closing`] (the clean-up after
//!   a room closed for good).

pub mod claim;
pub mod closing;
pub mod config;
pub mod hot_batch;
pub mod lease;
pub mod metrics;
pub mod owned_rooms;
pub mod ratings;
pub mod reconcile;
pub mod renew;
pub mod retention;
pub mod room;
pub mod shed;
pub mod snapshot;
pub mod store;
pub mod tick_grid;
pub mod worker_lease;

use crate::config::{Config, ConfigError, Timing};
use crate::lease::Leases;
use crate::metrics::Metrics;
use crate::owned_rooms::OwnedRooms;
use crate::snapshot::HotSnapshots;
use crate::store::Store;
use crate::worker_lease::WorkerLease;
use orrery_common::game::GameFactory;
use orrery_common::http_serve::{self, HttpLimits};
use orrery_common::names::Names;
use orrery_common::ops::Ops;
use orrery_common::services::{self, Connected, StartError};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, info};

/// Why the worker could not start or run.
pub type Error = StartError<ConfigError>;

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        StartError::Config(e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What every part of the worker shares.
pub struct App {
    pub worker_id: String,
    pub capacity: usize,
    pub timing: Timing,
    pub names: Names,
    pub nats: async_nats::Client,
    pub leases: Leases,
    /// The worker's own lease, which its sleeping rooms hold theirs through ([`worker_lease`]).
    pub worker_lease: Arc<WorkerLease>,
    pub hot: HotSnapshots,
    /// Hot snapshot writes of every room, in batches ([`hot_batch`]).
    pub hot_batch: hot_batch::HotBatcher,
    pub store: Store,
    pub metrics: Metrics,
    pub factory: Arc<dyn GameFactory>,
    pub owned: Arc<OwnedRooms>,
    /// Match events persisted per player and kind ([`room::event_quota`]).
    pub event_quota: governor::Quota,
    /// Sockets that may watch one room at once ([`room::spectators`]).
    pub max_spectators: u32,
}

/// A connected worker, ready to run.
pub struct Worker {
    app: Arc<App>,
    ops: Ops,
    http: HttpLimits,
    shed_secret: Option<String>,
    retention: retention::RetentionArgs,
}

impl Worker {
    /// Validate the configuration, connect to NATS, Redis and PostgreSQL, apply migrations.
    pub async fn connect(config: &Config, factory: Arc<dyn GameFactory>) -> Result<Self> {
        config.validate()?;
        let worker_id = config.worker_id();
        let Connected { nats, redis, pg } = services::connect_all(&config.services, &worker_id, config.pg_pool).await?;
        let registry = prometheus::Registry::new();
        let names = config.services.names();
        let metrics = Metrics::new(&registry);
        let hot = HotSnapshots::new(redis.clone(), names.clone(), config.timing.lease_ttl());
        let app = Arc::new(App {
            worker_id: worker_id.clone(),
            capacity: config.capacity,
            timing: config.timing.clone(),
            names: names.clone(),
            nats: nats.clone(),
            leases: Leases::new(redis.clone(), names.clone(), config.timing.lease_ttl()),
            worker_lease: Arc::new(WorkerLease::new(
                redis.clone(),
                names.clone(),
                worker_id.clone(),
                config.timing.lease_ttl(),
                config.timing.lease_budget(),
            )),
            hot_batch: hot_batch::HotBatcher::spawn(hot.clone(), metrics.clone()),
            hot,
            store: Store::new(pg.clone()),
            metrics,
            factory,
            owned: Arc::new(OwnedRooms::default()),
            event_quota: config.events.quota(),
            max_spectators: config.spectators.max_spectators_per_room,
        });
        let ops = Ops { registry, nats, redis, pg, draining: Default::default() };
        Ok(Self { app, ops, http: config.http.limits(), shed_secret: config.shed_secret()?, retention: config.retention.clone() })
    }

    pub fn id(&self) -> &str {
        &self.app.worker_id
    }

    /// The rooms owned right now (for tests and tools).
    pub fn owned(&self) -> Arc<OwnedRooms> {
        self.app.owned.clone()
    }

    /// The worker's lease for its sleeping rooms (for tests and tools).
    pub fn worker_lease(&self) -> Arc<WorkerLease> {
        self.app.worker_lease.clone()
    }

    /// Serve ops on `listener`, claim and run rooms until `shutdown` resolves, then drain:
    /// stop claiming, snapshot and release every room, exit within the drain grace.
    pub async fn run(self, listener: TcpListener, shutdown: impl Future<Output = ()>) -> Result<()> {
        let app = self.app;
        let stop_claiming = CancellationToken::new();
        let stop_renewing = CancellationToken::new();
        let stop_ops = CancellationToken::new();
        let ops_server = {
            let stop = stop_ops.clone();
            let router = self.ops.clone().router::<()>().merge(shed::router(app.clone(), self.shed_secret.clone()));
            tokio::spawn(http_serve::serve(listener, router, self.http, stop.cancelled_owned()))
        };
        let claimer = tokio::spawn(claim::claim_loop(app.clone(), stop_claiming.clone()));
        let renewer = tokio::spawn(renew::renew_loop(app.clone(), stop_renewing.clone()));
        let reconciler = tokio::spawn(reconcile::reconcile_loop(app.clone(), stop_claiming.clone()));
        let retention = retention::Retention::new(self.ops.pg.clone(), self.retention, app.metrics.clone());
        let retainer = tokio::spawn(retention::retention_loop(retention, stop_claiming.clone()));
        info!(worker = %app.worker_id, capacity = app.capacity, "worker running");

        shutdown.await;
        let drain = tracing::info_span!("drain", worker = %app.worker_id, rooms = app.owned.len());
        async {
            info!(worker = %app.worker_id, rooms = app.owned.len(), "draining");
            self.ops.start_draining();
            stop_claiming.cancel();
            let _ = claimer.await;
            let _ = reconciler.await;
            let _ = retainer.await;
            if tokio::time::timeout(app.timing.drain_grace(), app.owned.drain_all()).await.is_err() {
                tracing::warn!("drain grace passed; exiting with rooms still running (their leases will expire)");
            }
        }
        .instrument(drain)
        .await;
        stop_renewing.cancel();
        let _ = renewer.await;
        if let Err(e) = app.worker_lease.retire().await {
            tracing::warn!(error = %e, "giving the worker lease back failed; it will expire");
        }
        stop_ops.cancel();
        ops_server.await.map_err(std::io::Error::other)??;
        info!(worker = %app.worker_id, "worker stopped");
        Ok(())
    }
}
