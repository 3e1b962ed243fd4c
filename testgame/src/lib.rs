//! Two tiny games for the engine's tests (never linked by a server binary): `secrets` here,
//! and [`turns`], a turn-based one whose rooms sleep.
//!
//! `secrets`: a tiny game with hidden information, for the engine's per-viewer tests only
//! (never linked by a server binary).
//!
//! Every seated player has a public score and a secret only they may see. The secret
//! changes every tick and with the player's inputs, so a client that misses a frame or
//! applies one to the wrong base ends up with a wrong secret. The game is
//! [`Views::PerViewer`]: the shared part of a frame is the public table; a player's own
//! part is its [`Secret`] (a keyframe) or what changed in it (a delta). A secret names its
//! owner, so [`ClientView::apply`] can tell a test exactly whose hidden data a payload
//! carried: any secret of another player in it is a leak. A spectator's part is empty: a
//! spectator sees the table and no secret.

pub mod turns;

use orrery_common::PlayerId;
use orrery_common::game::{
    Game, GameEvent, GameFactory, InputRejected, JoinRefused, Phase, PlayerResult, RestoreError, RoomSettings, Viewer, Views,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The game's name and mode.
pub const NAME: &str = "secrets";

/// One player's hidden data as a client decodes it: whose it is and its value (a keyframe),
/// or what changed in the value since the tick before (a delta: XOR).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret {
    pub owner: PlayerId,
    pub value: u64,
}

/// What every viewer may see.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub tick: u64,
    /// Every seated player's score and whether they are connected.
    pub scores: Vec<(PlayerId, u32, bool)>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Seat {
    score: u32,
    connected: bool,
    secret: u64,
    /// The secret as of the last frame (the last step, or the join): a delta's base.
    secret_at_last_frame: u64,
    /// What changed in the secret in the last step.
    changed: u64,
}

/// The room's state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SecretsGame {
    tick: u64,
    max_players: usize,
    seats: BTreeMap<PlayerId, Seat>,
}

impl SecretsGame {
    /// The game as its snapshot says (for a test's oracle).
    pub fn from_snapshot(bytes: &[u8]) -> Result<Self, RestoreError> {
        postcard::from_bytes(bytes).map_err(|e| RestoreError(e.to_string()))
    }

    /// `player`'s secret now, if seated.
    pub fn secret_of(&self, player: PlayerId) -> Option<u64> {
        self.seats.get(&player).map(|s| s.secret)
    }

    fn table(&self) -> Table {
        Table { tick: self.tick, scores: self.seats.iter().map(|(p, s)| (*p, s.score, s.connected)).collect() }
    }
}

/// An input: XOR the player's secret with `mix`, and score a point if `score`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    pub mix: u64,
    pub score: bool,
}

/// An input's bytes.
pub fn encode_move(m: &Move) -> Vec<u8> {
    postcard::to_allocvec(m).expect("postcard encoding into a Vec cannot fail")
}

/// The first secret of a player: from its id, so two players never start alike.
fn first_secret(player: PlayerId) -> u64 {
    let bytes = player.0.as_bytes();
    u64::from_le_bytes(bytes[..8].try_into().expect("16 bytes")) | 1
}

impl Game for SecretsGame {
    fn join(&mut self, player: PlayerId, _name: &str) -> Result<(), JoinRefused> {
        if let Some(seat) = self.seats.get_mut(&player) {
            seat.connected = true;
            return Ok(());
        }
        if self.seats.len() >= self.max_players {
            return Err(JoinRefused::Full);
        }
        let secret = first_secret(player);
        self.seats.insert(player, Seat { score: 0, connected: true, secret, secret_at_last_frame: secret, changed: 0 });
        Ok(())
    }

    fn disconnect(&mut self, player: PlayerId) {
        if let Some(seat) = self.seats.get_mut(&player) {
            seat.connected = false;
        }
    }

    fn leave(&mut self, player: PlayerId) {
        self.seats.remove(&player);
    }

    fn seated(&self) -> Vec<PlayerId> {
        self.seats.keys().copied().collect()
    }

