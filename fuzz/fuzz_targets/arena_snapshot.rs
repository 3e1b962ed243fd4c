//! Arena snapshots: a worker restores a room from the bytes it finds in Redis or
//! PostgreSQL (`ArenaGame::restore`). A snapshot that restores must run: a few steps, with
//! its keyframe and deltas decodable by a client, and a snapshot of it that restores to
//! the same room.

#![no_main]

use libfuzzer_sys::fuzz_target;
use orrery_arena::{ArenaGame, ArenaView};
use orrery_common::game::Game;

fuzz_target!(|data: &[u8]| {
    let Ok(mut game) = ArenaGame::restore(data) else { return };
    let again = ArenaGame::restore(&game.snapshot()).expect("a restored room's snapshot restores");
    assert_eq!(again.snapshot(), game.snapshot());
    let mut keyframe = Vec::new();
    game.encode_keyframe(&mut keyframe);
    let mut view = ArenaView::from_keyframe(&keyframe).expect("a restored room's keyframe decodes");
    let mut events = Vec::new();
    for _ in 0..3 {
        game.step(&mut events);
        let mut delta = Vec::new();
        game.encode_delta(&mut delta);
        view.apply_delta(&delta).expect("a restored room's delta applies");
    }
    let _ = game.results();
});
