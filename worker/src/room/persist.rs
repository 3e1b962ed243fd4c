//! What a room writes outside itself: hot snapshots (Redis), durable snapshots with their
//! match events and results (PostgreSQL), the close of a finished match, and the drain
//! that hands the room to another worker.
//!
//! Durable snapshots of a running room are written by its writer task
//! ([`super::durable`]), off the tick; the last one of a match and the drain's are
//! written here and waited for.
//!
//! Every write first checks the lease's local deadline (I6). A write the stores refuse
//! means a newer epoch owns the room (I1: the durable transaction starts with the epoch
//! check in `store.rs`; I2: the hot compare-and-set in `snapshot.rs`): the caller gets
//! [`Exit::Fenced`] and the task stops at once without publishing anything more. A store
//! that is unreachable is only logged: the room keeps ticking and the lease decides.

use super::durable::{DurableJob, DurableOutcome, DurableWriter};
use super::{Exit, Room};
use crate::App;
use crate::snapshot::HotWrite;
use crate::store::WriteError;
use orrery_common::game::Phase;
use tokio::time::Instant;
use tracing::warn;

/// Whether a hot snapshot identical to the last one but for the tick is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unchanged {
    /// Skip it: the stored one restores the same room (periodic snapshots).
    Skip,
    /// Write it anyway (the drain's hand-off).
    Write,
}

/// A hot snapshot to Redis, through the compare-and-set that also requires the lease
/// token, in the worker's next batch ([`crate::hot_batch`]).
pub(crate) async fn write_hot(room: &mut Room, app: &App, unchanged: Unchanged) -> Result<(), Exit> {
    if !room.clock.valid() {
        return Err(Exit::LeaseLost);
    }
    let started = Instant::now();
    let snapshot = room.snapshot();
    if unchanged == Unchanged::Skip && room.hot_unchanged(&snapshot) {
        app.metrics.hot_skipped.inc();
        return Ok(());
    }
    let encoded = snapshot.encode();
    let len = encoded.len();
    let write = HotWrite { room: room.id, token: room.token.clone(), at: room.pos(), state: encoded };
    match app.hot_batch.write(write).await {
        Ok(true) => {
            app.metrics.snapshot_duration.observe(started.elapsed().as_secs_f64());
            app.metrics.snapshot_bytes.inc_by(len as u64);
            room.hot_written(snapshot);
            Ok(())
        }
        Ok(false) => {
            app.metrics.fenced_writes.inc();
            warn!(room = %room.id, epoch = %room.epoch, "hot snapshot refused: ownership lost");
            Err(Exit::Fenced)
        }
        // Redis is unreachable: keep ticking; the lease deadline decides.
        Err(e) => {
            warn!(room = %room.id, error = %e, "hot snapshot failed");
            Ok(())
        }
    }
}

/// A hot snapshot, then a durable one at `phase` handed to the room's writer
/// ([`super::durable`]): the tick does not wait for PostgreSQL.
pub(crate) async fn submit_durable(room: &mut Room, app: &App, writer: &DurableWriter, phase: Phase) -> Result<(), Exit> {
    write_hot(room, app, Unchanged::Skip).await?;
    writer.submit(DurableJob::of(room, phase));
    room.durable_submitted(phase);
    Ok(())
}

/// A hot snapshot, then a durable one at `phase` written before returning: for the last
/// write of a match, which the close must follow.
pub(crate) async fn write_durable_now(room: &mut Room, app: &App, phase: Phase) -> Result<(), Exit> {
    write_hot(room, app, Unchanged::Write).await?;
    if !room.clock.valid() {
        return Err(Exit::LeaseLost);
    }
    let started = Instant::now();
    match store_durable(room, app, phase).await {
        Ok(bytes) => {
            app.metrics.snapshot_duration.observe(started.elapsed().as_secs_f64());
            app.metrics.snapshot_bytes.inc_by(bytes as u64);
            Ok(())
        }
        Err(WriteError::Fenced(_)) => Err(fenced(room, app)),
        Err(WriteError::Db(e)) => {
            warn!(room = %room.id, error = %e, "durable snapshot failed");
            Ok(())
        }
    }
}

