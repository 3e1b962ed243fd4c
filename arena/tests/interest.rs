//! A large room (`arena-large`) sends each player only what is near its ship: over random
//! matches, every frame every player receives (join keyframes, resync keyframes, deltas)
//! decodes to exactly the server's state of the ships, bullets and pickups within the
//! player's view, never anything beyond the leave radius, and always everything within the
//! enter radius; the board holds every seat, with scores at most a few seconds old. And a
//! ship moving along the edge of a view does not flicker in and out of it.

mod support;

use orrery_arena::config::{ArenaConfig, MODE_LARGE};
use orrery_arena::fixed::Vec2;
use orrery_arena::interest::{Interest, board, filter};
use orrery_arena::world::{Bullet, Ship, World};
use orrery_arena::{ArenaGame, ArenaView, Intent, encode_intent};
use orrery_common::PlayerId;
use orrery_common::game::{Game, RoomSettings, Viewer, Views};
use proptest::prelude::*;
use std::collections::BTreeMap;
use support::player;

fn large_settings(seed: u64) -> RoomSettings {
    RoomSettings { mode: MODE_LARGE.into(), max_players: 5, tick_hz: 30, seed }
}

/// The large mode with short timers, so random matches reach the running phase.
fn quick_large_game(seed: u64) -> ArenaGame {
    let mut config = ArenaConfig::for_settings(&large_settings(seed));
    config.min_players = 2;
    config.countdown_ticks = 10;
    config.full_room_countdown_ticks = 5;
    config.grace_ticks = 20;
    config.pickup_interval_ticks = (1, 3);
    ArenaGame::with_config(config, seed).with_interest(Interest::for_mode(MODE_LARGE))
}

fn interest() -> Interest {
    Interest::for_mode(MODE_LARGE).unwrap()
}

/// What a client receives: the shared part followed by its own part (protocol §5.3).
fn keyframe_for(game: &ArenaGame, viewer: PlayerId) -> Vec<u8> {
    let mut out = Vec::new();
    game.encode_keyframe(&mut out);
    game.encode_keyframe_view(Viewer::Player(viewer), &mut out);
    out
}

fn delta_for(game: &ArenaGame, viewer: PlayerId) -> Vec<u8> {
    let mut out = Vec::new();
    game.encode_delta(&mut out);
    game.encode_delta_view(Viewer::Player(viewer), &mut out);
    out
}

