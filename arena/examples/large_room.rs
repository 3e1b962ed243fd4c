//! Measures large rooms (`arena-large`: each player sees only what is near its ship) against
//! the same rooms where everybody is sent everything: downstream bytes per player per second
//! including framing, for 16, 32 and 64 ships on fields scaled to keep the density of a
//! 5-player arena, and the time of a 64-ship tick including every player's encoding.
//!
//! Scripted `Steady` bots (turn now and then, thrust and fire continuously) play 60 s at
//! 30 Hz from the moment all are seated; bullets do no damage so that the number of ships
//! stays what is measured (black holes still destroy ships that reach a core).
//!
//! `cargo run -p orrery-arena --release --example large_room [-- runs]`

use orrery_arena::bots::{BotStyle, ScriptedBots};
use orrery_arena::fixed::Vec2;
use orrery_arena::interest::Interest;
use orrery_arena::{ArenaConfig, ArenaGame, MODE_LARGE};
use orrery_common::game::{Game, Phase};
use std::time::{Duration, Instant};

/// Envelope and WebSocket framing per frame, as budgeted (`docs/BENCHMARKS.md`).
const FRAME_OVERHEAD: usize = 16;
const TICK_HZ: u16 = 30;
const SECONDS: u64 = 60;

struct Run {
    /// Mean bytes per player per second, framing included.
    per_player: f64,
    /// Of which the shared part (the board, or the whole delta without interest management).
    shared_per_player: f64,
    /// Mean ships seated and alive over the measured ticks.
    alive: f64,
    /// Mean other ships and bullets within the enter radius of a living ship (every 10th tick).
    ships_near: f64,
    bullets_near: f64,
    /// Time of each measured tick: inputs, step, the shared part and every player's part.
    ticks: Vec<Duration>,
}

fn run(ships: u8, seed: u64, interest: bool) -> Run {
    let mut config = ArenaConfig::large(TICK_HZ, ships);
    config.bullet_damage = 0;
    let mut game = ArenaGame::with_config(config, seed).with_interest(if interest { Interest::for_mode(MODE_LARGE) } else { None });
    let mut bots = ScriptedBots::new(usize::from(ships), seed, BotStyle::Steady);
    bots.join_all(&mut game);
    let (mut bytes, mut shared_bytes, mut frames, mut alive) = (0usize, 0usize, 0usize, 0usize);
    let (mut viewers, mut ships_near, mut bullets_near) = (0usize, 0usize, 0usize);
    let radius = i64::from(Interest::for_mode(MODE_LARGE).map_or(0, |i| i.enter));
    let mut ticks = Vec::new();
    let mut buf = Vec::with_capacity(4096);
    let mut shared = Vec::with_capacity(4096);
    for _ in 0..SECONDS * u64::from(TICK_HZ) {
        let started = Instant::now();
        bots.act(&mut game);
        game.step(&mut Vec::new());
        shared.clear();
        game.encode_delta(&mut shared);
        let seated = game.seated();
        let mut sent = 0;
        for player in &seated {
            buf.clear();
            if interest {
                game.encode_delta_view(orrery_common::game::Viewer::Player(*player), &mut buf);
            }
            sent += shared.len() + buf.len() + FRAME_OVERHEAD;
        }
        let elapsed = started.elapsed();
        if game.phase() == Phase::Running {
            ticks.push(elapsed);
            bytes += sent;
            shared_bytes += shared.len() * seated.len();
            frames += seated.len();
            alive += game.world().alive_count();
            if ticks.len() % 10 == 0 {
                let world = game.world();
                let near = |a: Vec2, b: Vec2| a.distance_squared(b) <= radius * radius;
                for (_, ship) in world.seated().filter(|(_, s)| s.alive) {
                    viewers += 1;
                    ships_near += world.seated().filter(|(_, o)| o.alive && o.player != ship.player && near(o.pos, ship.pos)).count();
                    bullets_near += world.bullets.iter().filter(|b| near(b.pos, ship.pos)).count();
                }
            }
        }
    }
    let measured = ticks.len().max(1);
    let per_frame = bytes as f64 / frames.max(1) as f64;
    let shared_per_frame = shared_bytes as f64 / frames.max(1) as f64;
    Run {
        per_player: per_frame * f64::from(TICK_HZ),
        shared_per_player: shared_per_frame * f64::from(TICK_HZ),
        alive: alive as f64 / measured as f64,
        ships_near: ships_near as f64 / viewers.max(1) as f64,
        bullets_near: bullets_near as f64 / viewers.max(1) as f64,
        ticks,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let runs: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    println!(
        "{SECONDS} s at {TICK_HZ} Hz per run, Steady bots, no bullet damage, {FRAME_OVERHEAD} B framing per frame; medians of {runs} runs (seeds 1..={runs})"
    );
    println!(
        "| ships | ships alive (mean) | near a living ship (mean): ships / bullets | with interest management (of which the board) | everything to everybody | tick incl. all encodings: median / p99 |"
    );
    println!("|---|---|---|---|---|---|");
    for ships in [16u8, 32, 64] {
        let mut with = Vec::new();
        let mut board = Vec::new();
        let mut without = Vec::new();
        let mut alive = Vec::new();
        let (mut ships_near, mut bullets_near) = (Vec::new(), Vec::new());
        let mut medians = Vec::new();
        let mut p99s = Vec::new();
        for seed in 1..=runs {
            let r = run(ships, seed, true);
            with.push(r.per_player);
            board.push(r.shared_per_player);
            alive.push(r.alive);
            ships_near.push(r.ships_near);
            bullets_near.push(r.bullets_near);
            let mut t: Vec<f64> = r.ticks.iter().map(|d| d.as_secs_f64() * 1e6).collect();
            t.sort_by(f64::total_cmp);
            medians.push(t[t.len() / 2]);
            p99s.push(t[t.len() * 99 / 100]);
            without.push(run(ships, seed, false).per_player);
        }
        println!(
            "| {ships} | {:.1} | {:.1} / {:.1} | {:.0} B/s ({:.0} B/s) | {:.0} B/s | {:.1} µs / {:.1} µs |",
            median(alive),
            median(ships_near),
            median(bullets_near),
            median(with),
            median(board),
            median(without),
            median(medians),
            median(p99s)
        );
    }
}
