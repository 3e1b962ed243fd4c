//! A fixed, deterministic sequence of room ticks for instruction counting: Steady bots play
//! a room until it runs, then `ticks` ticks are measured (inputs, step, the shared part and
//! every seated player's part). The measured work is in [`measured`], for
//! `valgrind --tool=callgrind --toggle-collect=*measured*`; wall time is printed as well.
//!
//! ```sh
//! cargo build -p orrery-arena --release --example tick_profile
//! valgrind --tool=callgrind --toggle-collect='*measured*' \
//!     target/release/examples/tick_profile large 64 300     # a 64-ship arena-large room
//! valgrind --tool=callgrind --toggle-collect='*measured*' \
//!     target/release/examples/tick_profile arena 5 300      # a 5-player arena room
//! ```
//!
//! Instructions per tick = the callgrind total ÷ `ticks`. Modes: `arena` (the default
//! arena, everything to everybody), `large` (`arena-large` rules and interest management),
//! `flat` (the `arena-large` field and rules, everything to everybody).

use orrery_arena::bots::{BotStyle, ScriptedBots};
use orrery_arena::interest::Interest;
use orrery_arena::{ArenaConfig, ArenaGame, MODE_LARGE};
use orrery_common::game::{Game, Phase, RoomSettings, Viewer, Views};
use std::time::Instant;

const SEED: u64 = 7;

/// Runs `ticks` ticks; returns the bytes written (so nothing is optimised away).
#[inline(never)]
fn measured(game: &mut ArenaGame, bots: &mut ScriptedBots, ticks: u32, shared: &mut Vec<u8>, own: &mut Vec<u8>) -> usize {
    let mut bytes = 0;
    let mut events = Vec::new();
    for _ in 0..ticks {
        bots.act(game);
        events.clear();
        game.step(&mut events);
        shared.clear();
        game.encode_delta(shared);
        bytes += shared.len();
        if game.views() == Views::PerViewer {
            for player in game.seated() {
                own.clear();
                game.encode_delta_view(Viewer::Player(player), own);
                bytes += own.len();
            }
        }
    }
    bytes
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "large".into());
    let ships: u8 = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let ticks: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let mut game = match mode.as_str() {
        "arena" => {
            let mut config = ArenaConfig::for_settings(&RoomSettings { seed: SEED, ..RoomSettings::default() });
            config.bullet_damage = 0;
            ArenaGame::with_config(config, SEED)
        }
        "large" | "flat" => {
            let mut config = ArenaConfig::large(30, ships);
            config.bullet_damage = 0;
            let interest = if mode == "large" { Interest::for_mode(MODE_LARGE) } else { None };
            ArenaGame::with_config(config, SEED).with_interest(interest)
        }
        other => {
            eprintln!("unknown mode {other:?}: arena, large or flat");
            std::process::exit(2);
        }
    };
    let mut bots = ScriptedBots::new(usize::from(ships), SEED, BotStyle::Steady);
    bots.join_all(&mut game);
    // Until the match runs, and a second more so that the field has bullets in flight.
    let mut warm = 0;
    while warm < 30 {
        bots.act(&mut game);
        game.step(&mut Vec::new());
        if game.phase() == Phase::Running {
            warm += 1;
        }
    }
    let (mut shared, mut own) = (Vec::with_capacity(4096), Vec::with_capacity(4096));
    let started = Instant::now();
    let bytes = measured(&mut game, &mut bots, ticks, &mut shared, &mut own);
    let elapsed = started.elapsed();
    let world = game.world();
    println!(
        "{mode} {ships}: {ticks} ticks, {:.1} µs per tick (wall), {bytes} bytes; at the end {} alive, {} bullets, {} pickups, phase {:?}",
        elapsed.as_secs_f64() * 1e6 / f64::from(ticks),
        world.alive_count(),
        world.bullets.len(),
        world.pickups.len(),
        world.phase
    );
}
