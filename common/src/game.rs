//! The contract between the worker and a game: what a room's simulation must offer.
//!
//! A game is pure: no I/O, no clock, no randomness but a seeded generator kept in its
//! own state. The worker owns time (it calls [`Game::step`] at the room's tick rate),
//! ownership, persistence and the network; the game owns rules, its input format and
//! its wire encoding (keyframes and deltas are opaque bytes to everybody else).
//! A second game plugs in by implementing [`Game`] and [`GameFactory`]; neither
//! gateway nor worker changes.
//!
//! A game with hidden information (fog of war, a hand of cards) or a room too large to
//! send everybody everything says [`Views::PerViewer`]: every frame is then a shared part
//! that every viewer may see plus one part per seated player (and one for spectators while
//! anyone watches), and each client gets the shared part followed by its own [`Viewer`]'s
//! part, never another's (invariant I8 in `docs/ARCHITECTURE.md`). A game that does not ([`Views::Shared`], the default) is
//! encoded once per tick for everybody, as before.

use crate::ids::PlayerId;
use serde::{Deserialize, Serialize};

/// What a room was created with. Stored with the room, handed to the game on create and restore.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSettings {
    /// Game mode, e.g. `"arena"`; the game may vary its rules by mode.
    pub mode: String,
    /// Seats in the room.
    pub max_players: u8,
    /// Simulation steps per second.
    pub tick_hz: u16,
    /// Seed of the game's own random generator.
    pub seed: u64,
}

impl Default for RoomSettings {
    fn default() -> Self {
        Self { mode: "arena".into(), max_players: 5, tick_hz: 30, seed: 0 }
    }
}

/// Where a match is in its life. Recorded in PostgreSQL when it changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Phase {
    /// Players gather.
    Lobby,
    /// Enough players: the match starts soon.
    Countdown,
    /// The match is on.
    Running,
    /// The match has a result; ships may still float around for a while.
    Over,
    /// Nothing more will happen: the room may be closed.
    Closable,
}

impl Phase {
    /// The name stored in `rooms.status`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Phase::Lobby => "lobby",
            Phase::Countdown => "countdown",
            Phase::Running => "running",
            Phase::Over => "over",
            Phase::Closable => "closable",
        }
    }
}

/// Something that happened in a match that players care about (joined, hit, killed,
/// pickup taken, match over). Written to `match_events` in the same transaction as the
/// durable snapshot it belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GameEvent {
    /// Short machine-readable kind, e.g. `"killed"`.
    pub kind: String,
    /// The player the event is about, when there is one.
    pub player: Option<PlayerId>,
    /// Game-specific details, stored as JSON.
    pub detail: serde_json::Value,
}

/// The fewest players a match must have for its results to count (match results, the
/// leaderboard, ratings): a match alone scores against nobody.
pub const MIN_COUNTED_PLAYERS: usize = 2;

/// One player's line in a finished match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerResult {
    pub player: PlayerId,
    /// 1 is the winner.
    pub rank: u16,
    pub score: i64,
    pub kills: u32,
}

/// Why a player could not take a seat.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JoinRefused {
    #[error("the room is full")]
    Full,
    #[error("the match no longer accepts players")]
    Closed,
}

/// Why an input was not applied. A rejected input still consumes its sequence number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputRejected {
    #[error("input could not be decoded")]
    Malformed,
    #[error("input holds a value that is not finite")]
    NotFinite,
    #[error("player has no seat in this room")]
    NotSeated,
}

/// Why a command was refused (sent back to the client in its acknowledgement).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CommandRejected(pub String);

/// A snapshot could not be restored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("snapshot cannot be restored: {0}")]
pub struct RestoreError(pub String);

/// Whether every client sees the same frames, or each player a view of its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Views {
    /// One encoding for everybody: [`Game::encode_keyframe`] and [`Game::encode_delta`].
    #[default]
    Shared,
    /// Those two encode only what every viewer may see; [`Game::encode_keyframe_view`] and
    /// [`Game::encode_delta_view`] add what only one viewer (a player, or the spectators)
    /// may see. A client's payload is the shared part followed by its own part: the game's
    /// client splits them.
    PerViewer,
}

