//! [`FrontierGame`]: one room, as the worker drives it through [`Game`].

use crate::config::FrontierConfig;
use crate::state::{LOG_KEPT, Seat, State};
use crate::wire::{self, Mine};
use orrery_common::PlayerId;
use orrery_common::game::{
    Audience, CommandRejected, Game, GameEvent, InputRejected, JoinRefused, Pace, Phase, PlayerResult, RestoreError, RoomSettings, Viewer,
    Views, WallMs,
};

/// One room of Frontier.
#[derive(Clone, Debug)]
pub struct FrontierGame {
    state: State,
    /// Whether the worker tells the clock ([`Pace::OnDemand`]); a worker that ticks at a
    /// fixed rate never does, and the clock then advances by a tick each step.
    told: bool,
    tick_ms: u64,
    /// Each seat's own delta from the last step (not state: recomputed every step).
    deltas: Vec<Vec<u8>>,
}

impl FrontierGame {
    pub fn new(settings: &RoomSettings) -> Self {
        Self::from_state(State::new(FrontierConfig::for_settings(settings), settings.seed), settings.tick_hz)
    }

    /// Continues exactly where [`Game::snapshot`] left off.
    pub fn restore(settings: &RoomSettings, snapshot: &[u8]) -> Result<Self, RestoreError> {
        Ok(Self::from_state(crate::snapshot::decode(snapshot)?, settings.tick_hz))
    }

    fn from_state(state: State, tick_hz: u16) -> Self {
        Self { state, told: false, tick_ms: 1000 / u64::from(tick_hz.max(1)), deltas: Vec::new() }
    }

    /// The exact state (tests, replay, tools).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// What `seat` sees now, as its keyframe would carry it.
    pub fn mine(&self, seat: Seat) -> Mine {
        wire::mine(&self.state, seat)
    }

    /// Replay: the orders `seat` had when its turn resolved.
    pub(crate) fn set_orders(&mut self, seat: Seat, submitted: bool, orders: Vec<crate::state::Order>) {
        if let Some(s) = self.state.seats.get_mut(usize::from(seat)) {
            s.orders = orders;
            s.submitted = submitted;
        }
    }

    fn seat(&self, viewer: Viewer) -> Option<Seat> {
        viewer.player().and_then(|p| self.state.seat_of(p))
    }
}

impl Game for FrontierGame {
    fn join(&mut self, player: PlayerId, name: &str) -> Result<(), JoinRefused> {
        crate::seats::join(&mut self.state, player, name)
    }

    fn disconnect(&mut self, player: PlayerId) {
        crate::seats::disconnect(&mut self.state, player);
    }

    fn leave(&mut self, player: PlayerId) {
        crate::seats::leave(&mut self.state, player);
    }

    fn seated(&self) -> Vec<PlayerId> {
        self.state.seats.iter().filter(|s| !s.left).map(|s| s.player).collect()
    }

    /// Frontier takes commands only.
    fn apply_input(&mut self, _: PlayerId, _: &[u8]) -> Result<(), InputRejected> {
        Err(InputRejected::Malformed)
    }

    fn command(&mut self, player: PlayerId, command: &[u8]) -> Result<(), CommandRejected> {
        let seat = self.state.seat_of(player).ok_or_else(|| CommandRejected("no seat in this room".into()))?;
        let command = crate::orders::decode_command(command).map_err(CommandRejected)?;
        crate::orders::apply(&mut self.state, seat, command).map_err(CommandRejected)
    }

    fn step(&mut self, events: &mut Vec<GameEvent>) {
        if !self.told {
            self.state.now.0 += self.tick_ms;
        }
        let seats = self.state.seats.len() as Seat;
        let before: Vec<Mine> = (0..seats).map(|s| wire::sight(&self.state, s)).collect();
        crate::rules::run(&mut self.state);
        let fresh = std::mem::take(&mut self.state.pending);
        for h in &fresh {
            events.push(h.to_event(&self.state));
            self.state.log.push_back(h.clone());
        }
        let excess = self.state.log.len().saturating_sub(LOG_KEPT);
        self.state.log.drain(..excess);
        self.deltas = (0..self.state.seats.len() as Seat)
            .map(|s| {
                let after = wire::sight(&self.state, s);
                let log =
                    fresh.iter().filter(|h| h.seen_by(Some(s))).map(|h| wire::LogEntry { turn: h.turn, what: h.what.clone() }).collect();
                let orders = self.state.seats[usize::from(s)].orders.clone();
                let base =
                    before.get(usize::from(s)).cloned().unwrap_or_else(|| Mine { tiles: vec![0; after.tiles.len()], ..Mine::default() });
                let mut out = Vec::new();
                wire::encode(&wire::diff(&base, &after, orders, log), &mut out);
                out
            })
            .collect();
    }

    fn phase(&self) -> Phase {
        self.state.phase
    }

    fn results(&self) -> Option<Vec<PlayerResult>> {
        matches!(self.state.phase, Phase::Over | Phase::Closable).then(|| crate::ranking::results(&self.state))
    }

    fn encode_keyframe(&self, out: &mut Vec<u8>) {
        wire::encode(&wire::public(&self.state), out);
    }

    fn encode_delta(&self, out: &mut Vec<u8>) {
        wire::encode(&wire::public(&self.state), out);
    }

    fn views(&self) -> Views {
        Views::PerViewer
    }

    fn encode_keyframe_view(&self, viewer: Viewer, out: &mut Vec<u8>) {
        if let Some(seat) = self.seat(viewer) {
            wire::encode(&self.mine(seat), out);
        }
    }

    fn encode_delta_view(&self, viewer: Viewer, out: &mut Vec<u8>) {
        if let Some(delta) = self.seat(viewer).and_then(|s| self.deltas.get(usize::from(s))) {
            out.extend_from_slice(delta);
        }
    }

    fn pace(&self) -> Pace {
        Pace::OnDemand
    }

    fn set_clock(&mut self, now: WallMs) {
        self.told = true;
        self.state.now = self.state.now.max(now);
    }

    fn wake_at(&self) -> Option<WallMs> {
        crate::rules::wake_at(&self.state)
    }

    fn event_audience(&self, event: &GameEvent) -> Audience {
        crate::events::audience(event)
    }

    fn awaiting(&self) -> Vec<PlayerId> {
        self.state.awaited().into_iter().map(|s| self.state.seats[usize::from(s)].player).collect()
    }

    fn snapshot(&self) -> Vec<u8> {
        crate::snapshot::encode(&self.state)
    }
}
