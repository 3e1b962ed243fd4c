//! Room leases in Redis: who *should* run a room.
//!
//! A lease is `lease:room:<id>` = owner token with a PX ttl, mirrored in the
//! `rooms:owned` ZSET (room -> expiry ms) so every worker can find expired ones, and
//! removed from `rooms:unowned` once taken. Renewal and release are scripts that only
//! touch the caller's own lease, and a lease given back stays given back: a renewal
//! that was under way when its room released it does not take it again (the released
//! token is remembered in `leases:given_back` for a TTL, and the renewer leaves out
//! leases whose [`LeaseClock`] says they were given back). The lease alone is not safe (a
//! paused owner can wake up after it expired); the PostgreSQL epoch ([`crate::store`])
//! fences writes, and the local deadline ([`LeaseClock`]) stops a late owner from ticking.

use orrery_common::RoomId;
use orrery_common::names::Names;
use orrery_common::time::now_ms;
use redis::aio::ConnectionManager;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// Extend each lease the caller still holds; answer per lease 1 renewed, 0 lost, 2 given back.
/// A lease that no longer exists at all (Redis restarted and lost it) is taken again:
/// nobody else holds it, and the PostgreSQL epoch still fences every write, so the
/// owner keeps its rooms instead of stopping all of them. But never a lease the caller
/// gave back (its token is among the given-back ones: this renewal was under way when
/// the room released it), nor one whose local deadline had passed when the renewal was
/// sent (flag 0: it may have expired, been claimed by another worker and been released
/// since).
/// KEYS: lease keys..., owned zset, given-back zset.
/// ARGV: tokens..., rooms..., may-take-again flags (1/0)..., ttl ms, expiry ms.
const RENEW: &str = r"
local n = #KEYS - 2
local owned = KEYS[n + 1]
local given_back = KEYS[n + 2]
local ttl = ARGV[3 * n + 1]
local expiry = ARGV[3 * n + 2]
local out = {}
for i = 1, n do
  local token = ARGV[i]
  local holder = redis.call('GET', KEYS[i])
  if holder == token then
    redis.call('PEXPIRE', KEYS[i], ttl)
    out[i] = 1
  elseif holder ~= false then
    out[i] = 0
  elseif redis.call('ZSCORE', given_back, token) then
    out[i] = 2
  elseif ARGV[2 * n + i] == '1' then
    redis.call('SET', KEYS[i], token, 'PX', ttl)
    out[i] = 1
  else
    out[i] = 0
  end
  if out[i] == 1 then
    redis.call('ZADD', owned, expiry, ARGV[n + i])
  end
end
return out
";

/// Give a lease back (drain or close): the token is remembered as given back until
/// `keep until` (whatever the lease's state: a renewal under way must not take it again),
/// then the lease is removed if it is still ours.
/// KEYS: lease, owned zset, unowned set, given-back zset.
/// ARGV: token, room, requeue (1 = wait for a new owner), now ms, keep until ms.
const RELEASE: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
if ARGV[3] == '1' then redis.call('SADD', KEYS[3], ARGV[2]) else redis.call('SREM', KEYS[3], ARGV[2]) end
return 1
";

/// One lease of a batch renewal.
#[derive(Clone, Copy, Debug)]
pub struct Renewal<'a> {
    pub room: RoomId,
    pub token: &'a str,
    /// The lease's local deadline had not passed when the renewal was sent: if Redis lost
    /// the lease, nobody else can have held it since, so it may be taken again.
    pub may_take_again: bool,
}

/// What a batch renewal did with one lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renewed {
    /// Still ours, extended by the TTL (or taken again after Redis lost it).
    Extended,
    /// Another owner holds it, or it vanished after its local deadline: stop the room.
    Lost,
    /// Our room released it while the renewal was under way: nothing to do.
    GivenBack,
}

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

    /// Renew many leases in one round trip. Never takes back a lease given back
    /// ([`Leases::release`]), even one released after this batch was put together.
    pub async fn renew(&self, leases: &[Renewal<'_>]) -> RedisResult<Vec<Renewed>> {
        if leases.is_empty() {
            return Ok(Vec::new());
        }
        let mut inv = self.renew.prepare_invoke();
        for l in leases {
            inv.key(self.names.lease(l.room));
        }
        inv.key(self.names.rooms_owned()).key(self.names.leases_given_back());
        for l in leases {
            inv.arg(l.token);
        }
        for l in leases {
            inv.arg(l.room.get());
        }
        for l in leases {
            inv.arg(if l.may_take_again { "1" } else { "0" });
        }
        inv.arg(self.ttl.as_millis() as u64).arg(now_ms() + self.ttl.as_millis() as u64);
        let mut conn = self.redis.clone();
        let out: Vec<i64> = inv.invoke_async(&mut conn).await?;
        Ok(out
            .into_iter()
            .map(|v| match v {
                1 => Renewed::Extended,
                2 => Renewed::GivenBack,
                _ => Renewed::Lost,
            })
            .collect())
    }

    /// Give a lease back if it is still ours; `requeue` puts the room in the waiting set.
    /// Its token is remembered as given back for a TTL (longer than any renewal of a
    /// live lease can be under way), so no renewal takes it again.
    pub async fn release(&self, room: RoomId, token: &str, requeue: bool) -> RedisResult<bool> {
        let mut conn = self.redis.clone();
        let now = now_ms();
        let released: i64 = self
            .release
            .key(self.names.lease(room))
            .key(self.names.rooms_owned())
            .key(self.names.rooms_unowned())
            .key(self.names.leases_given_back())
            .arg(token)
            .arg(room.get())
            .arg(if requeue { "1" } else { "0" })
            .arg(now)
            .arg(now + self.ttl.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        Ok(released == 1)
    }
}

/// The local deadline of one lease, on the monotonic clock (invariant I6).
///
/// Set from the moment *before* the acquire or renew request was sent, so the owner
/// always stops before Redis could hand the lease to someone else.
///
/// It also knows whether its room has given the lease back ([`LeaseClock::give_back`]):
/// from then on the worker's renewer leaves it out.
#[derive(Debug)]
pub struct LeaseClock {
    origin: Instant,
    deadline_us: AtomicU64,
    given_back: AtomicBool,
}

impl LeaseClock {
    /// A lease whose request was sent at `sent`, valid for `budget` (TTL - margin).
    pub fn new(sent: Instant, budget: Duration) -> Self {
        Self { origin: sent, deadline_us: AtomicU64::new(budget.as_micros() as u64), given_back: AtomicBool::new(false) }
    }

    /// The room is about to release its lease: renew it no more. (Called before the
    /// release is sent; a renewal already under way is refused by Redis instead.)
    pub fn give_back(&self) {
        self.given_back.store(true, Ordering::SeqCst);
    }

    /// The room has given its lease back.
    pub fn given_back(&self) -> bool {
        self.given_back.load(Ordering::SeqCst)
    }

    /// A renewal sent at `sent` succeeded.
    pub fn extend(&self, sent: Instant, budget: Duration) {
        let until = (sent.saturating_duration_since(self.origin) + budget).as_micros() as u64;
        self.deadline_us.fetch_max(until, Ordering::SeqCst);
    }

    /// The deadline passes now, as when renewals came late (tests: a busy worker whose
    /// renewal did not come in time). A later renewal moves it again.
    #[doc(hidden)]
    pub fn lapse(&self) {
        let now = Instant::now().saturating_duration_since(self.origin).as_micros() as u64;
        self.deadline_us.store(now, Ordering::SeqCst);
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
