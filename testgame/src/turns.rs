//! `turns`: a tiny turn-based game with hidden information, for the engine's sleeping-room
//! tests only ([`Pace::OnDemand`]).
//!
//! 2–4 seats; the match starts when every seat is taken. Each turn every player submits one
//! secret [`Order`] as a command (a pick 0–9); the turn resolves when all have, or when its
//! deadline ([`Game::wake_at`]) passes (a missing order counts as 0). A pick scores
//! `pick × secret mod 10`, where each player's secret (1–9) is theirs alone to see. After
//! [`TURNS`] turns the best score wins; the room may close [`LINGER_MS`] later.
//!
//! Frames are per viewer: the shared part is the public board and the public events of the
//! last run; a player's part is their secret, their pending order and their private
//! events. Every event carries the game's own index, and a keyframe says up to which index
//! it already contains, so [`TurnsView`] catches an event delivered twice, or delivered
//! after a snapshot that already contains it, and any other player's hidden data.
//! [`replay`] rebuilds a match from its first snapshot and its event log.

use orrery_common::PlayerId;
use orrery_common::game::{
    Audience, CommandRejected, Game, GameEvent, GameFactory, InputRejected, JoinRefused, Pace, Phase, PlayerResult, RestoreError,
    RoomSettings, Viewer, Views, WallMs,
};
use serde::{Deserialize, Serialize};

/// The mode `turns` (deadline [`DEFAULT_TURN_MS`]) or `turns-<ms>` (its own deadline).
pub const NAME: &str = "turns";
/// Turns in a match.
pub const TURNS: u32 = 5;
/// A turn's deadline, from its start, unless the mode names another.
pub const DEFAULT_TURN_MS: u64 = 30_000;
/// How long a finished match stays open before the room may close.
pub const LINGER_MS: u64 = 2_000;

/// A player's order for one turn (the command's payload).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub turn: u32,
    pub pick: u8,
}

/// An order's bytes.
pub fn encode_order(order: &Order) -> Vec<u8> {
    postcard::to_allocvec(order).expect("postcard encoding into a Vec cannot fail")
}

/// Something that happened, as frames carry it and the event log stores it (JSON detail).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnEvent {
    /// The game's own running number: strictly increasing, never reused.
    pub index: u64,
    pub what: What,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum What {
    Joined {
        player: PlayerId,
        name: String,
    },
    Left {
        player: PlayerId,
    },
    Started,
    /// A player ordered (what, only they know until the turn resolves).
    Ordered {
        player: PlayerId,
        turn: u32,
    },
    /// The turn resolved; the picks are public from now on.
    Resolved {
        turn: u32,
        picks: Vec<(PlayerId, u8)>,
        timed_out: bool,
    },
    /// Private: what the turn gave `player` (it reveals their secret).
    Scored {
        player: PlayerId,
        turn: u32,
        gain: u32,
        secret: u8,
    },
    Over {
        winner: Option<PlayerId>,
    },
}

impl What {
    /// The one player who may see it, for a private event.
    fn private_to(&self) -> Option<PlayerId> {
        match self {
            What::Scored { player, .. } => Some(*player),
            _ => None,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            What::Joined { .. } => "joined",
            What::Left { .. } => "left",
            What::Started => "started",
            What::Ordered { .. } => "ordered",
            What::Resolved { .. } => "resolved",
            What::Scored { .. } => "scored",
            What::Over { .. } => "over",
        }
    }

    fn about(&self) -> Option<PlayerId> {
        match self {
            What::Joined { player, .. } | What::Left { player } | What::Ordered { player, .. } | What::Scored { player, .. } => {
                Some(*player)
            }
            What::Over { winner } => *winner,
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Seat {
    name: String,
    secret: u8,
    score: u32,
    order: Option<u8>,
    connected: bool,
    gone: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
enum Stage {
    #[default]
    Lobby,
    Running,
    Over,
    Closable,
}

/// The room's state (the snapshot is this, postcard-encoded).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnsGame {
    max_players: usize,
    turn_ms: u64,
    rng: u64,
    stage: Stage,
    turn: u32,
    deadline: Option<WallMs>,
    now: WallMs,
    /// Seats in the order they were taken.
    seats: Vec<(PlayerId, Seat)>,
    winner: Option<PlayerId>,
    next_index: u64,
    /// Events since the last step (joins, leaves, orders): the next step reports them.
    pending: Vec<TurnEvent>,
    /// What the last step reported: the deltas carry these.
    last: Vec<TurnEvent>,
}

/// Public part of a player's seat on the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicSeat {
    pub player: PlayerId,
    pub score: u32,
    pub ordered: bool,
    pub connected: bool,
}

/// What every viewer may see.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub turn: u32,
    pub over: bool,
    pub deadline: Option<WallMs>,
    pub seats: Vec<PublicSeat>,
    pub winner: Option<PlayerId>,
    /// Every event with a lower index is already reflected in this board.
    pub events_through: u64,
}

/// What only `owner` may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Private {
    pub owner: PlayerId,
    pub secret: u8,
    pub order: Option<u8>,
}

