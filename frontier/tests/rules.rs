//! The rules, one by one.

mod support;

use orrery_common::game::{Audience, Game, Phase, Viewer, WallMs};
use orrery_frontier::Action;
use orrery_frontier::events::What;
use orrery_frontier::map::Pos;
use orrery_frontier::state::{Order, UnitKind};
use support::{Match, START};

fn started(seats: u8, seed: u64) -> Match {
    let mut m = Match::new(seats, seed);
    for i in 0..usize::from(seats) {
        assert!(m.join(i));
    }
    assert_eq!(m.phase(), Phase::Running, "the match starts once every seat is taken");
    m
}

fn unit_of(m: &Match, seat: u8, kind: UnitKind) -> (u32, Pos) {
    let u = m.game.state().units.iter().find(|u| u.owner == seat && u.kind == kind).unwrap();
    (u.id, u.pos)
}

#[test]
fn the_lobby_starts_when_full_or_after_its_wait_with_two() {
    let mut m = Match::new(3, 1);
    m.join(0);
    assert_eq!(m.game.wake_at(), None, "one player: nothing to wait for");
    m.join(1);
    assert_eq!(m.game.wake_at(), Some(WallMs(START + 5_000)));
    m.now += 4_999;
    m.run();
    assert_eq!(m.phase(), Phase::Lobby);
    m.now += 1;
    m.run();
    assert_eq!(m.phase(), Phase::Running);
    assert_eq!(m.game.state().turn, 1);
    assert!(!m.join(2), "nobody new joins a running match");
}

#[test]
fn orders_are_checked_and_refused_with_a_reason() {
    let mut m = started(2, 3);
    let (mine, at) = unit_of(&m, 0, UnitKind::Soldier);
    let (theirs, _) = unit_of(&m, 1, UnitKind::Soldier);
    let mv = |unit, to| Action::Order(Order::Move { unit, to });
    assert_eq!(m.command(0, mv(theirs, at)), Err(format!("you have no unit {theirs}")));
    assert_eq!(m.command(0, mv(mine, Pos::new(at.x + 2, at.y))), Err(format!("unit {mine} moves 1 to 1 tiles")));
    assert_eq!(m.command(0, mv(mine, at)), Err(format!("unit {mine} moves 1 to 1 tiles")));
    let (scout, sat) = unit_of(&m, 0, UnitKind::Scout);
    let hidden = Pos::new(sat.x + 2, sat.y + 2);
    if !m.game.state().visible(0)[m.game.state().map.index(hidden)] {
        assert_eq!(m.command(0, mv(scout, hidden)), Err(format!("you cannot see ({}, {})", hidden.x, hidden.y)));
    }
    assert_eq!(m.command(0, Action::Order(Order::Produce { city: 2, kind: UnitKind::Scout })), Err("you have no city 2".into()));
    assert_eq!(m.command(0, Action::Order(Order::Produce { city: 1, kind: UnitKind::Scout })), Ok(()));
    let stale = orrery_frontier::encode_command(&orrery_frontier::FrontierCommand { turn: 7, action: Action::Submit(vec![]) });
    assert_eq!(m.game.command(m.players[0], &stale).unwrap_err().0, "the orders are for turn 7, this is turn 1");
    assert_eq!(m.game.command(orrery_common::PlayerId::random(), &stale).unwrap_err().0, "no seat in this room");
    assert_eq!(m.game.command(m.players[0], &[9, 9, 9]).unwrap_err().0, "undecodable command");
    assert_eq!(m.game.state().seats[0].orders, vec![Order::Produce { city: 1, kind: UnitKind::Scout }], "refused orders change nothing");
}

