//! The leaderboard: a Redis sorted set (`leaderboard`, player -> total score) for the
//! live board, PostgreSQL (`match_results`, summed by the `player_stats` view) as the
//! truth. Workers count a room's results in when they close it, exactly once per room
//! (`leaderboard:applied`); gateways repeat that idempotent step when they hear that a
//! room closed, and [`Leaderboard::rebuild`] recreates the set from PostgreSQL.
//!
//! `GET /v1/leaderboard?limit=N` (1..=100, default 10) and `GET /v1/players/{id}`.

use crate::App;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, Query, State};
use orrery_common::game::PlayerResult;
use orrery_common::names::Names;
use orrery_common::{PlayerId, RoomId};
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::sync::Arc;

/// Leaderboard access.
#[derive(Clone)]
pub struct Leaderboard {
    redis: ConnectionManager,
    pg: PgPool,
    names: Names,
}

/// One line of the board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub rank: u64,
    pub player: PlayerId,
    pub score: i64,
}

/// A player's standing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerStats {
    pub player: PlayerId,
    /// 1 is the best; `None` when the player has no finished match.
    pub rank: Option<u64>,
    pub score: i64,
    pub games: i64,
    pub wins: i64,
    pub kills: i64,
    /// Skill rating the matchmaker uses (1000 before the first ranked match), updated by
    /// the worker in the transaction that writes a ranked match's results.
    pub rating: i64,
}

impl Leaderboard {
    pub fn new(redis: ConnectionManager, pg: PgPool, names: Names) -> Self {
        Self { redis, pg, names }
    }

    /// The best `limit` players.
    pub async fn top(&self, limit: usize) -> Result<Vec<Entry>, ApiError> {
        let mut conn = self.redis.clone();
        let rows: Vec<(String, f64)> = redis::cmd("ZREVRANGE")
            .arg(self.names.leaderboard())
            .arg(0)
            .arg(limit.saturating_sub(1))
            .arg("WITHSCORES")
            .query_async(&mut conn)
            .await?;
        rows.into_iter()
            .enumerate()
            .map(|(i, (p, s))| {
                let player = p.parse().map_err(|_| ApiError::Internal(format!("leaderboard member {p:?}")))?;
                Ok(Entry { rank: i as u64 + 1, player, score: s as i64 })
            })
            .collect()
    }

    /// A player's rank (live board), totals and rating (PostgreSQL).
    pub async fn player(&self, player: PlayerId) -> Result<PlayerStats, ApiError> {
        let row: Option<(i64, i64, i64, i64)> = sqlx::query_as("SELECT games, wins, kills, score FROM player_stats WHERE player = $1")
            .bind(player.0)
            .fetch_optional(&self.pg)
            .await?;
        let (games, wins, kills, score) = row.unwrap_or_default();
        let (rating,): (i64,) = sqlx::query_as("SELECT coalesce((SELECT rating FROM player_ratings WHERE player = $1), 1000)::bigint")
            .bind(player.0)
            .fetch_one(&self.pg)
            .await?;
        let mut conn = self.redis.clone();
        let rank: Option<u64> = redis::cmd("ZREVRANK").arg(self.names.leaderboard()).arg(player.to_string()).query_async(&mut conn).await?;
        Ok(PlayerStats { player, rank: rank.map(|r| r + 1), score, games, wins, kills, rating })
    }

    /// Replace the live board by what PostgreSQL says (built aside, then renamed in).
    pub async fn rebuild(&self) -> Result<usize, ApiError> {
        let totals: Vec<(uuid::Uuid, i64)> = sqlx::query_as("SELECT player, score FROM player_stats").fetch_all(&self.pg).await?;
        let rooms: Vec<(i64,)> = sqlx::query_as("SELECT DISTINCT room FROM match_results").fetch_all(&self.pg).await?;
        let (board, applied) = (self.names.leaderboard(), self.names.leaderboard_applied());
        let (board_tmp, applied_tmp) = (format!("{board}:rebuild"), format!("{applied}:rebuild"));
        let mut conn = self.redis.clone();
        let mut pipe = redis::pipe();
        pipe.atomic().del(&board_tmp).ignore().del(&applied_tmp).ignore();
        for chunk in totals.chunks(1000) {
            let members: Vec<(i64, String)> = chunk.iter().map(|(p, s)| (*s, p.to_string())).collect();
            pipe.zadd_multiple(&board_tmp, &members).ignore();
        }
        for chunk in rooms.chunks(1000) {
            let ids: Vec<i64> = chunk.iter().map(|(r,)| *r).collect();
            pipe.sadd(&applied_tmp, ids).ignore();
        }
        if totals.is_empty() {
            pipe.del(&board).ignore();
        } else {
            pipe.rename(&board_tmp, &board).ignore();
        }
        if rooms.is_empty() {
            pipe.del(&applied).ignore();
        } else {
            pipe.rename(&applied_tmp, &applied).ignore();
        }
        pipe.query_async::<()>(&mut conn).await?;
        Ok(totals.len())
    }

    /// Rebuild when the live board is missing (a fresh or flushed Redis).
    pub async fn rebuild_if_missing(&self) -> Result<(), ApiError> {
        let mut conn = self.redis.clone();
        let exists: bool = redis::cmd("EXISTS").arg(self.names.leaderboard()).query_async(&mut conn).await?;
        if !exists {
            self.rebuild().await?;
        }
        Ok(())
    }

    /// A room closed: count its results (from PostgreSQL; once) and forget its keys.
    pub async fn room_closed(&self, room: RoomId) -> Result<(), ApiError> {
        let rows: Vec<(uuid::Uuid, i32, i64, i32)> = sqlx::query_as("SELECT player, rank, score, kills FROM match_results WHERE room = $1")
            .bind(room.get() as i64)
            .fetch_all(&self.pg)
            .await?;
        let results: Vec<PlayerResult> = rows
            .into_iter()
            .map(|(p, rank, score, kills)| PlayerResult { player: PlayerId(p), rank: rank as u16, score, kills: kills as u32 })
            .collect();
        let mut conn = self.redis.clone();
        orrery_common::lifecycle::forget_room(&mut conn, &self.names, room, &results).await?;
        Ok(())
    }
}

/// Query of `GET /v1/leaderboard`.
#[derive(Debug, Deserialize)]
pub struct TopQuery {
    pub limit: Option<usize>,
}

/// `GET /v1/leaderboard?limit=N`.
pub async fn top(State(app): State<Arc<App>>, Query(q): Query<TopQuery>) -> Result<Json<Vec<Entry>>, ApiError> {
    let limit = q.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be within 1..=100".into()));
    }
    Ok(Json(app.leaderboard.top(limit).await?))
}

/// `GET /v1/players/{id}`.
pub async fn player(State(app): State<Arc<App>>, Path(id): Path<String>) -> Result<Json<PlayerStats>, ApiError> {
    let player: PlayerId = id.parse().map_err(|_| ApiError::BadRequest("a player id is a UUID".into()))?;
    Ok(Json(app.leaderboard.player(player).await?))
}
