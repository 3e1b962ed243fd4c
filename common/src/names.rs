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
    /// Names under `prefix` (default `orrery`). The prefix must be a single NATS token
    /// ([`Names::valid_prefix`]); configuration refuses any other before it gets here.
    pub fn new(prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        assert!(Self::valid_prefix(&prefix), "prefix must be a non-empty run of [A-Za-z0-9_-], got {prefix:?}");
        Self { prefix }
    }

    /// The prefix rule: one or more of `[A-Za-z0-9_-]`, so that it is one NATS subject token
    /// and one unambiguous segment of a Redis key.
    pub fn valid_prefix(prefix: &str) -> bool {
        !prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
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
    /// Every room's frames (observers and tests watching a whole deployment).
    pub fn all_room_states(&self) -> String {
        format!("{}.room.*.state", self.prefix)
    }
    /// Every room's inputs (what an owner may be sent; see [`crate::identities`]).
    pub fn all_room_inputs(&self) -> String {
        format!("{}.room.*.input", self.prefix)
    }
    /// Every room's control subject.
    pub fn all_room_controls(&self) -> String {
        format!("{}.room.*.control", self.prefix)
    }
    /// Where the replies to this deployment's requests arrive (the NATS client's inbox
    /// prefix), so that one deployment's identities need no access to another's replies.
    pub fn inbox_prefix(&self) -> String {
        format!("_INBOX.{}", self.prefix)
    }
    /// Every inbox of this deployment.
    pub fn all_inboxes(&self) -> String {
        format!("{}.>", self.inbox_prefix())
    }
    /// Matchmaker/API -> workers: a room awaits an owner.
    pub fn rooms_new(&self) -> String {
        format!("{}.rooms.new", self.prefix)
    }
    /// Worker -> every gateway: a room closed for good (payload: the room id in decimal).
    pub fn rooms_closed(&self) -> String {
        format!("{}.rooms.closed", self.prefix)
    }
    /// Any gateway -> the gateway serving a player: placed in a room, kicked
    /// ([`crate::protocol::internal::PlayerEvent`]).
    pub fn player_events(&self, player: PlayerId) -> String {
        format!("{}.player.{player}.events", self.prefix)
    }

    /// Every player's events (one subscription per gateway).
    pub fn all_player_events(&self) -> String {
        format!("{}.player.*.events", self.prefix)
    }

    /// The player a `player_events` subject names.
    pub fn player_of_events_subject(&self, subject: &str) -> Option<PlayerId> {
        let rest = subject.strip_prefix(&self.prefix)?.strip_prefix(".player.")?;
        rest.strip_suffix(".events")?.parse().ok()
    }

    // ---- Redis keys ----

    /// The Redis `KEYS`/`SCAN` pattern that matches every key of this prefix.
    pub fn all_keys(&self) -> String {
        format!("{}:*", self.prefix)
    }

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
    /// ZSET lease token -> until when (ms since the epoch) it is remembered as given back:
    /// a renewal already under way when its lease was released must not take it again.
    pub fn leases_given_back(&self) -> String {
        format!("{}:leases:given_back", self.prefix)
    }
    /// A worker's own lease, which its sleeping rooms hold theirs through (`worker` is
    /// the lease's token, one per worker lease: `<worker id>:<random>`), with a PX ttl.
    pub fn worker_lease(&self, worker: &str) -> String {
        format!("{}:lease:worker:{worker}", self.prefix)
    }
    /// ZSET worker lease token -> lease expiry (ms since the epoch): where claimers find
    /// dead workers whose sleeping rooms must move.
    pub fn workers(&self) -> String {
        format!("{}:workers", self.prefix)
    }
    /// SET of the sleeping rooms held through the worker lease `worker`.
    pub fn rooms_sleeping(&self, worker: &str) -> String {
        format!("{}:rooms:sleeping:{worker}", self.prefix)
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
    /// SET of rooms whose results are already counted in [`Names::leaderboard`]
    /// (makes the live update idempotent).
    pub fn leaderboard_applied(&self) -> String {
        format!("{}:leaderboard:applied", self.prefix)
    }
    /// SET of the players placed or seated in a room (cleared when the room closes).
    pub fn room_players(&self, room: RoomId) -> String {
        format!("{}:room:{room}:players", self.prefix)
    }
    /// SET of the players kicked from a room (PostgreSQL `room_bans` is the truth).
    pub fn room_banned(&self, room: RoomId) -> String {
        format!("{}:room:{room}:banned", self.prefix)
    }

    // ---- Matchmaking (Redis) ----

    /// The common start of every matchmaking key (the placement script builds the
    /// per-mode and per-ticket keys below from it).
    pub fn mm_prefix(&self) -> String {
        format!("{}:mm", self.prefix)
    }
    /// ZSET ticket -> enqueue time (ms): the queue of one mode, oldest first.
    pub fn mm_queue(&self, mode: &str) -> String {
        format!("{}:mm:queue:{mode}", self.prefix)
    }
    /// HASH of one ticket (a player or a party): mode, region, rating, since, size, members.
    pub fn mm_ticket(&self, ticket: &str) -> String {
        format!("{}:mm:ticket:{ticket}", self.prefix)
    }
    /// ZSET room -> players placed: the open rooms of one mode, fullest first.
    pub fn mm_open(&self, mode: &str) -> String {
        format!("{}:mm:open:{mode}", self.prefix)
    }
    /// HASH of a matchmade room: mode, region, rating range, count, max, open until.
    pub fn mm_room(&self, room: RoomId) -> String {
        format!("{}:mm:room:{room}", self.prefix)
    }
    /// Counter that orders tickets queued within the same millisecond.
    pub fn mm_seq(&self) -> String {
        format!("{}:mm:seq", self.prefix)
    }
    /// HASH of a party (leader, members "a,b,.."), keyed by its code (the party script
    /// builds it from [`Names::mm_prefix`]).
    pub fn mm_party(&self, code: &str) -> String {
        format!("{}:mm:party:{code}", self.prefix)
    }
    /// The code of the party a player is in.
    pub fn mm_party_of(&self, player: PlayerId) -> String {
        format!("{}:mm:party_of:{player}", self.prefix)
    }
    /// LIST of pre-created room ids of one mode, popped by the placement script.
    pub fn mm_pool(&self, mode: &str) -> String {
        format!("{}:mm:pool:{mode}", self.prefix)
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
        assert_eq!(n.all_room_states(), "orrery.room.*.state");
        assert_eq!(n.all_room_inputs(), "orrery.room.*.input");
        assert_eq!(n.all_room_controls(), "orrery.room.*.control");
        assert_eq!(n.all_inboxes(), "_INBOX.orrery.>");
        assert_eq!(n.all_keys(), "orrery:*");
        assert_eq!(n.rooms_new(), "orrery.rooms.new");
        assert_eq!(n.lease(RoomId(7)), "orrery:lease:room:7");
        assert_eq!(n.hot_snapshot(RoomId(7)), "orrery:snap:room:7");
        let p = PlayerId::random();
        assert_eq!(n.player_of_events_subject(&n.player_events(p)), Some(p));
        assert_eq!(n.player_of_events_subject("orrery.player.nope.events"), None);
        assert_eq!(n.rooms_closed(), "orrery.rooms.closed");
        assert_eq!(n.mm_queue("arena"), format!("{}:queue:arena", n.mm_prefix()));
        assert_eq!(n.mm_ticket("x"), format!("{}:ticket:x", n.mm_prefix()));
        assert_eq!(n.mm_open("arena"), format!("{}:open:arena", n.mm_prefix()));
        assert_eq!(n.mm_room(RoomId(7)), format!("{}:room:7", n.mm_prefix()));
        assert_eq!(n.mm_pool("arena"), format!("{}:pool:arena", n.mm_prefix()));
    }

    #[test]
    #[should_panic(expected = "prefix")]
    fn a_prefix_with_a_dot_is_refused() {
        Names::new("a.b");
    }
}
