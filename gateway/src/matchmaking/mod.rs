//! Matchmaking: players queue with a mode, a region and an optional party; an atomic
//! Redis step places them in rooms (fullest open room first, a new room when enough
//! compatible tickets wait). Gateways stay stateless: any gateway may run the step, and
//! the step's decision is one Lua script (`place.lua`), so two gateways stepping at once
//! can never place a player twice or overfill a room.
//!
//! Room ids come from PostgreSQL, which Lua cannot reach: the gateways keep a pool of
//! pre-created rooms per mode (`mm:pool:<mode>`, rows with status `pooled`). Redis is never
//! trusted over PostgreSQL for what a room is: before the script may use a room, the
//! gateway takes its id out of the pool and flips the row from `pooled` to `lobby` in one
//! `UPDATE … WHERE status = 'pooled' AND mode = …`; an id PostgreSQL does not confirm
//! (a database reset under a kept Redis, a swept room) is discarded. The script uses those
//! ids for new rooms, registers them as unowned (workers claim them) and records every
//! placement in the players' `player:<id>` hashes. A periodic sweep closes pooled rows that
//! no pool references ([`Matchmaker::sweep_pool`]). The gateway that ran
//! the step then wakes the workers (`rooms.new`) and tells each placed player's gateway
//! (`player.<id>.events`), which joins the player to the room. See `docs/MATCHMAKING.md`.

pub mod http;
pub mod party;
mod tickets;

pub use tickets::{MAX_PARTY, QueueOutcome, QueueRequest, QueueStatus};

use crate::config::MatchmakingArgs;
use crate::presence::PRESENCE_TTL_SECS;
use orrery_common::game::RoomSettings;
use orrery_common::names::Names;
use orrery_common::protocol::encode;
use orrery_common::protocol::internal::PlayerEvent;
use orrery_common::time::now_ms;
use orrery_common::{PlayerId, RoomId};
use redis::aio::ConnectionManager;
use sqlx::PgPool;
use sqlx::types::Json;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

/// The enqueue script (see the file for its arguments).
pub const ENQUEUE_LUA: &str = include_str!("enqueue.lua");
/// The cancel script.
pub const CANCEL_LUA: &str = include_str!("cancel.lua");
/// The placement step.
pub const PLACE_LUA: &str = include_str!("place.lua");

/// Matchmade room keys outlive a room that is never closed (a lost worker) by at most this.
const ROOM_KEY_TTL_SECS: u64 = 6 * 3600;
/// Placement attempts per step (the first with no rooms: most steps need none).
const MAX_ATTEMPTS_PER_STEP: usize = 4;
/// Rooms taken from the pool at once.
const MAX_TAKE: u64 = 64;
/// How often each gateway sweeps the pooled rooms (also once at start).
pub const POOL_SWEEP_EVERY: Duration = Duration::from_secs(60);
/// A pooled room that no pool references is closed once this old (a gateway inserts rows
/// a moment before it pushes their ids).
pub const POOL_STALE_AFTER: Duration = Duration::from_secs(600);

/// Room sizes of one mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModeLimits {
    pub min: u8,
    pub max: u8,
}

/// Run the placement script `script` (built from [`PLACE_LUA`]) once for `mode` at `now` ms;
/// new rooms take their ids from `rooms`, in order.
#[allow(clippy::too_many_arguments)] // the script's inputs, each named at the call site
pub async fn place_with<C: redis::aio::ConnectionLike>(
    script: &redis::Script,
    conn: &mut C,
    names: &Names,
    mode: &str,
    limits: ModeLimits,
    a: &MatchmakingArgs,
    now: u64,
    rooms: &[RoomId],
) -> Result<StepOutcome, MatchmakingError> {
    let raw: Vec<redis::Value> = script
        .prepare_invoke()
        .arg(names.prefix())
        .arg(mode)
        .arg(now)
        .arg(limits.min)
        .arg(limits.max)
        .arg(a.mm_region_relax_ms)
        .arg(a.mm_rating_window)
        .arg(a.mm_rating_widen_per_sec)
        .arg(a.mm_scan)
        .arg(a.mm_fill_window_ms)
        .arg(PRESENCE_TTL_SECS)
        .arg(ROOM_KEY_TTL_SECS)
        .arg(rooms.iter().map(|r| r.get()).collect::<Vec<_>>())
        .invoke_async(conn)
        .await?;
    tickets::parse_step(&raw).map_err(MatchmakingError::Script)
}

