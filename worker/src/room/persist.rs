//! What a room writes outside itself: hot snapshots (Redis), durable snapshots with their
//! match events and results (PostgreSQL), the close of a finished match, and the drain
//! that hands the room to another worker.
//!
//! Every write first checks the lease's local deadline (I6). A write the stores refuse
//! means a newer epoch owns the room (I1: the durable transaction starts with the epoch
//! check in `store.rs`; I2: the hot compare-and-set in `snapshot.rs`): the caller gets
//! [`Exit::Fenced`] and the task stops at once without publishing anything more. A store
//! that is unreachable is only logged: the room keeps ticking and the lease decides.

use super::{Exit, Room};
use crate::Shared;
use crate::snapshot::RoomSnapshot;
use crate::store::WriteError;
use orrery_common::game::Phase;
use tokio::time::Instant;
use tracing::warn;

/// A hot snapshot to Redis, through the compare-and-set that also requires the lease token.
pub(crate) async fn write_hot(room: &mut Room, shared: &Shared) -> Result<(), Exit> {
    if !room.clock.valid() {
        return Err(Exit::LeaseLost);
    }
    let started = Instant::now();
    let encoded = room.snapshot().encode();
    match shared.hot.write(room.id, &room.token, room.pos(), &encoded).await {
        Ok(true) => {
            shared.metrics.snapshot_duration.observe(started.elapsed().as_secs_f64());
            shared.metrics.snapshot_bytes.inc_by(encoded.len() as u64);
            Ok(())
        }
        Ok(false) => {
            shared.metrics.fenced_writes.inc();
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

/// A hot snapshot, then a durable one at `phase` (see [`store_durable`]).
pub(crate) async fn write_durable(room: &mut Room, shared: &Shared, phase: Phase) -> Result<(), Exit> {
    write_hot(room, shared).await?;
    if !room.clock.valid() {
        return Err(Exit::LeaseLost);
    }
    let started = Instant::now();
    match store_durable(room, shared, phase).await {
        Ok(bytes) => {
            shared.metrics.snapshot_duration.observe(started.elapsed().as_secs_f64());
            shared.metrics.snapshot_bytes.inc_by(bytes as u64);
            Ok(())
        }
        Err(WriteError::Fenced(_)) => {
            shared.metrics.fenced_writes.inc();
            warn!(room = %room.id, epoch = %room.epoch, "durable snapshot refused: ownership lost");
            Err(Exit::Fenced)
        }
        Err(WriteError::Db(e)) => {
            warn!(room = %room.id, error = %e, "durable snapshot failed");
            Ok(())
        }
    }
}

/// The durable write itself: snapshot, the events since the last one and, once the match
/// is over, its results, in one transaction fenced by the epoch. Returns the bytes written.
async fn store_durable(room: &mut Room, shared: &Shared, phase: Phase) -> Result<usize, WriteError> {
    // The durable row carries no pending events: they are written in the same transaction.
    let durable = RoomSnapshot { pending_events: Vec::new(), ..room.snapshot() };
    let encoded = durable.encode();
    let results = matches!(phase, Phase::Over | Phase::Closable).then(|| room.results()).flatten();
    shared.store.write_durable(room.id, room.epoch, phase, &durable, &encoded, room.pending_events(), results.as_deref()).await?;
    room.durable_written(phase);
    Ok(encoded.len())
}

/// The match is finished and its final snapshot, events and results are written:
/// close the room for good and leave nothing of it in Redis.
pub(crate) async fn close(room: &mut Room, shared: &Shared) -> Exit {
    match shared.store.close_room(room.id, room.epoch).await {
        Ok(()) => {}
        Err(WriteError::Fenced(_)) => {
            shared.metrics.fenced_writes.inc();
            return Exit::Fenced;
        }
        Err(WriteError::Db(e)) => {
            // The lease will expire and the next owner closes it from the snapshot.
            warn!(room = %room.id, error = %e, "closing the room failed");
            return Exit::LeaseLost;
        }
    }
    if let Err(e) = shared.leases.release(room.id, &room.token, false).await {
        warn!(room = %room.id, error = %e, "lease release failed; it will expire");
    }
    if let Err(e) = shared.hot.delete(room.id).await {
        warn!(room = %room.id, error = %e, "hot snapshot not deleted");
    }
    let _ = shared.leases.forget(room.id).await;
    crate::closing::after_close(shared, room.id, &room.results().unwrap_or_default()).await;
    shared.metrics.leases_released.inc();
    shared.metrics.rooms_closed.inc();
    Exit::Closed
}

/// Final snapshot, then hand the room back with a wake-up so a survivor claims it at once.
pub(crate) async fn drain(room: &mut Room, shared: &Shared) -> Exit {
    // The hot snapshot is the hand-off: it carries the events not yet durable, and the
    // next owner writes a durable snapshot at its first tick. So release first and write
    // durably after, off the critical path; that write is fenced by the epoch, so losing
    // the race to the next owner's claim is harmless.
    if let Err(exit) = write_hot(room, shared).await {
        return exit;
    }
    match shared.leases.release(room.id, &room.token, true).await {
        Ok(true) => {
            shared.metrics.leases_released.inc();
            let _ = shared.nats.publish(shared.names.rooms_new(), room.id.to_string().into()).await;
            let _ = shared.store.clear_owner(room.id, room.epoch).await;
        }
        Ok(false) => return Exit::LeaseLost,
        Err(e) => warn!(room = %room.id, error = %e, "lease release failed; it will expire"),
    }
    // Durable-only (a hot write would take the released lease back). Fenced means the next
    // owner claimed first; it writes its own durable snapshot from the hot one.
    let phase = room.phase();
    if let Err(WriteError::Db(e)) = store_durable(room, shared, phase).await {
        warn!(room = %room.id, error = %e, "final durable snapshot failed; the hot one carries the room");
    }
    Exit::Drained
}
