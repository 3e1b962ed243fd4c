//! Finding rooms without a live owner and claiming them (lease, then epoch, then restore).
//!
//! Every worker scans `rooms:unowned` and the expired end of `rooms:owned` each scan
//! interval, and at once when a `rooms.new` wake-up arrives. `SET NX PX` picks one
//! claimant; PostgreSQL then issues the epoch that fences everything it writes. The
//! room continues from the newest snapshot, hot or durable, by (epoch, tick). A room
//! whose game sleeps then holds its lease through the worker lease
//! ([`crate::worker_lease`]); each scan also moves the sleeping rooms of dead workers to
//! `rooms:unowned` first.

use crate::App;
use crate::lease::{LeaseClock, Renewal, Renewed};
use crate::room::Room;
use crate::snapshot::RoomSnapshot;
use futures::StreamExt;
use orrery_common::game::{Game, GameFactory, Pace, RoomSettings};
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
    // Dead workers' sleeping rooms first: they become claimable here (I4).
    match app.worker_lease.recover(DEAD_WORKERS_PER_SCAN).await {
        Ok(0) => {}
        Ok(_) => {
            let _ = app.nats.publish(app.names.rooms_new(), "recovered".into()).await;
        }
        Err(e) => warn!(error = %e, "moving dead workers' sleeping rooms failed"),
    }
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

/// Dead worker leases whose sleeping rooms one scan moves.
const DEAD_WORKERS_PER_SCAN: usize = 16;

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
    // A sleeping room holds its lease through the worker lease from now on (I4, I6).
    let held = match game.pace() {
        Pace::OnDemand => match app.worker_lease.adopt(room, &token).await {
            Ok(Some(held)) => Some(held),
            Ok(None) => {
                warn!(%room, "lease taken by another worker while claiming");
                span.record("outcome", "lease_taken");
                return;
            }
            Err(e) => {
                warn!(%room, error = %e, "holding the lease through the worker lease failed; giving the lease back");
                let _ = app.leases.release(room, &token, true).await;
                return;
            }
        },
        Pace::Fixed => None,
    };
    // Reading the epoch and the snapshots may have eaten much of the lease (a loaded
    // machine, a slow database): renew once more so the room starts with a full budget,
    // instead of starting past its deadline and stopping at once. (A sleeping room's
    // deadline is the worker lease's, renewed on its own.)
    if held.is_none() {
        let renew_sent = Instant::now();
        match app.leases.renew(&[Renewal { room, token: &token, may_take_again: clock.valid() }]).await {
            Ok(renewed) if renewed == [Renewed::Extended] => clock.extend(renew_sent, app.timing.lease_budget()),
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
    }
    span.record("outcome", "claimed");
    info!(%room, epoch = %claimed.epoch, from = ?restored.as_ref().map(|(e, s)| (e.get(), s.tick.get())), "claimed");
    let game_version = app.factory.snapshot_version(&claimed.settings);
    let mut room_state = Room::new(room, claimed.epoch, claimed.settings, token, clock, game, restored.map(|(_, s)| s))
        .with_game_version(game_version)
        .with_event_quota(app.event_quota)
        .with_spectator_limit(app.max_spectators);
    if let Some((held, token)) = held {
        room_state = room_state.held_through(held, token);
    }
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
    #[error(transparent)]
    Decode(#[from] crate::snapshot::SnapshotError),
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
            restore_game(app.factory.as_ref(), settings, snap)?
        }
        None => app.factory.create(settings),
    };
    Ok((restored, game))
}

/// The game of `snap`, upgraded first when an older layout wrote it; a newer one is refused.
pub fn restore_game(
    factory: &dyn GameFactory,
    settings: &RoomSettings,
    snap: &RoomSnapshot,
) -> Result<Box<dyn Game>, orrery_common::game::RestoreError> {
    let known = factory.snapshot_version(settings);
    match snap.game_version.cmp(&known) {
        std::cmp::Ordering::Equal => factory.restore(settings, &snap.game),
        std::cmp::Ordering::Less => factory.restore(settings, &factory.upgrade_snapshot(settings, snap.game_version, snap.game.clone())?),
        std::cmp::Ordering::Greater => Err(orrery_common::game::RestoreError(format!(
            "the game's snapshot is in layout {}, newer than this worker's {} ({known}): run a newer worker",
            snap.game_version,
            factory.name()
        ))),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use orrery_testgame::turns::TurnsFactory;

    /// `turns` after a layout change: version 1 prefixes the old bytes with a marker, and
    /// upgrades version 0 snapshots by adding it.
    struct TurnsV1;

    const MARKER: u8 = 0xab;

    impl GameFactory for TurnsV1 {
        fn name(&self) -> &'static str {
            "turns"
        }
        fn create(&self, settings: &RoomSettings) -> Box<dyn Game> {
            TurnsFactory.create(settings)
        }
        fn restore(&self, settings: &RoomSettings, snapshot: &[u8]) -> Result<Box<dyn Game>, orrery_common::game::RestoreError> {
            match snapshot.split_first() {
                Some((&MARKER, old)) => TurnsFactory.restore(settings, old),
                _ => Err(orrery_common::game::RestoreError("not layout 1".into())),
            }
        }
        fn snapshot_version(&self, _: &RoomSettings) -> u16 {
            1
        }
        fn upgrade_snapshot(&self, _: &RoomSettings, from: u16, snapshot: Vec<u8>) -> Result<Vec<u8>, orrery_common::game::RestoreError> {
            assert_eq!(from, 0);
            Ok([vec![MARKER], snapshot].concat())
        }
    }

    #[test]
    fn a_game_snapshot_of_an_older_layout_is_upgraded_and_a_newer_one_refused() {
        // Written before snapshots were versioned: the game's layout 0.
        let mut snap = RoomSnapshot::decode(include_bytes!("../tests/fixtures/room-snapshot-legacy.bin")).unwrap();
        let settings = RoomSettings { mode: "turns".into(), max_players: 2, ..RoomSettings::default() };
        let game = restore_game(&TurnsV1, &settings, &snap).expect("upgraded, then restored");
        assert_eq!(game.seated().len(), 1, "the player of the old snapshot is seated");
        assert!(restore_game(&TurnsFactory, &settings, &snap).is_ok(), "a game that never changed reads it as is");
        snap.game_version = 2;
        let err = restore_game(&TurnsV1, &settings, &snap).err().expect("refused");
        assert!(err.to_string().contains("newer"), "{err}");
        snap.game_version = 1;
        assert!(restore_game(&TurnsFactory, &settings, &snap).is_err(), "a game without upgrades refuses a newer snapshot");
    }
}
