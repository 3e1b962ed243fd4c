//! Filler bots: a pool of bots that keeps a few tickets waiting in a matchmaking queue, so a
//! person who presses Quick play is placed at once, with bots, instead of waiting for other
//! people.
//!
//! At most `waiting` bots of the pool hold a ticket at any time. With `waiting` one below
//! the mode's minimum (arena: 3 players, so 2), the waiting bots never make a room by
//! themselves: the next ticket — a person's — completes a group, the placement step creates
//! the room and seats everyone. The placed bots play the match to its end while idle bots of
//! the pool take their place in the queue, so the next person is served too (as long as
//! the pool has idle bots).

use crate::bot::{BotPlan, BotStats, play_seated};
use crate::connection::{Connection, Event};
use crate::{Error, Result};
use orrery_common::RoomId;
use orrery_common::protocol::client::{ClientMsg, ServerMsg};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// A ticket older than this is given up and queued again (tickets expire after 300 s).
const REQUEUE_AFTER: Duration = Duration::from_secs(240);
/// How often a waiting bot pings (the gateway closes sockets silent for 30 s).
const PING_EVERY: Duration = Duration::from_secs(10);

/// What one filler bot did.
#[derive(Clone, Debug, Default)]
pub struct FillStats {
    pub tickets: u64,
    /// Rounds that failed (and were started again).
    pub errors: u64,
    pub matches: Vec<(RoomId, BotStats)>,
}

/// One bot of the pool: queue for `mode` whenever one of the `slots` is free, play each
/// match it is placed in, until `until`. A round that fails (a gateway going away, say) is
/// counted and the bot queues again a second later.
pub async fn fill(ws_url: &str, token: &str, mode: &str, slots: Arc<Semaphore>, until: Instant, seed: u64) -> Result<FillStats> {
    let mut stats = FillStats::default();
    let mut seed = seed;
    while Instant::now() < until {
        let Ok(Ok(slot)) = tokio::time::timeout_at(until, slots.clone().acquire_owned()).await else { break };
        stats.tickets += 1;
        match round(ws_url, token, mode, slot, until, seed).await {
            Ok(Some(played)) => stats.matches.push(played),
            Ok(None) => {}
            Err(e) => {
                stats.errors += 1;
                tracing::warn!(error = %e, "a filler's round failed; queueing again");
            }
        }
        seed += 1000;
        // Let the room's clean-up forget us before we queue again.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(stats)
}

/// Queue once, holding `slot` while the ticket waits; play the match if placed.
async fn round(
    ws_url: &str,
    token: &str,
    mode: &str,
    slot: OwnedSemaphorePermit,
    until: Instant,
    seed: u64,
) -> Result<Option<(RoomId, BotStats)>> {
    let mut conn = Connection::connect(ws_url, token).await?;
    conn.send(&ClientMsg::Queue { mode: mode.to_owned(), region: "any".into(), party: Vec::new() }).await?;
    let requeue = (Instant::now() + REQUEUE_AFTER).min(until);
    // A socket that sends nothing is closed by the gateway (idle timeout, 30 s by
    // default): ping while waiting.
    let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    let room = loop {
        let event = tokio::select! {
            _ = tokio::time::sleep_until(requeue) => break None,
            _ = ping.tick() => {
                conn.send(&ClientMsg::Ping { client_time_us: 0 }).await?;
                continue;
            }
            event = conn.next_event() => event?,
        };
        match event {
            Event::Message(ServerMsg::Matched { room }) => break Some(room),
            Event::Message(ServerMsg::Error { code, message }) => return Err(Error::Server { code, message }),
            Event::Closed { code, reason } => return Err(Error::Closed { code, reason }),
            _ => {}
        }
    };
    // Placed (or giving up the ticket): another bot may queue now.
    drop(slot);
    let Some(room) = room else {
        let _ = conn.close().await;
        return Ok(None);
    };
    // The gateway joins a placed player by itself: `Joined` and the keyframe follow. A
    // room that closed just now (our previous match) is refused: queue again.
    if !joined(&mut conn).await? {
        let _ = conn.close().await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        return Ok(None);
    }
    let plan = BotPlan { duration: until.saturating_duration_since(Instant::now()), seed, ..BotPlan::default() };
    let played = play_seated(&mut conn, &plan).await?;
    let _ = conn.close().await;
    Ok(Some((room, played)))
}

/// Wait (10 s at most) for the `Joined` that follows a placement: false on an error.
async fn joined(conn: &mut Connection) -> Result<bool> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let Ok(event) = tokio::time::timeout_at(deadline, conn.next_event()).await else { return Ok(false) };
        match event? {
            Event::Message(ServerMsg::Joined { .. }) => return Ok(true),
            Event::Message(ServerMsg::Error { .. }) | Event::Closed { .. } => return Ok(false),
            _ => {}
        }
    }
}
