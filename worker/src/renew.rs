//! Renewing every owned lease, a third of the TTL apart, in one Redis round trip.
//!
//! A renewal that Redis refuses means someone else holds the lease: the room stops
//! at once. A renewal that cannot reach Redis changes nothing: the room's local
//! deadline passes and it stops by itself (I6).

use crate::App;
use std::sync::Arc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// Renew until `stop` is cancelled.
pub async fn renew_loop(app: Arc<App>, stop: CancellationToken) {
    let mut every = tokio::time::interval(app.timing.renew_interval());
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = every.tick() => {}
        }
        let leases = app.owned.leases();
        if leases.is_empty() {
            continue;
        }
        let sent = Instant::now();
        let request: Vec<_> = leases.iter().map(|l| (l.room, l.token.clone())).collect();
        match app.leases.renew(&request).await {
            Ok(results) => {
                for (lease, still_ours) in leases.iter().zip(results) {
                    if still_ours {
                        lease.clock.extend(sent, app.timing.lease_budget());
                        app.metrics.leases_renewed.inc();
                    } else {
                        warn!(room = %lease.room, "lease renewal refused: another owner holds it");
                        lease.lost.cancel();
                    }
                }
            }
            Err(e) => warn!(error = %e, "lease renewal failed; rooms stop at their deadline unless it recovers"),
        }
    }
}
