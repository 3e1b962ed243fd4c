//! The worker's own lease, which its sleeping rooms hold theirs through (I4, I6).
//!
//! A per-room lease costs Redis ~30 µs per renewal, three times a second (`BENCHMARKS.md`):
//! past ~15,000 rooms a worker's renewals alone fill Redis. A sleeping room does nothing
//! between runs, so it needs no lease of its own to renew. The worker holds one lease,
//! `lease:worker:<token>` (PX TTL, renewed with the ticking rooms' leases, mirrored in the
//! `workers` ZSET by expiry), and each of its sleeping rooms holds its room lease
//! `lease:room:<id>` *without expiry*, valued `<worker token>/<random>`, as a member of
//! `rooms:sleeping:<worker token>` and out of `rooms:owned`.
//!
//! - **Adopting** ([`WorkerLease::adopt`]): a claim takes the room's lease as for any
//!   room (`SET NX PX`); once its game says it sleeps, one script turns that lease into
//!   the sleeping form, only if it still holds the claim's token and the worker lease is
//!   alive.
//! - **A dead worker** ([`WorkerLease::recover`]): claimers find worker leases whose
//!   expiry passed in `workers`; a script moves each of that worker's rooms whose lease
//!   still holds a token of that worker lease to `rooms:unowned`, only while the worker
//!   lease does not exist, in batches. So a dead owner's sleeping rooms are claimable
//!   within its TTL plus one scan interval, as ticking rooms are (I4).
//! - **A worker lease lost** (its renewal finds it gone: the worker was paused past its
//!   TTL, or Redis lost its data): it is never taken back. Every sleeping room held
//!   through it stops at once (their `lost` signals are children of the lease's), writing
//!   and answering nothing; claimers move those rooms (or reconcile re-queues them), and
//!   the worker takes a new worker lease (a new token) for the rooms it claims next.
//!   Nothing is retaken blindly: a sleeping room's lease can only be moved by the
//!   recovery script once the worker lease is gone, and a worker lease once gone stays gone.
//! - **The local deadline** (I6): the sleeping rooms' [`LeaseClock`] is the worker
//!   lease's. A room whose deadline passed while it slept (a renewal came late) asks Redis
//!   once before running ([`WorkerLease::confirm`]): the worker lease is renewed if it
//!   still exists, and the room runs only if its own lease also still holds its token.
//!
//! Every commit is still fenced by the room's PostgreSQL epoch (I1).

use crate::lease::{LeaseClock, RedisResult};
use orrery_common::RoomId;
use orrery_common::names::Names;
use orrery_common::time::now_ms;
use redis::aio::ConnectionManager;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Take the worker lease: KEYS worker lease, workers zset; ARGV token, ttl ms, expiry ms.
const ACQUIRE: &str = r"
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
";

/// Renew the worker lease if it still exists (never create it again), and say whether the
/// room lease `KEYS[3]` (optional) holds `ARGV[4]`: 0 the worker lease is gone, 1 renewed
/// (and the room's lease is ours, if asked), 2 renewed but the room's lease is not ours.
/// KEYS worker lease, workers zset[, room lease]; ARGV ttl ms, expiry ms, token[, room token].
const RENEW: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
if KEYS[3] and redis.call('GET', KEYS[3]) ~= ARGV[4] then return 2 end
return 1
";

/// Turn a claimed room's lease into the sleeping form: 1 done, 0 the room's lease is not
/// the claim's any more, -1 the worker lease is gone.
/// KEYS room lease, worker lease, sleeping set, owned zset; ARGV claim token, new token, room.
const ADOPT: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[3])
return 1
";

/// Give a sleeping room's lease back if it is still ours (drain, close, a failed commit).
/// KEYS room lease, sleeping set, unowned set; ARGV token, room, requeue (1/0).
const RELEASE: &str = r"
redis.call('SREM', KEYS[2], ARGV[2])
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if ARGV[3] == '1' then redis.call('SADD', KEYS[3], ARGV[2]) else redis.call('SREM', KEYS[3], ARGV[2]) end
return 1
";