/// What decides a match, for comparing a replay with the real thing: every seat's secret
/// and score, the turn and the winner (not the clock, deadlines or connections).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub turn: u32,
    pub seats: Vec<(PlayerId, u8, u32)>,
    pub winner: Option<PlayerId>,
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The deadline of mode `turns-<ms>`, or [`DEFAULT_TURN_MS`].
fn turn_ms_of(mode: &str) -> u64 {
    mode.strip_prefix("turns-").and_then(|ms| ms.parse().ok()).filter(|ms| *ms > 0).unwrap_or(DEFAULT_TURN_MS)
}

impl TurnsGame {
    /// A fresh room.
    pub fn new(settings: &RoomSettings) -> Self {
        Self {
            max_players: usize::from(settings.max_players).clamp(2, 4),
            turn_ms: turn_ms_of(&settings.mode),
            rng: settings.seed,
            ..Self::default()
        }
    }

    /// The game as its snapshot says.
    pub fn from_snapshot(bytes: &[u8]) -> Result<Self, RestoreError> {
        postcard::from_bytes(bytes).map_err(|e| RestoreError(e.to_string()))
    }

    /// What decides the match.
    pub fn outcome(&self) -> Outcome {
        Outcome { turn: self.turn, seats: self.seats.iter().map(|(p, s)| (*p, s.secret, s.score)).collect(), winner: self.winner }
    }

    /// The turn being played (0 before the start).
    pub fn turn(&self) -> u32 {
        self.turn
    }

    fn seat(&mut self, player: PlayerId) -> Option<&mut Seat> {
        self.seats.iter_mut().find(|(p, _)| *p == player).map(|(_, s)| s)
    }

    fn record(&mut self, what: What) {
        self.pending.push(TurnEvent { index: self.next_index, what });
        self.next_index += 1;
    }

    fn take_seat(&mut self, player: PlayerId, name: &str) {
        let secret = (splitmix(&mut self.rng) % 9) as u8 + 1;
        self.seats.push((player, Seat { name: name.into(), secret, connected: true, ..Seat::default() }));
    }

    fn resolve(&mut self, timed_out: bool) {
        let turn = self.turn;
        let mut picks = Vec::new();
        let mut scored = Vec::new();
        for (player, seat) in &mut self.seats {
            let pick = seat.order.take().unwrap_or(0);
            let gain = u32::from(pick) * u32::from(seat.secret) % 10;
            seat.score += gain;
            picks.push((*player, pick));
            scored.push(What::Scored { player: *player, turn, gain, secret: seat.secret });
        }
        self.record(What::Resolved { turn, picks, timed_out });
        for s in scored {
            self.record(s);
        }
        if turn >= TURNS {
            self.stage = Stage::Over;
            let best = self.seats.iter().map(|(_, s)| s.score).max();
            let mut leaders = self.seats.iter().filter(|(_, s)| Some(s.score) == best);
            self.winner = match (leaders.next(), leaders.next()) {
                (Some((p, _)), None) => Some(*p),
                _ => None,
            };
            self.record(What::Over { winner: self.winner });
            self.deadline = Some(WallMs(self.now.0 + LINGER_MS));
        } else {
            self.turn += 1;
            self.deadline = Some(WallMs(self.now.0 + self.turn_ms));
        }
    }

    fn board(&self) -> Board {
        Board {
            turn: self.turn,
            over: matches!(self.stage, Stage::Over | Stage::Closable),
            deadline: self.deadline.filter(|_| self.stage == Stage::Running),
            seats: self
                .seats
                .iter()
                .map(|(p, s)| PublicSeat { player: *p, score: s.score, ordered: s.order.is_some(), connected: s.connected })
                .collect(),
            winner: self.winner,
            events_through: self.next_index,
        }
    }

