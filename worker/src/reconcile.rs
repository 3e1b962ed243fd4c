//! Re-queue live rooms that Redis has forgotten.
//!
//! PostgreSQL is the truth about which rooms exist; Redis only says who runs them. If
//! Redis loses its data (a restart without persistence), a room that was waiting for an
//! owner, or whose owner died at the same time, would have no lease and no place in the
//! waiting set, and nobody would ever claim it. Every few seconds each worker compares
//! the rooms that are not closed with the leases that exist and puts orphans back in
//! `rooms:unowned`, so I4 holds even then. A pass looks at a batch of rooms in id order
//! and the next one goes on after it (from the start again past the last room), so with
//! more live rooms than a batch every room is still looked at, within ⌈rooms ÷ batch⌉
//! passes.

use crate::App;
use orrery_common::RoomId;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Reconcile every `--reconcile-interval-ms` until `stop` is cancelled.
pub async fn reconcile_loop(app: Arc<App>, stop: CancellationToken) {
    let batch = app.timing.reconcile_batch.max(1);
    let mut tick = tokio::time::interval(app.timing.reconcile_interval());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut after = None;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        match reconcile_once(&app, after, batch).await {
            Ok(pass) => after = pass.next,
            Err(e) => warn!(error = %e, "reconcile pass failed"),
        }
    }
}

/// What one pass did.
pub struct Pass {
    /// Rooms re-queued.
    pub requeued: usize,
    /// Where the next pass goes on: after this room, or from the start.
    pub next: Option<RoomId>,
}

/// Why a reconcile pass failed (the next one tries again).
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("cannot list live rooms: {0}")]
    Db(#[from] sqlx::Error),
    #[error("cannot check or re-queue leases: {0}")]
    Redis(#[from] redis::RedisError),
}

/// One pass over at most `batch` live rooms after `after`.
pub async fn reconcile_once(app: &App, after: Option<RoomId>, batch: u32) -> Result<Pass, ReconcileError> {
    let live = app.store.live_rooms(after, batch).await?;
    // A short batch reached the last room: start again from the first.
    let next = if live.len() < batch as usize { None } else { live.last().copied() };
    let orphans = app.leases.orphans(&live).await?;
    if !orphans.is_empty() {
        info!(rooms = orphans.len(), "re-queueing live rooms without a lease");
        app.leases.requeue(&orphans).await?;
        let _ = app.nats.publish(app.names.rooms_new(), "reconcile".into()).await;
    }
    Ok(Pass { requeued: orphans.len(), next })
}
