//! Idle mode: N sockets that are connected and authenticated but join no room, held for
//! the window (a `Ping` every 10 s keeps them under the gateway's idle timeout), with
//! the gateways' resident memory read before and after, to give bytes per connection.

use crate::player::Ctx;
use crate::procfs::{self, Sample};
use crate::stats::Live;
use orrery_client::Connection;
use orrery_common::protocol::client::ClientMsg;
use std::time::Duration;
use tokio::time::{Instant, sleep, sleep_until, timeout_at};

/// How often an idle socket pings.
const PING_EVERY: Duration = Duration::from_secs(10);
/// Time for the gateway to settle after the last socket opened, before reading its memory.
pub const SETTLE: Duration = Duration::from_secs(3);

/// Open and hold one idle socket until the end of the window.
pub async fn hold(index: usize, ctx: Ctx) {
    let shared = ctx.shared.clone();
    let api = &ctx.apis[index % ctx.apis.len()];
    let permit = ctx.setup.clone().acquire_owned().await.expect("the setup semaphore is never closed");
    let opened = timeout_at(ctx.hard_end, async {
        let token = api.guest(Some(&format!("idle-{index}"))).await.map_err(|_| "guest")?.token;
        Connection::connect(&api.ws_url(), &token).await.map_err(|_| "connect")
    })
    .await;
    drop(permit);
    let mut conn = match opened {
        Ok(Ok(c)) => c,
        Ok(Err(kind)) => {
            shared.error(kind);
            Live::add(&shared.live.setup_failed, 1);
            return;
        }
        Err(_) => {
            shared.error("setup_timeout");
            Live::add(&shared.live.setup_failed, 1);
            return;
        }
    };
    Live::add(&shared.live.sockets_open, 1);
    Live::add(&shared.live.joined, 1);
    loop {
        tokio::select! {
            _ = sleep_until(ctx.end()) => break,
            // The end moves from the hard end to the window's end when the window starts.
            _ = shared.window_started(), if shared.window().is_none() => {}
            _ = sleep(PING_EVERY) => {
                let now = shared.micros(Instant::now()) as u64;
                if conn.send(&ClientMsg::Ping { client_time_us: now }).await.is_err() {
                    shared.error("idle_send");
                    Live::sub(&shared.live.sockets_open, 1);
                    return;
                }
            }
            event = conn.next_event() => match event {
                Ok(orrery_client::Event::Closed { code, .. }) => {
                    shared.error(format!("idle_closed_{code}"));
                    Live::sub(&shared.live.sockets_open, 1);
                    return;
                }
                Err(_) => {
                    shared.error("idle_recv");
                    Live::sub(&shared.live.sockets_open, 1);
                    return;
                }
                Ok(_) => {}
            },
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), conn.close()).await;
    Live::sub(&shared.live.sockets_open, 1);
}

/// Read every gateway; the ones that cannot be read are left out.
pub fn sample_all(pids: &[i32]) -> Vec<Sample> {
    pids.iter().filter_map(|&p| procfs::sample(p)).collect()
}
