//! Resolving a turn: every seat's orders (a bot's for the seats it plays), moves taken in
//! turns round the table, battles, captures, production, healing, eliminations, and the
//! end of the match.

use crate::events::{What, seen_at};
use crate::map::{Pos, Terrain};
use crate::orders::still_valid;
use crate::state::{Order, Seat, State, Unit};
use orrery_common::game::Phase;

/// Resolve the current turn, then start the next one or end the match.
pub fn resolve(state: &mut State) {
    let seats = state.seats.len();
    let mut orders: Vec<Vec<Order>> = Vec::with_capacity(seats);
    for seat in 0..seats as Seat {
        let s = &state.seats[usize::from(seat)];
        let given = match (s.alive, s.bot) {
            (false, _) => Vec::new(),
            (true, true) => crate::bots::orders(&crate::wire::sight(state, seat), state.config.width, state.config.height),
            (true, false) => {
                let what = What::Orders { seat, submitted: s.submitted, orders: s.orders.clone() };
                state.happen_now(what, Some(1 << seat));
                state.seats[usize::from(seat)].orders.clone()
            }
        };
        orders.push(given);
    }
    for (seat, list) in orders.iter().enumerate() {
        for order in list {
            if let Order::Produce { city, kind } = *order
                && still_valid(state, seat as Seat, order)
                && let Some(c) = state.cities.iter_mut().find(|c| c.id == city)
                && c.producing != kind
            {
                c.producing = kind;
                c.progress = 0;
            }
        }
    }
    let moves: Vec<Vec<(u32, Pos)>> = orders
        .iter()
        .map(|list| list.iter().filter_map(|o| if let Order::Move { unit, to } = *o { Some((unit, to)) } else { None }).collect())
        .collect();
    let rounds = moves.iter().map(Vec::len).max().unwrap_or(0);
    let first = state.turn as usize % seats.max(1);
    for round in 0..rounds {
        for k in 0..seats {
            let seat = (first + k) % seats;
            if let Some(&(unit, to)) = moves[seat].get(round) {
                move_unit(state, seat as Seat, unit, to);
            }
        }
    }
    produce(state);
    for unit in &mut state.units {
        if state.cities.iter().any(|c| c.pos == unit.pos && c.owner == Some(unit.owner)) {
            unit.hp = (unit.hp + 1).min(unit.kind.max_hp());
        }
    }
    for seat in 0..seats {
        let owns = state.units.iter().any(|u| usize::from(u.owner) == seat) || state.cities.iter().any(|c| c.owner == Some(seat as Seat));
        if state.seats[seat].alive && !owns {
            state.seats[seat].alive = false;
            state.seats[seat].out_at = Some(state.turn);
            state.happen_now(What::Eliminated { seat: seat as Seat }, None);
        }
    }
    state.explore();
    state.happen_now(What::Resolved { turn: state.turn }, None);
    for s in &mut state.seats {
        s.orders.clear();
        s.submitted = false;
    }
    let alive = state.seats.iter().filter(|s| s.alive).count();
    if alive <= 1 || state.turn >= state.config.turn_limit {
        state.winner = crate::ranking::order(state).first().copied();
        state.phase = Phase::Over;
        state.deadline = Some(state.after(state.config.linger_ms));
        state.happen_now(What::Over { winner: state.winner }, None);
    } else {
        state.turn += 1;
        state.deadline = Some(state.after(state.config.turn_ms));
    }
}

fn move_unit(state: &mut State, seat: Seat, unit: u32, to: Pos) {
    if !still_valid(state, seat, &Order::Move { unit, to }) {
        return;
    }
    match state.unit_at(to).map(|u| (u.id, u.owner)) {
        Some((_, owner)) if owner == seat => {}
        Some((defender, _)) => battle(state, unit, defender),
        None => {
            if let Some(u) = state.units.iter_mut().find(|u| u.id == unit) {
                u.pos = to;
            }
            capture(state, seat, to);
        }
    }
}

fn battle(state: &mut State, attacker: u32, defender: u32) {
    let find = |state: &State, id: u32| state.units.iter().find(|u| u.id == id).cloned().expect("both fight");
    let (a, d) = (find(state, attacker), find(state, defender));
    let shelter = u8::from(state.map.terrain(d.pos) == Terrain::Forest) + u8::from(state.city_at(d.pos).is_some());
    let roll = state.rng.below(2) as u8;
    let d_hp = d.hp.saturating_sub((a.kind.strike() + roll).saturating_sub(shelter).max(1));
    let a_hp = if d_hp > 0 { a.hp.saturating_sub((d.kind.strike() + state.rng.below(2) as u8).saturating_sub(1)) } else { a.hp };
    let to = seen_at(state, d.pos) | seen_at(state, a.pos) | 1 << a.owner | 1 << d.owner;
    state.happen_now(What::Battle { pos: d.pos, attacker: a.owner, defender: d.owner, attacker_hp: a_hp, defender_hp: d_hp }, Some(to));
    let set_hp = |state: &mut State, u: &Unit, hp: u8, by: Seat| {
        if hp == 0 {
            state.units.retain(|x| x.id != u.id);
            state.seats[usize::from(by)].kills += 1;
        } else if let Some(x) = state.units.iter_mut().find(|x| x.id == u.id) {
            x.hp = hp;
        }
    };
    set_hp(state, &d, d_hp, a.owner);
    set_hp(state, &a, a_hp, d.owner);
    if d_hp == 0 && a_hp > 0 {
        if let Some(u) = state.units.iter_mut().find(|u| u.id == a.id) {
            u.pos = d.pos;
        }
        capture(state, a.owner, d.pos);
    }
}

fn capture(state: &mut State, seat: Seat, at: Pos) {
    let Some(city) = state.cities.iter_mut().find(|c| c.pos == at && c.owner != Some(seat)) else { return };
    let (id, from) = (city.id, city.owner);
    city.owner = Some(seat);
    city.progress = 0;
    let to = seen_at(state, at) | 1 << seat | from.map_or(0, |f| 1 << f);
    state.happen_now(What::Captured { city: id, pos: at, by: seat, from }, Some(to));
}

fn produce(state: &mut State) {
    for i in 0..state.cities.len() {
        let c = &mut state.cities[i];
        let Some(owner) = c.owner else { continue };
        c.progress = (c.progress + 1).min(c.producing.cost());
        if c.progress < c.producing.cost() {
            continue;
        }
        let (pos, kind) = (c.pos, c.producing);
        let free = state
            .map
            .around(pos, 1)
            .filter(|&p| state.map.terrain(p).passable() && state.unit_at(p).is_none())
            .min_by_key(|&p| p.distance(pos));
        let Some(spot) = free else { continue };
        let id = state.fresh_id();
        state.units.push(Unit { id, owner, kind, pos: spot, hp: kind.max_hp() });
        state.cities[i].progress = 0;
        let to = seen_at(state, spot) | 1 << owner;
        state.happen_now(What::Produced { pos: spot, seat: owner, kind }, Some(to));
    }
}
