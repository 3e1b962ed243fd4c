//! Per-address and per-player quotas of the HTTP API and the WebSocket endpoint, each a
//! flag (`docs/OPERATIONS.md`, "Security"): guest tokens per client address, room creation
//! per creator (a rate, and a count of live rooms), kicks and invite lookups per player, open sockets per
//! player and per address. A refusal is HTTP 429 with `Retry-After` and counts in
//! `orrery_gateway_quota_refusals_total{quota}`.
//!
//! Each quota is a middleware on its route ([`guest_tokens`], [`room_creation`],
//! [`kicks`], [`invite_lookups`], [`sockets`]), so handlers stay as they are. A request whose token does not
//! verify passes through: the handler refuses it with 401 as before.
//!
//! - [`limiter`]: the bounded per-key rate limit (governor).
//! - [`sockets`]: the open-socket counts and the permit a socket holds.

pub mod limiter;
pub mod sockets;

use crate::App;
use crate::error::{Code, DomainError};
use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
pub use limiter::{KeyedLimit, QuotaRefused, Rate};
use orrery_common::PlayerId;
use orrery_common::auth::Identity;
use sockets::{ClientAddr, SocketCounts};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub const GUEST_TOKENS: &str = "guest_tokens";
pub const ROOM_CREATION: &str = "room_creation";
pub const LIVE_ROOMS: &str = "live_rooms";
pub const KICKS: &str = "kicks";
pub const INVITE_LOOKUPS: &str = "invite_lookups";
pub const SOCKETS_PER_PLAYER: &str = "sockets_per_player";
pub const SOCKETS_PER_ADDRESS: &str = "sockets_per_address";
/// Closing a socket whose client sent control frames (WebSocket pings) beyond the message rate.
pub const CONTROL_FRAMES: &str = "control_frames";
/// Every `quota` label of `orrery_gateway_quota_refusals_total`.
pub const ALL: [&str; 8] =
    [GUEST_TOKENS, ROOM_CREATION, LIVE_ROOMS, KICKS, INVITE_LOOKUPS, SOCKETS_PER_PLAYER, SOCKETS_PER_ADDRESS, CONTROL_FRAMES];

/// The quota flags.
#[derive(clap::Args, Clone, Debug)]
pub struct QuotaArgs {
    /// Guest tokens one client address may get per minute (`POST /v1/auth/guest`).
    #[arg(long, env = "ORRERY_QUOTA_GUEST_TOKENS_PER_MINUTE", default_value_t = 10)]
    pub quota_guest_tokens_per_minute: u32,
    /// Burst of guest tokens per address.
    #[arg(long, env = "ORRERY_QUOTA_GUEST_TOKEN_BURST", default_value_t = 5)]
    pub quota_guest_token_burst: u32,
    /// Rooms one player may create per minute (`POST /v1/rooms`).
    #[arg(long, env = "ORRERY_QUOTA_ROOMS_PER_MINUTE", default_value_t = 6)]
    pub quota_rooms_per_minute: u32,
    /// Burst of room creations per player.
    #[arg(long, env = "ORRERY_QUOTA_ROOM_BURST", default_value_t = 3)]
    pub quota_room_burst: u32,
    /// Rooms one player may have open (not closed) at once.
    #[arg(long, env = "ORRERY_QUOTA_LIVE_ROOMS", default_value_t = 3)]
    pub quota_live_rooms: u32,
    /// Kicks one player may make per minute (`POST /v1/rooms/{id}/kick`).
    #[arg(long, env = "ORRERY_QUOTA_KICKS_PER_MINUTE", default_value_t = 20)]
    pub quota_kicks_per_minute: u32,
    /// Burst of kicks per player.
    #[arg(long, env = "ORRERY_QUOTA_KICK_BURST", default_value_t = 10)]
    pub quota_kick_burst: u32,
    /// Invite codes one player may look up per minute (`GET /v1/invites/{code}`): bounds
    /// guessing codes.
    #[arg(long, env = "ORRERY_QUOTA_INVITE_LOOKUPS_PER_MINUTE", default_value_t = 30)]
    pub quota_invite_lookups_per_minute: u32,
    /// Burst of invite lookups per player.
    #[arg(long, env = "ORRERY_QUOTA_INVITE_LOOKUP_BURST", default_value_t = 10)]
    pub quota_invite_lookup_burst: u32,
    /// Open WebSockets per player on one gateway.
    #[arg(long, env = "ORRERY_QUOTA_SOCKETS_PER_PLAYER", default_value_t = 4)]
    pub quota_sockets_per_player: u32,
    /// Open WebSockets per client address (IPv6: per /64) on one gateway.
    #[arg(long, env = "ORRERY_QUOTA_SOCKETS_PER_ADDRESS", default_value_t = 64)]
    pub quota_sockets_per_address: u32,
    /// Most addresses or players each rate quota remembers at once; new ones are refused
    /// while the set is full of active ones.
    #[arg(long, env = "ORRERY_QUOTA_MAX_KEYS", default_value_t = 100_000)]
    pub quota_max_keys: usize,
}

