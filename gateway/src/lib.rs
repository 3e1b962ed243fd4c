//! The stateless WebSocket gateway.
//!
//! Any gateway serves any player: it authenticates before the upgrade, learns and
//! records the player's room in Redis, stamps the player id on every input it
//! publishes to the room's subject, subscribes once per room it has players in and
//! fans frames out. Game payloads are opaque bytes here: the gateway never links a game.
//!
//! # Map
//!
//! - This file: [`App`] (what every request and socket shares), [`Gateway`] (connect,
//!   the router, run and drain) and the `rooms.closed` listener.
//! - [`config`]: flags. [`api`]: the HTTP handlers; [`upgrade`]: what is checked before a
//!   WebSocket upgrade (origin, subprotocol, token).
//! - [`socket`]: one player's WebSocket, [`socket::run`] from upgrade to close, one job
//!   per file: the reader (size, rate and idle limits), dispatch (each client message to
//!   its handler), membership (join, leave, resync), the writer with its
//!   [`socket::outbox`] and the input [`socket::pipeline`] timing.
//! - [`hub`]: fan-out of room frames to this gateway's sockets; per socket a cursor
//!   (`hub/sink.rs`).
//! - [`owner_client`]: the one client of a room's owner (join, leave, kick, resync,
//!   command, vouch) over NATS request/reply.
//! - [`room_records`]: room rows — create, invite codes, bans, may a player join, status.
//!   [`invites`]: which room and game an invite code opens.
//!   [`presence`]: `player:<id>` in Redis. [`inbox`]: player events (placed, kicked) for
//!   this gateway's sockets.
//! - [`matchmaking`]: tickets and the placement step. [`moderation`]: kicks.
//!   [`leaderboard`]: the live board. [`timeline`]: which matches wait on a player, a
//!   finished match's log. [`quota`]: per-address and per-player quotas.
//! - [`validate`]: what every body field may hold, checked before any work proportional
//!   to it.
//! - [`error`]: every domain error's code and the one place codes become HTTP statuses
//!   and client error codes; a socket's end and its close code. [`metrics`]:
//!   `orrery_gateway_*`.

pub mod api;
pub mod config;
pub mod error;
pub mod hub;
pub mod inbox;
pub mod invites;
pub mod leaderboard;
pub mod matchmaking;
pub mod metrics;
pub mod moderation;
pub mod owner_client;
pub mod presence;
pub mod quota;
pub mod room_records;
pub mod socket;
pub mod timeline;
pub mod upgrade;
pub mod validate;
pub mod web;

use crate::config::{Config, ConfigError};
use crate::hub::Hub;
use crate::leaderboard::Leaderboard;
use crate::matchmaking::Matchmaker;
use crate::metrics::Metrics;
use crate::owner_client::OwnerClient;
use crate::presence::Presence;
use crate::room_records::RoomRecords;
use crate::upgrade::OriginPolicy;
use axum::routing::{get, post};
use orrery_common::RoomId;
use orrery_common::auth::{GuestIssuer, Verifier};
use orrery_common::http_serve;
use orrery_common::names::Names;
use orrery_common::ops::Ops;
use orrery_common::services::{self, Connected, StartError};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{Instrument, info};