/// What the room does with the outcome of a write of its durable writer.
pub(crate) fn durable_outcome(room: &mut Room, app: &App, outcome: DurableOutcome) -> Result<(), Exit> {
    match outcome {
        DurableOutcome::Written { last_event } => {
            room.durable_written(last_event);
            Ok(())
        }
        DurableOutcome::Fenced => Err(fenced(room, app)),
        DurableOutcome::LeaseLost => {
            app.metrics.leases_expired_by_deadline.inc();
            Err(Exit::LeaseLost)
        }
    }
}

fn fenced(room: &Room, app: &App) -> Exit {
    app.metrics.fenced_writes.inc();
    warn!(room = %room.id, epoch = %room.epoch, "durable snapshot refused: ownership lost");
    Exit::Fenced
}

/// The durable write itself (see [`DurableJob`]), waited for. Returns the bytes written.
async fn store_durable(room: &mut Room, app: &App, phase: Phase) -> Result<usize, WriteError> {
    let job = DurableJob::of(room, phase);
    let bytes = job.store(app, room.id, room.epoch).await?;
    room.durable_submitted(phase);
    room.durable_written(job.last_event());
    Ok(bytes)
}

/// Give the room's lease back (`requeue`: with a wake-up for a new owner). The worker's
/// renewer leaves it out from now on, and a renewal already under way does not take it
/// again (`lease.rs`): a released lease stays released, so the room can be claimed at
/// once (I4) and a closed room leaves no lease behind. A sleeping room's lease is held
/// through the worker lease, whose clock it shares and nobody renews per room: it is
/// given back by its own script, and the worker lease's clock is left alone.
pub(crate) async fn release_lease(room: &mut Room, app: &App, requeue: bool) -> crate::lease::RedisResult<bool> {
    if let Some(held) = &room.worker_lease {
        return app.worker_lease.release(held, room.id, &room.token, requeue).await;
    }
    room.clock.give_back();
    app.leases.release(room.id, &room.token, requeue).await
}

/// The match is finished and its final snapshot, events and results are written:
/// close the room for good and leave nothing of it in Redis.
pub(crate) async fn close(room: &mut Room, app: &App) -> Exit {
    match app.store.close_room(room.id, room.epoch).await {
        Ok(()) => {}
        Err(WriteError::Fenced(_)) => {
            app.metrics.fenced_writes.inc();
            return Exit::Fenced;
        }
        Err(WriteError::Db(e)) => {
            // The lease will expire and the next owner closes it from the snapshot.
            warn!(room = %room.id, error = %e, "closing the room failed");
            return Exit::LeaseLost;
        }
    }
    if let Err(e) = release_lease(room, app, false).await {
        warn!(room = %room.id, error = %e, "lease release failed; it will expire");
    }
    if let Err(e) = app.hot.delete(room.id).await {
        warn!(room = %room.id, error = %e, "hot snapshot not deleted");
    }
    let _ = app.leases.forget(room.id).await;
    crate::closing::after_close(app, room.id, &room.results().unwrap_or_default()).await;
    app.metrics.leases_released.inc();
    app.metrics.rooms_closed.inc();
    Exit::Closed
}

/// Final snapshot, then hand the room back with a wake-up so a survivor claims it at once.
pub(crate) async fn drain(room: &mut Room, app: &App) -> Exit {
    // The hot snapshot is the hand-off: it carries the events not yet durable, and the
    // next owner writes a durable snapshot at its first tick. So release first and write
    // durably after, off the critical path; that write is fenced by the epoch, so losing
    // the race to the next owner's claim is harmless.
    if let Err(exit) = write_hot(room, app, Unchanged::Write).await {
        return exit;
    }
    match release_lease(room, app, true).await {
        Ok(true) => {
            app.metrics.leases_released.inc();
            let _ = app.nats.publish(app.names.rooms_new(), room.id.to_string().into()).await;
            let _ = app.store.clear_owner(room.id, room.epoch).await;
        }
        Ok(false) => return Exit::LeaseLost,
        Err(e) => warn!(room = %room.id, error = %e, "lease release failed; it will expire"),
    }
    // Durable-only (a hot write would take the released lease back). Fenced means the next
    // owner claimed first; it writes its own durable snapshot from the hot one.
    let phase = room.phase();
    if let Err(WriteError::Db(e)) = store_durable(room, app, phase).await {
        warn!(room = %room.id, error = %e, "final durable snapshot failed; the hot one carries the room");
    }
    Exit::Drained
}
