//! `sdk/fixtures/frontier-replay.json`, for the TypeScript SDK's Frontier client
//! (`sdk/src/frontier/`): a whole blitz match of three seats as player 0 receives it (its
//! keyframe, every delta, a resync keyframe, the view its `FrontierView` holds after each
//! frame as JSON), a spectator's keyframe, and commands with their bytes.
//! `ORRERY_BLESS=1 cargo test -p orrery-frontier --test client_fixtures` writes it; the test
//! fails when the file on disk differs.

mod support;

use orrery_common::game::{Game, Phase, Viewer, WallMs};
use orrery_frontier::map::Pos;
use orrery_frontier::state::{Order, UnitKind};
use orrery_frontier::{Action, FrontierCommand, FrontierGame, FrontierView, encode_command};
use serde_json::{Value, json};
use std::path::PathBuf;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn frame(game: &FrontierGame, viewer: Viewer, keyframe: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if keyframe {
        game.encode_keyframe(&mut out);
        game.encode_keyframe_view(viewer, &mut out);
    } else {
        game.encode_delta(&mut out);
        game.encode_delta_view(viewer, &mut out);
    }
    out
}

fn record() -> Value {
    let settings = support::settings(3, 33);
    let mut game = FrontierGame::new(&settings);
    let players: Vec<_> = (0..3).map(support::player).collect();
    let me = Viewer::Player(players[0]);
    let mut now = support::START;
    let mut frames = Vec::new();
    let mut view: Option<FrontierView> = None;
    let mut events = Vec::new();
    let mut push = |game: &FrontierGame, view: &mut Option<FrontierView>, keyframe: bool| {
        let bytes = frame(game, me, keyframe);
        if keyframe {
            *view = Some(FrontierView::from_keyframe(&bytes).unwrap());
        } else {
            view.as_mut().unwrap().apply_delta(&bytes).unwrap();
        }
        frames.push(json!({ "kind": if keyframe { "keyframe" } else { "delta" }, "payload": hex(&bytes), "view": view.as_ref().unwrap() }));
    };
    for (i, p) in players.iter().enumerate() {
        game.set_clock(WallMs(now));
        game.join(*p, &format!("player {i}")).unwrap();
        if i == 0 {
            push(&game, &mut view, true);
        }
        game.step(&mut events);
        push(&game, &mut view, false);
    }
    let mut turns = 0;
    while game.phase() != Phase::Closable {
        now += 1_000;
        game.set_clock(WallMs(now));
        for (i, p) in players.iter().enumerate().skip(1) {
            if i == 2 && game.state().turn == 4 {
                game.disconnect(*p);
                continue;
            }
            if game.state().phase == Phase::Running
                && let Some(seat) = game.state().seat_of(*p)
            {
                let orders = orrery_frontier::bots::orders(&game.mine(seat), 12, 12);
                let _ = game.command(*p, &encode_command(&FrontierCommand { turn: game.state().turn, action: Action::Submit(orders) }));
            }
        }
        if game.state().phase == Phase::Running {
            let mine = view.as_ref().unwrap().mine.clone().unwrap();
            let orders = orrery_frontier::bots::orders(&mine, 12, 12);
            let _ = game.command(players[0], &encode_command(&FrontierCommand { turn: game.state().turn, action: Action::Submit(orders) }));
        }
        game.step(&mut events);
        push(&game, &mut view, false);
        turns += 1;
        if turns == 7 {
            push(&game, &mut view, true);
        }
        if let Some(at) = game.wake_at() {
            now = now.max(at.0.saturating_sub(1_000));
        }
        assert!(turns < 200);
    }
    let commands: Vec<Value> = [
        FrontierCommand { turn: 3, action: Action::Order(Order::Move { unit: 101, to: Pos::new(2, 1) }) },
        FrontierCommand { turn: 300, action: Action::Order(Order::Produce { city: 1, kind: UnitKind::Scout }) },
        FrontierCommand {
            turn: 4,
            action: Action::Submit(vec![
                Order::Move { unit: 70_000, to: Pos::new(11, 0) },
                Order::Produce { city: 5, kind: UnitKind::Soldier },
            ]),
        },
    ]
    .iter()
    .map(|c| json!({ "command": c, "bytes": hex(&encode_command(c)) }))
    .collect();
    let spectator = frame(&game, Viewer::Spectator, true);
    json!({
        "me": players[0].to_string(),
        "frames": frames,
        "spectator": { "payload": hex(&spectator), "view": FrontierView::from_keyframe(&spectator).unwrap() },
        "commands": commands,
    })
}

#[test]
fn the_sdk_fixture_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sdk/fixtures/frontier-replay.json");
    let text = serde_json::to_string(&record()).unwrap() + "\n";
    if std::env::var_os("ORRERY_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(on_disk == text, "{} is stale: ORRERY_BLESS=1 cargo test -p orrery-frontier --test client_fixtures", path.display());
}
