//! One room's state machine: inputs, control requests, commands, seats and frames.
//!
//! No I/O: the task ([`super::task`]) feeds it inputs and control requests, asks it to
//! step once per tick, and publishes and persists what it returns. What it guarantees:
//!
//! - inputs at most once, in order (I5, `Room::step`): each player's last applied
//!   sequence is kept, carried in every snapshot and acknowledged in every frame;
//! - the first frame of every epoch is a keyframe ([`Room::new`]);
//! - every frame, published or replied, is encoded by [`super::views::encode`]: a
//!   per-viewer game's players each get their own part, spectators the spectator part
//!   (published only while anyone watches, [`super::spectators`]) (I8);
//! - commands at most once: a known id gets its first outcome again (`Room::command`);
//! - a restored room disconnects, after [`SEAT_CONFIRMATION`], the seated players no
//!   gateway vouched for (`Room::confirm_seats`).

use super::spectators::Spectators;
use super::views::{self, Encoding, Viewers};
use crate::lease::LeaseClock;
use crate::snapshot::{PendingEvent, RoomSnapshot};
use crate::worker_lease::Held;
use orrery_common::game::{Game, GameEvent, MIN_COUNTED_PLAYERS, Pace, Phase, PlayerResult, RoomSettings, Viewer, Views, WallMs};
use orrery_common::protocol::client::CommandOutcome;
use orrery_common::protocol::client::FrameKind;
use orrery_common::protocol::internal::{ControlReply, ControlRequest, InputEnvelope, LeaveReason, StateFrame};
use orrery_common::{ClientMsgId, Epoch, HistoryPos, InputSeq, PlayerId, RoomId, SocketId, Tick};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tracing::debug;

/// Commands remembered per player for acknowledging resends.
pub const COMMANDS_REMEMBERED: usize = 64;

/// How long a restored room waits for gateways to vouch for its seated players (with a
/// `Present`, or a join) before it disconnects the others: they start their grace.
pub const SEAT_CONFIRMATION: Duration = Duration::from_secs(5);

/// The state of one owned room.
pub struct Room {
    pub id: RoomId,
    pub epoch: Epoch,
    pub settings: RoomSettings,
    pub token: String,
    pub clock: Arc<LeaseClock>,
    /// A sleeping room's lease is held through the worker lease ([`crate::worker_lease`]):
    /// `clock` is then that lease's, and `token` the room lease's value under it.
    pub(crate) worker_lease: Option<Arc<Held>>,
    game: Box<dyn Game>,
    /// How the game's frames are encoded, asked once.
    views: Views,
    tick: Tick,
    last_input: BTreeMap<PlayerId, InputSeq>,
    /// The socket each player joined through most recently.
    sockets: BTreeMap<PlayerId, SocketId>,
    /// Each player's recent commands and their outcomes (at most [`COMMANDS_REMEMBERED`]).
    commands: BTreeMap<PlayerId, VecDeque<(ClientMsgId, CommandOutcome)>>,
    /// Inputs waiting for the next tick, with when each was taken off the subscription.
    queued_inputs: Vec<(InputEnvelope, Instant)>,
    next_event_seq: u64,
    pending_events: Vec<PendingEvent>,
    step_events: Vec<GameEvent>,
    durable_phase: Option<Phase>,
    keyframe_next: bool,
    /// A restored room: until this instant, gateways vouch for the players whose sockets
    /// are still attached ([`Room::confirm_seats`]).
    confirm_seats_at: Option<Instant>,
    /// Players vouched for since the restore.
    vouched: BTreeSet<PlayerId>,
    /// Which events are persisted (the rest still happened in the game).
    event_quota: super::event_quota::EventQuota,
    /// Who watches without a seat.
    spectators: Spectators,
    /// The layout version of the game's snapshots (`GameFactory::snapshot_version`).
    game_version: u16,
    /// Ticking or sleeping, asked once.
    pace: Pace,
    /// The wall clock last told to the game: never goes backwards within this owner.
    wall: WallMs,
    /// The last hot snapshot written ([`Room::hot_unchanged`]).
    last_hot: Option<RoomSnapshot>,
}

