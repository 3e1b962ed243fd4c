//! Room leases in Redis: who *should* run a room.
//!
//! A lease is `lease:room:<id>` = owner token with a PX ttl, mirrored in the
//! `rooms:owned` ZSET (room -> expiry ms) so every worker can find expired ones, and
//! removed from `rooms:unowned` once taken. Renewal and release are scripts that only
//! touch the caller's own lease. The lease alone is not safe (a paused owner can wake
//! up after it expired); the PostgreSQL epoch ([`crate::store`]) fences writes, and the
//! local deadline ([`LeaseClock`]) stops a late owner from ticking.

use orrery_common::RoomId;
use orrery_common::names::Names;
use orrery_common::time::now_ms;
use redis::aio::ConnectionManager;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// Redis said no, or could not be reached.
pub type RedisResult<T> = Result<T, redis::RedisError>;

/// Lease operations for one worker.
#[derive(Clone)]
pub struct Leases {
    redis: ConnectionManager,
    names: Names,
    ttl: Duration,
    renew: redis::Script,
    release: redis::Script,
}

/// Extend each lease the caller still holds; answer 1 per renewed lease, 0 per lost one.
/// A lease that no longer exists at all (Redis restarted and lost it) is taken again:
/// nobody else holds it, and the PostgreSQL epoch still fences every write, so the
/// owner keeps its rooms instead of stopping all of them.
/// KEYS: lease keys..., owned zset. ARGV: tokens..., rooms..., ttl ms, expiry ms.
const RENEW: &str = r"
local n = #KEYS - 1
local owned = KEYS[n + 1]
local ttl = ARGV[2 * n + 1]
local expiry = ARGV[2 * n + 2]
local out = {}
for i = 1, n do
  local holder = redis.call('GET', KEYS[i])
  if holder == ARGV[i] then
    redis.call('PEXPIRE', KEYS[i], ttl)
  elseif holder == false then
    redis.call('SET', KEYS[i], ARGV[i], 'PX', ttl)
  end
  if holder == ARGV[i] or holder == false then
    redis.call('ZADD', owned, expiry, ARGV[n + i])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
";

/// Give a lease back (drain or close): only if it is still ours.
/// KEYS: lease, owned zset, unowned set. ARGV: token, room, requeue (1 = wait for a new owner).
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
if ARGV[3] == '1' then redis.call('SADD', KEYS[3], ARGV[2]) else redis.call('SREM', KEYS[3], ARGV[2]) end
return 1
";

impl Leases {
    pub fn new(redis: ConnectionManager, names: Names, ttl: Duration) -> Self {
        Self { redis, names, ttl, renew: redis::Script::new(RENEW), release: redis::Script::new(RELEASE) }
    }

    /// Rooms that wait for an owner or whose lease has expired, oldest expiry first.
    pub async fn claimable(&self, limit: usize) -> RedisResult<Vec<RoomId>> {
        let mut conn = self.redis.clone();
        let unowned: Vec<u64> = redis::cmd("SRANDMEMBER").arg(self.names.rooms_unowned()).arg(limit).query_async(&mut conn).await?;
        let expired: Vec<u64> = redis::cmd("ZRANGEBYSCORE")
            .arg(self.names.rooms_owned())
            .arg("-inf")
            .arg(now_ms())
            .arg("LIMIT")
            .arg(0)
            .arg(limit)
            .query_async(&mut conn)
            .await?;
        // A room can be in both lists (expired and re-queued): claim it once.
        let mut seen = std::collections::HashSet::new();
        Ok(expired.into_iter().chain(unowned).filter(|r| seen.insert(*r)).map(RoomId).collect())
    }

    /// `SET NX PX`: take the lease if nobody holds it. Returns whether we got it.
    pub async fn acquire(&self, room: RoomId, token: &str) -> RedisResult<bool> {
        let mut conn = self.redis.clone();
        let ok: Option<String> = redis::cmd("SET")
            .arg(self.names.lease(room))
            .arg(token)
            .arg("NX")
            .arg("PX")
            .arg(self.ttl.as_millis() as u64)
            .query_async(&mut conn)
            .await?;
        Ok(ok.is_some())
    }

    /// Record an acquired lease as owned (expiry score) and no longer waiting.
    pub async fn mark_owned(&self, room: RoomId) -> RedisResult<()> {
        let mut conn = self.redis.clone();
        redis::pipe()
            .zadd(self.names.rooms_owned(), room.get(), now_ms() + self.ttl.as_millis() as u64)
            .ignore()
            .srem(self.names.rooms_unowned(), room.get())
            .ignore()
            .query_async::<()>(&mut conn)
            .await
    }

