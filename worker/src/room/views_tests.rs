//! Property test of invariant I8 over random matches of a game with hidden information
//! (`orrery-testgame`): for every frame every player's client was written, decoding it
//! reveals no other player's secret, and the client's own secret is the room's at that
//! tick — across joins, reconnects, leaves, missed frames, resyncs and restores from a
//! snapshot under a new epoch (whose first frame is a keyframe).
//!
//! The clients see what a gateway writes them: [`StateFrame::encode_for`], applied with
//! the gateway's rule (after the cursor; a delta only on its base; a frame without the
//! player's part is a gap that needs a keyframe).

use super::Room;
use crate::lease::LeaseClock;
use crate::metrics::Metrics;
use orrery_common::game::{GameFactory, RoomSettings};
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
}

struct Match {
    rng: StdRng,
    room: Room,
    metrics: Metrics,
    players: Vec<PlayerId>,
    clients: BTreeMap<PlayerId, Client>,
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
    Room::new(RoomId(1), Epoch(epoch), settings(), "token".into(), clock, game, snapshot)
}

impl Match {
    fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            room: room(1, None),
            metrics: Metrics::new(&prometheus::Registry::new()),
            players: (0..PLAYERS).map(|_| PlayerId::random()).collect(),
            clients: BTreeMap::new(),
            seqs: BTreeMap::new(),
            sessions: 0,
            seen: Seen::default(),
        }
    }

    /// The room's game as it is now (the oracle).
    fn truth(&self) -> SecretsGame {
        SecretsGame::from_snapshot(&self.room.snapshot().game).expect("the game's snapshot decodes")
    }

    /// Write `frame` to `player`'s client as a gateway would, and check what it learnt.
    fn deliver(&mut self, player: PlayerId, frame: &StateFrame) -> bool {
        let truth = self.truth();
        let client = self.clients.get_mut(&player).expect("a client");
        let at = frame.pos();
        if client.at.is_some_and(|last| last >= at) {
            return false;
        }
        let chains = match frame.kind {
            FrameKind::Keyframe => true,
            FrameKind::Delta { base } => !client.needs_keyframe && client.at == Some(HistoryPos::new(frame.epoch, base)),
        };
        let bytes = if chains { frame.encode_for(player) } else { None };
        let Some(bytes) = bytes else {
            client.needs_keyframe = true;
            return false;
        };
        let Ok(ServerMsg::Frame(written)) = decode::<ServerMsg>(&bytes) else { panic!("a frame") };
        let owners = client.view.apply(&written.payload, matches!(frame.kind, FrameKind::Delta { .. })).expect("the payload applies");
        assert!(owners.iter().all(|o| *o == player), "{player} was written another player's secret at {at:?}: {owners:?}");
        let expected: BTreeMap<_, _> = truth.secret_of(player).map(|s| (player, s)).into_iter().collect();
        assert_eq!(client.view.secrets, expected, "{player}'s view of its secret at {at:?}");
        client.at = Some(at);
        client.needs_keyframe = false;
        self.seen.frames += 1;
        if matches!(frame.kind, FrameKind::Delta { .. }) {
            self.seen.deltas += 1;
        }
        true
    }

    fn keyframe_reply(&mut self, player: PlayerId, reply: ControlReply) -> bool {
        match reply {
            ControlReply::Keyframe { frame, .. } => {
                // The reply goes to one gateway for one player: it carries that player's part alone.
                let Parts::PerViewer(parts) = &frame.parts else { panic!("a per-viewer game's keyframe has parts") };
                assert!(parts.iter().all(|p| p.player == player), "a reply for {player} carries another player's part");
                self.deliver(player, &frame)
            }
            ControlReply::Refused { .. } => false,
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
        } else if self.keyframe_reply(player, reply) {
            self.seen.join_keyframes += 1;
        }
    }

    fn one_step(&mut self) {
        let frame = self.room.step(&self.metrics, Instant::now());
        let first_of_epoch = frame.kind == FrameKind::Keyframe;
        let players: Vec<PlayerId> = self.clients.keys().copied().collect();
        for player in players {
            if std::mem::take(&mut self.clients.get_mut(&player).expect("a client").misses_next) {
                self.clients.get_mut(&player).expect("a client").needs_keyframe = true;
                continue;
            }
            if self.deliver(player, &frame) && first_of_epoch {
                self.seen.epoch_keyframes += 1;
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
                        if self.keyframe_reply(player, reply) {
                            self.seen.resync_keyframes += 1;
                        }
                    }
                }
                52..54 => {
                    // The owner dies; the next restores the newest snapshot under the next epoch.
                    let snapshot = self.room.snapshot();
                    self.room = room(self.room.epoch.0 + 1, Some(snapshot));
                }
                _ => self.one_step(),
            }
            // A client that missed something gets a keyframe soon, as the hub asks for one.
            let behind: Vec<PlayerId> = self.clients.iter().filter(|(_, c)| c.needs_keyframe).map(|(p, _)| *p).collect();
            if let Some(player) = behind.first().filter(|_| self.rng.random_bool(0.3)) {
                let reply = self.room.control(ControlRequest::Resync { player: *player });
                if self.keyframe_reply(*player, reply) {
                    self.seen.resync_keyframes += 1;
                }
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
    }
    // Every path was taken, many times.
    assert!(total.deltas > 10_000, "{} deltas", total.deltas);
    assert!(total.join_keyframes > 1_000, "{} join keyframes", total.join_keyframes);
    assert!(total.resync_keyframes > 1_000, "{} resync keyframes", total.resync_keyframes);
    assert!(total.epoch_keyframes > 200, "{} first keyframes of an epoch", total.epoch_keyframes);
}
