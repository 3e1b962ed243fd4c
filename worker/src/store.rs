//! The worker's PostgreSQL side: epochs (fencing tokens), durable snapshots, match events.
//!
//! Invariant I1 lives here: the epoch is issued by `UPDATE rooms SET epoch = epoch + 1`
//! after the Redis lease was taken, and every durable write names it. A write whose
//! fence matches no row means another owner has claimed the room since: the caller
//! must stop the room at once.

use crate::snapshot::{PendingEvent, RoomSnapshot};
use orrery_common::game::{Audience, Phase, PlayerResult, RoomSettings};
use orrery_common::{Epoch, HistoryPos, PlayerId, RoomId, Tick};
use sqlx::PgPool;
use sqlx::types::Json;

/// A room this worker has just been given an epoch for.
#[derive(Debug)]
pub struct Claimed {
    pub epoch: Epoch,
    pub settings: RoomSettings,
    /// Another worker owned the room before (a failover or handoff, not a first claim).
    pub had_owner: bool,
}

/// What a sleeping room's durable write also records: who holds a seat (they may read the
/// match's log) and whose decision the match waits on now.
#[derive(Clone, Copy, Debug)]
pub struct Seats<'a> {
    pub seated: &'a [PlayerId],
    pub awaiting: &'a [PlayerId],
}

/// A durable write was refused: a newer epoch owns the room.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("fenced: room {0} has moved to a newer epoch")]
    Fenced(RoomId),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// PostgreSQL access for the worker.
#[derive(Clone, Debug)]
pub struct Store {
    pg: PgPool,
}

impl Store {
    pub fn new(pg: PgPool) -> Self {
        Self { pg }
    }

    /// Issue the next epoch of `room` to `worker`. `None` when the room is closed or unknown.
    pub async fn claim_epoch(&self, room: RoomId, worker: &str) -> Result<Option<Claimed>, sqlx::Error> {
        let row: Option<(i64, Json<RoomSettings>, bool)> = sqlx::query_as(
            "UPDATE rooms r SET epoch = r.epoch + 1, owner = $2, updated_at = now()
             FROM (SELECT id, owner IS NOT NULL AS had_owner FROM rooms WHERE id = $1 FOR UPDATE) old
             WHERE r.id = old.id AND r.status <> 'closed'
             RETURNING r.epoch, r.settings, old.had_owner",
        )
        .bind(room.get() as i64)
        .bind(worker)
        .fetch_optional(&self.pg)
        .await?;
        Ok(row.map(|(epoch, settings, had_owner)| Claimed { epoch: Epoch(epoch as u64), settings: settings.0, had_owner }))
    }

    /// The newest durable snapshot of `room`.
    pub async fn durable_snapshot(&self, room: RoomId) -> Result<Option<(HistoryPos, Vec<u8>)>, sqlx::Error> {
        let row: Option<(i64, i64, Vec<u8>)> = sqlx::query_as("SELECT epoch, tick, state FROM room_snapshots WHERE room = $1")
            .bind(room.get() as i64)
            .fetch_optional(&self.pg)
            .await?;
        Ok(row.map(|(e, t, s)| (HistoryPos::new(Epoch(e as u64), Tick(t as u64)), s)))
    }

