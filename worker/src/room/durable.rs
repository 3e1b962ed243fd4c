//! Durable snapshots off the tick path: each room has a writer task of its own that
//! writes to PostgreSQL while the room keeps ticking, so a slow database delays no tick.
//!
//! Back-pressure: the writer holds at most one snapshot in flight and one waiting. A
//! snapshot submitted while another is still waiting replaces it (the newer one holds
//! everything the older one did: the game, the tick and every event not yet durable);
//! `orrery_worker_durable_snapshots_coalesced_total` counts the replaced ones.
//!
//! What does not change: a snapshot's events are written in the same transaction as the
//! snapshot (the job carries both, taken at the same tick); every write is fenced by the
//! epoch (I1, `store.rs::write_durable`) and checks the lease's local deadline first (I6);
//! the room forgets pending events only once the writer reports them committed
//! ([`DurableOutcome::Written`]), so until then every hot snapshot still carries them. A
//! write refused by the epoch is reported as [`DurableOutcome::Fenced`] and the room
//! stops. When the room's task ends, the writer finishes the write in flight (never
//! cancelled halfway through a transaction) and takes no other.

use super::Room;
use crate::App;
use crate::lease::LeaseClock;
use crate::snapshot::{PendingEvent, RoomSnapshot};
use crate::store::WriteError;
use orrery_common::game::{Phase, PlayerResult};
use orrery_common::{Epoch, RoomId};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;
use tracing::warn;

/// One durable write: the snapshot at one tick, the events not yet durable at that tick
/// and, once the match is over, its results.
pub(crate) struct DurableJob {
    phase: Phase,
    snapshot: RoomSnapshot,
    encoded: Vec<u8>,
    events: Vec<PendingEvent>,
    results: Option<Vec<PlayerResult>>,
}

impl DurableJob {
    /// `room` now, at `phase`.
    pub(crate) fn of(room: &Room, phase: Phase) -> Self {
        // The durable row carries no pending events: they are written in the same transaction.
        let snapshot = RoomSnapshot { pending_events: Vec::new(), ..room.snapshot() };
        let encoded = snapshot.encode();
        let results = matches!(phase, Phase::Over | Phase::Closable).then(|| room.results()).flatten();
        Self { phase, snapshot, encoded, events: room.pending_events().to_vec(), results }
    }

    /// The highest event sequence this job writes.
    pub(crate) fn last_event(&self) -> Option<u64> {
        self.events.iter().map(|e| e.seq).max()
    }

    /// Write it, in one transaction fenced by `epoch`. Returns the bytes written.
    pub(crate) async fn store(&self, app: &App, room: RoomId, epoch: Epoch) -> Result<usize, WriteError> {
        app.store
            .write_durable(room, epoch, self.phase, &self.snapshot, &self.encoded, &self.events, self.results.as_deref(), None)
            .await?;
        Ok(self.encoded.len())
    }

    /// What the room learns once this job is committed.
    pub(crate) fn written(&self) -> DurableOutcome {
        DurableOutcome::Written { last_event: self.last_event() }
    }
}

/// What became of a durable write, reported back to the room's task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DurableOutcome {
    /// Committed: the events up to `last_event` are durable.
    Written { last_event: Option<u64> },
    /// Refused by the epoch: a newer owner exists.
    Fenced,
    /// Not written because the lease's local deadline had passed.
    LeaseLost,
}

struct Slot {
    waiting: Mutex<Option<DurableJob>>,
    wake: Notify,
    closed: AtomicBool,
}

/// The room's side of its durable writer. Dropping it stops the writer after the write in
/// flight.
pub(crate) struct DurableWriter {
    slot: Arc<Slot>,
    outcomes: mpsc::UnboundedReceiver<DurableOutcome>,
    app: Arc<App>,
}

impl DurableWriter {
    /// Start the writer of `room` under `epoch`, checking `clock` before every write.
    pub(crate) fn spawn(app: Arc<App>, room: RoomId, epoch: Epoch, clock: Arc<LeaseClock>) -> Self {
        let slot = Arc::new(Slot { waiting: Mutex::new(None), wake: Notify::new(), closed: AtomicBool::new(false) });
        let (tx, outcomes) = mpsc::unbounded_channel();
        tokio::spawn(write_loop(app.clone(), room, epoch, clock, slot.clone(), tx));
        Self { slot, outcomes, app }
    }

    /// Hand `job` to the writer; a job still waiting is replaced by it.
    pub(crate) fn submit(&self, job: DurableJob) {
        let replaced = self.slot.waiting.lock().expect("durable slot").replace(job);
        if replaced.is_some() {
            self.app.metrics.durable_coalesced.inc();
        }
        self.slot.wake.notify_one();
    }

    /// The next outcome of a write (pending forever once the writer has stopped).
    pub(crate) async fn outcome(&mut self) -> DurableOutcome {
        match self.outcomes.recv().await {
            Some(outcome) => outcome,
            None => std::future::pending().await,
        }
    }
}

impl Drop for DurableWriter {
    fn drop(&mut self) {
        self.slot.closed.store(true, Ordering::Release);
        self.slot.wake.notify_one();
    }
}

async fn write_loop(
    app: Arc<App>,
    room: RoomId,
    epoch: Epoch,
    clock: Arc<LeaseClock>,
    slot: Arc<Slot>,
    outcomes: mpsc::UnboundedSender<DurableOutcome>,
) {
    loop {
        slot.wake.notified().await;
        if slot.closed.load(Ordering::Acquire) {
            return;
        }
        let Some(job) = slot.waiting.lock().expect("durable slot").take() else { continue };
        if !clock.valid() {
            let _ = outcomes.send(DurableOutcome::LeaseLost);
            return;
        }
        app.metrics.durable_in_flight.inc();
        let started = Instant::now();
        let result = job.store(&app, room, epoch).await;
        app.metrics.durable_in_flight.dec();
        let outcome = match result {
            Ok(bytes) => {
                app.metrics.snapshot_duration.observe(started.elapsed().as_secs_f64());
                app.metrics.snapshot_bytes.inc_by(bytes as u64);
                job.written()
            }
            Err(WriteError::Fenced(_)) => DurableOutcome::Fenced,
            // PostgreSQL is unreachable: the room keeps ticking; the next period tries again.
            Err(WriteError::Db(e)) => {
                warn!(room = %room, error = %e, "durable snapshot failed");
                continue;
            }
        };
        let stop = !matches!(outcome, DurableOutcome::Written { .. });
        if outcomes.send(outcome).is_err() || stop {
            return;
        }
    }
}
