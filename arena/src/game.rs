//! [`ArenaGame`]: one room of the arena, as the worker drives it through
//! [`orrery_common::game::Game`].

use crate::config::ArenaConfig;
use crate::snapshot;
use crate::state::Room;
use crate::wire::{ArenaView, keyframe};
use crate::world::World;
use orrery_common::PlayerId;
use orrery_common::game::{CommandRejected, Game, GameEvent, InputRejected, JoinRefused, Phase, PlayerResult, RestoreError, RoomSettings};

/// One room of the arena.
#[derive(Clone, Debug)]
pub struct ArenaGame {
    room: Room,
    /// Where the delta's prediction is computed (not state; kept to reuse allocations).
    scratch: World,
}

impl ArenaGame {
    /// A fresh room for `settings` (mode, seats, tick rate and seed).
    pub fn new(settings: &RoomSettings) -> Self {
        Self::with_config(ArenaConfig::for_settings(settings), settings.seed)
    }

    /// A fresh room with a configuration of your own.
    pub fn with_config(config: ArenaConfig, seed: u64) -> Self {
        Self::from_room(Room::new(config, seed))
    }

    /// Continues exactly where [`Game::snapshot`] left off.
    pub fn restore(snapshot: &[u8]) -> Result<Self, RestoreError> {
        snapshot::decode(snapshot).map(Self::from_room)
    }

    fn from_room(room: Room) -> Self {
        let scratch = room.world.clone();
        Self { room, scratch }
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
        self.room.step(&mut self.scratch, events);
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
    fn encode_keyframe(&self, out: &mut Vec<u8>) {
        keyframe::encode(&self.room.sent, out);
    }

    fn encode_delta(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.room.last_delta);
    }

    fn snapshot(&self) -> Vec<u8> {
        snapshot::encode(&self.room)
    }
}
