//! Property test of invariant I8 over random matches of a game with hidden information
//! (`orrery-testgame`): for every frame every player's client was written, decoding it
//! reveals no other player's secret, and the client's own secret is the room's at that
//! tick — across joins, reconnects, leaves, missed frames, resyncs and restores from a
//! snapshot under a new epoch (whose first frame is a keyframe). Spectators (sockets of
//! the same players, watching without a seat, up to the room's limit) are never written
//! any secret, across watches, resyncs (a watch again) and restores; the spectator part
//! is published exactly while someone watches.
//!
//! The clients see what a gateway writes them: [`StateFrame::encode_for`], applied with
//! the gateway's rule (after the cursor; a delta only on its base; a frame without the
//! player's part is a gap that needs a keyframe).

use super::Room;
use crate::lease::LeaseClock;
use crate::metrics::Metrics;
use orrery_common::game::{GameFactory, RoomSettings, Viewer};
use orrery_common::protocol::client::{FrameKind, ServerMsg};
use orrery_common::protocol::decode;
use orrery_common::protocol::internal::{ControlReply, ControlRequest, InputEnvelope, LeaveReason, Parts, StateFrame};
use orrery_common::{Epoch, HistoryPos, InputSeq, PlayerId, RoomId, SocketId};
use orrery_testgame::{ClientView, Move, SecretsFactory, SecretsGame, encode_move};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const PLAYERS: usize = 4;
/// Spectator sockets a match tries to open, one more than the room takes.
const SPECTATOR_SOCKETS: usize = 3;
const MAX_SPECTATORS: u32 = 2;

/// Whose client: a player's, or the spectator socket in one of the slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Player(PlayerId),
    Spectator(usize),
}

/// One player's client, as far as the frames it was written go.
struct Client {
    view: ClientView,
    at: Option<HistoryPos>,
    needs_keyframe: bool,
    /// The next published frame never reaches it (a slow socket's dropped frame).
    misses_next: bool,
    session: SocketId,
}

/// What the match did, so a run that checked nothing fails.
#[derive(Default)]
struct Seen {
    frames: usize,
    deltas: usize,
    join_keyframes: usize,
    resync_keyframes: usize,
    epoch_keyframes: usize,
    spectator_frames: usize,
    watch_keyframes: usize,
    spectator_resyncs: usize,
    spectators_refused: usize,
    spectator_epoch_keyframes: usize,
}

struct Match {
    rng: StdRng,
    room: Room,
    metrics: Metrics,
    players: Vec<PlayerId>,
    clients: BTreeMap<PlayerId, Client>,
    /// Spectator sockets by slot: the player whose socket it is, and its client.
    spectators: BTreeMap<usize, (PlayerId, Client)>,
    /// The players the room has registered as watching, with their newest socket (the model's).
    watching: BTreeMap<PlayerId, SocketId>,
    seqs: BTreeMap<PlayerId, u32>,
    sessions: u64,
    seen: Seen,
}

fn settings() -> RoomSettings {
    RoomSettings { mode: orrery_testgame::NAME.into(), max_players: PLAYERS as u8, tick_hz: 30, seed: 0 }
}

fn room(epoch: u64, snapshot: Option<crate::snapshot::RoomSnapshot>) -> Room {
    let clock = Arc::new(LeaseClock::new(Instant::now(), Duration::from_secs(60)));
    let game = match &snapshot {
        Some(s) => SecretsFactory.restore(&settings(), &s.game).expect("restores"),
        None => SecretsFactory.create(&settings()),
    };
    Room::new(RoomId(1), Epoch(epoch), settings(), "token".into(), clock, game, snapshot).with_spectator_limit(MAX_SPECTATORS)
}

