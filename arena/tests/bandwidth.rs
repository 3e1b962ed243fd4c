//! The bandwidth budget: in a 5-bot game (60 s at 30 Hz, bots turning, thrusting and
//! firing continuously) a player's downstream stays under 1.5 KB/s including 16 bytes
//! of envelope and framing per frame. Prints the numbers (`-- --nocapture`).

use orrery_arena::bots::{BotStyle, measure_payload};
use orrery_common::game::RoomSettings;

const BUDGET_BYTES_PER_SECOND: f64 = 1500.0;
const FRAME_OVERHEAD: usize = 16;

#[test]
fn five_bots_fit_the_budget() {
    let settings = RoomSettings { mode: "arena".into(), max_players: 5, tick_hz: 30, seed: 42 };
    for style in [BotStyle::Steady, BotStyle::Jittery] {
        let report = measure_payload(&settings, 5, style, 60 * 30);
        let rate = report.delta_bytes_per_second(settings.tick_hz, FRAME_OVERHEAD);
        println!("{style:?}: {report:?} -> {rate:.0} B/s per player");
        assert!(report.running_ticks > 30 * 20, "the match ran most of the minute: {report:?}");
        assert!(rate <= BUDGET_BYTES_PER_SECOND, "{style:?}: {rate:.0} B/s");
        assert!(report.mean_delta_bytes * 10.0 < report.mean_json_bytes, "far smaller than JSON");
    }
}
