//! [`ArenaFactory`]: how the worker makes and restores arena rooms.

use crate::game::ArenaGame;
use orrery_common::game::{Game, GameFactory, RestoreError, RoomSettings};

/// Makes arena rooms. Its name is `"arena"`; the modes it understands are listed in
/// [`crate::config`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ArenaFactory;

impl GameFactory for ArenaFactory {
    fn name(&self) -> &'static str {
        "arena"
    }

    fn create(&self, settings: &RoomSettings) -> Box<dyn Game> {
        Box::new(ArenaGame::new(settings))
    }

    /// The configuration comes from the snapshot (the room continues under the rules it
    /// started with), not from `settings`; whether players see only their own views comes
    /// from the mode in `settings`.
    fn restore(&self, settings: &RoomSettings, snapshot: &[u8]) -> Result<Box<dyn Game>, RestoreError> {
        Ok(Box::new(ArenaGame::restore_with(settings, snapshot)?))
    }
}