impl Match {
    fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            room: room(1, None),
            metrics: Metrics::new(&prometheus::Registry::new()),
            players: (0..PLAYERS).map(|_| PlayerId::random()).collect(),
            clients: BTreeMap::new(),
            spectators: BTreeMap::new(),
            watching: BTreeMap::new(),
            seqs: BTreeMap::new(),
            sessions: 0,
            seen: Seen::default(),
        }
    }

    /// The room's game as it is now (the oracle).
    fn truth(&self) -> SecretsGame {
        SecretsGame::from_snapshot(&self.room.snapshot().game).expect("the game's snapshot decodes")
    }

    fn client(&mut self, key: Key) -> &mut Client {
        match key {
            Key::Player(player) => self.clients.get_mut(&player).expect("a client"),
            Key::Spectator(slot) => &mut self.spectators.get_mut(&slot).expect("a spectator").1,
        }
    }

    /// Write `frame` to `key`'s client as a gateway would, and check what it learnt: a
    /// player its own secret and no other, a spectator no secret at all.
    fn deliver(&mut self, key: Key, frame: &StateFrame) -> bool {
        let truth = self.truth();
        let viewer = match key {
            Key::Player(player) => Viewer::Player(player),
            Key::Spectator(_) => Viewer::Spectator,
        };
        let client = self.client(key);
        let at = frame.pos();
        if client.at.is_some_and(|last| last >= at) {
            return false;
        }
        let chains = match frame.kind {
            FrameKind::Keyframe => true,
            FrameKind::Delta { base } => !client.needs_keyframe && client.at == Some(HistoryPos::new(frame.epoch, base)),
        };
        let bytes = if chains { frame.encode_for(viewer) } else { None };
        let Some(bytes) = bytes else {
            client.needs_keyframe = true;
            return false;
        };
        let Ok(ServerMsg::Frame(written)) = decode::<ServerMsg>(&bytes) else { panic!("a frame") };
        let owners = client.view.apply(&written.payload, matches!(frame.kind, FrameKind::Delta { .. })).expect("the payload applies");
        assert!(owners.iter().all(|o| Some(*o) == viewer.player()), "{key:?} was written another's secret at {at:?}: {owners:?}");
        let expected: BTreeMap<_, _> = viewer.player().and_then(|player| Some((player, truth.secret_of(player)?))).into_iter().collect();
        assert_eq!(client.view.secrets, expected, "{key:?}'s view of the secrets at {at:?}");
        client.at = Some(at);
        client.needs_keyframe = false;
        self.seen.frames += 1;
        self.seen.spectator_frames += usize::from(viewer == Viewer::Spectator);
        if matches!(frame.kind, FrameKind::Delta { .. }) {
            self.seen.deltas += 1;
        }
        true
    }

    fn keyframe_reply(&mut self, key: Key, reply: ControlReply) -> bool {
        match reply {
            ControlReply::Keyframe { frame, .. } => {
                // The reply goes to one gateway for one viewer: it carries that viewer's part alone.
                let viewer = match key {
                    Key::Player(player) => Viewer::Player(player),
                    Key::Spectator(_) => Viewer::Spectator,
                };
                let Parts::PerViewer(parts) = &frame.parts else { panic!("a per-viewer game's keyframe has parts") };
                assert!(parts.iter().all(|p| p.viewer == viewer), "a reply for {key:?} carries another viewer's part");
                self.deliver(key, &frame)
            }
            ControlReply::Refused { .. } | ControlReply::SpectatorsFull { .. } => false,
            other => panic!("a keyframe or a refusal, not {other:?}"),
        }
    }

    fn join(&mut self, player: PlayerId) {
        self.sessions += 1;
        // A new socket (a first join, or a resume through any gateway): it starts empty.
        let session = SocketId(self.sessions);
        self.clients.insert(player, Client { view: ClientView::default(), at: None, needs_keyframe: false, misses_next: false, session });
        let reply = self.room.control(ControlRequest::Join { player, name: "p".into(), session });
        if matches!(reply, ControlReply::Refused { .. }) {
            self.clients.remove(&player);
        } else if self.keyframe_reply(Key::Player(player), reply) {
            self.seen.join_keyframes += 1;
        }
    }

    /// The socket in spectator `slot` watches (a new socket of a random player), or, when
    /// it is open already, watches again (its gateway's resync). Checks the limit.
    fn watch(&mut self, slot: usize) -> bool {
        let session = match self.spectators.get(&slot) {
            Some((_, client)) => client.session,
            None => {
                self.sessions += 1;
                let session = SocketId(self.sessions);
                let player = self.players[self.rng.random_range(0..PLAYERS)];
                let client = Client { view: ClientView::default(), at: None, needs_keyframe: false, misses_next: false, session };
                self.spectators.insert(slot, (player, client));
                session
            }
        };
        let player = self.spectators[&slot].0;
        let reply = self.room.control(ControlRequest::Watch { player, session });
        let fits = self.watching.contains_key(&player) || self.watching.len() < MAX_SPECTATORS as usize;
        if let ControlReply::SpectatorsFull { limit } = reply {
            assert!(!fits && limit == MAX_SPECTATORS, "refused with room for one more");
            self.seen.spectators_refused += 1;
            self.spectators.remove(&slot);
            return false;
        }
        assert!(fits, "watching beyond the limit");
        self.watching.insert(player, session);
        self.keyframe_reply(Key::Spectator(slot), reply)
    }

    fn unwatch(&mut self, slot: usize) {
        if let Some((player, client)) = self.spectators.remove(&slot) {
            self.room.control(ControlRequest::Unwatch { player, session: client.session });
            if self.watching.get(&player) == Some(&client.session) {
                self.watching.remove(&player);
            }
        }
    }

    fn one_step(&mut self) {
        let frame = self.room.step(&self.metrics, Instant::now());
        let first_of_epoch = frame.kind == FrameKind::Keyframe;
        assert_eq!(frame.own_part(Viewer::Spectator).is_some(), !self.watching.is_empty(), "the spectator part while someone watches");
        let keys: Vec<Key> =
            self.clients.keys().map(|p| Key::Player(*p)).chain(self.spectators.keys().map(|s| Key::Spectator(*s))).collect();
        for key in keys {
            if std::mem::take(&mut self.client(key).misses_next) {
                self.client(key).needs_keyframe = true;
                continue;
            }
            if self.deliver(key, &frame) && first_of_epoch {
                self.seen.epoch_keyframes += 1;
                self.seen.spectator_epoch_keyframes += usize::from(matches!(key, Key::Spectator(_)));
            }
        }
    }

    fn play(&mut self, moves: usize) {
        for _ in 0..moves {
            let player = self.players[self.rng.random_range(0..PLAYERS)];
            match self.rng.random_range(0..100) {
                0..10 => self.join(player),
                10..14 => {
                    let reason = [LeaveReason::Disconnected, LeaveReason::Left, LeaveReason::Kicked][self.rng.random_range(0..3)];
                    // Its socket closes (or it is kicked, whichever socket it is on).
                    let session = self.clients.remove(&player).map_or(SocketId::ANY, |c| c.session);
                    self.room.control(ControlRequest::Leave { player, reason, session });
                }
                14..40 => {
                    let seq = self.seqs.entry(player).or_insert(0);
                    *seq += 1;
                    let payload = encode_move(&Move { mix: self.rng.random(), score: self.rng.random() });
                    self.room.queue_input(InputEnvelope { player, seq: InputSeq(*seq), payload }, Instant::now());
                }
                40..45 => {
                    if let Some(client) = self.clients.get_mut(&player) {
                        client.misses_next = true;
                    }
                }
                45..52 => {
                    // A client that needs a keyframe asks; the others ask now and then.
                    if self.clients.contains_key(&player) {
                        let reply = self.room.control(ControlRequest::Resync { player });
                        if self.keyframe_reply(Key::Player(player), reply) {
                            self.seen.resync_keyframes += 1;
                        }
                    }
                }
                52..54 => {
                    // The owner dies; the next restores the newest snapshot under the next
                    // epoch. It knows of no spectator until their gateways watch again.
                    let snapshot = self.room.snapshot();
                    self.room = room(self.room.epoch.0 + 1, Some(snapshot));
                    self.watching.clear();
                }
                54..58 => {
                    let slot = self.rng.random_range(0..SPECTATOR_SOCKETS);
                    let again = self.spectators.contains_key(&slot);
                    if self.watch(slot) {
                        if again { self.seen.spectator_resyncs += 1 } else { self.seen.watch_keyframes += 1 }
                    }
                }
                58..59 => {
                    let slot = self.rng.random_range(0..SPECTATOR_SOCKETS);
                    self.unwatch(slot);
                }
                59..61 => {
                    let slot = self.rng.random_range(0..SPECTATOR_SOCKETS);
                    if let Some((_, client)) = self.spectators.get_mut(&slot) {
                        client.misses_next = true;
                    }
                }
                _ => self.one_step(),
            }
            // A client that missed something gets a keyframe soon, as the hub asks for one.
            let behind: Vec<PlayerId> = self.clients.iter().filter(|(_, c)| c.needs_keyframe).map(|(p, _)| *p).collect();
            if let Some(player) = behind.first().filter(|_| self.rng.random_bool(0.3)) {
                let reply = self.room.control(ControlRequest::Resync { player: *player });
                if self.keyframe_reply(Key::Player(*player), reply) {
                    self.seen.resync_keyframes += 1;
                }
            }
            // A spectator that missed something (or whose room was restored without it)
            // watches again, as its gateway's resync does.
            let behind: Vec<usize> = self.spectators.iter().filter(|(_, (_, c))| c.needs_keyframe).map(|(s, _)| *s).collect();
            if let Some(slot) = behind.first().filter(|_| self.rng.random_bool(0.3))
                && self.watch(*slot)
            {
                self.seen.spectator_resyncs += 1;
            }
        }
    }
}