    /// Of `rooms`, those with no lease at all and not waiting for an owner.
    pub async fn orphans(&self, rooms: &[RoomId]) -> RedisResult<Vec<RoomId>> {
        if rooms.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for room in rooms {
            pipe.exists(self.names.lease(*room)).sismember(self.names.rooms_unowned(), room.get());
        }
        let mut conn = self.redis.clone();
        let flags: Vec<bool> = pipe.query_async(&mut conn).await?;
        Ok(rooms.iter().zip(flags.chunks(2)).filter(|(_, f)| !f[0] && !f[1]).map(|(r, _)| *r).collect())
    }

    /// Put rooms back in the waiting set.
    pub async fn requeue(&self, rooms: &[RoomId]) -> RedisResult<()> {
        if rooms.is_empty() {
            return Ok(());
        }
        let mut conn = self.redis.clone();
        redis::cmd("SADD")
            .arg(self.names.rooms_unowned())
            .arg(rooms.iter().map(|r| r.get()).collect::<Vec<_>>())
            .query_async(&mut conn)
            .await
    }

    /// Forget a room that no longer exists (closed or deleted) from the waiting set.
    pub async fn forget(&self, room: RoomId) -> RedisResult<()> {
        let mut conn = self.redis.clone();
        redis::pipe()
            .srem(self.names.rooms_unowned(), room.get())
            .ignore()
            .zrem(self.names.rooms_owned(), room.get())
            .ignore()
            .query_async::<()>(&mut conn)
            .await
    }

    /// Renew many leases in one round trip. Returns, per lease, whether it is still ours.
    pub async fn renew(&self, leases: &[(RoomId, String)]) -> RedisResult<Vec<bool>> {
        if leases.is_empty() {
            return Ok(Vec::new());
        }
        let mut inv = self.renew.prepare_invoke();
        for (room, _) in leases {
            inv.key(self.names.lease(*room));
        }
        inv.key(self.names.rooms_owned());
        for (_, token) in leases {
            inv.arg(token);
        }
        for (room, _) in leases {
            inv.arg(room.get());
        }
        inv.arg(self.ttl.as_millis() as u64).arg(now_ms() + self.ttl.as_millis() as u64);
        let mut conn = self.redis.clone();
        let out: Vec<i64> = inv.invoke_async(&mut conn).await?;
        Ok(out.into_iter().map(|v| v == 1).collect())
    }

    /// Give a lease back if it is still ours; `requeue` puts the room in the waiting set.
    pub async fn release(&self, room: RoomId, token: &str, requeue: bool) -> RedisResult<bool> {
        let mut conn = self.redis.clone();
        let released: i64 = self
            .release
            .key(self.names.lease(room))
            .key(self.names.rooms_owned())
            .key(self.names.rooms_unowned())
            .arg(token)
            .arg(room.get())
            .arg(if requeue { "1" } else { "0" })
            .invoke_async(&mut conn)
            .await?;
        Ok(released == 1)
    }
}

/// The local deadline of one lease, on the monotonic clock (invariant I6).
///
/// Set from the moment *before* the acquire or renew request was sent, so the owner
/// always stops before Redis could hand the lease to someone else.
#[derive(Debug)]
pub struct LeaseClock {
    origin: Instant,
    deadline_us: AtomicU64,
}

impl LeaseClock {
    /// A lease whose request was sent at `sent`, valid for `budget` (TTL - margin).
    pub fn new(sent: Instant, budget: Duration) -> Self {
        Self { origin: sent, deadline_us: AtomicU64::new(budget.as_micros() as u64) }
    }

    /// A renewal sent at `sent` succeeded.
    pub fn extend(&self, sent: Instant, budget: Duration) {
        let until = (sent.saturating_duration_since(self.origin) + budget).as_micros() as u64;
        self.deadline_us.fetch_max(until, Ordering::SeqCst);
    }

    /// The owner may still act.
    pub fn valid(&self) -> bool {
        self.remaining() > Duration::ZERO
    }

    /// Time left before the local deadline.
    pub fn remaining(&self) -> Duration {
        let deadline = self.origin + Duration::from_micros(self.deadline_us.load(Ordering::SeqCst));
        deadline.saturating_duration_since(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_local_deadline_passes_without_renewal_and_moves_with_it() {
        let clock = LeaseClock::new(Instant::now(), Duration::from_millis(850));
        assert!(clock.valid());
        tokio::time::advance(Duration::from_millis(500)).await;
        clock.extend(Instant::now(), Duration::from_millis(850));
        tokio::time::advance(Duration::from_millis(800)).await;
        assert!(clock.valid(), "renewed at 500 ms, valid until 1350 ms");
        tokio::time::advance(Duration::from_millis(100)).await;
        assert!(!clock.valid());
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_renewal_answer_never_shortens_the_deadline() {
        let start = Instant::now();
        let clock = LeaseClock::new(start, Duration::from_millis(850));
        tokio::time::advance(Duration::from_millis(400)).await;
        clock.extend(Instant::now(), Duration::from_millis(850));
        clock.extend(start, Duration::from_millis(850));
        tokio::time::advance(Duration::from_millis(800)).await;
        assert!(clock.valid(), "the deadline is still 400 + 850 ms");
    }
}
