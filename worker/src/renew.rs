//! Renewing every owned lease, a third of the TTL apart, in one Redis round trip.
//!
//! A renewal that Redis refuses means someone else holds the lease: the room stops
//! at once. A renewal that cannot reach Redis changes nothing: the room's local
//! deadline passes and it stops by itself (I6). A lease its room has given back is
//! renewed no more, and one given back while its renewal was under way is not taken
//! again by it ([`crate::lease::Leases::renew`]): a released lease stays released (I4).
//! The worker lease, which the sleeping rooms hold theirs through, is renewed beside them
//! in the same round ([`crate::worker_lease`]): one small script, whatever the number of
//! sleeping rooms.

use crate::App;
use crate::lease::{Renewal, Renewed};
use std::sync::Arc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

/// Renew until `stop` is cancelled.
pub async fn renew_loop(app: Arc<App>, stop: CancellationToken) {
    let mut every = tokio::time::interval(app.timing.renew_interval());
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = every.tick() => {}
        }
        tokio::join!(renew_worker_lease(&app), renew_room_leases(&app));
    }
}

/// The worker lease: one that is gone stops the sleeping rooms held through it.
async fn renew_worker_lease(app: &App) {
    if let Err(e) = app.worker_lease.renew().await {
        warn!(error = %e, "worker lease renewal failed; sleeping rooms stop at their deadline unless it recovers");
    }
}

/// Every ticking room's lease, in one round trip.
async fn renew_room_leases(app: &App) {
    let leases = app.owned.leases();
    if leases.is_empty() {
        return;
    }
    let sent = Instant::now();
    let request: Vec<Renewal> = leases.iter().map(|l| Renewal { room: l.room, token: &l.token, may_take_again: l.clock.valid() }).collect();
    match app.leases.renew(&request).await {
        Ok(results) => {
            for (lease, renewed) in leases.iter().zip(results) {
                match renewed {
                    Renewed::Extended => {
                        lease.clock.extend(sent, app.timing.lease_budget());
                        app.metrics.leases_renewed.inc();
                    }
                    Renewed::Lost => {
                        warn!(room = %lease.room, "lease renewal refused: another owner holds it, or it vanished past its deadline");
                        lease.lost.cancel();
                    }
                    Renewed::GivenBack => debug!(room = %lease.room, "lease given back while its renewal was under way"),
                }
            }
        }
        Err(e) => warn!(error = %e, "lease renewal failed; rooms stop at their deadline unless it recovers"),
    }
}
