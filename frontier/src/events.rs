//! What happens in a match, who may know it, and how it is reported: as the worker's
//! durable [`GameEvent`]s (the match's timeline) and in each viewer's log.
//!
//! A happening is public or seen by some seats only (a battle in the fog is known to the
//! two sides and to whoever sees its tile; a seat's orders only to that seat). A
//! [`GameEvent`]'s `detail` is `{"happening": …, "to": [player ids]}`; without `"to"` the
//! event is public. Every event is about no single player (`GameEvent::player` is `None`):
//! the timeline must hold every one of them to be replayed ([`crate::replay`]), and the
//! worker never drops those.

use crate::map::Pos;
use crate::state::{Order, Seat, State, UnitKind};
use orrery_common::game::{Audience, GameEvent, WallMs};
use serde::{Deserialize, Serialize};

/// One thing that happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum What {
    /// A player took a seat (lobby).
    Joined { seat: Seat, player: orrery_common::PlayerId, name: String },
    /// A seated player came back (their bot stops).
    Returned { seat: Seat },
    /// A seated player's connection dropped.
    Away { seat: Seat },
    /// A player left for good.
    Left { seat: Seat },
    /// A bot plays the seat from now on.
    BotPlays { seat: Seat },
    /// The match started: turn 1.
    Started,
    /// The orders a seat's player had given when the turn resolved.
    Orders { seat: Seat, submitted: bool, orders: Vec<Order> },
    /// A unit attacked another; health left (0: destroyed).
    Battle { pos: Pos, attacker: Seat, defender: Seat, attacker_hp: u8, defender_hp: u8 },
    /// A city changed hands.
    Captured { city: u32, pos: Pos, by: Seat, from: Option<Seat> },
    /// A city produced a unit.
    Produced { pos: Pos, seat: Seat, kind: UnitKind },
    /// A seat has nothing left.
    Eliminated { seat: Seat },
    /// Turn `turn` was resolved.
    Resolved { turn: u32 },
    /// The match has its result.
    Over { winner: Option<Seat> },
    /// The room may close.
    Closed,
}

impl What {
    /// `GameEvent::kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            What::Joined { .. } => "joined",
            What::Returned { .. } => "returned",
            What::Away { .. } => "away",
            What::Left { .. } => "left",
            What::BotPlays { .. } => "bot_plays",
            What::Started => "started",
            What::Orders { .. } => "orders",
            What::Battle { .. } => "battle",
            What::Captured { .. } => "captured",
            What::Produced { .. } => "produced",
            What::Eliminated { .. } => "eliminated",
            What::Resolved { .. } => "resolved",
            What::Over { .. } => "over",
            What::Closed => "closed",
        }
    }

    /// Something a player did to the room (a join, a leave, orders) rather than
    /// something the room's rules did when it ran: replay applies these as calls.
    pub fn is_input(&self) -> bool {
        matches!(self, What::Joined { .. } | What::Returned { .. } | What::Away { .. } | What::Left { .. } | What::Orders { .. })
    }
}

/// A happening, when, and who may know it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Happening {
    pub turn: u32,
    pub at: WallMs,
    /// `None`: public. Otherwise a bit per seat that may know it.
    pub to: Option<u8>,
    pub what: What,
}

impl Happening {
    /// Whether `viewer` may know this.
    pub fn seen_by(&self, viewer: Option<Seat>) -> bool {
        match (self.to, viewer) {
            (None, _) => true,
            (Some(mask), Some(seat)) => mask & (1 << seat) != 0,
            (Some(_), None) => false,
        }
    }

    /// The durable event.
    pub fn to_event(&self, state: &State) -> GameEvent {
        let mut detail = serde_json::json!({ "happening": self });
        if let Some(mask) = self.to {
            let to: Vec<String> =
                (0..state.seats.len()).filter(|s| mask & (1 << s) != 0).map(|s| state.seats[s].player.to_string()).collect();
            detail["to"] = serde_json::json!(to);
        }
        GameEvent { kind: self.what.kind().into(), player: None, detail }
    }

    /// The happening a durable event holds.
    pub fn from_event(event: &GameEvent) -> Result<Self, String> {
        serde_json::from_value(event.detail["happening"].clone()).map_err(|e| format!("event {:?}: {e}", event.kind))
    }
}

/// Who may read `event` (`Game::event_audience`): the players its `"to"` lists, or everyone.
pub fn audience(event: &GameEvent) -> Audience {
    match event.detail.get("to").and_then(|t| t.as_array()) {
        None => Audience::Everyone,
        Some(to) => Audience::Players(to.iter().filter_map(|p| p.as_str()?.parse().ok()).collect()),
    }
}

/// The seats that see `pos` now, as a mask.
pub fn seen_at(state: &State, pos: Pos) -> u8 {
    let i = state.map.index(pos);
    (0..state.seats.len() as Seat).filter(|&s| state.visible(s)[i]).fold(0, |m, s| m | 1 << s)
}