    fn private(&self, viewer: Viewer) -> Option<Private> {
        let player = viewer.player()?;
        let (_, seat) = self.seats.iter().find(|(p, _)| *p == player)?;
        Some(Private { owner: player, secret: seat.secret, order: seat.order })
    }

    fn encode_view(&self, viewer: Viewer, events: &[TurnEvent], out: &mut Vec<u8>) {
        if let Some(private) = self.private(viewer) {
            let own: Vec<&TurnEvent> = events.iter().filter(|e| e.what.private_to() == Some(private.owner)).collect();
            out.extend(postcard::to_allocvec(&(private, own)).expect("encodes"));
        }
    }
}

impl Game for TurnsGame {
    fn join(&mut self, player: PlayerId, name: &str) -> Result<(), JoinRefused> {
        if let Some(seat) = self.seat(player) {
            seat.connected = true;
            return Ok(());
        }
        if self.stage != Stage::Lobby {
            return Err(JoinRefused::Closed);
        }
        if self.seats.len() >= self.max_players {
            return Err(JoinRefused::Full);
        }
        self.take_seat(player, name);
        self.record(What::Joined { player, name: name.into() });
        Ok(())
    }

    fn disconnect(&mut self, player: PlayerId) {
        if let Some(seat) = self.seat(player) {
            seat.connected = false;
        }
    }

    fn leave(&mut self, player: PlayerId) {
        let Some(seat) = self.seat(player) else { return };
        if seat.gone {
            return;
        }
        seat.connected = false;
        seat.gone = true;
        if self.stage == Stage::Lobby {
            self.seats.retain(|(p, _)| *p != player);
        }
        self.record(What::Left { player });
    }

    fn seated(&self) -> Vec<PlayerId> {
        self.seats.iter().filter(|(_, s)| !s.gone).map(|(p, _)| *p).collect()
    }

    fn apply_input(&mut self, _player: PlayerId, _input: &[u8]) -> Result<(), InputRejected> {
        // Orders are commands: an input has nothing to say in this game.
        Err(InputRejected::Malformed)
    }

    fn command(&mut self, player: PlayerId, command: &[u8]) -> Result<(), CommandRejected> {
        let order: Order = postcard::from_bytes(command).map_err(|_| CommandRejected("an order could not be decoded".into()))?;
        let (stage, turn) = (self.stage, self.turn);
        let seat = self.seat(player).filter(|s| !s.gone).ok_or_else(|| CommandRejected("you hold no seat in this match".into()))?;
        if stage != Stage::Running {
            return Err(CommandRejected("the match is not running".into()));
        }
        if order.turn != turn {
            return Err(CommandRejected(format!("this is turn {turn}, not turn {}", order.turn)));
        }
        if order.pick > 9 {
            return Err(CommandRejected(format!("a pick is 0 to 9, not {}", order.pick)));
        }
        if seat.order.is_some() {
            return Err(CommandRejected(format!("you already ordered for turn {turn}")));
        }
        seat.order = Some(order.pick);
        self.record(What::Ordered { player, turn });
        Ok(())
    }

    fn step(&mut self, events: &mut Vec<GameEvent>) {
        match self.stage {
            Stage::Lobby if self.seats.len() == self.max_players => {
                self.stage = Stage::Running;
                self.turn = 1;
                self.deadline = Some(WallMs(self.now.0 + self.turn_ms));
                self.record(What::Started);
            }
            Stage::Running => {
                let all_ordered = self.seats.iter().all(|(_, s)| s.gone || s.order.is_some());
                let timed_out = self.deadline.is_some_and(|d| self.now >= d);
                if all_ordered || timed_out {
                    self.resolve(!all_ordered);
                }
            }
            Stage::Over if self.deadline.is_some_and(|d| self.now >= d) => {
                self.stage = Stage::Closable;
                self.deadline = None;
            }
            _ => {}
        }
        self.last = std::mem::take(&mut self.pending);
        for e in &self.last {
            let detail = serde_json::to_value(e).expect("an event is JSON");
            events.push(GameEvent { kind: e.what.kind().into(), player: e.what.about(), detail });
        }
    }