    /// Write a durable snapshot and the events since the last one, in one transaction,
    /// fenced by `epoch`; with the match's results, the players' new ratings too (ranked
    /// rooms: [`crate::ratings`]); for a sleeping room, its [`Seats`] too. Events already
    /// stored (same room and seq) are not written twice.
    ///
    /// Without results (every write but a match's last) it is one statement
    /// ([`Store::write_in_one_statement`]): one round trip, where a transaction of its own
    /// took one per statement (begin, fence, each event, seats, snapshot, commit), and it
    /// is on the path of every sleeping room's acknowledgement (issue 16).
    #[allow(clippy::too_many_arguments)] // one transaction's inputs, each named at the call site
    pub async fn write_durable(
        &self,
        room: RoomId,
        epoch: Epoch,
        phase: Phase,
        snapshot: &RoomSnapshot,
        encoded: &[u8],
        events: &[PendingEvent],
        results: Option<&[PlayerResult]>,
        seats: Option<Seats<'_>>,
    ) -> Result<(), WriteError> {
        if results.is_none() {
            return self.write_in_one_statement(room, epoch, phase, snapshot, encoded, events, seats).await;
        }
        let mut tx = self.pg.begin().await?;
        let fenced: Option<(bool,)> = sqlx::query_as(
            "UPDATE rooms SET status = $3, updated_at = now() WHERE id = $1 AND epoch = $2 AND status <> 'closed' RETURNING matchmade",
        )
        .bind(room.get() as i64)
        .bind(epoch.get() as i64)
        .bind(phase.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((ranked,)) = fenced else {
            return Err(WriteError::Fenced(room));
        };
        for ev in events {
            sqlx::query(
                "INSERT INTO match_events (room, seq, tick, epoch, kind, player, payload, audience)
                 VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) ON CONFLICT (room, seq) DO NOTHING",
            )
            .bind(room.get() as i64)
            .bind(ev.seq as i64)
            .bind(ev.tick.get() as i64)
            .bind(epoch.get() as i64)
            .bind(&ev.kind)
            .bind(ev.player.map(|p| p.0))
            .bind(&ev.detail_json)
            .bind(match &ev.audience {
                Audience::Everyone => None,
                Audience::Players(ps) => Some(ps.iter().map(|p| p.0).collect::<Vec<uuid::Uuid>>()),
            })
            .execute(&mut *tx)
            .await?;
        }
        let mut results_written = 0;
        for r in results.unwrap_or_default() {
            results_written += sqlx::query(
                "INSERT INTO match_results (room, player, rank, score, kills) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (room, player) DO NOTHING",
            )
            .bind(room.get() as i64)
            .bind(r.player.0)
            .bind(i32::from(r.rank))
            .bind(r.score)
            .bind(r.kills as i32)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        // Ratings move once per match: when its results are first written (a rewrite after
        // a failover inserts nothing), and only for a ranked (matchmade) room.
        if ranked && results_written > 0 {
            update_ratings(&mut tx, results.unwrap_or_default()).await?;
        }
        if let Some(seats) = seats {
            write_seats(&mut tx, room, seats).await?;
        }
        sqlx::query(
            "INSERT INTO room_snapshots (room, epoch, tick, state) VALUES ($1, $2, $3, $4)
             ON CONFLICT (room) DO UPDATE SET epoch = EXCLUDED.epoch, tick = EXCLUDED.tick, state = EXCLUDED.state, written_at = now()
             WHERE (room_snapshots.epoch, room_snapshots.tick) < (EXCLUDED.epoch, EXCLUDED.tick)",
        )
        .bind(room.get() as i64)
        .bind(epoch.get() as i64)
        .bind(snapshot.tick.get() as i64)
        .bind(encoded)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`Store::write_durable`] without results, as one statement: PostgreSQL runs it in a
    /// transaction of its own, so it is as atomic as the transaction it replaces (the events
    /// are durable with the snapshot, or neither is). The fence is the same `UPDATE` of the
    /// room's row; every write reads from its result, so a write fenced out (no row: a newer
    /// epoch owns the room, I1) writes nothing at all, and the statement says so by
    /// counting the rows fenced in.
    #[allow(clippy::too_many_arguments)] // as `write_durable`
    async fn write_in_one_statement(
        &self,
        room: RoomId,
        epoch: Epoch,
        phase: Phase,
        snapshot: &RoomSnapshot,
        encoded: &[u8],
        events: &[PendingEvent],
        seats: Option<Seats<'_>>,
    ) -> Result<(), WriteError> {
        let ids = |ps: &[PlayerId]| ps.iter().map(|p| p.0).collect::<Vec<uuid::Uuid>>();
        let (fenced_in,): (i64,) = sqlx::query_as(
            "WITH fence AS (
                 UPDATE rooms SET status = $3, updated_at = now() WHERE id = $1 AND epoch = $2 AND status <> 'closed' RETURNING id
             ), events AS (
                 INSERT INTO match_events (room, seq, tick, epoch, kind, player, payload, audience)
                 SELECT fence.id, e.seq, e.tick, $2, e.kind, e.player, e.payload::jsonb, e.audience::uuid[]
                 FROM fence, unnest($6::bigint[], $7::bigint[], $8::text[], $9::uuid[], $10::text[], $11::text[])
                     AS e(seq, tick, kind, player, payload, audience)
                 ON CONFLICT (room, seq) DO NOTHING
             ), seated AS (
                 INSERT INTO match_players (room, player) SELECT fence.id, p FROM fence, unnest($13::uuid[]) AS p
                 ON CONFLICT DO NOTHING
             ), done AS (
                 DELETE FROM match_waiting WHERE $12 AND room = $1 AND player <> ALL($14::uuid[]) AND EXISTS (SELECT 1 FROM fence)
             ), waiting AS (
                 INSERT INTO match_waiting (room, player) SELECT fence.id, p FROM fence, unnest($14::uuid[]) AS p
                 ON CONFLICT DO NOTHING
             ), snapshot AS (
                 INSERT INTO room_snapshots (room, epoch, tick, state) SELECT fence.id, $2, $4, $5 FROM fence
                 ON CONFLICT (room) DO UPDATE SET epoch = EXCLUDED.epoch, tick = EXCLUDED.tick, state = EXCLUDED.state, written_at = now()
                 WHERE (room_snapshots.epoch, room_snapshots.tick) < (EXCLUDED.epoch, EXCLUDED.tick)
             )
             SELECT count(*) FROM fence",
        )
        .bind(room.get() as i64)
        .bind(epoch.get() as i64)
        .bind(phase.as_str())
        .bind(snapshot.tick.get() as i64)
        .bind(encoded)
        .bind(events.iter().map(|e| e.seq as i64).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.tick.get() as i64).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.player.map(|p| p.0)).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.detail_json.as_str()).collect::<Vec<_>>())
        .bind(events.iter().map(|e| audience_literal(&e.audience)).collect::<Vec<_>>())
        .bind(seats.is_some())
        .bind(seats.map(|s| ids(s.seated)).unwrap_or_default())
        .bind(seats.map(|s| ids(s.awaiting)).unwrap_or_default())
        .fetch_one(&self.pg)
        .await?;
        if fenced_in == 0 {
            return Err(WriteError::Fenced(room));
        }
        Ok(())
    }

    /// The match is finished: mark the room closed (fenced by `epoch`) so nobody claims it again.
    pub async fn close_room(&self, room: RoomId, epoch: Epoch) -> Result<(), WriteError> {
        let done = sqlx::query(
            "UPDATE rooms SET status = 'closed', closed_at = now(), owner = NULL, updated_at = now()
             WHERE id = $1 AND epoch = $2 AND status <> 'closed'",
        )
        .bind(room.get() as i64)
        .bind(epoch.get() as i64)
        .execute(&self.pg)
        .await?;
        if done.rows_affected() != 1 {
            return Err(WriteError::Fenced(room));
        }
        // A closed match waits on nobody.
        sqlx::query("DELETE FROM match_waiting WHERE room = $1").bind(room.get() as i64).execute(&self.pg).await?;
        Ok(())
    }

    /// Rooms that should be running, in id order after `after` (at most `limit`): not
    /// closed, and not waiting in the matchmaker's pool (a pooled room runs only once it
    /// is placed).
    pub async fn live_rooms(&self, after: Option<RoomId>, limit: u32) -> Result<Vec<RoomId>, sqlx::Error> {
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM rooms WHERE status NOT IN ('closed', 'pooled') AND id > $1 ORDER BY id LIMIT $2")
                .bind(after.map_or(0, |r| r.get() as i64))
                .bind(i64::from(limit))
                .fetch_all(&self.pg)
                .await?;
        Ok(rows.into_iter().map(|(id,)| RoomId(id as u64)).collect())
    }

    /// The worker gave the room up (drain): forget the owner so the next claim is a handoff.
    pub async fn clear_owner(&self, room: RoomId, epoch: Epoch) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE rooms SET owner = NULL WHERE id = $1 AND epoch = $2")
            .bind(room.get() as i64)
            .bind(epoch.get() as i64)
            .execute(&self.pg)
            .await?;
        Ok(())
    }
}

