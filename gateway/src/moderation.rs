//! Room moderation: `POST /v1/rooms/{room}/kick` with `{"player": "<uuid>"}`.
//!
//! Only the room's creator may kick. The ban is recorded first (PostgreSQL
//! `room_bans`, so every later join of that room is refused by any gateway), then the
//! player's seat is taken away by the room's owner (a `Leave`), and the gateways serving
//! the player are told (`player.<id>.events`). A kick reaches only what is in the room:
//! a socket of the player in that room gets `ServerMsg::Kicked` and is closed with close
//! code 4003; the player's sockets in other rooms, or in none, are left alone. The
//! answer says whether the player was in the room (`in_room`); when they were not, the
//! kick only records the ban.

use crate::App;
use crate::api::authenticate_http;
use crate::error::ApiError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use orrery_common::protocol::encode;
use orrery_common::protocol::internal::PlayerEvent;
use orrery_common::{PlayerId, RoomId};
use serde::Deserialize;
use std::sync::Arc;

/// Body of a kick.
#[derive(Debug, Deserialize)]
pub struct Kick {
    pub player: PlayerId,
}

/// `POST /v1/rooms/{room}/kick`.
pub async fn kick(
    State(app): State<Arc<App>>,
    Path(room): Path<u64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let identity = authenticate_http(&app, &headers)?;
    let req: Kick = crate::validate::json(&body)?;
    let room = RoomId(room);
    let in_room = app.room_records.ban(room, identity.player, req.player).await?;
    // Sent whatever presence says (it may have expired under a seated player): the owner
    // removes only a seat in this room, and sockets act only on a kick from their room.
    let removed = app.owner.kick(room, req.player).await.is_ok();
    let event = encode(&PlayerEvent::Kicked { room });
    app.nats.publish(app.names.player_events(req.player), event.into()).await.map_err(|e| ApiError::Internal(format!("nats: {e}")))?;
    Ok(Json(serde_json::json!({ "kicked": req.player, "room": room, "in_room": in_room, "seat_removed": removed })))
}