impl Room {
    /// This room's persisted-events quota (`--events-per-player-per-second`, `--event-burst`).
    pub fn with_event_quota(mut self, quota: governor::Quota) -> Self {
        self.event_quota = super::event_quota::EventQuota::new(quota);
        self
    }

    /// The layout version the game's snapshots are written in.
    pub fn with_game_version(mut self, version: u16) -> Self {
        self.game_version = version;
        self
    }

    /// How many sockets may watch this room at once (`--max-spectators-per-room`).
    pub fn with_spectator_limit(mut self, limit: u32) -> Self {
        self.spectators = Spectators::new(limit);
        self
    }

    /// Hold the room's lease through the worker lease `held` (a sleeping room), under `token`.
    pub fn held_through(mut self, held: Arc<Held>, token: String) -> Self {
        self.clock = held.clock.clone();
        self.token = token;
        self.worker_lease = Some(held);
        self
    }

    /// A room about to run under `epoch`, from a fresh game or a restored snapshot.
    pub fn new(
        id: RoomId,
        epoch: Epoch,
        settings: RoomSettings,
        token: String,
        clock: Arc<LeaseClock>,
        game: Box<dyn Game>,
        restored: Option<RoomSnapshot>,
    ) -> Self {
        let views = game.views();
        let mut room = Self {
            id,
            epoch,
            settings,
            token,
            clock,
            worker_lease: None,
            game,
            views,
            tick: Tick(0),
            last_input: BTreeMap::new(),
            sockets: BTreeMap::new(),
            commands: BTreeMap::new(),
            queued_inputs: Vec::new(),
            next_event_seq: 1,
            pending_events: Vec::new(),
            step_events: Vec::new(),
            durable_phase: None,
            // The first frame of every epoch is a keyframe: clients may hold frames of
            // the previous owner that this history does not contain.
            keyframe_next: true,
            confirm_seats_at: None,
            vouched: BTreeSet::new(),
            event_quota: Default::default(),
            spectators: Spectators::default(),
            game_version: 0,
            pace: Pace::Fixed,
            wall: WallMs(0),
            last_hot: None,
        };
        room.pace = room.game.pace();
        if let Some(s) = restored {
            // A restored room is already carried by its snapshots: its first durable write
            // waits for the regular period instead of stalling the hand-off's first ticks.
            room.durable_phase = Some(room.game.phase());
            room.tick = s.tick;
            room.last_input = s.last_input.into_iter().collect();
            room.next_event_seq = s.next_event_seq;
            room.pending_events = s.pending_events;
            room.commands = s.commands.into_iter().map(|(p, c)| (p, c.into_iter().collect())).collect();
            // Who is still connected died with the previous owner: ask the gateways.
            room.confirm_seats_at = Some(Instant::now() + SEAT_CONFIRMATION);
        }
        room
    }

    pub fn tick(&self) -> Tick {
        self.tick
    }

    /// Whether the room ticks or sleeps until something is due.
    pub fn pace(&self) -> Pace {
        self.pace
    }

    /// Tell the game the wall clock (a sleeping room, before anything that may change it);
    /// a clock that went backwards is held where it was.
    pub(crate) fn set_clock(&mut self, now: WallMs) {
        self.wall = self.wall.max(now);
        self.game.set_clock(self.wall);
    }

    /// When the game must next run though nobody acts.
    pub(crate) fn wake_at(&self) -> Option<WallMs> {
        self.game.wake_at()
    }

    /// The seated players, and those the match waits on.
    pub(crate) fn seats(&self) -> (Vec<PlayerId>, Vec<PlayerId>) {
        (self.game.seated(), self.game.awaiting())
    }

    /// When a restored room disconnects the players no gateway vouched for.
    pub(crate) fn confirm_seats_at(&self) -> Option<Instant> {
        self.confirm_seats_at
    }

