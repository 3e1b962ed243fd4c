//! What a room's snapshot holds, and the hot (Redis) copy of it.
//!
//! A snapshot is everything needed to continue a room exactly: the game's own
//! snapshot, the tick, each player's last applied input sequence (invariant I5), and
//! the match events not yet written durably — so a room restored from a hot snapshot
//! still writes every event exactly once. Hot writes are a compare-and-set that accepts
//! only a higher (epoch, tick) and only from the lease holder (invariant I2).

use orrery_common::game::GameEvent;
use orrery_common::names::Names;
use orrery_common::protocol::client::CommandOutcome;
use orrery_common::{ClientMsgId, Epoch, HistoryPos, InputSeq, PlayerId, RoomId, Tick};
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};

/// A room, frozen between two ticks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoomSnapshot {
    pub tick: Tick,
    pub game: Vec<u8>,
    pub last_input: Vec<(PlayerId, InputSeq)>,
    /// Sequence number the next match event will get.
    pub next_event_seq: u64,
    /// Events since the last durable write.
    pub pending_events: Vec<PendingEvent>,
    /// Each player's recent command ids and their outcomes, so a resent command is
    /// acknowledged again, not applied again — also after a failover.
    pub commands: Vec<(PlayerId, Vec<(ClientMsgId, CommandOutcome)>)>,
}

impl RoomSnapshot {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("encoding into a Vec cannot fail")
    }
    pub fn decode(bytes: &[u8]) -> Result<Self, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}

/// A match event waiting for its durable write; `seq` is fixed when it happens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingEvent {
    pub seq: u64,
    pub tick: Tick,
    pub kind: String,
    pub player: Option<PlayerId>,
    pub detail_json: String,
}

impl PendingEvent {
    pub fn new(seq: u64, tick: Tick, ev: GameEvent) -> Self {
        Self { seq, tick, kind: ev.kind, player: ev.player, detail_json: ev.detail.to_string() }
    }
}

/// KEYS: snapshot hash, lease. ARGV: token, epoch, tick, state, lease ttl ms.
/// Answers 1 written, 2 nothing newer (the same owner already wrote a later tick), 0
/// refused: another holder, or a newer epoch has written. The same (epoch, tick) again
/// is written over: joins, leaves and commands change a room between two ticks, so the
/// holder's later write at the same tick is the newer state (a drain right after a
/// periodic snapshot must hand off the join that came in between).
/// Only the lease holder writes. A lease that vanished (Redis lost its data) is taken
/// again: the caller checked its local deadline first, so it is not a paused owner
/// whose lease expired, and PostgreSQL's epoch still fences its durable writes.
const HOT_CAS: &str = r"
local holder = redis.call('GET', KEYS[2])
if holder == false then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[5])
elseif holder ~= ARGV[1] then
  return 0
end
local cur = redis.call('HMGET', KEYS[1], 'epoch', 'tick')
if cur[1] then
  local ce, ct = tonumber(cur[1]), tonumber(cur[2])
  local e, t = tonumber(ARGV[2]), tonumber(ARGV[3])
  if ce > e then return 0 end
  if ce == e and ct > t then return 2 end
end
redis.call('HSET', KEYS[1], 'epoch', ARGV[2], 'tick', ARGV[3], 'state', ARGV[4])
return 1
";

/// Hot snapshots in Redis.
#[derive(Clone)]
pub struct HotSnapshots {
    redis: ConnectionManager,
    names: Names,
    lease_ttl: std::time::Duration,
    cas: redis::Script,
}

impl HotSnapshots {
    pub fn new(redis: ConnectionManager, names: Names, lease_ttl: std::time::Duration) -> Self {
        Self { redis, names, lease_ttl, cas: redis::Script::new(HOT_CAS) }
    }

    /// Write if we hold the lease and `at` is not lower than what is stored.
    /// `Ok(false)` means refused: ownership is lost. The same position again is
    /// written over (the room may have changed between ticks).
    pub async fn write(&self, room: RoomId, token: &str, at: HistoryPos, state: &[u8]) -> Result<bool, redis::RedisError> {
        let mut conn = self.redis.clone();
        let ok: i64 = self
            .cas
            .key(self.names.hot_snapshot(room))
            .key(self.names.lease(room))
            .arg(token)
            .arg(at.epoch.get())
            .arg(at.tick.get())
            .arg(state)
            .arg(self.lease_ttl.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        Ok(ok != 0)
    }

    /// Remove the hot snapshot of a closed room.
    /// The Redis connection (shared, reconnecting), for clean-ups.
    pub fn connection(&self) -> ConnectionManager {
        self.redis.clone()
    }

    pub async fn delete(&self, room: RoomId) -> Result<(), redis::RedisError> {
        let mut conn = self.redis.clone();
        redis::cmd("DEL").arg(self.names.hot_snapshot(room)).query_async(&mut conn).await
    }

    /// The stored hot snapshot.
    pub async fn read(&self, room: RoomId) -> Result<Option<(HistoryPos, Vec<u8>)>, redis::RedisError> {
        let mut conn = self.redis.clone();
        let (e, t, s): (Option<u64>, Option<u64>, Option<Vec<u8>>) =
            redis::cmd("HMGET").arg(self.names.hot_snapshot(room)).arg("epoch").arg("tick").arg("state").query_async(&mut conn).await?;
        Ok(match (e, t, s) {
            (Some(e), Some(t), Some(s)) => Some((HistoryPos::new(Epoch(e), Tick(t)), s)),
            _ => None,
        })
    }
}
