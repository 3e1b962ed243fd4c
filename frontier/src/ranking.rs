//! The standings: still in the match first, then the later out; then cities, units,
//! kills, and the earlier seat.

use crate::state::{Seat, State};
use orrery_common::game::PlayerResult;

/// Seats, best first.
pub fn order(state: &State) -> Vec<Seat> {
    let mut seats: Vec<Seat> = (0..state.seats.len() as Seat).collect();
    seats.sort_by_key(|&s| std::cmp::Reverse(key(state, s)));
    seats
}

fn key(state: &State, seat: Seat) -> (bool, u32, usize, usize, u32, std::cmp::Reverse<Seat>) {
    let s = &state.seats[usize::from(seat)];
    let cities = state.cities.iter().filter(|c| c.owner == Some(seat)).count();
    let units = state.units.iter().filter(|u| u.owner == seat).count();
    (s.alive, s.out_at.unwrap_or(u32::MAX), cities, units, s.kills, std::cmp::Reverse(seat))
}

/// The final ranking (rank 1 wins; score is 10 a city and 1 a unit).
pub fn results(state: &State) -> Vec<PlayerResult> {
    order(state)
        .into_iter()
        .enumerate()
        .map(|(rank, seat)| {
            let cities = state.cities.iter().filter(|c| c.owner == Some(seat)).count() as i64;
            let units = state.units.iter().filter(|u| u.owner == seat).count() as i64;
            let s = &state.seats[usize::from(seat)];
            PlayerResult { player: s.player, rank: rank as u16 + 1, score: cities * 10 + units, kills: s.kills }
        })
        .collect()
}
