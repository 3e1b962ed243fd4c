//! `POST /v1/shed?rooms=N` on the ops port: hand N rooms to the other workers without
//! stopping this one — the same drain as on SIGTERM (final snapshot, lease released with
//! a wake-up), and this worker leaves those rooms alone for a while.

use crate::App;
use axum::Json;
use axum::extract::{Query, State};
use axum::routing::post;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
struct ShedQuery {
    rooms: usize,
}

/// The shed route, to merge into the ops router.
pub fn router(app: Arc<App>) -> axum::Router {
    axum::Router::new().route("/v1/shed", post(shed)).with_state(app)
}

async fn shed(State(app): State<Arc<App>>, Query(q): Query<ShedQuery>) -> Json<serde_json::Value> {
    let rooms = app.owned.shed(q.rooms);
    tracing::info!(rooms = rooms.len(), "shedding load");
    Json(serde_json::json!({ "shed": rooms.iter().map(|r| r.get()).collect::<Vec<_>>() }))
}
