//! `GET /v1/invites/{code}`: which room an invite code opens and which game it plays, so a
//! client handed only a code can open the right game before it joins (the join itself is
//! `JoinByCode` on the socket, which is what admits the player).
//!
//! 404 for a code no open room has (malformed, unknown or closed alike), 401 without a
//! valid token; per player, the `invite_lookups` quota (429) bounds guessing.

use crate::App;
use crate::api::authenticate_http;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Answer of `GET /v1/invites/{code}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Invite {
    pub room: u64,
    /// The room's mode, which names its game (`arena…`, `frontier…`).
    pub mode: String,
}

/// `GET /v1/invites/{code}`.
pub async fn lookup(State(app): State<Arc<App>>, Path(code): Path<String>, headers: HeaderMap) -> Result<Json<Invite>, ApiError> {
    authenticate_http(&app, &headers)?;
    let (room, mode) = app.room_records.open_room_of_code(&code).await?;
    Ok(Json(Invite { room: room.get(), mode }))
}
