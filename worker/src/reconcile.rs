//! Re-queue live rooms that Redis has forgotten.
//!
//! PostgreSQL is the truth about which rooms exist; Redis only says who runs them. If
//! Redis loses its data (a restart without persistence), a room that was waiting for an
//! owner, or whose owner died at the same time, would have no lease and no place in the
//! waiting set, and nobody would ever claim it. Every few seconds each worker compares
//! the rooms that are not closed with the leases that exist and puts orphans back in
//! `rooms:unowned`, so I4 holds even then.

use crate::App;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Most rooms looked at per pass.
const BATCH: i64 = 10_000;

/// Reconcile until `stop` is cancelled.
pub async fn reconcile_loop(app: Arc<App>, stop: CancellationToken, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Err(e) = reconcile_once(&app).await {
            warn!(error = %e, "reconcile pass failed");
        }
    }
}

/// Why a reconcile pass failed (the next one tries again).
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("cannot list live rooms: {0}")]
    Db(#[from] sqlx::Error),
    #[error("cannot check or re-queue leases: {0}")]
    Redis(#[from] redis::RedisError),
}

/// One pass: returns how many rooms were re-queued.
pub async fn reconcile_once(app: &App) -> Result<usize, ReconcileError> {
    let live = app.store.live_rooms(BATCH).await?;
    let orphans = app.leases.orphans(&live).await?;
    if !orphans.is_empty() {
        info!(rooms = orphans.len(), "re-queueing live rooms without a lease");
        app.leases.requeue(&orphans).await?;
        let _ = app.nats.publish(app.names.rooms_new(), "reconcile".into()).await;
    }
    Ok(orphans.len())
}