    fn phase(&self) -> Phase {
        match self.stage {
            Stage::Lobby => Phase::Lobby,
            Stage::Running => Phase::Running,
            Stage::Over => Phase::Over,
            Stage::Closable => Phase::Closable,
        }
    }

    fn results(&self) -> Option<Vec<PlayerResult>> {
        if !matches!(self.stage, Stage::Over | Stage::Closable) {
            return None;
        }
        let mut ranked: Vec<&(PlayerId, Seat)> = self.seats.iter().collect();
        ranked.sort_by_key(|(_, s)| std::cmp::Reverse(s.score));
        Some(
            ranked
                .iter()
                .enumerate()
                .map(|(i, (p, s))| PlayerResult { player: *p, rank: i as u16 + 1, score: i64::from(s.score), kills: 0 })
                .collect(),
        )
    }

    fn encode_keyframe(&self, out: &mut Vec<u8>) {
        // A keyframe carries no event: every event below `events_through` is in the board.
        out.extend(postcard::to_allocvec(&(self.board(), Vec::<TurnEvent>::new())).expect("encodes"));
    }

    fn encode_delta(&self, out: &mut Vec<u8>) {
        let public: Vec<&TurnEvent> = self.last.iter().filter(|e| e.what.private_to().is_none()).collect();
        out.extend(postcard::to_allocvec(&(self.board(), public)).expect("encodes"));
    }

    fn views(&self) -> Views {
        Views::PerViewer
    }

    fn encode_keyframe_view(&self, viewer: Viewer, out: &mut Vec<u8>) {
        self.encode_view(viewer, &[], out);
    }

    fn encode_delta_view(&self, viewer: Viewer, out: &mut Vec<u8>) {
        self.encode_view(viewer, &self.last, out);
    }

    fn pace(&self) -> Pace {
        Pace::OnDemand
    }

    fn set_clock(&mut self, now: WallMs) {
        self.now = self.now.max(now);
    }

    fn wake_at(&self) -> Option<WallMs> {
        match self.stage {
            Stage::Running | Stage::Over => self.deadline,
            _ => None,
        }
    }

    fn awaiting(&self) -> Vec<PlayerId> {
        if self.stage != Stage::Running {
            return Vec::new();
        }
        self.seats.iter().filter(|(_, s)| !s.gone && s.order.is_none()).map(|(p, _)| *p).collect()
    }

    fn event_audience(&self, event: &GameEvent) -> Audience {
        match (event.kind.as_str(), event.player) {
            ("scored", Some(p)) => Audience::Players(vec![p]),
            _ => Audience::Everyone,
        }
    }

    fn snapshot(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("postcard encoding into a Vec cannot fail")
    }
}

/// Makes `turns` rooms.
#[derive(Clone, Copy, Debug, Default)]
pub struct TurnsFactory;

impl GameFactory for TurnsFactory {
    fn name(&self) -> &'static str {
        NAME
    }

    fn create(&self, settings: &RoomSettings) -> Box<dyn Game> {
        Box::new(TurnsGame::new(settings))
    }

    fn restore(&self, _settings: &RoomSettings, snapshot: &[u8]) -> Result<Box<dyn Game>, RestoreError> {
        Ok(Box::new(TurnsGame::from_snapshot(snapshot)?))
    }
}

/// Rebuild a match from its first snapshot and its whole event log (every audience, in
/// order): joins, leaves and each turn's revealed picks, through the same rules.
pub fn replay(first_snapshot: &[u8], events: &[GameEvent]) -> Result<TurnsGame, RestoreError> {
    let mut game = TurnsGame::from_snapshot(first_snapshot)?;
    for ev in events {
        let e: TurnEvent = serde_json::from_value(ev.detail.clone()).map_err(|e| RestoreError(format!("event: {e}")))?;
        match e.what {
            What::Joined { player, name } => game.take_seat(player, &name),
            What::Left { player } => {
                let lobby = game.stage == Stage::Lobby;
                if let Some(seat) = game.seat(player) {
                    seat.gone = true;
                }
                if lobby {
                    game.seats.retain(|(p, _)| *p != player);
                }
            }
            What::Started => {
                game.stage = Stage::Running;
                game.turn = 1;
            }
            What::Resolved { turn, picks, timed_out } => {
                if turn != game.turn {
                    return Err(RestoreError(format!("the log resolves turn {turn} during turn {}", game.turn)));
                }
                for (player, pick) in picks {
                    if let Some(seat) = game.seat(player) {
                        seat.order = Some(pick);
                    }
                }
                game.resolve(timed_out);
            }
            What::Ordered { .. } | What::Scored { .. } | What::Over { .. } => {}
        }
    }
    Ok(game)
}

