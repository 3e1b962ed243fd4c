//! Finding rooms without a live owner and claiming them (lease, then epoch, then restore).
//!
//! Every worker scans `rooms:unowned` and the expired end of `rooms:owned` each scan
//! interval, and at once when a `rooms.new` wake-up arrives. `SET NX PX` picks one
//! claimant; PostgreSQL then issues the epoch that fences everything it writes. The
//! room continues from the newest snapshot, hot or durable, by (epoch, tick).

use crate::App;
use crate::lease::LeaseClock;
use crate::room::Room;
use crate::snapshot::RoomSnapshot;
use futures::StreamExt;
use orrery_common::game::{Game, RoomSettings};
use orrery_common::{Epoch, HistoryPos, RoomId};
use rand::seq::SliceRandom;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::field::Empty;
use tracing::{Span, info, warn};

/// Scan and claim until `stop` is cancelled.
pub async fn claim_loop(app: Arc<App>, stop: CancellationToken) {
    let mut wakeups = match app.nats.subscribe(app.names.rooms_new()).await {
        Ok(s) => Some(s),
        Err(e) => {
            warn!(error = %e, "cannot subscribe to wake-ups; relying on scans");
            None
        }
    };
    let mut scan = tokio::time::interval(app.timing.scan_interval());
    scan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = scan.tick() => {}
            Some(_) = async { match wakeups.as_mut() { Some(w) => w.next().await, None => std::future::pending().await } } => {
                // Busier workers answer a wake-up a little later, so rooms spread out.
                let load = app.owned.len() as f64 / app.capacity as f64;
                tokio::time::sleep(Duration::from_millis((load * 20.0) as u64)).await;
            }
        }
        if stop.is_cancelled() {
            return;
        }
        claim_some(&app).await;
    }
}

async fn claim_some(app: &Arc<App>) {
    let free = app.capacity.saturating_sub(app.owned.len());
    if free == 0 {
        return;
    }
    let mut candidates = match app.leases.claimable(app.timing.claim_batch() * 2).await {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "scan for claimable rooms failed");
            return;
        }
    };
    candidates.retain(|r| !app.owned.contains(*r) && !app.owned.recently_shed(*r));
    candidates.shuffle(&mut rand::rng());
    candidates.truncate(free.min(app.timing.claim_batch()));
    futures::future::join_all(candidates.into_iter().map(|room| claim(app, room))).await;
}

