//! [`ArenaGame`]: one room of the arena, as the worker drives it through
//! [`orrery_common::game::Game`].

use crate::config::ArenaConfig;
use crate::interest::{Interest, ViewFrames};
use crate::rules::StepOutput;
use crate::snapshot;
use crate::state::Room;
use crate::wire::{ArenaView, keyframe};
use crate::world::World;
use orrery_common::PlayerId;
use orrery_common::game::{
    CommandRejected, Game, GameEvent, InputRejected, JoinRefused, Phase, PlayerResult, RestoreError, RoomSettings, Viewer, Views,
};

/// One room of the arena.
#[derive(Clone, Debug)]
pub struct ArenaGame {
    room: Room,
    /// Where the delta's prediction is computed (not state; kept to reuse allocations).
    scratch: World,
    /// In a large room (`Views::PerViewer`): the board and every player's view.
    frames: Option<ViewFrames>,
}

impl ArenaGame {
    /// A fresh room for `settings` (mode, seats, tick rate and seed).
    pub fn new(settings: &RoomSettings) -> Self {
        Self::with_config(ArenaConfig::for_settings(settings), settings.seed).with_interest(Interest::for_mode(&settings.mode))
    }

    /// A fresh room with a configuration of your own.
    pub fn with_config(config: ArenaConfig, seed: u64) -> Self {
        Self::from_room(Room::new(config, seed))
    }

    /// Continues exactly where [`Game::snapshot`] left off.
    pub fn restore(snapshot: &[u8]) -> Result<Self, RestoreError> {
        snapshot::decode(snapshot).map(Self::from_room)
    }

    /// Continues from a snapshot of a room created with `settings` (whose mode says whether
    /// each player sees only its own view).
    pub fn restore_with(settings: &RoomSettings, snapshot: &[u8]) -> Result<Self, RestoreError> {
        Ok(Self::restore(snapshot)?.with_interest(Interest::for_mode(&settings.mode)))
    }

    /// Each player is sent only what is within `interest` of its ship (`None`: everything).
    pub fn with_interest(mut self, interest: Option<Interest>) -> Self {
        self.frames = interest.map(|interest| ViewFrames::new(interest, &self.room.sent));
        self
    }

    fn from_room(room: Room) -> Self {
        let scratch = room.world.clone();
        Self { room, scratch, frames: None }
    }

    /// The exact current state.
    pub fn world(&self) -> &World {
        &self.room.world
    }

    pub fn config(&self) -> &ArenaConfig {
        &self.room.config
    }

    /// What a client that applied every frame so far holds: the world as of the end
    /// of the last step (joins and leaves since then show in the next delta).
    pub fn view(&self) -> ArenaView {
        ArenaView::from_world(self.room.sent.clone())
    }
}

impl Game for ArenaGame {
    fn join(&mut self, player: PlayerId, name: &str) -> Result<(), JoinRefused> {
        self.room.join(player, name)
    }

    fn disconnect(&mut self, player: PlayerId) {
        self.room.disconnect(player);
    }

    fn leave(&mut self, player: PlayerId) {
        self.room.leave(player);
    }

    fn seated(&self) -> Vec<PlayerId> {
        self.room.world.ships.iter().flatten().map(|ship| ship.player).collect()
    }

    fn apply_input(&mut self, player: PlayerId, input: &[u8]) -> Result<(), InputRejected> {
        self.room.apply_input(player, input)
    }

    fn command(&mut self, player: PlayerId, command: &[u8]) -> Result<(), CommandRejected> {
        let command = crate::input::decode_command(command).map_err(CommandRejected)?;
        if self.room.world.slot_of(player).is_none() {
            return Err(CommandRejected("no seat in this room".into()));
        }
        match command {
            crate::input::ArenaCommand::Emote(emote) => self.room.pending_events.push(crate::events::ArenaEvent::Emote { player, emote }),
        }
        Ok(())
    }

    fn step(&mut self, events: &mut Vec<GameEvent>) {
        match &mut self.frames {
            Some(frames) => {
                frames.before_step(&self.room.sent, &self.room.world);
                self.room.step(&mut self.scratch, events, StepOutput::Flown(frames.for_step()));
                frames.after_step(&self.room.sent);
            }
            None => self.room.step(&mut self.scratch, events, StepOutput::Delta),
        }
    }

    fn phase(&self) -> Phase {
        self.room.world.phase
    }

    fn results(&self) -> Option<Vec<PlayerResult>> {
        match self.room.world.phase {
            Phase::Over | Phase::Closable => self.room.results.clone(),
            _ => None,
        }
    }

    /// The world as of the last step (the tick the frame is stamped with), so that the
    /// next delta applies to it even when players joined or left since.
    /// (In a large room, the shared part: the board.)
    fn encode_keyframe(&self, out: &mut Vec<u8>) {
        match &self.frames {
            Some(frames) => frames.encode_keyframe(out),
            None => keyframe::encode(&self.room.sent, out),
        }
    }

    fn encode_delta(&self, out: &mut Vec<u8>) {
        match &self.frames {
            Some(frames) => frames.encode_delta(out),
            None => out.extend_from_slice(&self.room.last_delta),
        }
    }

    fn views(&self) -> Views {
        if self.frames.is_some() { Views::PerViewer } else { Views::Shared }
    }

    fn encode_keyframe_view(&self, viewer: Viewer, out: &mut Vec<u8>) {
        if let Some(frames) = &self.frames {
            frames.encode_keyframe_view(&self.room.sent, viewer.player(), out);
        }
    }

    fn encode_delta_view(&self, viewer: Viewer, out: &mut Vec<u8>) {
        if let Some(frames) = &self.frames {
            frames.encode_delta_view(viewer.player(), out);
        }
    }

    fn snapshot(&self) -> Vec<u8> {
        snapshot::encode(&self.room)
    }
}