/// A payload could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TurnsViewError(pub String);

/// What one client knows from the frames it was sent, and what it should never have been:
/// another player's hidden data (`leaks`) or an event twice or already in a keyframe
/// (`repeats`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TurnsView {
    pub me: Option<PlayerId>,
    pub board: Board,
    pub private: Option<Private>,
    /// Every event received, in order.
    pub log: Vec<TurnEvent>,
    pub leaks: Vec<String>,
    pub repeats: Vec<u64>,
    /// Events with a lower index are known (in a keyframe, or received).
    known_through: u64,
}

impl TurnsView {
    pub fn for_player(me: PlayerId) -> Self {
        Self { me: Some(me), ..Self::default() }
    }

    /// Apply a keyframe (`delta` false) or a delta payload.
    pub fn apply(&mut self, payload: &[u8], delta: bool) -> Result<(), TurnsViewError> {
        let bad = |what: &str, e: postcard::Error| TurnsViewError(format!("{what}: {e}"));
        let ((board, public), rest) = postcard::take_from_bytes::<(Board, Vec<TurnEvent>)>(payload).map_err(|e| bad("board", e))?;
        let mut events = public;
        if !delta {
            self.known_through = self.known_through.max(board.events_through);
            if !events.is_empty() {
                self.leaks.push(format!("a keyframe carried {} events", events.len()));
            }
        }
        self.board = board;
        self.private = None;
        if !rest.is_empty() {
            let ((private, own), tail) = postcard::take_from_bytes::<(Private, Vec<TurnEvent>)>(rest).map_err(|e| bad("private", e))?;
            if Some(private.owner) != self.me {
                self.leaks.push(format!("the private part of {}", private.owner));
            }
            if !tail.is_empty() {
                self.leaks.push(format!("{} bytes after the private part", tail.len()));
            }
            self.private = Some(private);
            events.extend(own);
        }
        events.sort_by_key(|e| e.index);
        for e in events {
            if let Some(owner) = e.what.private_to()
                && Some(owner) != self.me
            {
                self.leaks.push(format!("event {} is private to {owner}", e.index));
            }
            if e.index < self.known_through {
                self.repeats.push(e.index);
                continue;
            }
            self.known_through = e.index + 1;
            self.log.push(e);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(players: u8) -> RoomSettings {
        RoomSettings { mode: "turns-1000".into(), max_players: players, tick_hz: 1, seed: 42 }
    }

    fn run(game: &mut TurnsGame, now: u64, log: &mut Vec<GameEvent>) -> Vec<GameEvent> {
        game.set_clock(WallMs(now));
        let mut events = Vec::new();
        game.step(&mut events);
        log.extend(events.clone());
        events
    }

    #[test]
    fn a_match_runs_to_a_winner_by_orders_and_deadlines_and_replays_exactly() {
        let mut game = TurnsGame::new(&settings(3));
        let first = game.snapshot();
        let mut log = Vec::new();
        let players = [PlayerId::random(), PlayerId::random(), PlayerId::random()];
        for (i, p) in players.iter().enumerate() {
            game.set_clock(WallMs(i as u64));
            game.join(*p, "p").unwrap();
            run(&mut game, i as u64, &mut log);
        }
        assert_eq!(game.phase(), Phase::Running);
        assert_eq!(game.awaiting(), players.to_vec());
        assert_eq!(game.wake_at(), Some(WallMs(1002)));
        let mut now = 10;
        for turn in 1..=TURNS {
            // The last player only orders on even turns: odd turns end at their deadline.
            let orderers = if turn % 2 == 0 { &players[..] } else { &players[..2] };
            for (i, p) in orderers.iter().enumerate() {
                game.command(*p, &encode_order(&Order { turn, pick: i as u8 + 3 })).unwrap();
                let err = game.command(*p, &encode_order(&Order { turn, pick: 1 })).unwrap_err();
                assert!(err.0.contains("already"), "{err}");
            }
            let events = run(&mut game, now, &mut log);
            if turn % 2 == 1 {
                assert!(events.iter().all(|e| e.kind != "resolved"), "waits for the last order or the deadline");
                assert_eq!(game.awaiting(), vec![players[2]]);
                now = game.wake_at().unwrap().0;
                let events = run(&mut game, now, &mut log);
                assert!(events.iter().any(|e| e.kind == "resolved" && e.detail.to_string().contains("\"timed_out\":true")));
            }
            now += 10;
        }
        assert_eq!(game.phase(), Phase::Over);
        assert!(game.results().is_some());
        let private: Vec<_> = log.iter().filter(|e| game.event_audience(e) != Audience::Everyone).collect();
        assert_eq!(private.len(), 3 * TURNS as usize, "each player's gain is theirs");
        assert_eq!(replay(&first, &log).unwrap().outcome(), game.outcome());
        let linger = game.wake_at().unwrap().0;
        run(&mut game, linger, &mut log);
        assert_eq!(game.phase(), Phase::Closable);
    }

    #[test]
    fn bad_orders_are_refused_with_a_reason() {
        let mut game = TurnsGame::new(&settings(2));
        let (a, b, c) = (PlayerId::random(), PlayerId::random(), PlayerId::random());
        game.join(a, "a").unwrap();
        assert!(game.command(a, &encode_order(&Order { turn: 1, pick: 1 })).unwrap_err().0.contains("not running"));
        game.join(b, "b").unwrap();
        assert_eq!(game.join(c, "c"), Err(JoinRefused::Full));
        run(&mut game, 0, &mut Vec::new());
        assert!(game.command(c, &encode_order(&Order { turn: 1, pick: 1 })).unwrap_err().0.contains("no seat"));
        assert!(game.command(a, &encode_order(&Order { turn: 2, pick: 1 })).unwrap_err().0.contains("turn 1"));
        assert!(game.command(a, &encode_order(&Order { turn: 1, pick: 10 })).unwrap_err().0.contains("0 to 9"));
        assert!(game.command(a, &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).unwrap_err().0.contains("decoded"));
        game.command(a, &encode_order(&Order { turn: 1, pick: 1 })).unwrap();
    }

    #[test]
    fn views_show_each_player_their_own_only_and_every_event_once() {
        let mut game = TurnsGame::new(&settings(2));
        let (a, b) = (PlayerId::random(), PlayerId::random());
        let (mut va, mut vb, mut spectator) = (TurnsView::for_player(a), TurnsView::for_player(b), TurnsView::default());
        let frame = |game: &TurnsGame, viewer: Viewer, delta: bool| {
            let mut out = Vec::new();
            if delta {
                game.encode_delta(&mut out);
                game.encode_delta_view(viewer, &mut out);
            } else {
                game.encode_keyframe(&mut out);
                game.encode_keyframe_view(viewer, &mut out);
            }
            out
        };
        game.join(a, "a").unwrap();
        game.join(b, "b").unwrap();
        run(&mut game, 0, &mut Vec::new());
        game.command(a, &encode_order(&Order { turn: 1, pick: 4 })).unwrap();
        game.command(b, &encode_order(&Order { turn: 1, pick: 5 })).unwrap();
        run(&mut game, 5, &mut Vec::new());
        va.apply(&frame(&game, Viewer::Player(a), false), false).unwrap();
        vb.apply(&frame(&game, Viewer::Player(b), true), true).unwrap();
        spectator.apply(&frame(&game, Viewer::Spectator, true), true).unwrap();
        assert!(va.log.is_empty(), "a keyframe's events are inside it");
        assert_eq!(vb.log.iter().filter(|e| matches!(e.what, What::Scored { .. })).count(), 1, "b sees its own gain");
        assert!(spectator.log.iter().all(|e| e.what.private_to().is_none()) && spectator.private.is_none());
        assert!(va.leaks.is_empty() && vb.leaks.is_empty() && spectator.leaks.is_empty());
        // The same delta again, or after a keyframe that contains it: both are caught.
        vb.apply(&frame(&game, Viewer::Player(b), true), true).unwrap();
        assert!(!vb.repeats.is_empty(), "an event twice");
        va.apply(&frame(&game, Viewer::Player(a), true), true).unwrap();
        assert!(!va.repeats.is_empty(), "an event already in the keyframe");
        // Another player's part is a leak.
        let mut snoop = TurnsView::for_player(a);
        snoop.apply(&frame(&game, Viewer::Player(b), true), true).unwrap();
        assert!(!snoop.leaks.is_empty());
    }
}
