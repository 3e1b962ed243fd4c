//! The HTTP API: guest tokens, room creation, and the WebSocket endpoint's pre-upgrade checks.

use crate::App;
use crate::error::ApiError;
use crate::quota::sockets::{PermitSlot, SocketPermit};
use crate::upgrade;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use orrery_common::auth::Identity;
use orrery_common::game::RoomSettings;
use orrery_common::protocol::client::SUBPROTOCOL;
use orrery_common::trace_context::Link;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tracing::field::Empty;

/// Body of `POST /v1/auth/guest` (optional).
#[derive(Debug, Default, Deserialize)]
pub struct GuestRequest {
    pub name: Option<String>,
}

/// Answer of `POST /v1/auth/guest`.
#[derive(Debug, Serialize, Deserialize)]
pub struct GuestToken {
    pub token: String,
    pub player: String,
    pub name: String,
    pub expires_in: u64,
}

/// `POST /v1/auth/guest`: a short-lived HS256 token for a new guest.
pub async fn guest(State(app): State<Arc<App>>, body: Bytes) -> Result<Json<GuestToken>, ApiError> {
    let issuer = app.guests.as_ref().ok_or_else(|| ApiError::NotFound("guest tokens are switched off".into()))?;
    let req: GuestRequest = parse_optional(&body)?;
    let name = req.name.as_deref().map(crate::validate::display_name).transpose()?.flatten();
    let (identity, token) = issuer.issue(None, name);
    Ok(Json(GuestToken { token, player: identity.player.to_string(), name: identity.name, expires_in: app.config.guest_token_ttl_secs }))
}

/// Body of `POST /v1/rooms` (every field optional).
#[derive(Debug, Default, Deserialize)]
pub struct CreateRoom {
    pub mode: Option<String>,
    pub region: Option<String>,
    pub max_players: Option<u8>,
    pub tick_hz: Option<u16>,
    /// A private room: joined with its invite code only.
    pub private: Option<bool>,
}

/// Answer of `POST /v1/rooms`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CreatedRoom {
    pub room: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_code: Option<String>,
}

/// Tick rates a room may ask for.
pub const TICK_HZ_RANGE: std::ops::RangeInclusive<u16> = 5..=60;
/// Seats a room may have.
pub const MAX_PLAYERS_RANGE: std::ops::RangeInclusive<u8> = 1..=16;

/// `POST /v1/rooms`: create a room (any authenticated player may).
pub async fn create_room(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let identity = authenticate_http(&app, &headers)?;
    let req: CreateRoom = parse_optional(&body)?;
    let defaults = RoomSettings::default();
    let settings = RoomSettings {
        mode: req.mode.unwrap_or(defaults.mode),
        max_players: req.max_players.unwrap_or(defaults.max_players),
        tick_hz: req.tick_hz.unwrap_or(defaults.tick_hz),
        seed: rand::random(),
    };
    if !TICK_HZ_RANGE.contains(&settings.tick_hz) {
        return Err(ApiError::BadRequest(format!("tick_hz must be within {TICK_HZ_RANGE:?}")));
    }
    if !MAX_PLAYERS_RANGE.contains(&settings.max_players) {
        return Err(ApiError::BadRequest(format!("max_players must be within {MAX_PLAYERS_RANGE:?}")));
    }
    crate::validate::require_key_token("mode", &settings.mode)?;
    let region = req.region.unwrap_or_else(|| "any".into());
    crate::validate::require_key_token("region", &region)?;
    let (room, invite_code) = app.room_records.create(&settings, &region, identity.player, req.private.unwrap_or(false)).await?;
    Ok((StatusCode::CREATED, Json(CreatedRoom { room: room.get(), invite_code })).into_response())
}

/// `GET /v1/ws`: origin, subprotocol and token are checked before the upgrade.
/// The socket permit of [`crate::quota::sockets`] lives as long as the socket.
pub async fn websocket(
    State(app): State<Arc<App>>,
    permit: Option<Extension<PermitSlot>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    connect(app, &headers, ws, permit.and_then(|Extension(slot)| slot.take()))
}

/// The `connect` span: one per upgrade request, with `authenticate` inside it. The
/// session keeps a link to it, so each of its joins (a trace of its own) points back here.
#[tracing::instrument(name = "connect", skip_all, fields(gateway = %app.gateway_id, player = Empty, otel.status_code = Empty))]
fn connect(app: Arc<App>, headers: &HeaderMap, ws: WebSocketUpgrade, permit: Option<SocketPermit>) -> Result<Response, ApiError> {
    let identity = authenticate_ws(&app, headers).inspect_err(|_| {
        tracing::Span::current().record("otel.status_code", "error");
    })?;
    tracing::Span::current().record("player", tracing::field::display(identity.player));
    let connect = Link::current();
    let start = Box::new(crate::socket::Start { identity, app: app.clone(), connect, permit });
    Ok(ws
        .protocols([SUBPROTOCOL])
        // The protocol's limit (`max_message_bytes`) is enforced by the reader, after a
        // message is read whole; the WebSocket layer only refuses what is far beyond any
        // limit. So a message over the limit is consumed before the socket closes (a socket
        // closed with part of a frame unread is reset by the kernel, and the client loses
        // the 1009 close code), and the read buffer need not hold one maximal frame: it
        // starts small and grows only for a socket that sends a larger message (issue 14:
        // an idle socket kept a buffer of one maximal frame).
        .max_message_size(crate::socket::WS_LAYER_MAX_MESSAGE)
        .max_frame_size(crate::socket::WS_LAYER_MAX_MESSAGE)
        .read_buffer_size(crate::socket::READ_BUFFER)
        .write_buffer_size(0)
        .on_upgrade(move |socket| {
            // Boxed at once, like `start`: the socket (~500 bytes) then travels by pointer
            // through the session's nested futures, each of which would otherwise keep room
            // for its own copy for as long as the socket lives.
            app.sessions.track_future(crate::socket::run(Box::new(socket), start))
        })
        .into_response())
}

#[tracing::instrument(name = "authenticate", skip_all, fields(refused = Empty, otel.status_code = Empty))]
fn authenticate_ws(app: &App, headers: &HeaderMap) -> Result<Identity, ApiError> {
    let checked = app.origins.check(headers).and_then(|()| upgrade::authenticate(headers, &app.verifier));
    checked.inspect_err(|e| record_refusal(app, e))
}

#[tracing::instrument(name = "authenticate", skip_all, fields(refused = Empty, otel.status_code = Empty))]
pub(crate) fn authenticate_http(app: &App, headers: &HeaderMap) -> Result<Identity, ApiError> {
    let token = upgrade::bearer(headers).ok_or(orrery_common::auth::AuthError::Missing)?;
    app.verifier.verify(token).map_err(ApiError::from).inspect_err(|e| record_refusal(app, e))
}

/// Count a refused request; inside an `authenticate` span, mark it failed with the reason.
fn record_refusal(app: &App, e: &ApiError) {
    let span = tracing::Span::current();
    span.record("otel.status_code", "error");
    span.record("refused", tracing::field::display(e));
    let reason = match e {
        ApiError::Unauthorized(a) => a.reason(),
        ApiError::ForbiddenOrigin(_) => crate::metrics::REFUSED_ORIGIN,
        ApiError::BadRequest(_) => crate::metrics::REFUSED_SUBPROTOCOL,
        _ => return,
    };
    app.metrics.auth_failures.with_label_values(&[reason]).inc();
}

pub(crate) fn parse_optional<T: Default + for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    crate::validate::json(body)
}
