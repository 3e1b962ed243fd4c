//! What happened in a match, typed ([`ArenaEvent`]), and its form for the rest of the
//! system ([`GameEvent`] with a JSON detail).
//!
//! Events raised between steps (joins, leaves) wait in the room state, which is
//! snapshotted, and go out with the next step.

use crate::world::{PickupKind, Slot};
use orrery_common::PlayerId;
use orrery_common::game::{GameEvent, PlayerResult};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Why a seat was given up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeaveReason {
    /// `Game::leave`.
    Left,
    /// Disconnected longer than the grace.
    TimedOut,
}

/// What destroyed a ship.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KillCause {
    Bullet,
    BlackHole,
}

/// Why the match ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OverReason {
    LastAlive,
    NoneAlive,
    TimeLimit,
}

/// One event of a match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArenaEvent {
    Joined {
        player: PlayerId,
        slot: Slot,
        name: String,
        reconnect: bool,
    },
    Left {
        player: PlayerId,
        slot: Slot,
        reason: LeaveReason,
    },
    Hit {
        shooter: Option<PlayerId>,
        target: PlayerId,
        damage: u16,
        health: u16,
    },
    Killed {
        killer: Option<PlayerId>,
        victim: PlayerId,
        cause: KillCause,
    },
    Pickup {
        player: PlayerId,
        kind: PickupKind,
        health: u16,
        score: i32,
    },
    MatchOver {
        reason: OverReason,
        ranking: Vec<PlayerResult>,
    },
    /// A player's emote (the arena's one command).
    Emote {
        player: PlayerId,
        emote: u8,
    },
}

impl ArenaEvent {
    /// The form the worker records: kind, the player it is about, JSON detail.
    pub fn to_game_event(&self) -> GameEvent {
        let (kind, player, detail) = match self {
            ArenaEvent::Joined { player, slot, name, reconnect } => {
                ("joined", Some(*player), json!({ "slot": slot, "name": name, "reconnect": reconnect }))
            }
            ArenaEvent::Left { player, slot, reason } => {
                let reason = match reason {
                    LeaveReason::Left => "left",
                    LeaveReason::TimedOut => "timed_out",
                };
                ("left", Some(*player), json!({ "slot": slot, "reason": reason }))
            }
            ArenaEvent::Hit { shooter, target, damage, health } => {
                ("hit", Some(*target), json!({ "by": shooter, "damage": damage, "health": health }))
            }
            ArenaEvent::Killed { killer, victim, cause } => {
                let cause = match cause {
                    KillCause::Bullet => "bullet",
                    KillCause::BlackHole => "black_hole",
                };
                ("killed", Some(*victim), json!({ "by": killer, "cause": cause }))
            }
            ArenaEvent::Emote { player, emote } => ("emote", Some(*player), json!({ "emote": emote })),
            ArenaEvent::Pickup { player, kind, health, score } => {
                let kind = match kind {
                    PickupKind::Health => "health",
                    PickupKind::Score => "score",
                };
                ("pickup", Some(*player), json!({ "kind": kind, "health": health, "score": score }))
            }
            ArenaEvent::MatchOver { reason, ranking } => {
                let reason = match reason {
                    OverReason::LastAlive => "last_alive",
                    OverReason::NoneAlive => "none_alive",
                    OverReason::TimeLimit => "time_limit",
                };
                let winner = ranking.first().map(|r| r.player);
                ("match_over", winner, json!({ "reason": reason, "ranking": ranking }))
            }
        };
        GameEvent { kind: kind.into(), player, detail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_over_names_the_winner_and_ranking() {
        let p = PlayerId(uuid::Uuid::from_u128(9));
        let ranking = vec![PlayerResult { player: p, rank: 1, score: 120, kills: 1 }];
        let e = ArenaEvent::MatchOver { reason: OverReason::LastAlive, ranking }.to_game_event();
        assert_eq!(e.kind, "match_over");
        assert_eq!(e.player, Some(p));
        assert_eq!(e.detail["ranking"][0]["rank"], 1);
        assert_eq!(e.detail["reason"], "last_alive");
    }
}
