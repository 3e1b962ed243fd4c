//! What runs when the room runs: the lobby's start, bots taking absent players' seats, a
//! turn's resolution (when every player still playing is done, or at its deadline), and
//! the end of a finished room. Everything due at the clock is done in one run, so a second
//! run at the same clock changes nothing (what replay relies on).

use crate::events::What;
use crate::state::State;
use orrery_common::game::{Phase, WallMs};

/// Do everything due at `state.now`.
pub fn run(state: &mut State) {
    loop {
        let due = state.deadline.is_some_and(|d| d <= state.now);
        if state.phase == Phase::Running && crate::seats::bots_take_over(state) {
            continue;
        }
        match state.phase {
            Phase::Lobby if state.seats.len() == usize::from(state.config.seats) || (state.seats.len() >= 2 && due) => {
                crate::seats::start(state)
            }
            Phase::Running if due || everyone_done(state) => crate::resolve::resolve(state),
            Phase::Over if due => {
                state.phase = Phase::Closable;
                state.deadline = None;
                state.happen_now(What::Closed, None);
            }
            _ => return,
        }
    }
}

/// Every seat still played by its player has submitted (and there is one).
fn everyone_done(state: &State) -> bool {
    let players = (0..state.seats.len() as u8).filter(|&s| state.human(s)).count();
    players > 0 && state.awaited().is_empty()
}

/// When the room must next run though nobody acts.
pub fn wake_at(state: &State) -> Option<WallMs> {
    match state.phase {
        Phase::Lobby if state.seats.len() == usize::from(state.config.seats) => Some(state.now),
        Phase::Lobby | Phase::Over => state.deadline,
        Phase::Running if everyone_done(state) => Some(state.now),
        Phase::Running => {
            let takeover = crate::seats::next_takeover(state).map(WallMs);
            state.deadline.into_iter().chain(takeover).min()
        }
        Phase::Countdown | Phase::Closable => None,
    }
}