/// One mode players may queue for, with its room sizes: a `--mm-modes` entry, parsed once
/// by clap through [`parse_mode_spec`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModeSpec {
    pub mode: String,
    pub limits: ModeLimits,
}

/// Parse one `mode=min-max` (clap's value parser for `--mm-modes`).
pub fn parse_mode_spec(spec: &str) -> Result<ModeSpec, String> {
    let spec = spec.trim();
    let err = || format!("{spec:?} is not mode=min-max (e.g. arena=3-5)");
    let (mode, range) = spec.split_once('=').ok_or_else(err)?;
    let (min, max) = range.split_once('-').ok_or_else(err)?;
    let (min, max): (u8, u8) = (min.trim().parse().map_err(|_| err())?, max.trim().parse().map_err(|_| err())?);
    if !crate::validate::key_token(mode) {
        return Err(format!("mode {mode:?} must be 1 to 32 of [A-Za-z0-9_-]"));
    }
    if min == 0 || min > max || max > 16 {
        return Err(format!("{spec:?}: need 1 <= min <= max <= 16"));
    }
    Ok(ModeSpec { mode: mode.to_owned(), limits: ModeLimits { min, max } })
}

/// Why a matchmaking request failed.
#[derive(Debug, thiserror::Error)]
pub enum MatchmakingError {
    #[error("unknown mode {0:?}")]
    UnknownMode(String),
    #[error("region must be 1 to 32 of [A-Za-z0-9_-]")]
    BadRegion,
    #[error("a party has at most {0} players in this mode")]
    PartyTooLarge(u8),
    #[error("player {0} is already in a match or in another queue ticket")]
    MemberBusy(String),
    #[error(
        "a party is formed with consent: each member joins it with its code (POST /v1/parties/join), then its leader queues it; `party` may only list the party's members"
    )]
    PartyNotFormed,
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("unexpected answer from the placement script: {0}")]
    Script(String),
}

/// Players the placement step put into one room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub room: RoomId,
    /// Whether the step took the room from the pool for them (a new match) rather than
    /// filling an open one.
    pub created: bool,
    pub players: Vec<PlayerId>,
}

/// What one placement step did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepOutcome {
    /// Where the step put its players.
    pub placements: Vec<Placement>,
    /// Room ids left in the pool.
    pub pool_left: u64,
    /// More rooms the step could have used than it was given (0 when it had enough).
    pub wanted: u64,
}

impl StepOutcome {
    pub fn players_placed(&self) -> usize {
        self.placements.iter().map(|p| p.players.len()).sum()
    }
}

/// The matchmaker of one gateway (stateless: all state is in Redis and PostgreSQL).
pub struct Matchmaker {
    redis: ConnectionManager,
    pg: PgPool,
    nats: async_nats::Client,
    names: Names,
    args: MatchmakingArgs,
    modes: BTreeMap<String, ModeLimits>,
    enqueue: redis::Script,
    cancel: redis::Script,
    place: redis::Script,
    wake: HashMap<String, Arc<Notify>>,
    parties: party::Parties,
}

impl Matchmaker {
    pub fn new(redis: ConnectionManager, pg: PgPool, nats: async_nats::Client, names: Names, args: MatchmakingArgs) -> Self {
        let modes: BTreeMap<String, ModeLimits> = args.mm_modes.iter().map(|m| (m.mode.clone(), m.limits)).collect();
        let wake = modes.keys().map(|m| (m.clone(), Arc::new(Notify::new()))).collect();
        let parties = party::Parties::new(redis.clone(), names.clone());
        Self {
            redis,
            pg,
            nats,
            names,
            args,
            modes,
            enqueue: redis::Script::new(ENQUEUE_LUA),
            cancel: redis::Script::new(CANCEL_LUA),
            place: redis::Script::new(PLACE_LUA),
            wake,
            parties,
        }
    }

    pub fn modes(&self) -> &BTreeMap<String, ModeLimits> {
        &self.modes
    }

    pub fn parties(&self) -> &party::Parties {
        &self.parties
    }

