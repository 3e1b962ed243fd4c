//! Every NATS subject and Redis key Orrery uses, under one configurable prefix.
//!
//! Tests give each run its own prefix so they can share one NATS and one Redis.

use crate::ids::{PlayerId, RoomId};

/// Subject and key names for one deployment (or one test).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Names {
    prefix: String,
}

impl Names {
    /// Names under `prefix` (default `orrery`). The prefix must be a single NATS token.
    pub fn new(prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        assert!(
            !prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "prefix must be a non-empty run of [A-Za-z0-9_-], got {prefix:?}"
        );
        Self { prefix }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    // ---- NATS subjects ----

    /// Gateway -> owner: player inputs.
    pub fn room_input(&self, room: RoomId) -> String {
        format!("{}.room.{room}.input", self.prefix)
    }
    /// Owner -> gateways: one frame per tick.
    pub fn room_state(&self, room: RoomId) -> String {
        format!("{}.room.{room}.state", self.prefix)
    }
    /// Gateway -> owner, request/reply: join, leave, resync.
    pub fn room_control(&self, room: RoomId) -> String {
        format!("{}.room.{room}.control", self.prefix)
    }
    /// Matchmaker/API -> workers: a room awaits an owner.
    pub fn rooms_new(&self) -> String {
        format!("{}.rooms.new", self.prefix)
    }

    // ---- Redis keys ----

    /// The room's lease: the owner's token, with a PX ttl.
    pub fn lease(&self, room: RoomId) -> String {
        format!("{}:lease:room:{room}", self.prefix)
    }
    /// ZSET room -> lease expiry (ms since the epoch) of every owned room.
    pub fn rooms_owned(&self) -> String {
        format!("{}:rooms:owned", self.prefix)
    }
    /// SET of rooms waiting for an owner.
    pub fn rooms_unowned(&self) -> String {
        format!("{}:rooms:unowned", self.prefix)
    }
    /// HASH of a player's presence: current room, gateway session; with a TTL.
    pub fn player(&self, player: PlayerId) -> String {
        format!("{}:player:{player}", self.prefix)
    }
    /// The room's hot snapshot (compare-and-set on (epoch, tick)).
    pub fn hot_snapshot(&self, room: RoomId) -> String {
        format!("{}:snap:room:{room}", self.prefix)
    }
    /// ZSET player -> score: the live leaderboard.
    pub fn leaderboard(&self) -> String {
        format!("{}:leaderboard", self.prefix)
    }
}

impl Default for Names {
    fn default() -> Self {
        Self::new("orrery")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_design() {
        let n = Names::default();
        assert_eq!(n.room_input(RoomId(7)), "orrery.room.7.input");
        assert_eq!(n.room_state(RoomId(7)), "orrery.room.7.state");
        assert_eq!(n.room_control(RoomId(7)), "orrery.room.7.control");
        assert_eq!(n.rooms_new(), "orrery.rooms.new");
        assert_eq!(n.lease(RoomId(7)), "orrery:lease:room:7");
        assert_eq!(n.hot_snapshot(RoomId(7)), "orrery:snap:room:7");
    }

    #[test]
    #[should_panic(expected = "prefix")]
    fn a_prefix_with_a_dot_is_refused() {
        Names::new("a.b");
    }
}
