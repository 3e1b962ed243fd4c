//! Replay: a match's first snapshot and its timeline (the durable [`GameEvent`]s, in
//! order) give its state again, exactly. A player's calls (joins, returns, departures) are
//! made again at their time. The room's runs are found from what they reported: each run
//! from its consecutive events at one time (up to a turn's resolution) is made once, after setting the orders its resolution
//! recorded (`Orders`: what each player had given when the turn resolved). The room runs
//! after every call, and that run reports the call first, so a call is made again and then
//! its run, even when the run reported nothing else. A run does everything due at its
//! clock, so one run stands for all that the room did at that time.

use crate::events::{Happening, What};
use crate::game::FrontierGame;
use orrery_common::game::{Game, GameEvent, RestoreError, RoomSettings};

/// The room `first` became through `events`.
pub fn replay(settings: &RoomSettings, first: &[u8], events: &[GameEvent]) -> Result<FrontierGame, RestoreError> {
    let mut game = FrontierGame::restore(settings, first)?;
    let happenings = events.iter().map(Happening::from_event).collect::<Result<Vec<_>, _>>().map_err(RestoreError)?;
    let mut scratch = Vec::new();
    let mut i = 0;
    while i < happenings.len() {
        let h = &happenings[i];
        game.set_clock(h.at);
        if is_call(&h.what) {
            // The room ran after the call, and that run reported the call with whatever
            // else it did at that time.
            call(&mut game, &h.what)?;
            i += 1;
        }
        let run = run_len(&happenings[i..], h.at);
        for r in &happenings[i..i + run] {
            if let What::Orders { seat, submitted, orders } = &r.what {
                game.set_orders(*seat, *submitted, orders.clone());
            }
        }
        game.step(&mut scratch);
        i += run;
    }
    Ok(game)
}

/// A player's call (a join, a return, a departure), which the room made before a run;
/// every other event is what a run did.
fn is_call(what: &What) -> bool {
    what.is_input() && !matches!(what, What::Orders { .. })
}

/// How many events, from the first, one run at `at` reported besides the call before it:
/// those at its time that are no player's call, up to its turn's resolution (and the
/// match's end, which comes with it).
fn run_len(from: &[Happening], at: orrery_common::game::WallMs) -> usize {
    let mut n = 0;
    while let Some(r) = from.get(n) {
        if r.at != at || is_call(&r.what) {
            break;
        }
        n += 1;
        if matches!(r.what, What::Resolved { .. }) {
            if from.get(n).is_some_and(|o| matches!(o.what, What::Over { .. })) {
                n += 1;
            }
            break;
        }
    }
    n
}

fn call(game: &mut FrontierGame, what: &What) -> Result<(), RestoreError> {
    let player =
        |seat: u8| game.state().seats.get(usize::from(seat)).map(|s| s.player).ok_or_else(|| RestoreError(format!("no seat {seat}")));
    let refused = |e: orrery_common::game::JoinRefused| RestoreError(e.to_string());
    match what {
        What::Joined { player, name, .. } => game.join(*player, name).map_err(refused),
        What::Returned { seat } => game.join(player(*seat)?, "").map_err(refused),
        What::Away { seat } => {
            game.disconnect(player(*seat)?);
            Ok(())
        }
        What::Left { seat } => {
            game.leave(player(*seat)?);
            Ok(())
        }
        _ => Ok(()),
    }
}
