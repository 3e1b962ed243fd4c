//! Prints the payload sizes of a deterministic 5-bot game: 60 s at 30 Hz, bots that
//! turn, thrust and fire continuously. Payload only: the end-to-end measurement through
//! the gateway comes from the load generator.
//!
//! `cargo run -p orrery-arena --release --example payload`

use orrery_arena::bots::{BotStyle, measure_payload};
use orrery_common::game::RoomSettings;

/// Envelope and WebSocket framing per frame, as budgeted.
const FRAME_OVERHEAD: usize = 16;

fn main() {
    let settings = RoomSettings { mode: "arena".into(), max_players: 5, tick_hz: 30, seed: 42 };
    let ticks = 60 * u64::from(settings.tick_hz);
    println!("5 bots, {ticks} ticks at {} Hz, seed {}", settings.tick_hz, settings.seed);
    for style in [BotStyle::Steady, BotStyle::Jittery] {
        let r = measure_payload(&settings, 5, style, ticks);
        println!(
            "{style:?}: running {} of {} ticks | keyframe mean {:.0} B | delta mean {:.2} B (running {:.2} B, max {} B) | \
             JSON of the view mean {:.0} B | per player {:.0} B/s with {FRAME_OVERHEAD} B/frame overhead (JSON: {:.0} B/s)",
            r.running_ticks,
            r.ticks,
            r.mean_keyframe_bytes,
            r.mean_delta_bytes,
            r.mean_running_delta_bytes,
            r.max_delta_bytes,
            r.mean_json_bytes,
            r.delta_bytes_per_second(settings.tick_hz, FRAME_OVERHEAD),
            (r.mean_json_bytes + FRAME_OVERHEAD as f64) * f64::from(settings.tick_hz),
        );
    }
}