    /// Who a queue request of `player` queues: their party when they lead one, else
    /// themselves alone. A `party` list, when given, must name exactly the party's other
    /// members (nobody can queue a player who did not join their party).
    async fn members(&self, player: PlayerId, req: &QueueRequest) -> Result<Vec<PlayerId>, MatchmakingError> {
        let members = match self.parties.of(player).await? {
            Some(p) if p.leader == player => p.members,
            _ => vec![player],
        };
        if !req.party.is_empty() {
            let listed = req.members(player);
            if listed.len() != members.len() || !listed.iter().all(|p| members.contains(p)) {
                return Err(MatchmakingError::PartyNotFormed);
            }
        }
        Ok(members)
    }

    /// Queue `leader` (and the party they lead, see [`Matchmaker::members`]). A player
    /// already in a live match is sent back to it; queuing twice answers with the same ticket.
    pub async fn enqueue(&self, leader: PlayerId, req: &QueueRequest) -> Result<QueueOutcome, MatchmakingError> {
        // Every limit before any work proportional to the request (a WebSocket `Queue`
        // is decoded without the HTTP body's bound on its party).
        if !crate::validate::key_token(&req.mode) {
            return Err(MatchmakingError::UnknownMode(crate::validate::quote(&req.mode)));
        }
        let limits = *self.modes.get(&req.mode).ok_or_else(|| MatchmakingError::UnknownMode(req.mode.clone()))?;
        if !crate::validate::key_token(&req.region) {
            return Err(MatchmakingError::BadRegion);
        }
        if req.party.len() > MAX_PARTY {
            return Err(MatchmakingError::PartyTooLarge(limits.max));
        }
        let members = self.members(leader, req).await?;
        if members.len() > usize::from(limits.max) {
            return Err(MatchmakingError::PartyTooLarge(limits.max));
        }
        let rating = self.rating(&members).await?;
        let mut inv = self.enqueue.prepare_invoke();
        inv.arg(self.names.prefix())
            .arg(&req.mode)
            .arg(&req.region)
            .arg(rating)
            .arg(now_ms())
            .arg(leader.to_string())
            .arg(self.args.mm_ticket_ttl_secs * 1000)
            .arg(PRESENCE_TTL_SECS);
        for m in &members {
            inv.arg(m.to_string());
        }
        let mut conn = self.redis.clone();
        let answer: Vec<String> = inv.invoke_async(&mut conn).await?;
        let outcome = match answer.as_slice() {
            [kind, ticket, _] if kind == "queued" => QueueOutcome::Queued { ticket: ticket.clone() },
            [kind, room, who] if kind == "in_room" => {
                if *who != leader.to_string() {
                    return Err(MatchmakingError::MemberBusy(who.clone()));
                }
                QueueOutcome::InRoom { room: RoomId(room.parse().map_err(|_| MatchmakingError::Script(room.clone()))?) }
            }
            [kind, _, who] if kind == "busy" => {
                return Err(MatchmakingError::MemberBusy(who.clone()));
            }
            other => return Err(MatchmakingError::Script(format!("{other:?}"))),
        };
        if matches!(outcome, QueueOutcome::Queued { .. }) {
            self.wake(&req.mode);
        }
        Ok(outcome)
    }

    /// Take the player's ticket (their whole party) out of the queue.
    pub async fn cancel(&self, player: PlayerId) -> Result<bool, MatchmakingError> {
        let mut conn = self.redis.clone();
        let n: i64 = self.cancel.prepare_invoke().arg(self.names.prefix()).arg(player.to_string()).invoke_async(&mut conn).await?;
        Ok(n == 1)
    }

    /// Where the player is: in a room, queued, or neither. Refreshes a queued ticket's TTL.
    pub async fn status(&self, player: PlayerId) -> Result<QueueStatus, MatchmakingError> {
        let mut conn = self.redis.clone();
        let (room, ticket): (Option<u64>, Option<String>) =
            redis::cmd("HMGET").arg(self.names.player(player)).arg("room").arg("ticket").query_async(&mut conn).await?;
        if let Some(room) = room {
            return Ok(QueueStatus::Placed { room: RoomId(room) });
        }
        if let Some(ticket) = ticket {
            let key = self.names.mm_ticket(&ticket);
            let (since, _): (Option<u64>, ()) = redis::pipe()
                .hget(&key, "since")
                .pexpire(&key, (self.args.mm_ticket_ttl_secs * 1000) as i64)
                .query_async(&mut conn)
                .await?;
            if let Some(since) = since {
                return Ok(QueueStatus::Queued { ticket, waited_ms: now_ms().saturating_sub(since) });
            }
        }
        Ok(QueueStatus::Idle)
    }