/// Move some rooms of a dead worker lease to `rooms:unowned`: only while the worker lease
/// does not exist, and only rooms whose lease still holds one of its tokens. Forgets the
/// worker once it has no room left. Returns how many moved, or -1 if the worker lives.
/// KEYS worker lease, sleeping set, workers zset, unowned set, room leases...;
/// ARGV worker token, rooms...
const RECOVER: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local prefix = ARGV[1] .. '/'
local moved = 0
for i = 2, #ARGV do
  redis.call('SREM', KEYS[2], ARGV[i])
  local holder = redis.call('GET', KEYS[i + 3])
  if holder and string.sub(holder, 1, #prefix) == prefix then
    redis.call('DEL', KEYS[i + 3])
    redis.call('SADD', KEYS[4], ARGV[i])
    moved = moved + 1
  end
end
if redis.call('SCARD', KEYS[2]) == 0 then redis.call('ZREM', KEYS[3], ARGV[1]) end
return moved
";

/// Give the worker lease back at shutdown if no sleeping room is left under it (otherwise
/// it expires and claimers move the rest). KEYS worker lease, sleeping set, workers zset;
/// ARGV token.
const RETIRE: &str = r"
if redis.call('SCARD', KEYS[2]) > 0 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
";

/// Rooms moved per recovery script: keeps each one short, so Redis serves others between.
const RECOVER_BATCH: usize = 500;

/// One worker lease, from its acquire until it is lost or given back.
#[derive(Debug)]
pub struct Held {
    /// `<worker id>:<random>`; every sleeping room's token under it starts with it and `/`.
    pub token: String,
    /// The local deadline of every sleeping room held through this lease (I6).
    pub clock: Arc<LeaseClock>,
    /// Cancelled when the lease is lost: the `lost` signal of every sleeping room under it
    /// is a child of this one.
    pub lost: CancellationToken,
}

/// What a sleeping room's check before a run found ([`WorkerLease::confirm`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmed {
    /// The worker lease was renewed and the room's lease holds the room's token.
    Ours,
    /// The worker lease was renewed, but the room's lease is not the room's any more.
    RoomTaken,
    /// The worker lease is gone: every room under it stops.
    WorkerLost,
}

/// The worker's lease for its sleeping rooms.
pub struct WorkerLease {
    redis: ConnectionManager,
    names: Names,
    worker_id: String,
    ttl: Duration,
    budget: Duration,
    current: tokio::sync::Mutex<Option<Arc<Held>>>,
    /// The lease held now, for the renewer and tests without waiting on `current`.
    now: Mutex<Option<Arc<Held>>>,
    acquire: redis::Script,
    renew: redis::Script,
    adopt: redis::Script,
    release: redis::Script,
    recover: redis::Script,
    retire: redis::Script,
}

impl WorkerLease {
    pub fn new(redis: ConnectionManager, names: Names, worker_id: String, ttl: Duration, budget: Duration) -> Self {
        Self {
            redis,
            names,
            worker_id,
            ttl,
            budget,
            current: tokio::sync::Mutex::new(None),
            now: Mutex::new(None),
            acquire: redis::Script::new(ACQUIRE),
            renew: redis::Script::new(RENEW),
            adopt: redis::Script::new(ADOPT),
            release: redis::Script::new(RELEASE),
            recover: redis::Script::new(RECOVER),
            retire: redis::Script::new(RETIRE),
        }
    }

    /// The worker lease held now, if any (tests: its clock and token).
    pub fn held(&self) -> Option<Arc<Held>> {
        self.now.lock().expect("poisoned").clone()
    }

    /// The live worker lease, taking a new one if there is none or it was lost.
    async fn live(&self) -> RedisResult<Arc<Held>> {
        let mut current = self.current.lock().await;
        if let Some(held) = current.as_ref().filter(|h| !h.lost.is_cancelled()) {
            return Ok(held.clone());
        }
        let token = format!("{}:{:016x}", self.worker_id, rand::random::<u64>());
        let sent = Instant::now();
        let ttl = self.ttl.as_millis() as u64;
        let mut conn = self.redis.clone();
        let taken: i64 = self
            .acquire
            .key(self.names.worker_lease(&token))
            .key(self.names.workers())
            .arg(&token)
            .arg(ttl)
            .arg(now_ms() + ttl)
            .invoke_async(&mut conn)
            .await?;
        if taken != 1 {
            // A random token already taken: as unlikely as a collision of room tokens.
            return Err(redis::RedisError::from((redis::ErrorKind::Client, "worker lease token taken")));
        }
        info!(worker = %self.worker_id, lease = %token, "worker lease acquired");
        let held = Arc::new(Held { token, clock: Arc::new(LeaseClock::new(sent, self.budget)), lost: CancellationToken::new() });
        *current = Some(held.clone());
        *self.now.lock().expect("poisoned") = Some(held.clone());
        Ok(held)
    }

    /// The worker lease `held` is gone: stop every sleeping room under it, and take a new
    /// one for the next claims.
    fn lost(&self, held: &Held) {
        if !held.lost.is_cancelled() {
            warn!(worker = %self.worker_id, lease = %held.token, "worker lease lost: its sleeping rooms stop");
            held.lost.cancel();
        }
        let mut now = self.now.lock().expect("poisoned");
        if now.as_ref().is_some_and(|h| h.token == held.token) {
            *now = None;
        }
    }

    /// Renew the worker lease (the renewer, every renewal interval). A lease that no longer
    /// exists is lost, never taken again.
    pub async fn renew(&self) -> RedisResult<()> {
        let Some(held) = self.held() else { return Ok(()) };
        self.confirm_inner(&held, None).await.map(|_| ())
    }

    /// Before a run of a sleeping room whose deadline passed while it slept: renew the
    /// worker lease, and say whether the room's lease still holds `token`.
    pub async fn confirm(&self, held: &Held, room: RoomId, token: &str) -> RedisResult<Confirmed> {
        self.confirm_inner(held, Some((room, token))).await
    }