/// Checks what `view` (the client of `viewer`) reveals against `sent`, the server's world
/// as of the frame.
fn check_view(viewer: PlayerId, view: &ArenaView, sent: &World) -> Result<(), TestCaseError> {
    let interest = interest();
    let shown = view.world();
    let centre = sent.slot_of(viewer).and_then(|slot| sent.ships[usize::from(slot)].as_ref()).map(|s| s.pos);
    let within = |pos: Vec2, r: i32| centre.is_some_and(|c| pos.distance_squared(c) <= i64::from(r) * i64::from(r));
    prop_assert_eq!((shown.tick, shown.phase, shown.phase_ticks_left), (sent.tick, sent.phase, sent.phase_ticks_left));
    prop_assert_eq!(&shown.black_holes, &sent.black_holes);
    for (slot, ship) in shown.seated() {
        prop_assert_eq!(Some(ship), sent.ships[usize::from(slot)].as_ref(), "a ship the view holds differs from the server's");
        prop_assert!(within(ship.pos, interest.leave), "ship in slot {} revealed beyond the leave radius", slot);
    }
    for (slot, ship) in sent.seated() {
        if within(ship.pos, interest.enter) {
            prop_assert!(shown.ships[usize::from(slot)].is_some(), "ship in slot {} within the enter radius is missing", slot);
        }
    }
    // A view numbers its bullets itself (the room's ids tell how much is fired elsewhere):
    // bullets are compared by everything but the id, and the view's ids are distinct.
    let same_bullet = |a: &Bullet, b: &Bullet| Bullet { id: 0, ..a.clone() } == Bullet { id: 0, ..b.clone() };
    let mut ids: Vec<u32> = shown.bullets.iter().map(|b| b.id).collect();
    ids.sort_unstable();
    ids.dedup();
    prop_assert_eq!(ids.len(), shown.bullets.len(), "a view's bullet ids are distinct");
    for b in &shown.bullets {
        prop_assert!(sent.bullets.iter().any(|s| same_bullet(s, b)), "bullet {} differs from the server's", b.id);
        prop_assert!(within(b.pos, interest.leave), "bullet {} revealed beyond the leave radius", b.id);
    }
    for b in sent.bullets.iter().filter(|b| within(b.pos, interest.enter)) {
        prop_assert!(shown.bullets.iter().any(|s| same_bullet(s, b)), "bullet {} within the enter radius is missing", b.id);
    }
    for p in &shown.pickups {
        prop_assert!(sent.pickups.contains(p), "pickup {} differs from the server's", p.id);
        prop_assert!(within(p.pos, interest.leave), "pickup {} revealed beyond the leave radius", p.id);
    }
    for p in sent.pickups.iter().filter(|p| within(p.pos, interest.enter)) {
        prop_assert!(shown.pickups.iter().any(|s| s.id == p.id), "pickup {} within the enter radius is missing", p.id);
    }
    // The board: every seat at once, with alive and connected; scores and kills as they
    // were at most 8 s ago (a few seats refreshed each second), so never ahead of the room.
    let mut current = sent.clone();
    board(sent, &mut current);
    let shown_board = view.board().ok_or_else(|| TestCaseError::fail("a large room's view has a board"))?;
    prop_assert_eq!(
        (shown_board.tick, shown_board.phase, shown_board.phase_ticks_left),
        (current.tick, current.phase, current.phase_ticks_left)
    );
    prop_assert_eq!(shown_board.ships.len(), current.ships.len());
    for (slot, (shown, now)) in shown_board.ships.iter().zip(&current.ships).enumerate() {
        match (shown, now) {
            (None, None) => {}
            (Some(shown), Some(now)) => {
                prop_assert!(shown.same_seat(now), "board seat {} is not the room's", slot);
                prop_assert_eq!((shown.alive, shown.connected), (now.alive, now.connected));
                prop_assert!(shown.score <= now.score && shown.kills <= now.kills, "board seat {} ahead of the room", slot);
                let exact = Ship { score: now.score, kills: now.kills, ..shown.clone() };
                prop_assert_eq!(&exact, now, "board seat {} differs beyond its score", slot);
            }
            _ => prop_assert!(false, "board seat {} taken or freed late", slot),
        }
    }
    Ok(())
}

#[derive(Clone, Debug)]
enum Op {
    Join(u8),
    Leave(u8),
    Disconnect(u8),
    Resync(u8),
    Input(u8, f32, bool, bool),
    Step(u8),
}

const PLAYERS: u8 = 64;

fn op() -> impl Strategy<Value = Op> {
    let who = 1u8..=PLAYERS;
    prop_oneof![
        2 => who.clone().prop_map(Op::Join),
        1 => who.clone().prop_map(Op::Leave),
        1 => who.clone().prop_map(Op::Disconnect),
        2 => who.clone().prop_map(Op::Resync),
        8 => (who, -1.0f32..=1.0, any::<bool>(), any::<bool>()).prop_map(|(p, t, th, f)| Op::Input(p, t, th, f)),
        6 => (1u8..30).prop_map(Op::Step),
    ]
}

/// The clients: every player that joined and has not left, with its view.
struct Clients(BTreeMap<u8, ArenaView>);

impl Clients {
    fn join(&mut self, game: &mut ArenaGame, p: u8) -> Result<(), TestCaseError> {
        if game.join(player(u128::from(p)), &format!("p{p}")).is_ok() {
            self.resync(game, p)?;
        }
        Ok(())
    }

    fn resync(&mut self, game: &ArenaGame, p: u8) -> Result<(), TestCaseError> {
        if !self.0.contains_key(&p) && game.world().slot_of(player(u128::from(p))).is_none() {
            return Ok(());
        }
        let view = ArenaView::from_keyframe(&keyframe_for(game, player(u128::from(p)))).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check_view(player(u128::from(p)), &view, game.view().world())?;
        self.0.insert(p, view);
        Ok(())
    }