    /// Where the room is in its history: this epoch, the last tick.
    pub fn pos(&self) -> HistoryPos {
        HistoryPos::new(self.epoch, self.tick)
    }

    /// The game's phase now.
    pub fn phase(&self) -> Phase {
        self.game.phase()
    }

    /// The match's results, once it has them. A match of fewer than
    /// [`MIN_COUNTED_PLAYERS`] players (a room created with one seat) has none: it is
    /// written to no leaderboard and moves no rating.
    pub fn results(&self) -> Option<Vec<PlayerResult>> {
        self.game.results().filter(|r| r.len() >= MIN_COUNTED_PLAYERS)
    }

    /// An input taken off the subscription at `arrived`, for the next tick.
    pub(crate) fn queue_input(&mut self, input: InputEnvelope, arrived: Instant) {
        self.queued_inputs.push((input, arrived));
    }

    /// `phase` differs from the phase of the last durable snapshot: a phase change is
    /// written durably at once.
    pub(crate) fn phase_changed_since_durable(&self, phase: Phase) -> bool {
        self.durable_phase != Some(phase)
    }

    /// The match events not yet in a durable snapshot.
    pub(crate) fn pending_events(&self) -> &[PendingEvent] {
        &self.pending_events
    }

    /// A durable snapshot at `phase` was handed to the writer: a phase change is written
    /// once, not at every tick while the write is under way.
    pub(crate) fn durable_submitted(&mut self, phase: Phase) {
        self.durable_phase = Some(phase);
    }

    /// A durable snapshot holding the events up to `last_event` was committed: they are
    /// no longer pending (events that happened since stay, for the next one).
    pub(crate) fn durable_written(&mut self, last_event: Option<u64>) {
        if let Some(last) = last_event {
            self.pending_events.retain(|e| e.seq > last);
        }
        self.event_quota.prune();
    }

    /// `snapshot` (of this room) differs from the last hot snapshot
    /// written only by its tick: the stored one restores the same room, so writing it again
    /// can be skipped. A game whose own state counts time never repeats itself.
    pub(crate) fn hot_unchanged(&self, snapshot: &RoomSnapshot) -> bool {
        let Some(last) = &self.last_hot else { return false };
        // Every field but the tick (a new field must be named here, or this stops compiling).
        let RoomSnapshot { tick: _, game_version, game, last_input, next_event_seq, pending_events, commands } = snapshot;
        *game_version == last.game_version
            && *game == last.game
            && *last_input == last.last_input
            && *next_event_seq == last.next_event_seq
            && *pending_events == last.pending_events
            && *commands == last.commands
    }

    /// `snapshot` was written as the hot snapshot.
    pub(crate) fn hot_written(&mut self, snapshot: RoomSnapshot) {
        self.last_hot = Some(snapshot);
    }

    /// The room, frozen now.
    pub fn snapshot(&self) -> RoomSnapshot {
        RoomSnapshot {
            tick: self.tick,
            game_version: self.game_version,
            game: self.game.snapshot(),
            last_input: self.last_input.iter().map(|(p, s)| (*p, *s)).collect(),
            next_event_seq: self.next_event_seq,
            pending_events: self.pending_events.clone(),
            commands: self.commands.iter().map(|(p, c)| (*p, c.iter().cloned().collect())).collect(),
        }
    }

    fn acks(&self) -> Vec<(PlayerId, InputSeq)> {
        self.last_input.iter().map(|(p, s)| (*p, *s)).collect()
    }

    /// A keyframe of the room now, for `viewer` (its join, watch or resync).
    fn keyframe(&self, viewer: Viewer) -> StateFrame {
        let (payload, parts) = views::encode(self.game.as_ref(), self.views, Encoding::Keyframe, Viewers::One(viewer));
        StateFrame {
            room: self.id,
            epoch: self.epoch,
            tick: self.tick,
            kind: FrameKind::Keyframe,
            acks: self.acks(),
            input_waits_us: Vec::new(),
            payload,
            parts,
        }
    }