    /// Ask this gateway's stepper to run a step for `mode` soon.
    pub fn wake(&self, mode: &str) {
        if let Some(n) = self.wake.get(mode) {
            n.notify_one();
        }
    }

    /// One placement step for `mode`: run the script; when it wants rooms, take confirmed
    /// ones and run it again; give back what it did not use; refill the pool when it runs
    /// low; wake the workers for new rooms and tell the placed players.
    pub async fn step(&self, mode: &str) -> Result<StepOutcome, MatchmakingError> {
        let limits = *self.modes.get(mode).ok_or_else(|| MatchmakingError::UnknownMode(mode.to_owned()))?;
        let mut total = StepOutcome::default();
        let mut rooms: Vec<RoomId> = Vec::new();
        let placed = self.place_attempts(mode, limits, &mut rooms, &mut total).await;
        if !rooms.is_empty() {
            self.give_back(mode, &rooms).await;
        }
        // Players placed before a failed attempt are told all the same.
        if !total.placements.is_empty() {
            self.announce(&total).await;
        }
        placed?;
        // Refill below half the pool (or a room's worth), never above `--mm-pool`.
        let low = u64::from(self.args.mm_pool / 2).max(u64::from(limits.max)).min(u64::from(self.args.mm_pool));
        if total.pool_left < low {
            self.refill(mode, limits, u64::from(self.args.mm_pool).saturating_sub(total.pool_left).max(1)).await?;
        }
        Ok(total)
    }

    /// The attempts of one step; `rooms` holds the taken rooms not used yet.
    async fn place_attempts(
        &self,
        mode: &str,
        limits: ModeLimits,
        rooms: &mut Vec<RoomId>,
        total: &mut StepOutcome,
    ) -> Result<(), MatchmakingError> {
        for attempt in 0..MAX_ATTEMPTS_PER_STEP {
            if attempt > 0 {
                if total.wanted == 0 {
                    break;
                }
                rooms.extend(self.take_rooms(mode, limits, total.wanted.min(MAX_TAKE)).await?);
            }
            let out = self.place_once(mode, limits, rooms.as_slice()).await?;
            rooms.retain(|r| !out.placements.iter().any(|p| p.created && p.room == *r));
            total.placements.extend(out.placements);
            total.pool_left = out.pool_left;
            total.wanted = out.wanted;
        }
        Ok(())
    }

    /// The script alone (no refill, no announcements): what the benchmark measures.
    pub async fn place_once(&self, mode: &str, limits: ModeLimits, rooms: &[RoomId]) -> Result<StepOutcome, MatchmakingError> {
        let mut conn = self.redis.clone();
        place_with(&self.place, &mut conn, &self.names, mode, limits, &self.args, now_ms(), rooms).await
    }

    /// Take `n` rooms of `mode` for new groups: ids from the pool that PostgreSQL confirms,
    /// atomically, as pooled matchmade rooms of this mode (their rows become `lobby`), the
    /// rest newly created. Ids PostgreSQL does not confirm are discarded.
    pub async fn take_rooms(&self, mode: &str, limits: ModeLimits, n: u64) -> Result<Vec<RoomId>, MatchmakingError> {
        let mut conn = self.redis.clone();
        let popped: Option<Vec<i64>> = redis::cmd("LPOP").arg(self.names.mm_pool(mode)).arg(n).query_async(&mut conn).await?;
        let popped = popped.unwrap_or_default();
        let mut taken: Vec<i64> = Vec::new();
        if !popped.is_empty() {
            let confirmed: Vec<(i64,)> = sqlx::query_as(
                "UPDATE rooms SET status = 'lobby', updated_at = now()
                 WHERE id = ANY($1) AND status = 'pooled' AND mode = $2 AND matchmade RETURNING id",
            )
            .bind(&popped)
            .bind(mode)
            .fetch_all(&self.pg)
            .await?;
            taken = popped.iter().copied().filter(|id| confirmed.iter().any(|c| c.0 == *id)).collect();
            if taken.len() < popped.len() {
                let discarded: Vec<i64> = popped.iter().copied().filter(|id| !taken.contains(id)).collect();
                warn!(mode, ?discarded, "pool ids that PostgreSQL does not confirm as pooled rooms of this mode: discarded");
            }
        }
        let missing = n.saturating_sub(taken.len() as u64);
        if missing > 0 {
            taken.extend(self.create_rooms(mode, limits, missing, "lobby").await?);
        }
        Ok(taken.into_iter().map(|id| RoomId(id as u64)).collect())
    }

