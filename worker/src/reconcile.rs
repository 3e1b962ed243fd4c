//! Re-queue live rooms that Redis has forgotten.
//!
//! PostgreSQL is the truth about which rooms exist; Redis only says who runs them. If
//! Redis loses its data (a restart without persistence), a room that was waiting for an
//! owner, or whose owner died at the same time, would have no lease and no place in the
//! waiting set, and nobody would ever claim it. Every few seconds each worker compares
//! the rooms that are not closed with the leases that exist and puts orphans back in
//! `rooms:unowned`, so I4 holds even then.

use crate::Shared;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Most rooms looked at per pass.
const BATCH: i64 = 10_000;

/// Reconcile until `stop` is cancelled.
pub async fn reconcile_loop(shared: Arc<Shared>, stop: CancellationToken, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Err(e) = reconcile_once(&shared).await {
            warn!(error = %e, "reconcile pass failed");
        }
    }
}

/// One pass: returns how many rooms were re-queued.
pub async fn reconcile_once(shared: &Shared) -> anyhow::Result<usize> {
    let live = shared.store.live_rooms(BATCH).await?;
    let orphans = shared.leases.orphans(&live).await?;
    if !orphans.is_empty() {
        info!(rooms = orphans.len(), "re-queueing live rooms without a lease");
        shared.leases.requeue(&orphans).await?;
        let _ = shared.nats.publish(shared.names.rooms_new(), "reconcile".into()).await;
    }
    Ok(orphans.len())
}