/// An event's audience as PostgreSQL's text for a `uuid[]` (`None`: everyone), so that
/// one array of them can be bound, one per event.
fn audience_literal(audience: &Audience) -> Option<String> {
    match audience {
        Audience::Everyone => None,
        Audience::Players(ps) => Some(format!("{{{}}}", ps.iter().map(|p| p.0.to_string()).collect::<Vec<_>>().join(","))),
    }
}

/// A sleeping room's seats and whom it waits on, inside its durable transaction: one
/// statement (one round trip), as it is on the path of every acknowledgement.
async fn write_seats(tx: &mut sqlx::PgConnection, room: RoomId, seats: Seats<'_>) -> Result<(), sqlx::Error> {
    let ids = |ps: &[PlayerId]| ps.iter().map(|p| p.0).collect::<Vec<uuid::Uuid>>();
    sqlx::query(
        "WITH seated AS (
             INSERT INTO match_players (room, player) SELECT $1, p FROM unnest($2::uuid[]) AS p ON CONFLICT DO NOTHING
         ), done AS (
             DELETE FROM match_waiting WHERE room = $1 AND player <> ALL($3::uuid[])
         )
         INSERT INTO match_waiting (room, player) SELECT $1, p FROM unnest($3::uuid[]) AS p ON CONFLICT DO NOTHING",
    )
    .bind(room.get() as i64)
    .bind(ids(seats.seated))
    .bind(ids(seats.awaiting))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Rate the players of one finished match, inside the transaction that writes its results.