    /// Put taken rooms the script did not use back into the pool (those no worker has
    /// claimed meanwhile; a claimed one runs as an empty lobby and closes by itself).
    async fn give_back(&self, mode: &str, rooms: &[RoomId]) {
        let ids: Vec<i64> = rooms.iter().map(|r| r.get() as i64).collect();
        let back: Result<Vec<(i64,)>, _> = sqlx::query_as(
            "UPDATE rooms SET status = 'pooled', updated_at = now() WHERE id = ANY($1) AND status = 'lobby' AND epoch = 0 RETURNING id",
        )
        .bind(&ids)
        .fetch_all(&self.pg)
        .await;
        match back {
            Ok(back) if !back.is_empty() => {
                let mut conn = self.redis.clone();
                let ids: Vec<i64> = back.into_iter().map(|(id,)| id).collect();
                if let Err(e) = redis::cmd("LPUSH").arg(self.names.mm_pool(mode)).arg(&ids).query_async::<()>(&mut conn).await {
                    warn!(mode, error = %e, "unused rooms not returned to the pool (the sweep closes them)");
                }
            }
            Ok(_) => {}
            Err(e) => warn!(mode, error = %e, "unused rooms not returned to the pool (workers run them as empty lobbies)"),
        }
    }

    /// Create `n` rooms of `mode` with `status` in PostgreSQL; their ids.
    async fn create_rooms(&self, mode: &str, limits: ModeLimits, n: u64, status: &str) -> Result<Vec<i64>, MatchmakingError> {
        let settings = RoomSettings { mode: mode.to_owned(), max_players: limits.max, tick_hz: self.args.mm_tick_hz, seed: 0 };
        let ids: Vec<(i64,)> = sqlx::query_as(
            "INSERT INTO rooms (mode, region, status, settings, matchmade)
             SELECT $1, 'any', $4, jsonb_set($2::jsonb, '{seed}', to_jsonb(floor(random() * 9e15)::bigint)), true
             FROM generate_series(1, $3)
             RETURNING id",
        )
        .bind(mode)
        .bind(Json(&settings))
        .bind(n as i64)
        .bind(status)
        .fetch_all(&self.pg)
        .await?;
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }

    /// Create `n` pooled rooms of `mode` and put their ids in the pool.
    async fn refill(&self, mode: &str, limits: ModeLimits, n: u64) -> Result<(), MatchmakingError> {
        let ids = self.create_rooms(mode, limits, n, "pooled").await?;
        let mut conn = self.redis.clone();
        redis::cmd("RPUSH").arg(self.names.mm_pool(mode)).arg(&ids).query_async::<()>(&mut conn).await?;
        debug!(mode, n = ids.len(), "room pool refilled");
        Ok(())
    }

    /// Clean the pools: drop pool entries PostgreSQL does not confirm as pooled rooms of
    /// the pool's mode, trim each pool to `--mm-pool` ids, and close the pooled rooms older
    /// than `stale_after` that no pool references. Every gateway may run it at any time: a
    /// room taken meanwhile is protected by the take's own `status = 'pooled'` check.
    /// Returns the rooms closed.
    pub async fn sweep_pool(&self, stale_after: Duration) -> Result<u64, MatchmakingError> {
        let mut conn = self.redis.clone();
        let modes: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT mode FROM rooms WHERE status = 'pooled'").fetch_all(&self.pg).await?;
        let mut modes: Vec<String> = modes.into_iter().map(|(m,)| m).collect();
        modes.extend(self.modes.keys().filter(|m| !modes.contains(m)).cloned().collect::<Vec<_>>());
        let mut closed = 0;
        for mode in modes {
            let pool = self.names.mm_pool(&mode);
            let _: () = redis::cmd("LTRIM").arg(&pool).arg(0).arg(i64::from(self.args.mm_pool) - 1).query_async(&mut conn).await?;
            let listed: Vec<i64> = redis::cmd("LRANGE").arg(&pool).arg(0).arg(-1).query_async(&mut conn).await?;
            let valid: Vec<(i64,)> =
                sqlx::query_as("SELECT id FROM rooms WHERE id = ANY($1) AND status = 'pooled' AND mode = $2 AND matchmade")
                    .bind(&listed)
                    .bind(&mode)
                    .fetch_all(&self.pg)
                    .await?;
            for id in listed.iter().filter(|id| !valid.iter().any(|v| v.0 == **id)) {
                let _: () = redis::cmd("LREM").arg(&pool).arg(0).arg(*id).query_async(&mut conn).await?;
            }
            let swept = sqlx::query(
                "UPDATE rooms SET status = 'closed', closed_at = now(), updated_at = now()
                 WHERE status = 'pooled' AND mode = $1 AND matchmade AND created_at < now() - make_interval(secs => $2)
                   AND NOT (id = ANY($3))",
            )
            .bind(&mode)
            .bind(stale_after.as_secs_f64())
            .bind(&listed)
            .execute(&self.pg)
            .await?
            .rows_affected();
            if swept > 0 || valid.len() < listed.len() {
                debug!(mode, swept, dropped = listed.len() - valid.len(), "room pool swept");
            }
            closed += swept;
        }
        Ok(closed)
    }

