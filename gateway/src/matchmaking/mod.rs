//! Matchmaking: players queue with a mode, a region and an optional party; an atomic
//! Redis step places them in rooms (fullest open room first, a new room when enough
//! compatible tickets wait). Gateways stay stateless: any gateway may run the step, and
//! the step's decision is one Lua script (`place.lua`), so two gateways stepping at once
//! can never place a player twice or overfill a room.
//!
//! Room ids come from PostgreSQL, which Lua cannot reach: each gateway keeps a pool of
//! pre-created rooms per mode (`mm:pool:<mode>`, rows with status `pooled`) and the
//! script pops an id for every new room, registers it as unowned (workers claim it) and
//! records every placement in the players' `player:<id>` hashes. The gateway that ran
//! the step then wakes the workers (`rooms.new`) and tells each placed player's gateway
//! (`player.<id>.events`), which joins the player to the room. See `docs/MATCHMAKING.md`.

pub mod http;
mod tickets;

pub use tickets::{QueueOutcome, QueueRequest, QueueStatus};

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
/// Placement attempts per step when the room pool runs dry.
const MAX_REFILLS_PER_STEP: usize = 4;

/// Room sizes of one mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModeLimits {
    pub min: u8,
    pub max: u8,
}

/// Run the placement script `script` (built from [`PLACE_LUA`]) once for `mode` at `now` ms.
pub async fn place_with<C: redis::aio::ConnectionLike>(
    script: &redis::Script,
    conn: &mut C,
    names: &Names,
    mode: &str,
    limits: ModeLimits,
    a: &MatchmakingArgs,
    now: u64,
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
        .invoke_async(conn)
        .await?;
    tickets::parse_step(&raw).map_err(MatchmakingError::Script)
}

/// Parse `mode=min-max,...`.
pub fn parse_modes(specs: &[String]) -> Result<BTreeMap<String, ModeLimits>, String> {
    let mut modes = BTreeMap::new();
    for spec in specs.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let err = || format!("{spec:?} is not mode=min-max (e.g. arena=3-5)");
        let (mode, range) = spec.split_once('=').ok_or_else(err)?;
        let (min, max) = range.split_once('-').ok_or_else(err)?;
        let (min, max): (u8, u8) = (min.trim().parse().map_err(|_| err())?, max.trim().parse().map_err(|_| err())?);
        if !tickets::valid_token(mode) {
            return Err(format!("mode {mode:?} must be 1 to 32 of [A-Za-z0-9_-]"));
        }
        if min == 0 || min > max || max > 16 {
            return Err(format!("{spec:?}: need 1 <= min <= max <= 16"));
        }
        modes.insert(mode.to_owned(), ModeLimits { min, max });
    }
    if modes.is_empty() {
        return Err("at least one mode is needed".into());
    }
    Ok(modes)
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
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("unexpected answer from the placement script: {0}")]
    Script(String),
}

/// What one placement step did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepOutcome {
    /// (room, whether the step created it, players placed in it).
    pub placements: Vec<(RoomId, bool, Vec<PlayerId>)>,
    /// Room ids left in the pool.
    pub pool_left: u64,
    /// The pool ran dry during the step (refilled and retried).
    pub starved: bool,
}

impl StepOutcome {
    pub fn players_placed(&self) -> usize {
        self.placements.iter().map(|p| p.2.len()).sum()
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
}

impl Matchmaker {
    pub fn new(redis: ConnectionManager, pg: PgPool, nats: async_nats::Client, names: Names, args: MatchmakingArgs) -> Self {
        let modes = parse_modes(&args.mm_modes).expect("validated at start");
        let wake = modes.keys().map(|m| (m.clone(), Arc::new(Notify::new()))).collect();
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
        }
    }

    pub fn modes(&self) -> &BTreeMap<String, ModeLimits> {
        &self.modes
    }

    /// Queue `leader` (and the party). A player already in a live match is sent back
    /// to it; queuing twice answers with the same ticket.
    pub async fn enqueue(&self, leader: PlayerId, req: &QueueRequest) -> Result<QueueOutcome, MatchmakingError> {
        let limits = *self.modes.get(&req.mode).ok_or_else(|| MatchmakingError::UnknownMode(req.mode.clone()))?;
        if !tickets::valid_token(&req.region) {
            return Err(MatchmakingError::BadRegion);
        }
        let members = req.members(leader);
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

    /// One placement step for `mode`: run the script, refill the room pool when it runs
    /// low, wake the workers for new rooms and tell the placed players.
    pub async fn step(&self, mode: &str) -> Result<StepOutcome, MatchmakingError> {
        let limits = *self.modes.get(mode).ok_or_else(|| MatchmakingError::UnknownMode(mode.to_owned()))?;
        let mut total = StepOutcome::default();
        for _ in 0..MAX_REFILLS_PER_STEP {
            let out = self.place_once(mode, limits).await?;
            total.placements.extend(out.placements);
            total.pool_left = out.pool_left;
            total.starved |= out.starved;
            if out.pool_left < u64::from(self.args.mm_pool / 2).max(limits.max as u64) || out.starved {
                self.refill(mode, limits, u64::from(self.args.mm_pool).saturating_sub(out.pool_left).max(1)).await?;
            }
            if !out.starved {
                break;
            }
        }
        if !total.placements.is_empty() {
            self.announce(&total).await;
        }
        Ok(total)
    }

    /// The script alone (no refill, no announcements): what the benchmark measures.
    pub async fn place_once(&self, mode: &str, limits: ModeLimits) -> Result<StepOutcome, MatchmakingError> {
        let mut conn = self.redis.clone();
        place_with(&self.place, &mut conn, &self.names, mode, limits, &self.args, now_ms()).await
    }

    /// Create `n` pooled rooms of `mode` and put their ids in the pool.
    async fn refill(&self, mode: &str, limits: ModeLimits, n: u64) -> Result<(), MatchmakingError> {
        let settings = RoomSettings { mode: mode.to_owned(), max_players: limits.max, tick_hz: self.args.mm_tick_hz, seed: 0 };
        let ids: Vec<(i64,)> = sqlx::query_as(
            "INSERT INTO rooms (mode, region, status, settings, matchmade)
             SELECT $1, 'any', 'pooled', jsonb_set($2::jsonb, '{seed}', to_jsonb(floor(random() * 9e15)::bigint)), true
             FROM generate_series(1, $3)
             RETURNING id",
        )
        .bind(mode)
        .bind(Json(&settings))
        .bind(n as i64)
        .fetch_all(&self.pg)
        .await?;
        let mut conn = self.redis.clone();
        let mut cmd = redis::cmd("RPUSH");
        cmd.arg(self.names.mm_pool(mode));
        for (id,) in &ids {
            cmd.arg(*id);
        }
        cmd.query_async::<()>(&mut conn).await?;
        debug!(mode, n = ids.len(), "room pool refilled");
        Ok(())
    }

    /// Wake the workers for new rooms, record their region, tell every placed player.
    async fn announce(&self, out: &StepOutcome) {
        let new: Vec<i64> = out.placements.iter().filter(|p| p.1).map(|p| p.0.get() as i64).collect();
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
        for (room, _, players) in &out.placements {
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
