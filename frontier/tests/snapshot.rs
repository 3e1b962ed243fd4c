//! Snapshots: round trip, refusal of bad bytes, and the migration from format 1 (before
//! the keyframe log): `data/snapshot-v1.bin` was written in format 1, a 3-player blitz
//! match at turn 6, and must keep restoring after every later layout change.
//! `ORRERY_BLESS=1 cargo test -p orrery-frontier --test snapshot` rewrites it (only ever
//! needed if format 1's writer below changes, which it must not).

mod support;

use orrery_common::game::{Game, Phase};
use orrery_frontier::FrontierGame;
use orrery_frontier::state::State;
use std::path::PathBuf;
use support::Match;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/snapshot-v1.bin")
}

/// Format 1's writer: the state's fields in order, without `log` (the last field now).
fn encode_v1(state: &State) -> Vec<u8> {
    let mut without_log = state.clone();
    without_log.log.clear();
    let mut body = postcard::to_allocvec(&without_log).unwrap();
    assert_eq!(body.pop(), Some(0), "an empty log is one byte, last");
    let mut out = vec![1];
    out.extend(body);
    out
}

fn played(turns: u32) -> Match {
    let mut m = Match::new(3, 21);
    for i in 0..3 {
        m.join(i);
    }
    while m.game.state().turn < turns {
        for i in 0..3 {
            let _ = m.submit_as_bot(i);
        }
    }
    m
}

#[test]
fn a_snapshot_restores_to_the_same_room() {
    let m = played(5);
    let restored = FrontierGame::restore(&m.settings, &m.game.snapshot()).unwrap();
    assert_eq!(restored.state(), m.game.state());
}

#[test]
fn a_format_1_snapshot_is_migrated() {
    let m = played(6);
    let written = encode_v1(m.game.state());
    if std::env::var_os("ORRERY_BLESS").is_some() {
        std::fs::write(fixture(), &written).unwrap();
    }
    let bytes = std::fs::read(fixture()).expect("tests/data/snapshot-v1.bin");
    assert_eq!(bytes[0], 1);
    let mut game = FrontierGame::restore(&m.settings, &bytes).unwrap();
    let state = game.state().clone();
    assert_eq!((state.phase, state.turn, state.seats.len()), (Phase::Running, 6, 3));
    assert!(state.log.is_empty(), "format 1 had no log: it starts empty");
    assert_eq!(game.snapshot()[0], orrery_frontier::snapshot::SNAPSHOT_FORMAT, "written again in the current format");
    let mut events = Vec::new();
    game.set_clock(orrery_common::game::WallMs(state.deadline.unwrap().0));
    game.step(&mut events);
    assert_eq!(game.state().turn, 7, "the match goes on");
}

#[test]
fn bad_snapshots_are_refused_with_a_reason() {
    let m = played(2);
    let good = m.game.snapshot();
    let err = |bytes: &[u8]| FrontierGame::restore(&m.settings, bytes).unwrap_err().0;
    assert_eq!(err(&[]), "empty snapshot");
    assert_eq!(err(&[9]), "unknown snapshot format 9");
    assert!(!err(&good[..good.len() / 2]).is_empty());
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(err(&trailing), "bytes after the snapshot");
    let mut state = m.game.state().clone();
    state.units[0].owner = 3;
    let mut bad = vec![orrery_frontier::snapshot::SNAPSHOT_FORMAT];
    bad.extend(postcard::to_allocvec(&state).unwrap());
    assert_eq!(err(&bad), "a unit or city is off the map or owned by no seat");
}