    /// Sweep the pools now and every [`POOL_SWEEP_EVERY`].
    pub fn spawn_sweeper(self: &Arc<Self>, stop: CancellationToken) {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = me.sweep_pool(POOL_STALE_AFTER).await {
                    warn!(error = %e, "room pool sweep failed");
                }
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(POOL_SWEEP_EVERY) => {}
                }
            }
        });
    }

    /// Wake the workers for new rooms, record their region, tell every placed player.
    async fn announce(&self, out: &StepOutcome) {
        let new: Vec<i64> = out.placements.iter().filter(|p| p.created).map(|p| p.room.get() as i64).collect();
        for room in &new {
            if let Err(e) = self.nats.publish(self.names.rooms_new(), room.to_string().into()).await {
                warn!(room, error = %e, "room wake-up not published (the workers' scan finds it)");
            }
        }
        if !new.is_empty() {
            // The region is informational in PostgreSQL (the decision lives in Redis).
            let mut conn = self.redis.clone();
            let mut pipe = redis::pipe();
            for room in &new {
                pipe.hget(self.names.mm_room(RoomId(*room as u64)), "region");
            }
            if let Ok(regions) = pipe.query_async::<Vec<Option<String>>>(&mut conn).await {
                let regions: Vec<String> = regions.into_iter().map(|r| r.unwrap_or_else(|| "any".into())).collect();
                let _ = sqlx::query(
                    "UPDATE rooms r SET region = u.region FROM unnest($1::bigint[], $2::text[]) AS u(id, region) WHERE r.id = u.id",
                )
                .bind(&new)
                .bind(&regions)
                .execute(&self.pg)
                .await;
            }
        }
        for Placement { room, players, .. } in &out.placements {
            let event = encode(&PlayerEvent::Placed { room: *room });
            for p in players {
                if let Err(e) = self.nats.publish(self.names.player_events(*p), event.clone().into()).await {
                    warn!(player = %p, error = %e, "placement not announced (the player finds it on their next queue request)");
                }
            }
        }
    }

    /// Average rating of the members (1000 for a player without one).
    async fn rating(&self, members: &[PlayerId]) -> Result<f64, MatchmakingError> {
        let ids: Vec<uuid::Uuid> = members.iter().map(|p| p.0).collect();
        let (avg,): (f64,) = sqlx::query_as(
            "SELECT coalesce(avg(coalesce(r.rating, 1000)), 1000)::float8
             FROM unnest($1::uuid[]) AS m(player) LEFT JOIN player_ratings r ON r.player = m.player",
        )
        .bind(&ids)
        .fetch_one(&self.pg)
        .await?;
        Ok(avg.round())
    }

    /// Run a placement step per mode whenever woken, and at least every `--mm-step-ms`.
    pub fn spawn_stepper(self: &Arc<Self>, stop: CancellationToken) {
        for (mode, notify) in &self.wake {
            let (me, mode, notify, stop) = (self.clone(), mode.clone(), notify.clone(), stop.clone());
            tokio::spawn(async move {
                let every = Duration::from_millis(me.args.mm_step_ms);
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = notify.notified() => {}
                        _ = tokio::time::sleep(every) => {}
                    }
                    if let Err(e) = me.step(&mode).await {
                        warn!(mode, error = %e, "placement step failed");
                        tokio::time::sleep(every).await;
                    }
                }
            });
        }
    }
}
