//! `POST /v1/matchmaking` (queue), `GET /v1/matchmaking` (where am I), `DELETE
//! /v1/matchmaking` (leave the queue). A player queued over HTTP is placed like any
//! other; they learn their room by polling `GET` (which also keeps the ticket alive) or
//! over a WebSocket, whose gateway joins them to the room when they are placed.

use super::{QueueOutcome, QueueRequest, QueueStatus};
use crate::App;
use crate::api::authenticate_http;
use crate::error::ApiError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use std::sync::Arc;

/// `POST /v1/matchmaking` with `{mode, region?, party?}`.
pub async fn queue(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Json<QueueOutcome>, ApiError> {
    let identity = authenticate_http(&app, &headers)?;
    let req: QueueRequest = crate::validate::json(&body)?;
    Ok(Json(app.matchmaker.enqueue(identity.player, &req).await?))
}

/// `GET /v1/matchmaking`.
pub async fn status(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Json<QueueStatus>, ApiError> {
    let identity = authenticate_http(&app, &headers)?;
    Ok(Json(app.matchmaker.status(identity.player).await?))
}

/// `DELETE /v1/matchmaking`: `{"cancelled": bool}`.
pub async fn cancel(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Json<serde_json::Value>, ApiError> {
    let identity = authenticate_http(&app, &headers)?;
    let cancelled = app.matchmaker.cancel(identity.player).await?;
    Ok(Json(serde_json::json!({ "cancelled": cancelled })))
}