    /// Apply the queued inputs in order (at most once per sequence number, I5), step the
    /// game, and return the frame for the new tick, which started at `started`.
    pub(crate) fn step(&mut self, metrics: &crate::metrics::Metrics, started: Instant) -> StateFrame {
        let mut input_waits_us: Vec<(PlayerId, u32)> = Vec::new();
        for (input, arrived) in self.queued_inputs.drain(..) {
            let last = self.last_input.get(&input.player).copied();
            if last.is_some_and(|l| input.seq <= l) {
                metrics.inputs_rejected.inc();
                continue;
            }
            // A rejected input still consumes its sequence number: resending it cannot help.
            self.last_input.insert(input.player, input.seq);
            let waited_us = u32::try_from(started.saturating_duration_since(arrived).as_micros()).unwrap_or(u32::MAX);
            match input_waits_us.iter_mut().find(|(p, _)| *p == input.player) {
                Some(newest) => newest.1 = waited_us,
                None => input_waits_us.push((input.player, waited_us)),
            }
            match self.game.apply_input(input.player, &input.payload) {
                Ok(()) => metrics.inputs_applied.inc(),
                Err(e) => {
                    metrics.inputs_rejected.inc();
                    debug!(room = %self.id, player = %input.player, error = %e, "input rejected");
                }
            }
        }
        self.step_events.clear();
        self.game.step(&mut self.step_events);
        let base = self.tick;
        self.tick = self.tick.next();
        for ev in self.step_events.drain(..) {
            if !self.event_quota.allows(&ev) {
                metrics.quota_refusals.with_label_values(&[crate::metrics::QUOTAS[0]]).inc();
                continue;
            }
            let audience = self.game.event_audience(&ev);
            self.pending_events.push(PendingEvent::new(self.next_event_seq, self.tick, ev, audience));
            self.next_event_seq += 1;
        }
        let (encoding, kind) = if std::mem::take(&mut self.keyframe_next) {
            (Encoding::Keyframe, FrameKind::Keyframe)
        } else {
            (Encoding::Delta, FrameKind::Delta { base })
        };
        let viewers = Viewers::Seated { watched: self.spectators.any() };
        let (payload, parts) = views::encode(self.game.as_ref(), self.views, encoding, viewers);
        StateFrame { room: self.id, epoch: self.epoch, tick: self.tick, kind, acks: self.acks(), input_waits_us, payload, parts }
    }

    pub(crate) fn control(&mut self, req: ControlRequest) -> ControlReply {
        match req {
            ControlRequest::Join { player, name, session } => match self.game.join(player, &name) {
                Ok(()) => {
                    self.sockets.insert(player, session);
                    self.vouched.insert(player);
                    self.keyframe_reply(player)
                }
                Err(e) => ControlReply::Refused { reason: e.to_string() },
            },
            ControlRequest::Leave { player, reason, session } => {
                // A socket that closes after the player reconnected elsewhere says nothing
                // about the player.
                if !reason.overrides_sockets() && self.sockets.get(&player).is_some_and(|s| *s != session) {
                    return ControlReply::Ok;
                }
                self.sockets.remove(&player);
                match reason {
                    LeaveReason::Disconnected => self.game.disconnect(player),
                    LeaveReason::Left | LeaveReason::Kicked => self.game.leave(player),
                }
                ControlReply::Ok
            }
            ControlRequest::Resync { player } => self.keyframe_reply(player),
            ControlRequest::Watch { player, session } => match self.spectators.watch(player, session) {
                Ok(()) => {
                    ControlReply::Keyframe { tick_hz: self.settings.tick_hz, last_input: None, frame: self.keyframe(Viewer::Spectator) }
                }
                Err(full) => ControlReply::SpectatorsFull { limit: full.limit },
            },
            ControlRequest::Unwatch { player, session } => {
                self.spectators.unwatch(player, session);
                ControlReply::Ok
            }
            ControlRequest::Command { player, id, payload } => ControlReply::CommandAck { outcome: self.command(player, id, &payload) },
            ControlRequest::Present { players } => {
                if self.confirm_seats_at.is_some() {
                    self.vouched.extend(players);
                }
                ControlReply::Ok
            }
        }
    }

