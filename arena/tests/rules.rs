//! The match's rules through the public `Game` API: lobby, countdown, modes, joins,
//! reconnects, graces, leaving, the end of the match, results, inputs.

mod support;

use orrery_arena::bots::{BotStyle, ScriptedBots};
use orrery_arena::{ArenaFactory, ArenaGame, Intent, MODE_DUEL, MODE_PRACTICE, encode_intent};
use orrery_common::game::{Game, GameFactory, InputRejected, JoinRefused, Phase, RoomSettings};
use support::{kinds, player, quick_config, running_game, step, steps};

#[test]
fn countdown_needs_min_players_and_then_runs() {
    let mut game = ArenaFactory.create(&RoomSettings::default());
    game.join(player(1), "a").unwrap();
    game.join(player(2), "b").unwrap();
    let events = steps(game.as_mut(), 5);
    assert_eq!(kinds(&events), ["joined", "joined"]);
    assert_eq!(game.phase(), Phase::Lobby, "default arena needs 3");
    game.join(player(3), "c").unwrap();
    step(game.as_mut());
    assert_eq!(game.phase(), Phase::Countdown);
    steps(game.as_mut(), 89);
    assert_eq!(game.phase(), Phase::Countdown);
    step(game.as_mut());
    assert_eq!(game.phase(), Phase::Running, "3 s at 30 Hz");
}

#[test]
fn a_lobby_that_never_fills_closes_and_ranks_nobody() {
    let mut game = ArenaFactory.create(&RoomSettings::default());
    game.join(player(1), "a").unwrap();
    game.join(player(2), "b").unwrap();
    steps(game.as_mut(), 90 * 30 - 1);
    assert_eq!(game.phase(), Phase::Lobby, "still waiting just before 90 s");
    step(game.as_mut());
    assert_eq!(game.phase(), Phase::Closable, "closed after 90 s with 2 of 3 players");
    assert_eq!(game.results(), None, "no match was played: nobody is ranked");
}

#[test]
fn a_lobby_that_fills_in_time_does_not_close() {
    let mut game = ArenaFactory.create(&RoomSettings::default());
    game.join(player(1), "a").unwrap();
    steps(game.as_mut(), 80 * 30);
    game.join(player(2), "b").unwrap();
    game.join(player(3), "c").unwrap();
    steps(game.as_mut(), 20 * 30);
    assert_eq!(game.phase(), Phase::Running);
}

#[test]
fn a_full_room_counts_down_faster_and_a_leave_goes_back_to_the_lobby() {
    let settings = RoomSettings { max_players: 3, ..RoomSettings::default() };
    let mut game = ArenaGame::new(&settings);
    for i in 1..=3 {
        game.join(player(i), "x").unwrap();
    }
    assert_eq!(game.join(player(4), "late"), Err(JoinRefused::Full));
    step(&mut game);
    assert_eq!(game.view().phase_ticks_left(), 30, "shortened to 1 s");
    game.leave(player(3));
    step(&mut game);
    assert_eq!(game.phase(), Phase::Lobby);
}

#[test]
fn duel_mode_starts_with_two() {
    let settings = RoomSettings { mode: MODE_DUEL.into(), ..RoomSettings::default() };
    let mut game = ArenaGame::new(&settings);
    game.join(player(1), "a").unwrap();
    game.join(player(2), "b").unwrap();
    steps(&mut game, 91);
    assert_eq!(game.phase(), Phase::Running);
}

#[test]
fn in_practice_mode_nobody_dies_and_the_match_goes_on() {
    let settings = RoomSettings { mode: MODE_PRACTICE.into(), max_players: 8, ..RoomSettings::default() };
    let mut game = ArenaGame::new(&settings);
    // Bots that thrust around and fire all the time: in the default arena they kill each
    // other (or fall into a black hole) within minutes.
    let mut bots = ScriptedBots::new(8, 11, BotStyle::Jittery);
    bots.join_all(&mut game);
    let mut events = Vec::new();
    for _ in 0..10 * 60 * 30 {
        bots.act(&mut game);
        game.step(&mut events);
    }
    assert_eq!(game.phase(), Phase::Running, "ten minutes in, the match is still on");
    assert!(
        events.iter().any(|e| e.kind == "hit"),
        "bullets still hit: {:?}",
        kinds(&events).into_iter().collect::<std::collections::BTreeSet<_>>()
    );
    assert!(!events.iter().any(|e| e.kind == "killed" || e.kind == "match_over"));
    let view = game.view();
    assert!(bots.players().iter().all(|p| view.ship_of(*p).is_some_and(|s| s.alive())), "every ship is alive");
}

#[test]
fn late_joiners_are_refused_but_reconnects_are_reseated_intact() {
    let mut game = running_game(3, 1);
    assert_eq!(game.join(player(9), "late"), Err(JoinRefused::Closed));
    steps(&mut game, 5);
    game.disconnect(player(2));
    step(&mut game);
    let before = game.view().ship_of(player(2)).map(|s| (s.ship.health, s.ship.score, s.slot));
    assert!(!game.view().ship_of(player(2)).unwrap().connected());
    steps(&mut game, 10);
    game.join(player(2), "ignored").unwrap();
    let events = step(&mut game);
    assert!(events.iter().any(|e| e.kind == "joined" && e.detail["reconnect"] == true));
    let view = game.view();
    let ship = view.ship_of(player(2)).expect("re-seated");
    assert!(ship.connected());
    assert_eq!(Some((ship.ship.health, ship.ship.score, ship.slot)), before);
    assert_eq!(ship.name(), "p2");
    game.join(player(2), "again").unwrap();
    assert!(step(&mut game).iter().all(|e| e.kind != "joined"), "idempotent");
}

