//! Presence: `player:<id>` in Redis says which room a player is in and through which
//! gateway, with a TTL refreshed while the player is connected.

use orrery_common::names::Names;
use orrery_common::{PlayerId, RoomId};
use redis::aio::ConnectionManager;

/// How long presence outlives the last refresh.
pub const PRESENCE_TTL_SECS: u64 = 300;

/// Presence records.
#[derive(Clone)]
pub struct Presence {
    redis: ConnectionManager,
    names: Names,
    gateway: String,
}

impl Presence {
    pub fn new(redis: ConnectionManager, names: Names, gateway: String) -> Self {
        Self { redis, names, gateway }
    }

    /// The player is in `room`, connected here.
    pub async fn seated(&self, player: PlayerId, room: RoomId) -> redis::RedisResult<()> {
        let key = self.names.player(player);
        let mut conn = self.redis.clone();
        redis::pipe()
            .hset_multiple(&key, &[("room", room.to_string()), ("gateway", self.gateway.clone()), ("online", "1".into())])
            .ignore()
            .expire(&key, PRESENCE_TTL_SECS as i64)
            .ignore()
            // The room's member set: closing the room clears `room` in every member's hash.
            .sadd(self.names.room_players(room), player.to_string())
            .ignore()
            .query_async(&mut conn)
            .await
    }

    /// The player is still connected: push the presence TTL back.
    pub async fn touch(&self, player: PlayerId) -> redis::RedisResult<()> {
        let mut conn = self.redis.clone();
        let key = self.names.player(player);
        redis::pipe().expire(&key, PRESENCE_TTL_SECS as i64).ignore().hset(&key, "online", "1").ignore().query_async(&mut conn).await
    }

    /// The player's socket closed; the seat is kept (the room decides for how long).
    pub async fn offline(&self, player: PlayerId) -> redis::RedisResult<()> {
        let mut conn = self.redis.clone();
        redis::cmd("HSET").arg(self.names.player(player)).arg("online").arg("0").query_async(&mut conn).await
    }

    /// The player left their room for good.
    pub async fn left(&self, player: PlayerId) -> redis::RedisResult<()> {
        let mut conn = self.redis.clone();
        redis::cmd("HDEL").arg(self.names.player(player)).arg("room").query_async(&mut conn).await
    }

    /// The room the player is seated in, if any.
    pub async fn room_of(&self, player: PlayerId) -> redis::RedisResult<Option<RoomId>> {
        let mut conn = self.redis.clone();
        let room: Option<u64> = redis::cmd("HGET").arg(self.names.player(player)).arg("room").query_async(&mut conn).await?;
        Ok(room.map(RoomId))
    }
}