    /// Once the confirmation window of a restored room has passed (at `now`), disconnect
    /// every seated player no gateway vouched for: their sockets went away with the old
    /// owner or their gateway, and nobody is left to say so. Returns how many.
    pub(crate) fn confirm_seats(&mut self, now: Instant) -> usize {
        if self.confirm_seats_at.is_none_or(|at| now < at) {
            return 0;
        }
        self.confirm_seats_at = None;
        let gone: Vec<PlayerId> = self.game.seated().into_iter().filter(|p| !self.vouched.contains(p)).collect();
        for player in &gone {
            self.game.disconnect(*player);
        }
        self.vouched.clear();
        gone.len()
    }

    /// Apply a command at most once: a known id gets its first outcome again.
    fn command(&mut self, player: PlayerId, id: ClientMsgId, payload: &[u8]) -> CommandOutcome {
        let log = self.commands.entry(player).or_default();
        if let Some((_, outcome)) = log.iter().find(|(seen, _)| *seen == id) {
            return outcome.clone();
        }
        let outcome = match self.game.command(player, payload) {
            Ok(()) => CommandOutcome::Accepted,
            Err(e) => CommandOutcome::Rejected { reason: e.to_string() },
        };
        log.push_back((id, outcome.clone()));
        if log.len() > COMMANDS_REMEMBERED {
            log.pop_front();
        }
        outcome
    }

