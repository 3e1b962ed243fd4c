//! Room records: creating a room (a row in PostgreSQL, a place in Redis's waiting set,
//! and a wake-up on NATS so a worker claims it at once) and looking rooms up.
//!
//! Private rooms get an invite code; only their creator and players who came with the
//! code may join. A room's creator may kick a player, who is then refused on every
//! later join of that room (`room_bans` in PostgreSQL).

use crate::error::ApiError;
use orrery_common::game::RoomSettings;
use orrery_common::names::Names;
use orrery_common::{Epoch, PlayerId, RoomId};
use redis::aio::ConnectionManager;
use sqlx::PgPool;
use sqlx::types::Json;

/// Room rows (PostgreSQL) and their Redis side, as the gateway needs them.
#[derive(Clone)]
pub struct RoomRecords {
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

impl RoomRecords {
    pub fn new(pg: PgPool, redis: ConnectionManager, nats: async_nats::Client, names: Names) -> Self {
        Self { pg, redis, nats, names }
    }

    /// Create a room and ask the workers to claim it. A private room gets an invite code.
    pub async fn create(
        &self,
        settings: &RoomSettings,
        region: &str,
        creator: PlayerId,
        private: bool,
    ) -> Result<(RoomId, Option<String>), ApiError> {
        let mut attempts = 0;
        let (id, code) = loop {
            let code = private.then(crate::validate::new_code);
            let row: Result<(i64,), sqlx::Error> = sqlx::query_as(
                "INSERT INTO rooms (mode, region, settings, creator, private, invite_code) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(&settings.mode)
            .bind(region)
            .bind(Json(settings))
            .bind(creator.0)
            .bind(private)
            .bind(&code)
            .fetch_one(&self.pg)
            .await;
            match row {
                Ok((id,)) => break (id, code),
                // An invite code collision: draw another.
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() && attempts < 5 => attempts += 1,
                Err(e) => return Err(e.into()),
            }
        };
        let room = RoomId(id as u64);
        let mut redis = self.redis.clone();
        if private {
            redis::cmd("SADD").arg(self.names.room_players(room)).arg(creator.to_string()).query_async::<()>(&mut redis).await?;
        }
        redis::cmd("SADD").arg(self.names.rooms_unowned()).arg(room.get()).query_async::<()>(&mut redis).await?;
        if let Err(e) = self.nats.publish(self.names.rooms_new(), room.to_string().into()).await {
            // The workers' periodic scan still finds it.
            tracing::warn!(%room, error = %e, "room wake-up not published");
        }
        Ok((room, code))
    }

    /// The room an invite code opens; the player may then join it.
    pub async fn by_code(&self, code: &str, player: PlayerId) -> Result<RoomId, ApiError> {
        let (room, _) = self.open_room_of_code(code).await?;
        let mut redis = self.redis.clone();
        redis::cmd("SADD").arg(self.names.room_players(room)).arg(player.to_string()).query_async::<()>(&mut redis).await?;
        Ok(room)
    }

    /// The open room an invite code names, and its mode (which game it plays). Looking a
    /// code up admits nobody: only `by_code` does.
    pub async fn open_room_of_code(&self, code: &str) -> Result<(RoomId, String), ApiError> {
        let unknown = || ApiError::NotFound("no open room has this invite code".into());
        let code = crate::validate::code(code).ok_or_else(unknown)?;
        let row: Option<(i64, String, String)> =
            sqlx::query_as("SELECT id, status, mode FROM rooms WHERE invite_code = $1").bind(&code).fetch_optional(&self.pg).await?;
        let (id, _, mode) = row.filter(|(_, status, _)| status != "closed").ok_or_else(unknown)?;
        Ok((RoomId(id as u64), mode))
    }

    /// Whether `player` may take a seat in `room`: not kicked from it, invited when it is
    /// private, and placed in it by the matchmaker when it is matchmade (a player seated
    /// there before, resuming or rejoining, was placed: `room:<id>:players` holds both).
    /// An unknown room passes (the join reports it).
    pub async fn may_join(&self, room: RoomId, player: PlayerId) -> Result<(), ApiError> {
        let row: Option<(bool, Option<uuid::Uuid>, bool, bool)> = sqlx::query_as(
            "SELECT r.private, r.creator, EXISTS (SELECT 1 FROM room_bans b WHERE b.room = r.id AND b.player = $2), r.matchmade
             FROM rooms r WHERE r.id = $1",
        )
        .bind(room.get() as i64)
        .bind(player.0)
        .fetch_optional(&self.pg)
        .await?;
        let Some((private, creator, banned, matchmade)) = row else { return Ok(()) };
        if banned {
            return Err(ApiError::Forbidden(format!("you were removed from room {room} and may not rejoin it")));
        }
        if (private && creator != Some(player.0)) || matchmade {
            let mut redis = self.redis.clone();
            let listed: bool =
                redis::cmd("SISMEMBER").arg(self.names.room_players(room)).arg(player.to_string()).query_async(&mut redis).await?;
            if !listed && matchmade {
                return Err(ApiError::Forbidden(format!("room {room} is matchmade: queue to be placed in it")));
            }
            if !listed {
                return Err(ApiError::Forbidden(format!("room {room} is private: join it with its invite code")));
            }
        }
        Ok(())
    }

    /// Ban `player` from `room` on behalf of `by`, who must be its creator. The caller
    /// then takes the player's seat away and tells their gateway. True when the player's
    /// presence named this room (seated in it, or placed in it by the matchmaker).
    pub async fn ban(&self, room: RoomId, by: PlayerId, player: PlayerId) -> Result<bool, ApiError> {
        let row: Option<(Option<uuid::Uuid>,)> =
            sqlx::query_as("SELECT creator FROM rooms WHERE id = $1").bind(room.get() as i64).fetch_optional(&self.pg).await?;
        match row {
            None => return Err(ApiError::NotFound(format!("room {room} does not exist"))),
            Some((creator,)) if creator != Some(by.0) => {
                return Err(ApiError::Forbidden("only the room's creator may kick players".into()));
            }
            Some(_) if by == player => return Err(ApiError::BadRequest("the creator cannot kick themself".into())),
            Some(_) => {}
        }
        sqlx::query("INSERT INTO room_bans (room, player, banned_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(room.get() as i64)
            .bind(player.0)
            .bind(by.0)
            .execute(&self.pg)
            .await?;
        let mut redis = self.redis.clone();
        redis::Script::new(
            "redis.call('SREM', KEYS[1], ARGV[1]) if redis.call('HGET', KEYS[2], 'room') == ARGV[2] then redis.call('HDEL', KEYS[2], 'room') return 1 end return 0",
        )
        .key(self.names.room_players(room))
        .key(self.names.player(player))
        .arg(player.to_string())
        .arg(room.get())
        .invoke_async::<i64>(&mut redis)
        .await
        .map(|was_in| was_in == 1)
        .map_err(ApiError::from)
    }

    /// The epoch PostgreSQL issued last for `room` (its owner's, or the one being claimed);
    /// `None` for an unknown room.
    pub async fn epoch(&self, room: RoomId) -> Result<Option<Epoch>, sqlx::Error> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT epoch FROM rooms WHERE id = $1").bind(room.get() as i64).fetch_optional(&self.pg).await?;
        Ok(row.map(|(epoch,)| Epoch(epoch as u64)))
    }

    /// Whether `room` exists and is not closed.
    pub async fn status(&self, room: RoomId) -> Result<RoomStatus, ApiError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT status FROM rooms WHERE id = $1").bind(room.get() as i64).fetch_optional(&self.pg).await?;
        Ok(match row {
            None => RoomStatus::Unknown,
            Some((s,)) if s == "closed" => RoomStatus::Closed,
            Some((s,)) => RoomStatus::Open(s),
        })
    }

    /// How many rooms `creator` has that are not closed (the live-rooms quota).
    pub async fn live_rooms_of(&self, creator: PlayerId) -> Result<i64, sqlx::Error> {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM rooms WHERE creator = $1 AND status <> 'closed'")
            .bind(creator.0)
            .fetch_one(&self.pg)
            .await?;
        Ok(n)
    }
}