#[test]
fn no_client_is_ever_written_another_players_secret_and_its_own_is_always_right() {
    let mut total = Seen::default();
    for seed in 0..150 {
        let mut m = Match::new(seed);
        m.play(400);
        total.frames += m.seen.frames;
        total.deltas += m.seen.deltas;
        total.join_keyframes += m.seen.join_keyframes;
        total.resync_keyframes += m.seen.resync_keyframes;
        total.epoch_keyframes += m.seen.epoch_keyframes;
        total.spectator_frames += m.seen.spectator_frames;
        total.watch_keyframes += m.seen.watch_keyframes;
        total.spectator_resyncs += m.seen.spectator_resyncs;
        total.spectators_refused += m.seen.spectators_refused;
        total.spectator_epoch_keyframes += m.seen.spectator_epoch_keyframes;
    }
    // Every path was taken, many times.
    assert!(total.deltas > 10_000, "{} deltas", total.deltas);
    assert!(total.join_keyframes > 1_000, "{} join keyframes", total.join_keyframes);
    assert!(total.resync_keyframes > 1_000, "{} resync keyframes", total.resync_keyframes);
    assert!(total.epoch_keyframes > 200, "{} first keyframes of an epoch", total.epoch_keyframes);
    assert!(total.spectator_frames > 10_000, "{} frames written to spectators", total.spectator_frames);
    assert!(total.spectator_epoch_keyframes > 100, "{} first keyframes of an epoch written to spectators", total.spectator_epoch_keyframes);
    assert!(total.watch_keyframes > 300, "{} watch keyframes", total.watch_keyframes);
    assert!(total.spectator_resyncs > 1_000, "{} spectator resyncs", total.spectator_resyncs);
    assert!(total.spectators_refused > 100, "{} spectators refused", total.spectators_refused);
}