/// How the worker drives a room in time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pace {
    /// [`Game::step`] at the room's `tick_hz`, every tick, whether or not anything
    /// happened (a realtime game: the arena).
    #[default]
    Fixed,
    /// The room sleeps. It runs only when something is due: a command, a join, a leave, a
    /// disconnect, or the instant [`Game::wake_at`] names (a turn deadline, a bot's move).
    /// Before each run the worker tells the game the wall clock ([`Game::set_clock`]); a
    /// run is one [`Game::step`] and is committed durably before what it did is published,
    /// so a deadline fires once and an order is applied once, across failovers.
    OnDemand,
}

/// Milliseconds since the Unix epoch, as the worker hands the wall clock to a game
/// ([`Game::set_clock`]). A game stays pure: it never reads a clock, it is told one, and
/// keeps the deadlines it sets in its own state, so they survive a restore unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WallMs(pub u64);

/// Who may read a match event: everybody (players, spectators, the match's log once it is
/// over), or only some seated players (an event about a player's hidden information).
/// Stored with the event (`match_events.audience`), so the log is filtered without the game.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Audience {
    #[default]
    Everyone,
    Players(Vec<PlayerId>),
}

impl Audience {
    /// Whether `viewer` may read an event with this audience.
    pub fn admits(&self, viewer: Viewer) -> bool {
        match (self, viewer) {
            (Audience::Everyone, _) => true,
            (Audience::Players(ps), Viewer::Player(p)) => ps.contains(&p),
            (Audience::Players(_), Viewer::Spectator) => false,
        }
    }
}

/// Whom a view is for: a seated player, or a spectator (anyone watching the room without
/// a seat; every spectator sees the same, and never what only one player may see).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Viewer {
    Player(PlayerId),
    Spectator,
}

impl Viewer {
    /// The seated player this view is for; `None` for a spectator.
    pub fn player(self) -> Option<PlayerId> {
        match self {
            Viewer::Player(p) => Some(p),
            Viewer::Spectator => None,
        }
    }
}