    fn keyframe_reply(&self, player: PlayerId) -> ControlReply {
        ControlReply::Keyframe {
            tick_hz: self.settings.tick_hz,
            last_input: self.last_input.get(&player).copied(),
            frame: self.keyframe(Viewer::Player(player)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;
    use orrery_arena::{ArenaFactory, ArenaView, Intent, encode_intent};
    use orrery_common::game::GameFactory;

    fn room() -> (Room, Metrics) {
        let settings = RoomSettings { mode: "arena-duel".into(), ..RoomSettings::default() };
        let game = ArenaFactory.create(&settings);
        let clock = Arc::new(LeaseClock::new(Instant::now(), Duration::from_secs(60)));
        let room = Room::new(RoomId(1), Epoch(1), settings, "token".into(), clock, game, None);
        (room, Metrics::new(&prometheus::Registry::new()))
    }

    fn connected(room: &Room, player: PlayerId) -> bool {
        let view = ArenaView::from_keyframe(&room.keyframe(Viewer::Player(player)).payload).unwrap();
        view.ship_of(player).expect("seated").connected()
    }

    #[test]
    fn a_late_leave_from_an_older_socket_does_not_disconnect_the_player() {
        let (mut room, _) = room();
        let p = PlayerId::random();
        room.control(ControlRequest::Join { player: p, name: "ada".into(), session: SocketId(1) });
        room.control(ControlRequest::Join { player: p, name: "ada".into(), session: SocketId(2) });
        room.control(ControlRequest::Leave { player: p, reason: LeaveReason::Disconnected, session: SocketId(1) });
        let mut events = Vec::new();
        room.game.step(&mut events);
        assert!(connected(&room, p), "the old socket's leave was ignored");
        room.control(ControlRequest::Leave { player: p, reason: LeaveReason::Disconnected, session: SocketId(2) });
        room.game.step(&mut events);
        assert!(!connected(&room, p), "the current socket's leave counts");
    }

    #[test]
    fn a_restored_room_disconnects_the_players_no_gateway_vouches_for() {
        let settings = RoomSettings { mode: "arena-practice".into(), max_players: 4, ..RoomSettings::default() };
        let clock = Arc::new(LeaseClock::new(Instant::now(), Duration::from_secs(60)));
        let mut before = Room::new(RoomId(1), Epoch(1), settings.clone(), "token".into(), clock, ArenaFactory.create(&settings), None);
        let (ada, bob, cy) = (PlayerId::random(), PlayerId::random(), PlayerId::random());
        for (player, name) in [(ada, "ada"), (bob, "bob"), (cy, "cy")] {
            before.control(ControlRequest::Join { player, name: name.into(), session: SocketId(1) });
        }
        let mut events = Vec::new();
        before.game.step(&mut events);
        // The owner dies; the next one restores the room from its snapshot.
        let snapshot = before.snapshot();
        let game = ArenaFactory.restore(&before.settings, &snapshot.game).unwrap();
        let clock = Arc::new(LeaseClock::new(Instant::now(), Duration::from_secs(60)));
        let mut restored = Room::new(RoomId(1), Epoch(2), before.settings.clone(), "token".into(), clock, game, Some(snapshot));
        let restored_at = Instant::now();
        assert!([ada, bob, cy].iter().all(|p| connected(&restored, *p)), "seated as they were");

        // Ada's gateway is alive and vouches for her socket; Bob joins again; Cy's gateway
        // died with her socket, so nobody speaks for her.
        restored.control(ControlRequest::Present { players: vec![ada] });
        restored.control(ControlRequest::Join { player: bob, name: "bob".into(), session: SocketId(2) });
        assert_eq!(restored.confirm_seats(restored_at + Duration::from_secs(1)), 0, "the gateways have time to answer");
        restored.game.step(&mut events);
        assert!(connected(&restored, cy));
        assert_eq!(restored.confirm_seats(restored_at + SEAT_CONFIRMATION + Duration::from_millis(10)), 1);
        restored.game.step(&mut events);
        assert!(connected(&restored, ada) && connected(&restored, bob), "vouched-for players stay connected");
        assert!(!connected(&restored, cy), "the unvouched player is disconnected: her grace runs");
        // Once is enough; a room that was never restored never does this.
        assert_eq!(restored.confirm_seats(restored_at + SEAT_CONFIRMATION * 2), 0);
        let (mut fresh, _) = room();
        fresh.control(ControlRequest::Join { player: ada, name: "ada".into(), session: SocketId(1) });
        assert_eq!(fresh.confirm_seats(Instant::now() + SEAT_CONFIRMATION * 2), 0);
        fresh.game.step(&mut events);
        assert!(connected(&fresh, ada));
    }

    #[test]
    fn a_kick_applies_whichever_socket_the_player_is_on() {
        let (mut room, _) = room();
        let p = PlayerId::random();
        room.control(ControlRequest::Join { player: p, name: "ada".into(), session: SocketId(7) });
        room.control(ControlRequest::Leave { player: p, reason: LeaveReason::Kicked, session: SocketId::ANY });
        let mut events = Vec::new();
        room.game.step(&mut events);
        let view = ArenaView::from_keyframe(&room.keyframe(Viewer::Player(p)).payload).unwrap();
        assert!(view.ship_of(p).is_none(), "the kicked player's seat is gone");
    }

    #[test]
    fn an_input_is_applied_at_most_once_and_in_order() {
        let (mut room, metrics) = room();
        let p = PlayerId::random();
        room.control(ControlRequest::Join { player: p, name: "ada".into(), session: SocketId(1) });
        let input =
            |seq| InputEnvelope { player: p, seq: InputSeq(seq), payload: encode_intent(&Intent { turn: 1.0, ..Intent::default() }) };
        let t0 = Instant::now();
        room.queued_inputs.extend([input(1), input(2), input(2), input(1)].map(|i| (i, t0)));
        let frame = room.step(&metrics, t0);
        room.queued_inputs.extend([input(2), input(3)].map(|i| (i, t0)));
        let next = room.step(&metrics, t0);
        assert_eq!(metrics.inputs_applied.get(), 3, "seq 1, 2 and 3 once each");
        assert_eq!(metrics.inputs_rejected.get(), 3, "the repeats of 1 and 2 are dropped");
        assert_eq!(frame.ack_of(p), Some(InputSeq(2)));
        assert_eq!(next.ack_of(p), Some(InputSeq(3)));
        assert_eq!(room.snapshot().last_input, vec![(p, InputSeq(3))], "the last applied sequence is in the snapshot");
    }

    #[test]
    fn a_frame_reports_how_long_the_newest_applied_input_waited_for_its_tick() {
        let (mut room, metrics) = room();
        let (ada, bob) = (PlayerId::random(), PlayerId::random());
        for (player, name) in [(ada, "ada"), (bob, "bob")] {
            room.control(ControlRequest::Join { player, name: name.into(), session: SocketId(1) });
        }
        let input = |player, seq| InputEnvelope { player, seq: InputSeq(seq), payload: encode_intent(&Intent::default()) };
        let tick = Instant::now();
        room.queued_inputs.extend([
            (input(ada, 1), tick - Duration::from_micros(9_000)),
            (input(ada, 2), tick - Duration::from_micros(4_000)),
            // A repeat is not applied, so it is not timed.
            (input(ada, 2), tick - Duration::from_micros(1_000)),
            (input(bob, 5), tick - Duration::from_micros(250)),
        ]);
        let frame = room.step(&metrics, tick);
        assert_eq!(frame.input_waits_us, vec![(ada, 4_000), (bob, 250)]);
        let next = room.step(&metrics, tick + Duration::from_millis(33));
        assert!(next.input_waits_us.is_empty(), "a tick that applies nothing times nothing");
        assert!(room.keyframe(Viewer::Player(ada)).input_waits_us.is_empty());
    }

    #[test]
    fn a_hot_snapshot_that_changed_only_its_tick_is_skipped() {
        let (mut room, _) = room();
        let first = room.snapshot();
        assert!(!room.hot_unchanged(&first), "nothing written yet");
        room.hot_written(first.clone());
        for tick in [1, 200, 1 << 40] {
            let later = RoomSnapshot { tick: Tick(first.tick.get() + tick), ..first.clone() };
            assert!(room.hot_unchanged(&later), "only the tick moved (+{tick})");
        }
        let event = PendingEvent {
            seq: 1,
            tick: Tick(1),
            kind: "hit".into(),
            player: None,
            detail_json: "null".into(),
            audience: Default::default(),
        };
        let changed = RoomSnapshot { pending_events: vec![event], ..first.clone() };
        assert!(!room.hot_unchanged(&changed), "an event is a change");
        let moved = RoomSnapshot { game: vec![9], ..first.clone() };
        assert!(!room.hot_unchanged(&moved), "the game moved");
        // The arena's own state counts ticks: a stepped arena is never skipped.
        let metrics = Metrics::new(&prometheus::Registry::new());
        room.step(&metrics, Instant::now());
        assert!(!room.hot_unchanged(&room.snapshot()));
    }

    #[test]
    fn a_committed_durable_write_forgets_only_the_events_it_held() {
        let (mut room, _) = room();
        let event = |seq| PendingEvent {
            seq,
            tick: Tick(seq),
            kind: "hit".into(),
            player: None,
            detail_json: "null".into(),
            audience: Default::default(),
        };
        room.pending_events = vec![event(1), event(2)];
        // The writer took events 1 and 2; event 3 happened while it wrote.
        let taken = room.pending_events().iter().map(|e| e.seq).max();
        room.pending_events.push(event(3));
        room.durable_written(taken);
        assert_eq!(room.pending_events(), &[event(3)], "the event after the snapshot stays for the next one");
        room.durable_written(None);
        assert_eq!(room.pending_events(), &[event(3)], "a write without events forgets none");
    }

    #[test]
    fn the_first_frame_of_an_epoch_is_a_keyframe_then_deltas_chain() {
        let (mut room, metrics) = room();
        let first = room.step(&metrics, Instant::now());
        let second = room.step(&metrics, Instant::now());
        assert_eq!(first.kind, FrameKind::Keyframe);
        assert_eq!(second.kind, FrameKind::Delta { base: first.tick });
    }
}
