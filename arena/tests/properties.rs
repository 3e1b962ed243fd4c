//! Properties over long random games: state stays in bounds whatever the inputs (I7),
//! the client's view built from deltas equals the server's keyframes, snapshots restore
//! exactly, and decoding garbage never panics.

mod support;

use orrery_arena::{ArenaGame, ArenaView, Intent, encode_intent};
use orrery_common::game::Game;
use proptest::prelude::*;
use support::{player, quick_config};

#[derive(Clone, Debug)]
enum Op {
    Join(u8),
    Leave(u8),
    Disconnect(u8),
    Input(u8, f32, bool, bool),
    Garbage(u8, Vec<u8>),
    Step(u8),
}

fn any_turn() -> impl Strategy<Value = f32> {
    prop_oneof![-1.0f32..=1.0, Just(f32::NAN), Just(f32::INFINITY), Just(f32::NEG_INFINITY), Just(f32::MAX), Just(-1e30), any::<f32>(),]
}

fn op() -> impl Strategy<Value = Op> {
    let who = 1u8..7;
    prop_oneof![
        2 => who.clone().prop_map(Op::Join),
        1 => who.clone().prop_map(Op::Leave),
        1 => who.clone().prop_map(Op::Disconnect),
        8 => (who.clone(), any_turn(), any::<bool>(), any::<bool>()).prop_map(|(p, t, th, f)| Op::Input(p, t, th, f)),
        1 => (who, proptest::collection::vec(any::<u8>(), 0..12)).prop_map(|(p, b)| Op::Garbage(p, b)),
        8 => (1u8..40).prop_map(Op::Step),
    ]
}

fn apply(game: &mut ArenaGame, op: &Op, mut on_step: impl FnMut(&ArenaGame)) {
    match op {
        Op::Join(p) => {
            let _ = game.join(player(u128::from(*p)), &format!("p{p}"));
        }
        Op::Leave(p) => game.leave(player(u128::from(*p))),
        Op::Disconnect(p) => game.disconnect(player(u128::from(*p))),
        Op::Input(p, turn, thrust, fire) => {
            let bytes = encode_intent(&Intent { turn: *turn, thrust: *thrust, fire: *fire });
            let _ = game.apply_input(player(u128::from(*p)), &bytes);
        }
        Op::Garbage(p, bytes) => {
            let _ = game.apply_input(player(u128::from(*p)), bytes);
        }
        Op::Step(n) => {
            for _ in 0..*n {
                game.step(&mut Vec::new());
                on_step(game);
            }
        }
    }
}

fn assert_in_bounds(game: &ArenaGame) {
    let world = game.world();
    let p = &world.physics;
    world.validate().expect("valid world");
    let inside = |v: orrery_arena::fixed::Vec2| (0..=p.width).contains(&v.x) && (0..=p.height).contains(&v.y);
    for ship in world.ships.iter().flatten() {
        assert!(inside(ship.pos), "{ship:?}");
        let max = i64::from(p.ship_max_speed);
        assert!(ship.vel.length_squared() <= max * max, "{ship:?}");
        assert!(ship.health <= p.max_health);
    }
    for b in &world.bullets {
        assert!(inside(b.pos));
        let max = i64::from(p.bullet_max_speed);
        assert!(b.vel.length_squared() <= max * max, "{b:?} {max}");
    }
}

fn keyframe(game: &ArenaGame) -> Vec<u8> {
    let mut out = Vec::new();
    game.encode_keyframe(&mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn state_stays_in_bounds_and_views_follow_exactly(seed in any::<u64>(), ops in proptest::collection::vec(op(), 1..250)) {
        let mut game = ArenaGame::with_config(quick_config(5), seed);
        let mut view = ArenaView::from_keyframe(&keyframe(&game)).unwrap();
        for op in &ops {
            apply(&mut game, op, |game| {
                assert_in_bounds(game);
                let mut delta = Vec::new();
                game.encode_delta(&mut delta);
                view.apply_delta(&delta).expect("delta applies");
            });
        }
        let end = ArenaView::from_keyframe(&keyframe(&game)).unwrap();
        prop_assert_eq!(&view, &end);
        prop_assert_eq!(&view, &game.view());
    }

    #[test]
    fn a_restored_room_continues_exactly(seed in any::<u64>(), before in proptest::collection::vec(op(), 1..120), after in proptest::collection::vec(op(), 1..120)) {
        let mut game = ArenaGame::with_config(quick_config(4), seed);
        for op in &before {
            apply(&mut game, op, |_| {});
        }
        let snapshot = game.snapshot();
        let mut restored = ArenaGame::restore(&snapshot).unwrap();
        prop_assert_eq!(restored.snapshot(), snapshot);
        let mut events_a = Vec::new();
        let mut events_b = Vec::new();
        for op in &after {
            apply(&mut game, op, |g| { let mut d = Vec::new(); g.encode_delta(&mut d); events_a.push(d); });
            apply(&mut restored, op, |g| { let mut d = Vec::new(); g.encode_delta(&mut d); events_b.push(d); });
        }
        prop_assert_eq!(events_a, events_b);
        prop_assert_eq!(game.snapshot(), restored.snapshot());
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = ArenaView::from_keyframe(&bytes);
        let mut with_format = vec![1u8];
        with_format.extend_from_slice(&bytes);
        let _ = ArenaView::from_keyframe(&with_format);
        let _ = ArenaGame::restore(&bytes);
        let game = support::running_game(3, 1);
        let mut view = game.view();
        let before = view.clone();
        if view.apply_delta(&bytes).is_err() {
            prop_assert_eq!(view, before);
        }
    }

    #[test]
    fn mutated_deltas_never_panic(seed in any::<u64>(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4)) {
        let mut game = support::running_game(3, seed);
        let mut view = game.view();
        for t in 0..20u8 {
            let intent = Intent { turn: f32::from(t) / 20.0, thrust: true, fire: t % 2 == 0 };
            let _ = game.apply_input(player(1), &encode_intent(&intent));
            game.step(&mut Vec::new());
            let mut delta = Vec::new();
            game.encode_delta(&mut delta);
            for (at, bits) in &flips {
                let i = at % delta.len();
                delta[i] ^= bits;
            }
            let _ = view.apply_delta(&delta);
        }
    }
}