#[test]
fn the_grace_runs_out_and_the_player_is_counted_out() {
    let mut game = running_game(3, 2);
    game.disconnect(player(3));
    let events = steps(&mut game, 19);
    assert!(!kinds(&events).contains(&"left"));
    let events = steps(&mut game, 2);
    let left = events.iter().find(|e| e.kind == "left").expect("counted out");
    assert_eq!(left.player, Some(player(3)));
    assert_eq!(left.detail["reason"], "timed_out");
    assert!(game.view().ship_of(player(3)).is_none());
    assert_eq!(game.join(player(3), "back"), Err(JoinRefused::Closed), "too late");
}

#[test]
fn the_last_ship_alive_wins_and_the_room_closes_after_the_float() {
    let mut game = running_game(3, 3);
    assert_eq!(game.results(), None);
    game.leave(player(1));
    let events = step(&mut game);
    assert_eq!(kinds(&events), ["left"]);
    assert!(game.view().ship_of(player(1)).is_none(), "leave removes at once");
    steps(&mut game, 3);
    game.disconnect(player(2));
    let mut events = Vec::new();
    for _ in 0..25 {
        if game.phase() == Phase::Over {
            break;
        }
        events.extend(step(&mut game));
    }
    assert_eq!(game.phase(), Phase::Over);
    let over = events.iter().find(|e| e.kind == "match_over").expect("match over");
    assert_eq!(over.player, Some(player(3)));
    let results = game.results().expect("results once over");
    let ranked: Vec<_> = results.iter().map(|r| (r.player, r.rank)).collect();
    assert_eq!(ranked, [(player(3), 1), (player(2), 2), (player(1), 3)]);
    assert_eq!(over.detail["ranking"][0]["rank"], 1);
    steps(&mut game, 29);
    assert_eq!(game.phase(), Phase::Over, "ships float");
    step(&mut game);
    assert_eq!(game.phase(), Phase::Closable);
    assert_eq!(game.results(), Some(results));
}

#[test]
fn the_time_limit_ends_a_match_with_survivors_ranked_by_score() {
    let mut config = quick_config(5);
    config.time_limit_ticks = 40;
    let mut game = ArenaGame::with_config(config, 4);
    game.join(player(1), "a").unwrap();
    game.join(player(2), "b").unwrap();
    let events = steps(&mut game, 12 + 40);
    let over = events.iter().find(|e| e.kind == "match_over").expect("time limit");
    assert_eq!(over.detail["reason"], "time_limit");
    assert_eq!(game.results().unwrap().len(), 2);
}

#[test]
fn inputs_are_validated() {
    let mut game = running_game(2, 5);
    let ok = encode_intent(&Intent { turn: 0.5, thrust: true, fire: true });
    assert_eq!(game.apply_input(player(7), &ok), Err(InputRejected::NotSeated));
    assert_eq!(game.apply_input(player(1), b"\xff"), Err(InputRejected::Malformed));
    let nan = encode_intent(&Intent { turn: f32::NAN, thrust: false, fire: false });
    assert_eq!(game.apply_input(player(1), &nan), Err(InputRejected::NotFinite));
    assert_eq!(game.apply_input(player(1), &ok), Ok(()));
    step(&mut game);
    let view = game.view();
    let ship = view.ship_of(player(1)).unwrap();
    assert_eq!(view.bullets().len(), 1, "fired");
    assert!(ship.thrust_cooldown_ticks() > 0 && ship.fire_cooldown_ticks() > 0);
    assert!(ship.fire_cooldown_fraction() > 0.0);
}

#[test]
fn a_quiet_tick_costs_at_most_four_bytes() {
    let mut game = running_game(3, 6);
    steps(&mut game, 3);
    let mut delta = Vec::new();
    game.encode_delta(&mut delta);
    assert!(delta.len() <= 4, "{delta:?}");
    let mut lobby = ArenaFactory.create(&RoomSettings::default());
    step(lobby.as_mut());
    let mut delta = Vec::new();
    lobby.encode_delta(&mut delta);
    assert!(delta.len() <= 4, "{delta:?}");
}

#[test]
fn pickups_appear_on_schedule_while_running() {
    let mut game = running_game(2, 7);
    steps(&mut game, 200);
    assert!(!game.view().pickups().is_empty() || game.phase() != Phase::Running);
}

#[test]
fn same_seed_same_inputs_same_bytes_and_another_seed_differs() {
    let run = |seed| {
        let mut game = running_game(3, seed);
        for t in 0..300 {
            let intent = Intent { turn: ((t % 7) as f32 - 3.0) / 3.0, thrust: t % 3 == 0, fire: t % 2 == 0 };
            for p in 1..=3 {
                let _ = game.apply_input(player(p), &encode_intent(&intent));
            }
            step(&mut game);
        }
        game.snapshot()
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11), run(12));
}
