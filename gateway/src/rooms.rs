//! Creating rooms and looking them up: a row in PostgreSQL, a place in Redis's waiting
//! set, and a wake-up on NATS so a worker claims it at once.

use crate::error::ApiError;
use orrery_common::RoomId;
use orrery_common::game::RoomSettings;
use orrery_common::names::Names;
use redis::aio::ConnectionManager;
use sqlx::PgPool;
use sqlx::types::Json;

/// Room records as the gateway needs them.
#[derive(Clone)]
pub struct Rooms {
    pg: PgPool,
    redis: ConnectionManager,
    nats: async_nats::Client,
    names: Names,
}

/// Whether a room can be joined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoomStatus {
    Open(String),
    Closed,
    Unknown,
}

impl Rooms {
    pub fn new(pg: PgPool, redis: ConnectionManager, nats: async_nats::Client, names: Names) -> Self {
        Self { pg, redis, nats, names }
    }

    /// Create a room and ask the workers to claim it.
    pub async fn create(&self, settings: &RoomSettings, region: &str) -> Result<RoomId, ApiError> {
        let (id,): (i64,) = sqlx::query_as("INSERT INTO rooms (mode, region, settings) VALUES ($1, $2, $3) RETURNING id")
            .bind(&settings.mode)
            .bind(region)
            .bind(Json(settings))
            .fetch_one(&self.pg)
            .await?;
        let room = RoomId(id as u64);
        let mut redis = self.redis.clone();
        redis::cmd("SADD").arg(self.names.rooms_unowned()).arg(room.get()).query_async::<()>(&mut redis).await?;
        if let Err(e) = self.nats.publish(self.names.rooms_new(), room.to_string().into()).await {
            // The workers' periodic scan still finds it.
            tracing::warn!(%room, error = %e, "room wake-up not published");
        }
        Ok(room)
    }

    /// Whether `room` exists and is not closed.
    pub async fn status(&self, room: RoomId) -> Result<RoomStatus, ApiError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT status FROM rooms WHERE id = $1")
            .bind(room.get() as i64)
            .fetch_optional(&self.pg)
            .await?;
        Ok(match row {
            None => RoomStatus::Unknown,
            Some((s,)) if s == "closed" => RoomStatus::Closed,
            Some((s,)) => RoomStatus::Open(s),
        })
    }
}
