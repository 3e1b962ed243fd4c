//! The smallest Orrery player: a guest token, a room, a session that survives its
//! connection, and an input every 100 ms.
//!
//! `cargo run -p orrery-client --example minimal_bot -- http://127.0.0.1:8080`
//! (with `cargo xtask up` running).

use orrery_arena::{Intent, encode_intent};
use orrery_client::http::Api;
use orrery_client::session::{Session, SessionConfig, SessionEvent};
use std::time::Duration;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let gateway = std::env::args().nth(1).unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let api = Api::new(gateway);
    let guest = api.guest(Some("minimal")).await?;
    let room = api.create_room(&guest.token, serde_json::json!({ "mode": "arena" })).await?;
    let mut session = Session::start(SessionConfig::new(vec![api.ws_url()], guest.token, room)).await?;
    println!("playing in room {room} as {}", guest.name);

    let mut every = tokio::time::interval(Duration::from_millis(100));
    let mut frames = 0u64;
    let stop = tokio::time::sleep(Duration::from_secs(10));
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = every.tick() => {
                let turn = (frames as f32 / 30.0).sin();
                session.send_input(encode_intent(&Intent { turn, thrust: true, fire: frames % 60 < 5 })).await;
            }
            event = session.next_event() => if let SessionEvent::Frame(_) = event? { frames += 1 },
        }
    }
    println!("{frames} frames in 10 s; {} inputs not yet acknowledged", session.unacked());
    Ok(())
}
