//! What a turn costs: 20 matches of 4 bot seats (seeds 1–20) played to their end; the
//! wall time of each run that resolves a turn (`Game::step`: bots' orders, moves, battles,
//! production, sight, the per-seat deltas), the bytes of a player's keyframe and delta,
//! and the snapshot's size. `cargo run -p orrery-frontier --release --example resolve_cost`

use orrery_common::PlayerId;
use orrery_common::game::{Game, Phase, RoomSettings, Viewer, WallMs};
use orrery_frontier::FrontierGame;
use std::time::Instant;

fn main() {
    let (mut resolves, mut keyframes, mut deltas, mut snapshots) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for seed in 1..=20 {
        let settings = RoomSettings { mode: "frontier".into(), max_players: 4, tick_hz: 10, seed };
        let mut game = FrontierGame::new(&settings);
        let players: Vec<PlayerId> = (0..4).map(|i| PlayerId(uuid::Uuid::from_u128(i + 1))).collect();
        let mut now = 1_700_000_000_000;
        let mut events = Vec::new();
        for p in &players {
            game.set_clock(WallMs(now));
            game.join(*p, "bot").unwrap();
            game.step(&mut events);
        }
        for p in &players {
            game.leave(*p);
        }
        while game.phase() != Phase::Closable {
            now = game.wake_at().map_or(now + 1_000, |w| w.0);
            game.set_clock(WallMs(now));
            let turn = game.state().turn;
            let started = Instant::now();
            game.step(&mut events);
            let took = started.elapsed();
            if game.state().turn != turn || game.phase() == Phase::Over {
                resolves.push(took.as_nanos() as f64 / 1000.0);
                let (mut k, mut d) = (Vec::new(), Vec::new());
                game.encode_keyframe(&mut k);
                game.encode_keyframe_view(Viewer::Player(players[0]), &mut k);
                game.encode_delta(&mut d);
                game.encode_delta_view(Viewer::Player(players[0]), &mut d);
                keyframes.push(k.len() as f64);
                deltas.push(d.len() as f64);
                snapshots.push(game.snapshot().len() as f64);
            }
        }
    }
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        (mean, v[v.len() / 2], v[v.len() * 99 / 100], v[v.len() - 1])
    };
    println!("{} turns resolved", resolves.len());
    for (name, v) in
        [("resolve µs", &mut resolves), ("keyframe B", &mut keyframes), ("delta B", &mut deltas), ("snapshot B", &mut snapshots)]
    {
        let (mean, p50, p99, max) = stats(v);
        println!("{name:>11}: mean {mean:.1}, p50 {p50:.1}, p99 {p99:.1}, max {max:.1}");
    }
}
