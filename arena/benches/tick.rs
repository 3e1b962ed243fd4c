//! One room tick under load: 5 ships, 60 bullets, 2 black holes, 4 pickups, every bot
//! sending a new input, the step and the delta's encoding.
//!
//! The scenario is reached through the public API only: turret bots
//! (`orrery_arena::bots::BotStyle::Turret`: turn and fire, no thrust) play seeded rooms
//! of the default arena until a tick where 5 ships are alive with 60–65 bullets and 4
//! pickups on the field; that room is snapshotted and every measured iteration restores
//! it (unmeasured) and runs one tick. Two settings differ from the defaults so that the
//! field can fill up: bullets do 0 damage (hit tests, bullet removal and hit scores
//! still run) and pickups spawn every 1–2 s.
//!
//! `cargo bench -p orrery-arena --bench tick`

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use orrery_arena::bots::{BotStyle, ScriptedBots};
use orrery_arena::{ArenaConfig, ArenaGame, Intent, encode_intent};
use orrery_common::game::{Game, Phase, RoomSettings};
use std::hint::black_box;

/// The snapshot of the scenario and the bots' players.
fn scenario() -> (Vec<u8>, Vec<orrery_common::PlayerId>) {
    for seed in 0..200 {
        let settings = RoomSettings { seed, ..RoomSettings::default() };
        let mut config = ArenaConfig::for_settings(&settings);
        config.bullet_damage = 0;
        config.pickup_interval_ticks = (30, 60);
        let mut game = ArenaGame::with_config(config, seed);
        let mut bots = ScriptedBots::new(5, seed, BotStyle::Turret);
        bots.join_all(&mut game);
        for _ in 0..3000 {
            bots.act(&mut game);
            game.step(&mut Vec::new());
            let world = game.world();
            if world.phase != Phase::Running || world.alive_count() < 5 {
                continue;
            }
            if (60..=65).contains(&world.bullets.len()) && world.pickups.len() == 4 {
                eprintln!(
                    "scenario: seed {seed}, tick {}, {} ships, {} bullets, {} black holes, {} pickups",
                    world.tick,
                    world.alive_count(),
                    world.bullets.len(),
                    world.black_holes.len(),
                    world.pickups.len()
                );
                return (game.snapshot(), bots.players().to_vec());
            }
        }
    }
    panic!("no seed reached the scenario");
}

fn tick(c: &mut Criterion) {
    let (snapshot, players) = scenario();
    let inputs: Vec<Vec<u8>> =
        (0..players.len()).map(|i| encode_intent(&Intent { turn: i as f32 / 5.0 - 0.4, thrust: true, fire: true })).collect();
    c.bench_function("arena tick: 5 ships, 60 bullets, 2 black holes, 4 pickups, inputs + step + delta", |b| {
        let mut events = Vec::new();
        let mut delta = Vec::with_capacity(256);
        b.iter_batched_ref(
            || ArenaGame::restore(&snapshot).expect("scenario restores"),
            |game| {
                for (player, input) in players.iter().zip(&inputs) {
                    let _ = game.apply_input(*player, input);
                }
                events.clear();
                game.step(&mut events);
                delta.clear();
                game.encode_delta(&mut delta);
                black_box(delta.len())
            },
            BatchSize::SmallInput,
        );
    });
}

criterion_group!(benches, tick);
criterion_main!(benches);
