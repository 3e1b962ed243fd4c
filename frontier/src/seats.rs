//! Seats: joining, coming back, going away, leaving, bots taking over an absent player's
//! seat, and the lobby's start.

use crate::events::What;
use crate::state::{SeatState, State, Unit, UnitKind};
use orrery_common::PlayerId;
use orrery_common::game::{JoinRefused, Phase};

/// Seat `player`, or take them back into their seat (a reconnect: idempotent).
pub fn join(state: &mut State, player: PlayerId, name: &str) -> Result<(), JoinRefused> {
    if let Some(seat) = state.seat_of(player) {
        let s = &mut state.seats[usize::from(seat)];
        if s.left {
            return Err(JoinRefused::Closed);
        }
        if !s.connected || s.bot {
            s.connected = true;
            s.away_since = None;
            s.bot = false;
            state.happen_now(What::Returned { seat }, None);
        }
        return Ok(());
    }
    if state.phase != Phase::Lobby {
        return Err(JoinRefused::Closed);
    }
    if state.seats.len() >= usize::from(state.config.seats) {
        return Err(JoinRefused::Full);
    }
    let seat = state.seats.len() as u8;
    state.seats.push(SeatState {
        player,
        name: name.to_owned(),
        connected: true,
        away_since: None,
        bot: false,
        left: false,
        alive: true,
        submitted: false,
        orders: Vec::new(),
        explored: vec![false; state.map.len()],
        kills: 0,
        out_at: None,
    });
    state.happen_now(What::Joined { seat, player, name: name.to_owned() }, None);
    if state.seats.len() == 2 {
        state.deadline = Some(state.after(state.config.lobby_ms));
    }
    Ok(())
}

/// The player's connection dropped: in the lobby they lose the seat; in a match the bot
/// takes over after the grace.
pub fn disconnect(state: &mut State, player: PlayerId) {
    let Some(seat) = state.seat_of(player) else { return };
    if state.phase == Phase::Lobby {
        return leave(state, player);
    }
    let now = state.now;
    let s = &mut state.seats[usize::from(seat)];
    if s.connected && !s.left {
        s.connected = false;
        s.away_since = Some(now);
        state.happen_now(What::Away { seat }, None);
    }
}

/// The player left for good: a lobby seat is freed, a match seat goes to the bot at once
/// (no `BotPlays` of its own: everything a call does is replayed from its own event).
pub fn leave(state: &mut State, player: PlayerId) {
    let Some(seat) = state.seat_of(player) else { return };
    if state.phase == Phase::Lobby {
        state.seats.remove(usize::from(seat));
        state.happen_now(What::Left { seat }, None);
        if state.seats.len() < 2 {
            state.deadline = None;
        }
        return;
    }
    let now = state.now;
    let s = &mut state.seats[usize::from(seat)];
    if !s.left {
        s.left = true;
        s.connected = false;
        s.away_since.get_or_insert(now);
        s.bot = true;
        state.happen_now(What::Left { seat }, None);
    }
}

/// Bots take the seats of players away past the grace. Returns whether any did.
pub fn bots_take_over(state: &mut State) -> bool {
    let mut any = false;
    for seat in 0..state.seats.len() {
        let s = &state.seats[seat];
        if !s.bot && s.alive && s.away_since.is_some_and(|t| t.0 + state.config.grace_ms <= state.now.0) {
            state.seats[seat].bot = true;
            state.happen_now(What::BotPlays { seat: seat as u8 }, None);
            any = true;
        }
    }
    any
}

/// When the next bot takes over, if anyone is away.
pub fn next_takeover(state: &State) -> Option<u64> {
    state.seats.iter().filter(|s| !s.bot && s.alive).filter_map(|s| s.away_since).map(|t| t.0 + state.config.grace_ms).min()
}

/// Start the match: each seat gets its capital, a soldier and a scout; turn 1 begins.
pub fn start(state: &mut State) {
    let starts = state.map.starts();
    for (seat, &home) in starts.iter().enumerate().take(state.seats.len()) {
        if let Some(city) = state.cities.iter_mut().find(|c| c.pos == home) {
            city.owner = Some(seat as u8);
        }
        let scout_at = crate::map::Pos::new(home.x + 1, home.y);
        for (kind, pos) in [(UnitKind::Soldier, home), (UnitKind::Scout, scout_at)] {
            let id = state.fresh_id();
            state.units.push(Unit { id, owner: seat as u8, kind, pos, hp: kind.max_hp() });
        }
    }
    state.phase = Phase::Running;
    state.turn = 1;
    state.deadline = Some(state.after(state.config.turn_ms));
    state.explore();
    state.happen_now(What::Started, None);
}