    fn apply_input(&mut self, player: PlayerId, input: &[u8]) -> Result<(), InputRejected> {
        let m: Move = postcard::from_bytes(input).map_err(|_| InputRejected::Malformed)?;
        let seat = self.seats.get_mut(&player).ok_or(InputRejected::NotSeated)?;
        seat.secret ^= m.mix;
        seat.score += u32::from(m.score);
        Ok(())
    }

    fn step(&mut self, _events: &mut Vec<GameEvent>) {
        self.tick += 1;
        for seat in self.seats.values_mut() {
            seat.secret = seat.secret.rotate_left(7) ^ self.tick;
            seat.changed = seat.secret ^ seat.secret_at_last_frame;
            seat.secret_at_last_frame = seat.secret;
        }
    }

    fn phase(&self) -> Phase {
        Phase::Running
    }

    fn results(&self) -> Option<Vec<PlayerResult>> {
        None
    }

    fn encode_keyframe(&self, out: &mut Vec<u8>) {
        out.extend(postcard::to_allocvec(&self.table()).expect("postcard encoding into a Vec cannot fail"));
    }

    fn encode_delta(&self, out: &mut Vec<u8>) {
        // The table is small: a delta repeats it.
        self.encode_keyframe(out);
    }

    fn views(&self) -> Views {
        Views::PerViewer
    }

    fn encode_keyframe_view(&self, viewer: Viewer, out: &mut Vec<u8>) {
        // A spectator sees no secret: its part is empty.
        if let Some((player, seat)) = viewer.player().and_then(|p| Some((p, self.seats.get(&p)?))) {
            out.extend(postcard::to_allocvec(&Secret { owner: player, value: seat.secret }).expect("encodes"));
        }
    }

    fn encode_delta_view(&self, viewer: Viewer, out: &mut Vec<u8>) {
        if let Some((player, seat)) = viewer.player().and_then(|p| Some((p, self.seats.get(&p)?))) {
            out.extend(postcard::to_allocvec(&Secret { owner: player, value: seat.changed }).expect("encodes"));
        }
    }

    fn snapshot(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("postcard encoding into a Vec cannot fail")
    }
}

/// Makes `secrets` rooms.
#[derive(Clone, Copy, Debug, Default)]
pub struct SecretsFactory;

impl GameFactory for SecretsFactory {
    fn name(&self) -> &'static str {
        NAME
    }

    fn create(&self, settings: &RoomSettings) -> Box<dyn Game> {
        Box::new(SecretsGame { max_players: usize::from(settings.max_players), ..SecretsGame::default() })
    }

    fn restore(&self, _settings: &RoomSettings, snapshot: &[u8]) -> Result<Box<dyn Game>, RestoreError> {
        Ok(Box::new(SecretsGame::from_snapshot(snapshot)?))
    }
}

/// A payload could not be decoded, or did not apply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ViewError(pub String);

/// What one client knows: the table, and every secret any payload it was sent carried.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientView {
    pub table: Table,
    /// Secrets by owner, as the payloads it was sent made them.
    pub secrets: BTreeMap<PlayerId, u64>,
}

impl ClientView {
    /// Apply a keyframe (`delta` false) or a delta payload: the table, then every secret
    /// in it (a well-behaved server sends at most the viewer's own). Returns whose secrets
    /// the payload carried.
    pub fn apply(&mut self, payload: &[u8], delta: bool) -> Result<Vec<PlayerId>, ViewError> {
        let (table, mut rest) = postcard::take_from_bytes::<Table>(payload).map_err(|e| ViewError(format!("table: {e}")))?;
        self.table = table;
        if !delta {
            self.secrets.clear();
        }
        let mut owners = Vec::new();
        while !rest.is_empty() {
            let (secret, tail) = postcard::take_from_bytes::<Secret>(rest).map_err(|e| ViewError(format!("secret: {e}")))?;
            rest = tail;
            owners.push(secret.owner);
            if delta {
                // A delta of a secret never seen still tells something about it: kept, so
                // the caller sees whose it was.
                *self.secrets.entry(secret.owner).or_default() ^= secret.value;
            } else {
                self.secrets.insert(secret.owner, secret.value);
            }
        }
        Ok(owners)
    }
}
