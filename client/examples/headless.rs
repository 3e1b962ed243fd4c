//! A headless client that prints what it sees once a second: the phase, and every ship
//! with its health, score and cooldown bars (players asked to see thrust and bullet
//! state).
//!
//! `cargo run -p orrery-client --example headless -- http://127.0.0.1:8080 <room>`

use orrery_arena::ArenaView;
use orrery_client::http::Api;
use orrery_client::session::{Session, SessionConfig, SessionEvent};
use orrery_common::RoomId;
use orrery_common::protocol::client::FrameKind;
use std::time::Duration;

fn bar(fraction: f32) -> String {
    let filled = (fraction.clamp(0.0, 1.0) * 10.0).round() as usize;
    format!("[{}{}]", "#".repeat(filled), ".".repeat(10 - filled))
}

fn print(view: &ArenaView) {
    println!("tick {} — {:?}, {:.0} s left", view.tick(), view.phase(), view.phase_seconds_left());
    for ship in view.ships() {
        let (x, y) = ship.position();
        println!(
            "  {:<12} ({x:>6.0}, {y:>6.0}) health {} score {:>4} thrust {} gun {}{}",
            ship.name(),
            bar(ship.health_fraction()),
            ship.score(),
            bar(1.0 - ship.thrust_cooldown_fraction()),
            bar(1.0 - ship.fire_cooldown_fraction()),
            if ship.alive() { "" } else { "  (destroyed)" }
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let api = Api::new(args.next().unwrap_or_else(|| "http://127.0.0.1:8080".into()));
    let room: RoomId = args.next().ok_or_else(|| anyhow::anyhow!("usage: headless <gateway> <room>"))?.parse()?;
    let guest = api.guest(Some("watcher")).await?;
    let mut session = Session::start(SessionConfig::new(vec![api.ws_url()], guest.token, room)).await?;
    let mut view: Option<ArenaView> = None;
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = every.tick() => if let Some(v) = &view { print(v) },
            event = session.next_event() => match event? {
                SessionEvent::Frame(frame) => match frame.kind {
                    FrameKind::Keyframe => view = Some(ArenaView::from_keyframe(&frame.payload)?),
                    FrameKind::Delta { .. } => {
                        if let Some(v) = view.as_mut() {
                            v.apply_delta(&frame.payload)?;
                        }
                    }
                },
                SessionEvent::Resumed { gateway, after, .. } => println!("(resumed through {gateway} after {after:?})"),
                _ => {}
            },
        }
    }
}