/// Why the gateway could not start or run.
pub type Error = StartError<ConfigError>;

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        StartError::Config(e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a request or a session needs.
pub struct App {
    pub config: Config,
    pub gateway_id: String,
    pub verifier: Verifier,
    pub guests: Option<GuestIssuer>,
    pub origins: OriginPolicy,
    pub nats: async_nats::Client,
    pub names: Names,
    /// Requests to rooms' owners (join, leave, resync, command, vouch).
    pub owner: OwnerClient,
    pub hub: Hub,
    /// Player events (placements, kicks) for this gateway's sockets.
    pub inboxes: Arc<inbox::Inboxes>,
    pub room_records: RoomRecords,
    pub presence: Presence,
    pub matchmaker: Arc<Matchmaker>,
    pub leaderboard: Leaderboard,
    /// Which matches wait on a player; a finished match's log.
    pub timeline: timeline::Timeline,
    pub metrics: Metrics,
    /// Per-address and per-player quotas.
    pub quotas: Arc<quota::Quotas>,
    /// Every live session, so a drain can wait for them.
    pub sessions: TaskTracker,
    next_session: AtomicU64,
}

impl App {
    pub fn next_session_id(&self) -> u64 {
        self.next_session.fetch_add(1, Ordering::Relaxed)
    }
}

/// Where a gateway serves: the public API and WebSocket, and the ops endpoints.
#[derive(Debug)]
pub struct Listeners {
    pub public: TcpListener,
    pub ops: TcpListener,
}

/// A connected gateway, ready to serve.
pub struct Gateway {
    app: Arc<App>,
    ops: Ops,
    web: Option<Arc<web::WebRoot>>,
}

impl Gateway {
    /// Validate the configuration and connect to NATS, Redis and PostgreSQL.
    pub async fn connect(config: Config) -> Result<Self> {
        config.validate()?;
        let verifier = Verifier::from_args(&config.auth).map_err(ConfigError::from)?;
        let guests = if config.guest_tokens {
            GuestIssuer::from_args(&config.auth, Duration::from_secs(config.guest_token_ttl_secs)).map_err(ConfigError::from)?
        } else {
            None
        };
        let gateway_id = format!("gw-{:08x}", rand::random::<u32>());
        let Connected { nats, redis, pg } = services::connect_all(&config.services, &gateway_id, 8).await?;
        let registry = prometheus::Registry::new();
        let metrics = Metrics::new(&registry);
        let names = config.services.names();
        let room_records = RoomRecords::new(pg.clone(), redis.clone(), nats.clone(), names.clone());
        let app = Arc::new(App {
            origins: OriginPolicy::new(&config.allowed_origins),
            inboxes: Default::default(),
            owner: OwnerClient::new(nats.clone(), names.clone()),
            hub: Hub::new(
                nats.clone(),
                names.clone(),
                OwnerClient::new(nats.clone(), names.clone()),
                room_records.clone(),
                metrics.clone(),
            ),
            room_records,
            presence: Presence::new(redis.clone(), names.clone(), gateway_id.clone()),
            leaderboard: Leaderboard::new(redis.clone(), pg.clone(), names.clone()),
            timeline: timeline::Timeline::new(pg.clone()),
            matchmaker: Arc::new(Matchmaker::new(redis.clone(), pg.clone(), nats.clone(), names.clone(), config.matchmaking.clone())),
            gateway_id,
            verifier,
            guests,
            nats: nats.clone(),
            names,
            metrics,
            quotas: Arc::new(quota::Quotas::new(&config.quotas)),
            sessions: TaskTracker::new(),
            next_session: AtomicU64::new(1),
            config,
        });
        let web = match &app.config.web_dir {
            Some(dir) => Some(Arc::new(web::WebRoot::new(dir, &app.config.web_peers).map_err(ConfigError::from)?)),
            None => None,
        };
        let ops = Ops { registry, nats, redis, pg, draining: Default::default() };
        Ok(Self { app, ops, web })
    }

    pub fn app(&self) -> Arc<App> {
        self.app.clone()
    }

    /// The HTTP routes.
    pub fn router(&self) -> axum::Router {
        use axum::middleware::from_fn_with_state as quota;
        let app = &self.app;
        let api = axum::Router::new()
            .route("/v1/auth/guest", post(api::guest).layer(quota(app.clone(), quota::guest_tokens)))
            .route("/v1/rooms", post(api::create_room).layer(quota(app.clone(), quota::room_creation)))
            .route("/v1/ws", get(api::websocket).layer(quota(app.clone(), quota::sockets)))
            .route("/v1/rooms/{room}/kick", post(moderation::kick).layer(quota(app.clone(), quota::kicks)))
            .route("/v1/invites/{code}", get(invites::lookup).layer(quota(app.clone(), quota::invite_lookups)))
            .route("/v1/leaderboard", get(leaderboard::top))
            .route("/v1/matches/waiting", get(timeline::waiting))
            .route("/v1/rooms/{room}/events", get(timeline::events))
            .route("/v1/players/{id}", get(leaderboard::player))
            .route("/v1/matchmaking", post(matchmaking::http::queue).get(matchmaking::http::status).delete(matchmaking::http::cancel))
            .merge(matchmaking::party::routes())
            .with_state(self.app.clone())
            .merge(self.ops.clone().health_router());
        match &self.web {
            Some(web) => api.merge(web::router(web.clone())),
            None => api,
        }
    }

    /// Serve until `shutdown` resolves, then drain: readiness fails at once, every
    /// client is told to reconnect elsewhere, sockets close within the grace.
    pub async fn run(self, listeners: Listeners, shutdown: impl Future<Output = ()>) -> Result<()> {
        let app = self.app.clone();
        let stop_http = CancellationToken::new();
        let limits = app.config.http.limits();
        let server = {
            let stop = stop_http.clone();
            let router = self.router();
            tokio::spawn(http_serve::serve(listeners.public, router, limits, stop.cancelled_owned()))
        };
        let ops_server = {
            let stop = stop_http.clone();
            tokio::spawn(http_serve::serve(listeners.ops, self.ops.clone().router(), limits, stop.cancelled_owned()))
        };
        let stop_background = CancellationToken::new();
        app.matchmaker.spawn_stepper(stop_background.clone());
        app.matchmaker.spawn_sweeper(stop_background.clone());
        app.quotas.spawn_pruner(Duration::from_secs(30), stop_background.clone());
        spawn_closed_listener(app.clone(), stop_background.clone()).await;
        if let Err(e) = inbox::dispatch(app.nats.clone(), app.names.clone(), app.inboxes.clone(), stop_background.clone()).await {
            tracing::warn!(error = %e, "cannot subscribe to player events");
        }
        if let Err(e) = app.leaderboard.rebuild_if_missing().await {
            tracing::warn!(error = %e, "leaderboard not rebuilt at start");
        }
        info!(gateway = %app.gateway_id, "gateway running");
        shutdown.await;
        stop_background.cancel();
        let drain = tracing::info_span!("drain", gateway = %app.gateway_id, sockets = app.sessions.len());
        async {
            info!(gateway = %app.gateway_id, "draining");
            self.ops.start_draining();
            // Every session says goodbye: sockets learn it from their inboxes.
            app.inboxes.drain();
            app.sessions.close();
            if tokio::time::timeout(app.config.drain_grace(), app.sessions.wait()).await.is_err() {
                tracing::warn!("drain grace passed with sockets still open");
            }
        }
        .instrument(drain)
        .await;
        stop_http.cancel();
        server.await.map_err(std::io::Error::other)??;
        ops_server.await.map_err(std::io::Error::other)??;
        info!(gateway = %app.gateway_id, "gateway stopped");
        Ok(())
    }
}

/// Rooms closing for good (`rooms.closed`): drop the subscription, tell the clients,
/// and repeat the idempotent Redis clean-up (in case the worker could not).
async fn spawn_closed_listener(app: Arc<App>, stop: CancellationToken) {
    use futures::StreamExt;
    let mut closed = match app.nats.subscribe(app.names.rooms_closed()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot subscribe to room closings");
            return;
        }
    };
    tokio::spawn(async move {
        loop {
            let msg = tokio::select! {
                _ = stop.cancelled() => return,
                msg = closed.next() => match msg { Some(m) => m, None => return },
            };
            let Some(room) = std::str::from_utf8(&msg.payload).ok().and_then(|s| s.parse::<RoomId>().ok()) else { continue };
            let sockets = app.hub.close_room(room);
            tracing::debug!(%room, sockets, "room closed");
            if let Err(e) = app.leaderboard.room_closed(room).await {
                tracing::warn!(%room, error = %e, "clean-up of a closed room failed");
            }
        }
    });
}
