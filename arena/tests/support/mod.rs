//! Helpers shared by the integration tests: players, a fast configuration, stepping.
#![allow(dead_code)]

use orrery_arena::{ArenaConfig, ArenaGame};
use orrery_common::PlayerId;
use orrery_common::game::{Game, GameEvent, RoomSettings};

pub fn player(n: u128) -> PlayerId {
    PlayerId(uuid::Uuid::from_u128(n))
}

/// Two players start a match; every timer is short so tests see every phase.
pub fn quick_config(max_players: u8) -> ArenaConfig {
    let mut c = ArenaConfig::for_settings(&RoomSettings { max_players, ..RoomSettings::default() });
    c.min_players = 2;
    c.countdown_ticks = 10;
    c.full_room_countdown_ticks = 5;
    c.grace_ticks = 20;
    c.time_limit_ticks = 600;
    c.float_after_over_ticks = 30;
    c.idle_lobby_ticks = 200;
    c.pickup_interval_ticks = (10, 30);
    c
}

pub fn step(game: &mut dyn Game) -> Vec<GameEvent> {
    let mut events = Vec::new();
    game.step(&mut events);
    events
}

pub fn steps(game: &mut dyn Game, n: usize) -> Vec<GameEvent> {
    let mut events = Vec::new();
    for _ in 0..n {
        game.step(&mut events);
    }
    events
}

/// A quick room with `n` players seated and the match running.
pub fn running_game(n: u128, seed: u64) -> ArenaGame {
    let mut game = ArenaGame::with_config(quick_config(5), seed);
    for i in 1..=n {
        game.join(player(i), &format!("p{i}")).unwrap();
    }
    steps(&mut game, 12);
    assert_eq!(game.phase(), orrery_common::game::Phase::Running);
    game
}

pub fn kinds(events: &[GameEvent]) -> Vec<&str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}
