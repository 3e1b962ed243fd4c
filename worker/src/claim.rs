//! Finding rooms without a live owner and claiming them (lease, then epoch, then restore).
//!
//! Every worker scans `rooms:unowned` and the expired end of `rooms:owned` each scan
//! interval, and at once when a `rooms.new` wake-up arrives. `SET NX PX` picks one
//! claimant; PostgreSQL then issues the epoch that fences everything it writes. The
//! room continues from the newest snapshot, hot or durable, by (epoch, tick).

use crate::Shared;
use crate::lease::LeaseClock;
use crate::room::Room;
use crate::snapshot::RoomSnapshot;
use anyhow::Context as _;
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
pub async fn claim_loop(shared: Arc<Shared>, stop: CancellationToken) {
    let mut wakeups = match shared.nats.subscribe(shared.names.rooms_new()).await {
        Ok(s) => Some(s),
        Err(e) => {
            warn!(error = %e, "cannot subscribe to wake-ups; relying on scans");
            None
        }
    };
    let mut scan = tokio::time::interval(shared.timing.scan_interval());
    scan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = scan.tick() => {}
            Some(_) = async { match wakeups.as_mut() { Some(w) => w.next().await, None => std::future::pending().await } } => {
                // Busier workers answer a wake-up a little later, so rooms spread out.
                let load = shared.owned.len() as f64 / shared.capacity as f64;
                tokio::time::sleep(Duration::from_millis((load * 20.0) as u64)).await;
            }
        }
        if stop.is_cancelled() {
            return;
        }
        claim_some(&shared).await;
    }
}

async fn claim_some(shared: &Arc<Shared>) {
    let free = shared.capacity.saturating_sub(shared.owned.len());
    if free == 0 {
        return;
    }
    let mut candidates = match shared.leases.claimable(shared.timing.claim_batch() * 2).await {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "scan for claimable rooms failed");
            return;
        }
    };
    candidates.retain(|r| !shared.owned.contains(*r) && !shared.owned.recently_shed(*r));
    candidates.shuffle(&mut rand::rng());
    candidates.truncate(free.min(shared.timing.claim_batch()));
    futures::future::join_all(candidates.into_iter().map(|room| claim(shared, room))).await;
}

/// Try to become the owner of `room` (the `claim` span; `restore` inside it).
#[tracing::instrument(name = "claim", skip(shared, room), fields(%room, worker = %shared.worker_id, epoch = Empty, failover = Empty, outcome = Empty))]
pub async fn claim(shared: &Arc<Shared>, room: RoomId) {
    let span = Span::current();
    let token = format!("{}:{:016x}", shared.worker_id, rand::random::<u64>());
    let sent = Instant::now();
    match shared.leases.acquire(room, &token).await {
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
    let clock = Arc::new(LeaseClock::new(sent, shared.timing.lease_budget()));
    let claimed = match shared.store.claim_epoch(room, &shared.worker_id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            // Closed or unknown: nothing to run.
            span.record("outcome", "closed");
            let _ = shared.leases.release(room, &token, false).await;
            let _ = shared.leases.forget(room).await;
            return;
        }
        Err(e) => {
            warn!(%room, error = %e, "epoch claim failed; giving the lease back");
            let _ = shared.leases.release(room, &token, true).await;
            return;
        }
    };
    if let Err(e) = shared.leases.mark_owned(room).await {
        warn!(%room, error = %e, "recording ownership failed");
    }
    shared.metrics.leases_acquired.inc();
    if claimed.had_owner {
        shared.metrics.failovers.inc();
    }
    span.record("epoch", tracing::field::display(claimed.epoch));
    span.record("failover", claimed.had_owner);
    let (restored, game) = match restore(shared, room, &claimed.settings).await {
        Ok(r) => r,
        Err(e) => {
            // Without its snapshot the room cannot continue correctly; let it expire and retry.
            warn!(%room, error = %e, "cannot restore the room; giving the lease back");
            span.record("outcome", "restore_failed");
            let _ = shared.leases.release(room, &token, true).await;
            return;
        }
    };
    // Reading the epoch and the snapshots may have eaten much of the lease (a loaded
    // machine, a slow database): renew once more so the room starts with a full budget,
    // instead of starting past its deadline and stopping at once.
    let renew_sent = Instant::now();
    match shared.leases.renew(&[(room, token.clone())]).await {
        Ok(still) if still == [true] => clock.extend(renew_sent, shared.timing.lease_budget()),
        Ok(_) => {
            warn!(%room, "lease taken by another worker while claiming");
            span.record("outcome", "lease_taken");
            return;
        }
        Err(e) => {
            warn!(%room, error = %e, "lease renewal failed while claiming; giving the lease back");
            let _ = shared.leases.release(room, &token, true).await;
            return;
        }
    }
    span.record("outcome", "claimed");
    info!(%room, epoch = %claimed.epoch, from = ?restored.as_ref().map(|(e, s)| (e.get(), s.tick.get())), "claimed");
    let room_state = Room::new(room, claimed.epoch, claimed.settings, token, clock, game, restored.map(|(_, s)| s));
    shared.owned.spawn(room_state, shared.clone(), sent);
}

/// The snapshot a room continues from, with the epoch that wrote it.
type Restored = Option<(Epoch, RoomSnapshot)>;

/// The `restore` span: read the newest snapshot and rebuild the game from it (or start
/// a fresh game when the room has none).
#[tracing::instrument(name = "restore", skip(shared, room, settings), fields(%room, from_epoch = Empty, from_tick = Empty))]
async fn restore(shared: &Shared, room: RoomId, settings: &RoomSettings) -> anyhow::Result<(Restored, Box<dyn Game>)> {
    let restored = newest_snapshot(shared, room).await.context("cannot read snapshots")?;
    let game = match &restored {
        Some((epoch, snap)) => {
            let span = Span::current();
            span.record("from_epoch", epoch.get());
            span.record("from_tick", snap.tick.get());
            shared.factory.restore(settings, &snap.game).map_err(|e| anyhow::anyhow!("snapshot cannot be restored: {e}"))?
        }
        None => shared.factory.create(settings),
    };
    Ok((restored, game))
}

/// The newest snapshot of `room`, hot or durable, by (epoch, tick).
async fn newest_snapshot(shared: &Shared, room: RoomId) -> anyhow::Result<Restored> {
    let hot = shared.hot.read(room).await?;
    let durable = shared.store.durable_snapshot(room).await?;
    let newest: Option<(HistoryPos, Vec<u8>)> = match (hot, durable) {
        (Some(h), Some(d)) => Some(if h.0 >= d.0 { h } else { d }),
        (h, d) => h.or(d),
    };
    match newest {
        None => Ok(None),
        Some((at, bytes)) => Ok(Some((at.epoch, RoomSnapshot::decode(&bytes)?))),
    }
}
