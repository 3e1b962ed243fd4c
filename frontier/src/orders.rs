//! Commands: a player's orders for the current turn, each checked by the rules and
//! refused with a reason. The encoding is postcard's of [`FrontierCommand`].

use crate::state::{Order, Seat, State};
use orrery_common::game::Phase;
use serde::{Deserialize, Serialize};

/// The most orders one seat may hold in a turn.
pub const MAX_ORDERS: usize = 64;

/// One command. `turn` is the turn it is meant for: a command that arrives after its
/// turn resolved is refused rather than applied to the next one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrontierCommand {
    pub turn: u32,
    pub action: Action,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Add one order (replacing an earlier one for the same unit or city).
    Order(Order),
    /// Replace all of this turn's orders with these, and say "done": the turn resolves
    /// once every player still playing is done.
    Submit(Vec<Order>),
}

pub fn encode_command(command: &FrontierCommand) -> Vec<u8> {
    postcard::to_allocvec(command).expect("a command always serialises")
}

pub fn decode_command(bytes: &[u8]) -> Result<FrontierCommand, String> {
    let (command, rest) = postcard::take_from_bytes(bytes).map_err(|_| "undecodable command".to_string())?;
    if !rest.is_empty() {
        return Err("trailing bytes after the command".into());
    }
    Ok(command)
}

/// Check `command` from `seat` against the rules and apply it to the seat's orders.
pub fn apply(state: &mut State, seat: Seat, command: FrontierCommand) -> Result<(), String> {
    if state.phase != Phase::Running {
        return Err("the match is not running".into());
    }
    if command.turn != state.turn {
        return Err(format!("the orders are for turn {}, this is turn {}", command.turn, state.turn));
    }
    let s = &state.seats[usize::from(seat)];
    if !s.alive {
        return Err("you are out of the match".into());
    }
    match command.action {
        Action::Order(order) => {
            check(state, seat, &order)?;
            let orders = &mut state.seats[usize::from(seat)].orders;
            orders.retain(|o| o.target() != order.target());
            if orders.len() >= MAX_ORDERS {
                return Err(format!("at most {MAX_ORDERS} orders a turn"));
            }
            orders.push(order);
        }
        Action::Submit(list) => {
            if list.len() > MAX_ORDERS {
                return Err(format!("at most {MAX_ORDERS} orders a turn"));
            }
            let mut kept: Vec<Order> = Vec::with_capacity(list.len());
            for order in list {
                check(state, seat, &order)?;
                kept.retain(|o| o.target() != order.target());
                kept.push(order);
            }
            let s = &mut state.seats[usize::from(seat)];
            s.orders = kept;
            s.submitted = true;
        }
    }
    Ok(())
}

/// Whether `seat` may give `order` now: its own unit or city, a reachable tile it sees.
pub fn check(state: &State, seat: Seat, order: &Order) -> Result<(), String> {
    match *order {
        Order::Move { unit, to } => {
            let u = state.units.iter().find(|u| u.id == unit && u.owner == seat).ok_or_else(|| format!("you have no unit {unit}"))?;
            if !state.map.contains(to) {
                return Err(format!("({}, {}) is off the map", to.x, to.y));
            }
            let d = u.pos.distance(to);
            if d == 0 || d > u.kind.moves() {
                return Err(format!("unit {unit} moves 1 to {} tiles", u.kind.moves()));
            }
            if !state.visible(seat)[state.map.index(to)] {
                return Err(format!("you cannot see ({}, {})", to.x, to.y));
            }
            if !state.map.terrain(to).passable() {
                return Err(format!("({}, {}) is water", to.x, to.y));
            }
            Ok(())
        }
        Order::Produce { city, .. } => match state.cities.iter().any(|c| c.id == city && c.owner == Some(seat)) {
            true => Ok(()),
            false => Err(format!("you have no city {city}")),
        },
    }
}

/// An order still possible when its turn resolves (its unit may have died meanwhile).
pub fn still_valid(state: &State, seat: Seat, order: &Order) -> bool {
    match *order {
        Order::Move { unit, to } => state
            .units
            .iter()
            .find(|u| u.id == unit && u.owner == seat)
            .is_some_and(|u| (1..=u.kind.moves()).contains(&u.pos.distance(to)) && state.map.terrain(to).passable()),
        Order::Produce { .. } => check(state, seat, order).is_ok(),
    }
}
