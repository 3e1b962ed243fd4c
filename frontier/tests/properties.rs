//! Over random matches (seeds, seats, players acting, waiting, leaving and coming back,
//! orders valid and not): no viewer's frames ever hold a tile, unit, city or happening
//! outside its sight, and its deltas always add up to its keyframe (checked after every
//! run by `support::Match`); a snapshot restores to the same room; and the match replays
//! from its first snapshot and its timeline to the same final state.

mod support;

use orrery_common::game::{Game, Phase};
use orrery_frontier::map::Pos;
use orrery_frontier::state::Order;
use orrery_frontier::{Action, FrontierGame};
use proptest::prelude::*;
use support::Match;

#[derive(Clone, Debug)]
enum Act {
    Wait(u64),
    Submit(usize),
    Order(usize, usize, i8, i8),
    Disconnect(usize),
    Join(usize),
    Leave(usize),
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        3 => (0u64..8_000).prop_map(Act::Wait),
        4 => (0usize..4).prop_map(Act::Submit),
        3 => (0usize..4, 0usize..8, -2i8..=2, -2i8..=2).prop_map(|(p, u, dx, dy)| Act::Order(p, u, dx, dy)),
        1 => (0usize..4).prop_map(Act::Disconnect),
        2 => (0usize..4).prop_map(Act::Join),
        1 => (0usize..4).prop_map(Act::Leave),
    ]
}

fn play(seats: u8, seed: u64, acts: &[Act]) -> Match {
    let mut m = Match::new(seats, seed);
    for i in 0..usize::from(seats) {
        m.join(i);
    }
    for a in acts {
        let n = usize::from(seats);
        match *a {
            Act::Wait(ms) => {
                m.now += ms;
                m.run();
            }
            Act::Submit(p) => drop(m.submit_as_bot(p % n)),
            Act::Order(p, u, dx, dy) => {
                let p = p % n;
                let seat = m.game.state().seat_of(m.players[p]);
                let units: Vec<_> = m.game.state().units.iter().filter(|x| Some(x.owner) == seat).cloned().collect();
                if let Some(unit) = units.get(u % units.len().max(1)) {
                    let to = Pos::new(unit.pos.x.saturating_add_signed(dx), unit.pos.y.saturating_add_signed(dy));
                    drop(m.command(p, Action::Order(Order::Move { unit: unit.id, to })));
                }
            }
            Act::Disconnect(p) => m.disconnect(p % n),
            Act::Join(p) => drop(m.join(p % n)),
            Act::Leave(p) => m.leave(p % n),
        }
        let restored = FrontierGame::restore(&m.settings, &m.game.snapshot()).unwrap();
        assert_eq!(restored.snapshot(), m.game.snapshot(), "a snapshot restores to the same room");
    }
    for i in 0..usize::from(seats) {
        m.leave(i);
    }
    for _ in 0..200 {
        if m.phase() == Phase::Closable {
            break;
        }
        m.wait(10_000);
    }
    assert_eq!(m.phase(), Phase::Closable, "a match of bots ends");
    m
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn views_hide_what_is_hidden_and_the_timeline_replays(seats in 2u8..=4, seed in any::<u64>(), acts in prop::collection::vec(act(), 0..80)) {
        let m = play(seats, seed, &acts);
        let replayed = orrery_frontier::replay::replay(&m.settings, &m.first, &m.events).unwrap();
        prop_assert_eq!(replayed.state(), m.game.state());
        prop_assert_eq!(replayed.snapshot(), m.game.snapshot());
    }
}