/// Try to become the owner of `room` (the `claim` span; `restore` inside it).
#[tracing::instrument(name = "claim", skip(app, room), fields(%room, worker = %app.worker_id, epoch = Empty, failover = Empty, outcome = Empty))]
pub async fn claim(app: &Arc<App>, room: RoomId) {
    let span = Span::current();
    let token = format!("{}:{:016x}", app.worker_id, rand::random::<u64>());
    let sent = Instant::now();
    match app.leases.acquire(room, &token).await {
        Ok(true) => {}
        Ok(false) => {
            span.record("outcome", "lease_taken");
            return;
        }
        Err(e) => {
            warn!(%room, error = %e, "lease acquire failed");
            return;
        }
    }
    let clock = Arc::new(LeaseClock::new(sent, app.timing.lease_budget()));
    let claimed = match app.store.claim_epoch(room, &app.worker_id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            // Closed or unknown: nothing to run.
            span.record("outcome", "closed");
            let _ = app.leases.release(room, &token, false).await;
            let _ = app.leases.forget(room).await;
            return;
        }
        Err(e) => {
            warn!(%room, error = %e, "epoch claim failed; giving the lease back");
            let _ = app.leases.release(room, &token, true).await;
            return;
        }
    };
    if let Err(e) = app.leases.mark_owned(room).await {
        warn!(%room, error = %e, "recording ownership failed");
    }
    app.metrics.leases_acquired.inc();
    if claimed.had_owner {
        app.metrics.failovers.inc();
    }
    span.record("epoch", tracing::field::display(claimed.epoch));
    span.record("failover", claimed.had_owner);
    let (restored, game) = match restore(app, room, &claimed.settings).await {
        Ok(r) => r,
        Err(e) => {
            // Without its snapshot the room cannot continue correctly; let it expire and retry.
            warn!(%room, error = %e, "cannot restore the room; giving the lease back");
            span.record("outcome", "restore_failed");
            let _ = app.leases.release(room, &token, true).await;
            return;
        }
    };
    // Reading the epoch and the snapshots may have eaten much of the lease (a loaded
    // machine, a slow database): renew once more so the room starts with a full budget,
    // instead of starting past its deadline and stopping at once.
    let renew_sent = Instant::now();
    match app.leases.renew(&[(room, token.clone())]).await {
        Ok(still) if still == [true] => clock.extend(renew_sent, app.timing.lease_budget()),
        Ok(_) => {
            warn!(%room, "lease taken by another worker while claiming");
            span.record("outcome", "lease_taken");
            return;
        }
        Err(e) => {
            warn!(%room, error = %e, "lease renewal failed while claiming; giving the lease back");
            let _ = app.leases.release(room, &token, true).await;
            return;
        }
    }
    span.record("outcome", "claimed");
    info!(%room, epoch = %claimed.epoch, from = ?restored.as_ref().map(|(e, s)| (e.get(), s.tick.get())), "claimed");
    let room_state = Room::new(room, claimed.epoch, claimed.settings, token, clock, game, restored.map(|(_, s)| s))
        .with_event_quota(app.event_quota)
        .with_spectator_limit(app.max_spectators);
    app.owned.spawn(room_state, app.clone(), sent);
}

/// The snapshot a room continues from, with the epoch that wrote it.
type Restored = Option<(Epoch, RoomSnapshot)>;

/// Why a claimed room could not be restored (the claim gives its lease back and retries).
#[derive(Debug, thiserror::Error)]
enum RestoreError {
    #[error("cannot read the hot snapshot: {0}")]
    Hot(#[from] redis::RedisError),
    #[error("cannot read the durable snapshot: {0}")]
    Durable(#[from] sqlx::Error),
    #[error("the snapshot cannot be decoded: {0}")]
    Decode(#[from] postcard::Error),
    #[error("the game cannot be restored from the snapshot: {0}")]
    Game(#[from] orrery_common::game::RestoreError),
}

/// The `restore` span: read the newest snapshot and rebuild the game from it (or start
/// a fresh game when the room has none).
#[tracing::instrument(name = "restore", skip(app, room, settings), fields(%room, from_epoch = Empty, from_tick = Empty))]
async fn restore(app: &App, room: RoomId, settings: &RoomSettings) -> Result<(Restored, Box<dyn Game>), RestoreError> {
    let restored = newest_snapshot(app, room).await?;
    let game = match &restored {
        Some((epoch, snap)) => {
            let span = Span::current();
            span.record("from_epoch", epoch.get());
            span.record("from_tick", snap.tick.get());
            app.factory.restore(settings, &snap.game)?
        }
        None => app.factory.create(settings),
    };
    Ok((restored, game))
}

/// The newest snapshot of `room`, hot or durable, by (epoch, tick).
async fn newest_snapshot(app: &App, room: RoomId) -> Result<Restored, RestoreError> {
    let hot = app.hot.read(room).await?;
    let durable = app.store.durable_snapshot(room).await?;
    let newest: Option<(HistoryPos, Vec<u8>)> = match (hot, durable) {
        (Some(h), Some(d)) => Some(if h.0 >= d.0 { h } else { d }),
        (h, d) => h.or(d),
    };
    match newest {
        None => Ok(None),
        Some((at, bytes)) => Ok(Some((at.epoch, RoomSnapshot::decode(&bytes)?))),
    }
}