/// Every quota of one gateway.
pub struct Quotas {
    guest_tokens: KeyedLimit<ClientAddr>,
    room_creation: KeyedLimit<PlayerId>,
    kicks: KeyedLimit<PlayerId>,
    invite_lookups: KeyedLimit<PlayerId>,
    live_rooms: u32,
    pub sockets: SocketCounts,
}

impl Quotas {
    pub fn new(a: &QuotaArgs) -> Self {
        let max = a.quota_max_keys;
        Self {
            guest_tokens: KeyedLimit::new(
                GUEST_TOKENS,
                Rate { per_minute: a.quota_guest_tokens_per_minute, burst: a.quota_guest_token_burst },
                max,
            ),
            room_creation: KeyedLimit::new(ROOM_CREATION, Rate { per_minute: a.quota_rooms_per_minute, burst: a.quota_room_burst }, max),
            kicks: KeyedLimit::new(KICKS, Rate { per_minute: a.quota_kicks_per_minute, burst: a.quota_kick_burst }, max),
            invite_lookups: KeyedLimit::new(
                INVITE_LOOKUPS,
                Rate { per_minute: a.quota_invite_lookups_per_minute, burst: a.quota_invite_lookup_burst },
                max,
            ),
            live_rooms: a.quota_live_rooms,
            sockets: SocketCounts::new(a.quota_sockets_per_player, a.quota_sockets_per_address),
        }
    }

    /// Prune the rate limits' idle keys every `every` until `stop`.
    pub fn spawn_pruner(self: &Arc<Self>, every: Duration, stop: CancellationToken) {
        let quotas = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tick.tick() => {
                        quotas.guest_tokens.prune();
                        quotas.room_creation.prune();
                        quotas.kicks.prune();
                        quotas.invite_lookups.prune();
                    }
                }
            }
        });
    }
}

impl DomainError for QuotaRefused {
    fn error_code(&self) -> Code {
        Code::TooManyRequests
    }
}

impl IntoResponse for QuotaRefused {
    fn into_response(self) -> Response {
        let secs = self.retry_after.as_secs_f64().ceil().max(1.0) as u64;
        let mut response = (self.error_code().http_status(), Json(serde_json::json!({ "error": self.to_string() }))).into_response();
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        response
    }
}

/// Count a refusal and answer it.
fn refuse(app: &App, refused: QuotaRefused) -> Response {
    app.metrics.quota_refusals.with_label_values(&[refused.quota]).inc();
    tracing::debug!(quota = refused.quota, "request over quota");
    refused.into_response()
}

fn client_addr(req: &Request) -> Option<ClientAddr> {
    req.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| ClientAddr::from(a.ip()))
}

/// The player a request's bearer token names, if it verifies.
fn bearer_player(app: &App, req: &Request) -> Option<Identity> {
    app.verifier.verify(crate::upgrade::bearer(req.headers())?).ok()
}

/// `POST /v1/auth/guest`: per client address.
pub async fn guest_tokens(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if let Some(addr) = client_addr(&req)
        && let Err(refused) = app.quotas.guest_tokens.check(&addr)
    {
        return refuse(&app, refused);
    }
    next.run(req).await
}

/// `POST /v1/rooms`: a rate per creator, and a ceiling on the creator's open rooms.
pub async fn room_creation(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if let Some(identity) = bearer_player(&app, &req) {
        if let Err(refused) = app.quotas.room_creation.check(&identity.player) {
            return refuse(&app, refused);
        }
        match app.room_records.live_rooms_of(identity.player).await {
            Ok(live) if live >= i64::from(app.quotas.live_rooms) => {
                return refuse(&app, QuotaRefused { quota: LIVE_ROOMS, retry_after: Duration::from_secs(30) });
            }
            Ok(_) => {}
            Err(e) => return crate::error::ApiError::from(e).into_response(),
        }
    }
    next.run(req).await
}

/// `POST /v1/rooms/{room}/kick`: per kicking player.
pub async fn kicks(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if let Some(identity) = bearer_player(&app, &req)
        && let Err(refused) = app.quotas.kicks.check(&identity.player)
    {
        return refuse(&app, refused);
    }
    next.run(req).await
}

/// `GET /v1/invites/{code}`: per looking-up player.
pub async fn invite_lookups(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if let Some(identity) = bearer_player(&app, &req)
        && let Err(refused) = app.quotas.invite_lookups.check(&identity.player)
    {
        return refuse(&app, refused);
    }
    next.run(req).await
}

/// `GET /v1/ws`: a socket permit (per player and per address), handed to the handler in
/// the request's extensions and held by the socket until it closes.
pub async fn sockets(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let identity = crate::upgrade::authenticate(req.headers(), &app.verifier).ok();
    if let (Some(identity), Some(addr)) = (identity, client_addr(&req)) {
        match app.quotas.sockets.acquire(identity.player, addr) {
            Ok(permit) => {
                req.extensions_mut().insert(sockets::PermitSlot::new(permit));
            }
            Err(refused) => return refuse(&app, refused),
        }
    }
    next.run(req).await
}