/// Rows are locked in player order, so two matches sharing players cannot deadlock.
async fn update_ratings(tx: &mut sqlx::PgConnection, results: &[PlayerResult]) -> Result<(), sqlx::Error> {
    let ids: Vec<uuid::Uuid> = results.iter().map(|r| r.player.0).collect();
    sqlx::query("INSERT INTO player_ratings (player, rating) SELECT p, $2 FROM unnest($1::uuid[]) AS p ON CONFLICT (player) DO NOTHING")
        .bind(&ids)
        .bind(crate::ratings::INITIAL)
        .execute(&mut *tx)
        .await?;
    let current: Vec<(uuid::Uuid, i32)> =
        sqlx::query_as("SELECT player, rating FROM player_ratings WHERE player = ANY($1) ORDER BY player FOR UPDATE")
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await?;
    let rating_of = |p: uuid::Uuid| current.iter().find(|c| c.0 == p).map_or(crate::ratings::INITIAL, |c| c.1);
    let players: Vec<(PlayerId, u16, i32)> = results.iter().map(|r| (r.player, r.rank, rating_of(r.player.0))).collect();
    let (players, ratings): (Vec<uuid::Uuid>, Vec<i32>) = crate::ratings::rate(&players).into_iter().map(|(p, r)| (p.0, r)).unzip();
    sqlx::query(
        "UPDATE player_ratings p SET rating = u.rating, updated_at = now()
         FROM unnest($1::uuid[], $2::int[]) AS u(player, rating) WHERE p.player = u.player",
    )
    .bind(&players)
    .bind(&ratings)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