#[test]
fn a_turn_resolves_when_everyone_submitted_or_at_its_deadline() {
    let mut m = started(2, 4);
    assert_eq!(m.game.awaiting(), m.players.clone());
    let (soldier, at) = unit_of(&m, 0, UnitKind::Soldier);
    let to = Pos::new(at.x, at.y + 1);
    m.command(0, Action::Submit(vec![Order::Move { unit: soldier, to }])).unwrap();
    assert_eq!(m.game.awaiting(), vec![m.players[1]], "only the other is awaited");
    assert_eq!(m.game.state().turn, 1);
    m.command(1, Action::Submit(vec![])).unwrap();
    assert_eq!(m.game.state().turn, 2, "both done: resolved at once");
    assert_eq!(m.game.state().units.iter().find(|u| u.id == soldier).unwrap().pos, to);
    assert_eq!(m.game.wake_at(), Some(WallMs(m.now + 5_000)));
    m.now += 5_000;
    m.run();
    assert_eq!(m.game.state().turn, 3, "the deadline resolves a turn nobody finished");
    m.run();
    assert_eq!(m.game.state().turn, 3, "once");
}

#[test]
fn a_bot_plays_an_absent_seat_after_the_grace_and_stops_when_the_player_is_back() {
    let mut m = started(2, 5);
    m.disconnect(1);
    assert_eq!(m.game.wake_at(), Some(WallMs(m.now + 3_000)), "the grace ends before the deadline");
    m.now += 3_000;
    m.run();
    assert!(m.game.state().seats[1].bot);
    assert_eq!(m.game.awaiting(), vec![m.players[0]], "a bot's seat is not awaited");
    m.command(0, Action::Submit(vec![])).unwrap();
    assert_eq!(m.game.state().turn, 2, "the bot's orders need no waiting");
    let happened = m.events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>();
    assert!(happened.contains(&"bot_plays"));
    assert!(m.join(1));
    assert!(!m.game.state().seats[1].bot, "back: the bot stops");
    assert_eq!(m.game.awaiting(), m.players.clone());
}

#[test]
fn a_match_of_bots_ends_with_a_winner_and_closes() {
    let mut m = started(3, 6);
    for i in 0..3 {
        m.leave(i);
    }
    while m.phase() != Phase::Closable {
        m.wait(60_000);
        assert!(m.game.state().turn <= 40);
    }
    let results = m.game.results().unwrap();
    assert_eq!(results[0].rank, 1);
    let winner = m.game.state().winner.unwrap();
    assert_eq!(results[0].player, m.players[usize::from(winner)]);
    assert!(m.events.iter().any(|e| e.kind == "over"));
    assert_eq!(m.game.wake_at(), None);
}

#[test]
fn a_spectator_sees_the_scoreboard_only() {
    let m = started(2, 7);
    let shared = {
        let mut out = Vec::new();
        m.game.encode_keyframe(&mut out);
        out
    };
    assert_eq!(m.keyframe(Viewer::Spectator), shared);
    assert_eq!(m.keyframe(Viewer::Player(orrery_common::PlayerId::random())), shared, "nor does a stranger");
}

#[test]
fn a_battle_is_told_to_those_who_see_it_only() {
    let mut m = started(4, 8);
    // Walk every unit of seat 0 towards seat 1 until a battle happens.
    for _ in 0..40 {
        if m.phase() != Phase::Running {
            break;
        }
        for i in 0..4 {
            let _ = m.submit_as_bot(i);
        }
        if m.events.iter().any(|e| e.kind == "battle") {
            break;
        }
    }
    let battle = m.events.iter().find(|e| e.kind == "battle").expect("bots fight within 40 turns");
    let to = battle.detail["to"].as_array().expect("a battle is not public");
    assert!(!to.is_empty() && to.len() <= 4);
    let h = orrery_frontier::events::Happening::from_event(battle).unwrap();
    let What::Battle { attacker, defender, .. } = h.what else { unreachable!() };
    let Audience::Players(audience) = m.game.event_audience(battle) else { panic!("a battle is not for everyone") };
    for seat in [attacker, defender] {
        assert!(to.iter().any(|p| p.as_str() == Some(m.players[usize::from(seat)].to_string().as_str())));
        assert!(audience.contains(&m.players[usize::from(seat)]), "the worker's audience is the same");
    }
    assert_eq!(audience.len(), to.len());
}
