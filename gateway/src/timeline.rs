//! Coming back later, over HTTP: which of my matches wait on me, and a finished match's log.
//!
//! - `GET /v1/matches/waiting`: the live matches whose next decision is the caller's
//!   (`match_waiting`, written by the room's owner in the same transaction as the durable
//!   snapshot that decided it, so it is never ahead of the match).
//! - `GET /v1/rooms/{room}/events?after=N`: the events of a finished match after offset `N`
//!   (its per-room sequence; 0, the default, is from the start), at most [`PAGE`] at a time,
//!   filtered for the caller (an event whose audience names other players only is left
//!   out). 404 for an unknown room, 403 for a caller who held no seat in it, 409 while the
//!   match is not over.
//!
//! Both read PostgreSQL only; neither knows any game.

use crate::App;
use crate::api::authenticate_http;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use orrery_common::{PlayerId, RoomId};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::sync::Arc;

/// Most events in one answer; ask again with the last offset for more.
pub const PAGE: i64 = 500;
/// Most waiting matches listed.
const WAITING_LISTED: i64 = 200;

/// PostgreSQL reads of the timeline endpoints.
#[derive(Clone, Debug)]
pub struct Timeline {
    pg: PgPool,
}

/// One match waiting on the caller.
#[derive(Debug, Serialize, Deserialize)]
pub struct Waiting {
    pub room: u64,
    pub mode: String,
    /// Since when it waits on the caller (milliseconds since the Unix epoch).
    pub since_ms: i64,
}

/// Answer of `GET /v1/matches/waiting`.
#[derive(Debug, Serialize, Deserialize)]
pub struct WaitingMatches {
    pub matches: Vec<Waiting>,
}

/// One event of a match's log.
#[derive(Debug, Serialize, Deserialize)]
pub struct LoggedEvent {
    /// The event's per-room offset.
    pub seq: u64,
    pub tick: u64,
    pub kind: String,
    pub player: Option<PlayerId>,
    pub detail: serde_json::Value,
}

/// Answer of `GET /v1/rooms/{room}/events`.
#[derive(Debug, Serialize, Deserialize)]
pub struct EventLog {
    pub room: u64,
    pub events: Vec<LoggedEvent>,
    /// The offset to ask after for the next page, when this one was full.
    pub more_after: Option<u64>,
}

impl Timeline {
    pub fn new(pg: PgPool) -> Self {
        Self { pg }
    }

    async fn waiting(&self, player: PlayerId) -> Result<Vec<Waiting>, sqlx::Error> {
        let rows: Vec<(i64, String, f64)> = sqlx::query_as(
            "SELECT w.room, r.mode, extract(epoch FROM w.since)::float8 * 1000 FROM match_waiting w JOIN rooms r ON r.id = w.room
             WHERE w.player = $1 AND r.status <> 'closed' ORDER BY w.since, w.room LIMIT $2",
        )
        .bind(player.0)
        .bind(WAITING_LISTED)
        .fetch_all(&self.pg)
        .await?;
        Ok(rows.into_iter().map(|(room, mode, since)| Waiting { room: room as u64, mode, since_ms: since as i64 }).collect())
    }

    /// The room's status and whether `player` held a seat in it; `None` for an unknown room.
    async fn status_for(&self, room: RoomId, player: PlayerId) -> Result<Option<(String, bool)>, sqlx::Error> {
        sqlx::query_as(
            "SELECT r.status,
                    EXISTS (SELECT 1 FROM match_players p WHERE p.room = r.id AND p.player = $2)
                    OR EXISTS (SELECT 1 FROM match_results m WHERE m.room = r.id AND m.player = $2)
             FROM rooms r WHERE r.id = $1",
        )
        .bind(room.get() as i64)
        .bind(player.0)
        .fetch_optional(&self.pg)
        .await
    }

    async fn events(&self, room: RoomId, after: u64, viewer: PlayerId) -> Result<Vec<LoggedEvent>, sqlx::Error> {
        let rows: Vec<(i64, i64, String, Option<uuid::Uuid>, serde_json::Value)> = sqlx::query_as(
            "SELECT seq, tick, kind, player, payload FROM match_events
             WHERE room = $1 AND seq > $2 AND (audience IS NULL OR $3 = ANY(audience)) ORDER BY seq LIMIT $4",
        )
        .bind(room.get() as i64)
        .bind(after as i64)
        .bind(viewer.0)
        .bind(PAGE)
        .fetch_all(&self.pg)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(seq, tick, kind, player, detail)| LoggedEvent {
                seq: seq as u64,
                tick: tick as u64,
                kind,
                player: player.map(PlayerId),
                detail,
            })
            .collect())
    }
}

fn db(e: sqlx::Error) -> ApiError {
    ApiError::Unavailable(format!("the database did not answer: {e}"))
}

/// `GET /v1/matches/waiting`.
pub async fn waiting(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Json<WaitingMatches>, ApiError> {
    let identity = authenticate_http(&app, &headers)?;
    Ok(Json(WaitingMatches { matches: app.timeline.waiting(identity.player).await.map_err(db)? }))
}

/// The `after` of a query string: a non-negative integer, 0 when absent.
fn parse_after(query: Option<&str>) -> Result<u64, ApiError> {
    let mut after = 0;
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("after", v)) => {
                after = v
                    .parse::<u64>()
                    .ok()
                    .filter(|a| *a <= i64::MAX as u64)
                    .ok_or_else(|| ApiError::BadRequest(format!("after must be a non-negative integer, not {v:?}")))?
            }
            _ => return Err(ApiError::BadRequest(format!("unknown query parameter {pair:?}: only after=N"))),
        }
    }
    Ok(after)
}

/// `GET /v1/rooms/{room}/events?after=N`.
pub async fn events(
    State(app): State<Arc<App>>,
    Path(room): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<EventLog>, ApiError> {
    let identity = authenticate_http(&app, &headers)?;
    let room = room
        .parse::<u64>()
        .ok()
        .filter(|r| *r > 0 && *r <= i64::MAX as u64)
        .map(RoomId)
        .ok_or_else(|| ApiError::BadRequest(format!("a room id is a positive integer, not {room:?}")))?;
    let after = parse_after(query.as_deref())?;
    let Some((status, seated)) = app.timeline.status_for(room, identity.player).await.map_err(db)? else {
        return Err(ApiError::NotFound(format!("no room {room}")));
    };
    if !seated {
        return Err(ApiError::Forbidden("only the match's players may read its log".into()));
    }
    if !matches!(status.as_str(), "over" | "closable" | "closed") {
        return Err(ApiError::Conflict(format!("the match is not over (it is {status}): its log is read once it is")));
    }
    let events = app.timeline.events(room, after, identity.player).await.map_err(db)?;
    let more_after = (events.len() as i64 == PAGE).then(|| events.last().map(|e| e.seq)).flatten();
    Ok(Json(EventLog { room: room.get(), events, more_after }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_is_a_non_negative_integer_or_absent() {
        assert_eq!(parse_after(None).unwrap(), 0);
        assert_eq!(parse_after(Some("after=17")).unwrap(), 17);
        for bad in ["after=-1", "after=x", "after=", "before=3", "after=99999999999999999999999"] {
            assert!(matches!(parse_after(Some(bad)), Err(ApiError::BadRequest(_))), "{bad}");
        }
    }
}