    async fn confirm_inner(&self, held: &Held, room: Option<(RoomId, &str)>) -> RedisResult<Confirmed> {
        if held.lost.is_cancelled() {
            return Ok(Confirmed::WorkerLost);
        }
        let sent = Instant::now();
        let ttl = self.ttl.as_millis() as u64;
        let mut inv = self.renew.prepare_invoke();
        inv.key(self.names.worker_lease(&held.token)).key(self.names.workers());
        inv.arg(ttl).arg(now_ms() + ttl).arg(&held.token);
        if let Some((room, token)) = room {
            inv.key(self.names.lease(room)).arg(token);
        }
        let mut conn = self.redis.clone();
        let out: i64 = inv.invoke_async(&mut conn).await?;
        if out == 0 {
            self.lost(held);
            return Ok(Confirmed::WorkerLost);
        }
        held.clock.extend(sent, self.budget);
        Ok(if out == 1 { Confirmed::Ours } else { Confirmed::RoomTaken })
    }

    /// Hold the claimed `room`'s lease (token `claimed`) through the worker lease: returns
    /// the worker lease and the room's new token, or `None` if the room's lease is not the
    /// claim's any more.
    pub async fn adopt(&self, room: RoomId, claimed: &str) -> RedisResult<Option<(Arc<Held>, String)>> {
        for _ in 0..2 {
            let held = self.live().await?;
            let token = format!("{}/{:016x}", held.token, rand::random::<u64>());
            let mut conn = self.redis.clone();
            let out: i64 = self
                .adopt
                .key(self.names.lease(room))
                .key(self.names.worker_lease(&held.token))
                .key(self.names.rooms_sleeping(&held.token))
                .key(self.names.rooms_owned())
                .arg(claimed)
                .arg(&token)
                .arg(room.get())
                .invoke_async(&mut conn)
                .await?;
            match out {
                1 => return Ok(Some((held, token))),
                0 => return Ok(None),
                // The worker lease is gone: lose it and try once with a new one.
                _ => self.lost(&held),
            }
        }
        Ok(None)
    }

    /// Give a sleeping room's lease back if it is still ours; `requeue` puts the room in the
    /// waiting set. Nobody renews a sleeping room's lease, so it stays given back.
    pub async fn release(&self, held: &Held, room: RoomId, token: &str, requeue: bool) -> RedisResult<bool> {
        let mut conn = self.redis.clone();
        let released: i64 = self
            .release
            .key(self.names.lease(room))
            .key(self.names.rooms_sleeping(&held.token))
            .key(self.names.rooms_unowned())
            .arg(token)
            .arg(room.get())
            .arg(if requeue { "1" } else { "0" })
            .invoke_async(&mut conn)
            .await?;
        Ok(released == 1)
    }

    /// Move the sleeping rooms of every dead worker lease (expired in `workers`) to
    /// `rooms:unowned`. Returns how many rooms moved.
    pub async fn recover(&self, workers: usize) -> RedisResult<usize> {
        let mut conn = self.redis.clone();
        let dead: Vec<String> = redis::cmd("ZRANGEBYSCORE")
            .arg(self.names.workers())
            .arg("-inf")
            .arg(now_ms())
            .arg("LIMIT")
            .arg(0)
            .arg(workers)
            .query_async(&mut conn)
            .await?;
        let mut moved = 0;
        for worker in dead {
            moved += self.recover_worker(&worker).await?;
        }
        Ok(moved)
    }

    /// Move every room of the dead worker lease `worker`, a batch at a time.
    async fn recover_worker(&self, worker: &str) -> RedisResult<usize> {
        let mut conn = self.redis.clone();
        let set = self.names.rooms_sleeping(worker);
        let mut moved = 0;
        loop {
            let rooms: Vec<u64> = redis::cmd("SRANDMEMBER").arg(&set).arg(RECOVER_BATCH).query_async(&mut conn).await?;
            let mut inv = self.recover.prepare_invoke();
            inv.key(self.names.worker_lease(worker)).key(&set).key(self.names.workers()).key(self.names.rooms_unowned());
            inv.arg(worker);
            for room in &rooms {
                inv.key(self.names.lease(RoomId(*room))).arg(*room);
            }
            let out: i64 = inv.invoke_async(&mut conn).await?;
            if out < 0 {
                return Ok(moved);
            }
            moved += out as usize;
            if rooms.len() < RECOVER_BATCH {
                if moved > 0 {
                    info!(lease = %worker, rooms = moved, "a dead worker's sleeping rooms are waiting for an owner");
                }
                return Ok(moved);
            }
        }
    }

    /// At shutdown, after the rooms drained: give the worker lease back if no sleeping room
    /// is left under it (otherwise it expires and claimers move the rest).
    pub async fn retire(&self) -> RedisResult<()> {
        let Some(held) = self.current.lock().await.take() else { return Ok(()) };
        *self.now.lock().expect("poisoned") = None;
        let mut conn = self.redis.clone();
        let _: i64 = self
            .retire
            .key(self.names.worker_lease(&held.token))
            .key(self.names.rooms_sleeping(&held.token))
            .key(self.names.workers())
            .arg(&held.token)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }
}
