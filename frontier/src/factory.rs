//! [`FrontierFactory`]: how the worker makes and restores Frontier rooms.

use crate::game::FrontierGame;
use orrery_common::game::{Game, GameFactory, RestoreError, RoomSettings};

/// Makes Frontier rooms (modes `frontier` and `frontier-blitz`, [`crate::config`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct FrontierFactory;

impl GameFactory for FrontierFactory {
    fn name(&self) -> &'static str {
        "frontier"
    }

    fn create(&self, settings: &RoomSettings) -> Box<dyn Game> {
        Box::new(FrontierGame::new(settings))
    }

    /// The rules come from the snapshot (the room continues under those it started with).
    fn restore(&self, settings: &RoomSettings, snapshot: &[u8]) -> Result<Box<dyn Game>, RestoreError> {
        Ok(Box::new(FrontierGame::restore(settings, snapshot)?))
    }
}