    fn step(&mut self, game: &mut ArenaGame) -> Result<(), TestCaseError> {
        game.step(&mut Vec::new());
        let sent = game.view();
        let seated = game.seated();
        self.0.retain(|p, _| seated.contains(&player(u128::from(*p))));
        for (p, view) in &mut self.0 {
            let viewer = player(u128::from(*p));
            view.apply_delta(&delta_for(game, viewer)).map_err(|e| TestCaseError::fail(format!("player {p}: {e}")))?;
            check_view(viewer, view, sent.world())?;
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_frame_reveals_only_the_view(seed in any::<u64>(), crowd in 8u8..=PLAYERS, ops in proptest::collection::vec(op(), 1..200)) {
        let mut game = quick_large_game(seed);
        prop_assert_eq!(game.views(), Views::PerViewer);
        let mut clients = Clients(BTreeMap::new());
        for p in 1..=crowd {
            clients.join(&mut game, p)?;
        }
        for p in 1..=crowd {
            game.apply_input(player(u128::from(p)), &encode_intent(&Intent { turn: 0.3, thrust: true, fire: true })).unwrap();
        }
        for op in &ops {
            match *op {
                Op::Join(p) => clients.join(&mut game, p)?,
                Op::Leave(p) => game.leave(player(u128::from(p))),
                Op::Disconnect(p) => game.disconnect(player(u128::from(p))),
                Op::Resync(p) => clients.resync(&game, p)?,
                Op::Input(p, turn, thrust, fire) => {
                    let _ = game.apply_input(player(u128::from(p)), &encode_intent(&Intent { turn, thrust, fire }));
                }
                Op::Step(n) => {
                    for _ in 0..n {
                        clients.step(&mut game)?;
                    }
                }
            }
        }
    }
}

/// A room restored from a snapshot (a fail-over) in the large mode still sends views, and
/// the new owner's keyframes start every client again within its view.
#[test]
fn a_restored_large_room_keeps_sending_views() {
    let settings = large_settings(7);
    let mut game = quick_large_game(7);
    let mut clients = Clients(BTreeMap::new());
    for p in 1..=40 {
        clients.join(&mut game, p).unwrap();
        game.apply_input(player(u128::from(p)), &encode_intent(&Intent { turn: 0.5, thrust: true, fire: true })).unwrap();
    }
    for _ in 0..120 {
        clients.step(&mut game).unwrap();
    }
    let factory = orrery_arena::ArenaFactory;
    let restored = orrery_common::game::GameFactory::restore(&factory, &settings, &game.snapshot()).unwrap();
    assert_eq!(restored.views(), Views::PerViewer);
    let mut game = ArenaGame::restore_with(&settings, &game.snapshot()).unwrap();
    let mut clients = Clients(BTreeMap::new());
    for p in 1..=40 {
        clients.resync(&game, p).unwrap();
    }
    for _ in 0..60 {
        clients.step(&mut game).unwrap();
    }
}

fn ship_at(n: u128, x: i32, y: i32) -> Ship {
    let mut ship = Ship::seated(player(n), format!("s{n}"), 0xFF);
    ship.alive = true;
    ship.pos = Vec2::new(x, y);
    ship
}

/// A ship moving back and forth across the enter radius (but never beyond the leave
/// radius) stays in the view once it entered; it leaves beyond the leave radius and comes
/// back only within the enter radius.
#[test]
fn a_ship_at_the_edge_does_not_flicker() {
    let interest = interest();
    let config = ArenaConfig::for_settings(&large_settings(1));
    let (cx, cy) = (config.physics.width / 2, config.physics.height / 2);
    let mut world = World::new(config.physics.clone(), 2, Vec::new());
    world.ships[0] = Some(ship_at(1, cx, cy));
    let margin = (interest.leave - interest.enter) / 2;
    let mut seen: Option<World> = None;
    let mut view = world.clone();
    let mut visible = Vec::new();
    let path = [interest.enter + margin, interest.enter - 1]
        .into_iter()
        .chain((0..20).map(|i| if i % 2 == 0 { interest.enter + margin } else { interest.enter - margin }))
        .chain([interest.leave + 1, interest.enter + margin, interest.enter + 1, interest.enter]);
    for dx in path {
        world.ships[1] = Some(ship_at(2, cx + dx, cy));
        filter(&world, Some(player(1)), &interest, seen.as_ref(), &mut view);
        visible.push(view.ships[1].is_some());
        seen = Some(view.clone());
    }
    let mut expected = vec![false, true];
    expected.extend([true; 20]);
    expected.extend([false, false, false, true]);
    assert_eq!(visible, expected);
}
