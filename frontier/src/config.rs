//! Modes and tunables. A room's [`FrontierConfig`] is chosen from its mode when it is
//! created and kept in its snapshot: a room continues under the rules it started with.

use orrery_common::game::RoomSettings;
use serde::{Deserialize, Serialize};

/// 60 s turns, 30 s grace before a bot plays an absent player's seat.
pub const MODE_FRONTIER: &str = "frontier";
/// 5 s turns, 3 s grace: tests and demos.
pub const MODE_BLITZ: &str = "frontier-blitz";

/// The fewest seats a match starts with, and the most.
pub const MIN_SEATS: u8 = 2;
pub const MAX_SEATS: u8 = 4;

/// Every rule that varies by mode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrontierConfig {
    /// Seats (2 to 4): the match starts as soon as they are all taken.
    pub seats: u8,
    /// Map width and height in tiles.
    pub width: u8,
    pub height: u8,
    /// How long a turn waits for orders before it resolves anyway.
    pub turn_ms: u64,
    /// How long an absent player's seat waits before a bot plays it.
    pub grace_ms: u64,
    /// Once two players are seated, how long the lobby waits for the others.
    pub lobby_ms: u64,
    /// After this many turns the match ends: most cities wins.
    pub turn_limit: u32,
    /// How long a finished match stays open (the result on screen) before it may close.
    pub linger_ms: u64,
}

impl FrontierConfig {
    /// The rules for `settings.mode` (anything but [`MODE_BLITZ`] is [`MODE_FRONTIER`]).
    pub fn for_settings(settings: &RoomSettings) -> Self {
        let seats = settings.max_players.clamp(MIN_SEATS, MAX_SEATS);
        let base =
            Self { seats, width: 12, height: 12, turn_ms: 60_000, grace_ms: 30_000, lobby_ms: 60_000, turn_limit: 80, linger_ms: 30_000 };
        if settings.mode == MODE_BLITZ {
            Self { turn_ms: 5_000, grace_ms: 3_000, lobby_ms: 5_000, turn_limit: 40, linger_ms: 3_000, ..base }
        } else {
            base
        }
    }

    /// The game of mode `mode`: `frontier` and `frontier-*`.
    pub fn is_frontier_mode(mode: &str) -> bool {
        mode == MODE_FRONTIER || mode.starts_with("frontier-")
    }
}