/// One room's simulation, as the worker drives it.
pub trait Game: Send + 'static {
    /// Seat a player, or re-seat one who is already there (a reconnect): idempotent.
    fn join(&mut self, player: PlayerId, name: &str) -> Result<(), JoinRefused>;
    /// The player's connection dropped: keep the seat for the game's grace period.
    fn disconnect(&mut self, player: PlayerId);
    /// The player left for good (or was kicked).
    fn leave(&mut self, player: PlayerId);
    /// Every player holding a seat, connected or within their grace.
    fn seated(&self) -> Vec<PlayerId>;
    /// Apply one input (the game's own encoding). Several inputs from one player
    /// within a tick are coalesced by the game.
    fn apply_input(&mut self, player: PlayerId, input: &[u8]) -> Result<(), InputRejected>;
    /// Apply a command (the game's own encoding). The worker makes sure each one is
    /// applied at most once; a game that takes no commands refuses them all.
    fn command(&mut self, player: PlayerId, command: &[u8]) -> Result<(), CommandRejected> {
        let _ = (player, command);
        Err(CommandRejected("this game takes no commands".into()))
    }
    /// Advance one tick, appending what happened to `events`.
    fn step(&mut self, events: &mut Vec<GameEvent>);
    /// Where the match is.
    fn phase(&self) -> Phase;
    /// The final ranking, once the phase is `Over` or later.
    fn results(&self) -> Option<Vec<PlayerResult>>;
    /// The full state as clients see it (for a [`Views::PerViewer`] game: the part every
    /// viewer may see).
    fn encode_keyframe(&self, out: &mut Vec<u8>);
    /// What changed in the last [`Game::step`], against the state before it (for a
    /// [`Views::PerViewer`] game: the part every viewer may see).
    fn encode_delta(&self, out: &mut Vec<u8>);
    /// How this game's frames are encoded. Asked once per room (create and restore).
    fn views(&self) -> Views {
        Views::Shared
    }
    /// For a [`Views::PerViewer`] game: the part of the keyframe only `viewer` may see,
    /// sent after the shared part. A player `viewer` may hold no seat (a kicked player
    /// asking for a keyframe): give it nothing hidden then. [`Viewer::Spectator`] is
    /// everyone watching without a seat: give it nothing any one player alone may see.
    fn encode_keyframe_view(&self, viewer: Viewer, out: &mut Vec<u8>) {
        let _ = (viewer, out);
    }
    /// For a [`Views::PerViewer`] game: what changed in the last [`Game::step`] in the part
    /// only `viewer` may see, against that part at the tick before (which may have been a
    /// keyframe encoded for `viewer` between the two steps).
    fn encode_delta_view(&self, viewer: Viewer, out: &mut Vec<u8>) {
        let _ = (viewer, out);
    }
    /// Whether the room ticks at a fixed rate or sleeps until something is due. Asked
    /// once per room (create and restore).
    fn pace(&self) -> Pace {
        Pace::Fixed
    }
    /// For a [`Pace::OnDemand`] game: the wall clock now, told before every call that may
    /// change the game (join, leave, disconnect, command, step). Never goes backwards
    /// within one owner; after a failover it may repeat a time already seen.
    fn set_clock(&mut self, now: WallMs) {
        let _ = now;
    }
    /// For a [`Pace::OnDemand`] game: when it must next run though nobody acts (a turn
    /// deadline, a bot's move), or `None` to sleep until a player acts.
    fn wake_at(&self) -> Option<WallMs> {
        None
    }
    /// The seated players whose decision the match is waiting on now (whose turn it is):
    /// "which of my matches are waiting on me". Empty for a realtime game.
    fn awaiting(&self) -> Vec<PlayerId> {
        Vec::new()
    }
    /// Who may read `event`, one of the events the last [`Game::step`] appended. A game
    /// with hidden information says so here; the default is everybody.
    fn event_audience(&self, event: &GameEvent) -> Audience {
        let _ = event;
        Audience::Everyone
    }
    /// Everything needed to continue exactly where this left off (generator included).
    fn snapshot(&self) -> Vec<u8>;
}

/// Makes rooms of one game.
pub trait GameFactory: Send + Sync + 'static {
    /// The game's name, e.g. `"arena"`.
    fn name(&self) -> &'static str;
    /// A fresh room.
    fn create(&self, settings: &RoomSettings) -> Box<dyn Game>;
    /// A room that continues exactly from `snapshot` (in this factory's
    /// [`GameFactory::snapshot_version`]: older ones are upgraded first).
    fn restore(&self, settings: &RoomSettings, snapshot: &[u8]) -> Result<Box<dyn Game>, RestoreError>;
    /// The version of the layout [`Game::snapshot`] writes for rooms of `settings` (a
    /// factory of several games answers for the one of the room's mode). Stored with every snapshot;
    /// raise it when the layout changes, and upgrade older snapshots in
    /// [`GameFactory::upgrade_snapshot`], so rooms outlive a deploy. The worker refuses to
    /// restore a snapshot of a newer version than this.
    fn snapshot_version(&self, settings: &RoomSettings) -> u16 {
        let _ = settings;
        0
    }
    /// `snapshot`, written in layout version `from` (lower than
    /// [`GameFactory::snapshot_version`]), rewritten in the current layout.
    fn upgrade_snapshot(&self, settings: &RoomSettings, from: u16, snapshot: Vec<u8>) -> Result<Vec<u8>, RestoreError> {
        let _ = snapshot;
        Err(RestoreError(format!("no upgrade from snapshot layout {from} to {}", self.snapshot_version(settings))))
    }
}
