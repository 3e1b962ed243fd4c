//! [`GamesByMode`]: one [`GameFactory`] that makes each room with the game its mode names,
//! so a worker serves several games with one registration line each. A mode belongs to a
//! game called `name` when it is `name` or starts with `name-` (`frontier`,
//! `frontier-blitz`); any other mode goes to the default game (the arena, which takes any
//! mode).

use crate::game::{Game, GameFactory, RestoreError, RoomSettings};
use std::sync::Arc;

/// Games chosen by the room's mode.
pub struct GamesByMode {
    default: Arc<dyn GameFactory>,
    games: Vec<Arc<dyn GameFactory>>,
}

impl GamesByMode {
    /// Every mode no other game claims goes to `default`.
    pub fn new(default: impl GameFactory) -> Self {
        Self { default: Arc::new(default), games: Vec::new() }
    }

    /// Rooms whose mode is `factory.name()` or `<name>-…` are made by `factory`.
    pub fn with(mut self, factory: impl GameFactory) -> Self {
        self.games.push(Arc::new(factory));
        self
    }

    /// The factory for rooms of `mode`.
    pub fn for_mode(&self, mode: &str) -> &dyn GameFactory {
        let claims = |name: &str| mode == name || mode.strip_prefix(name).is_some_and(|rest| rest.starts_with('-'));
        self.games.iter().find(|g| claims(g.name())).unwrap_or(&self.default).as_ref()
    }
}

impl GameFactory for GamesByMode {
    fn name(&self) -> &'static str {
        self.default.name()
    }

    fn create(&self, settings: &RoomSettings) -> Box<dyn Game> {
        self.for_mode(&settings.mode).create(settings)
    }

    fn restore(&self, settings: &RoomSettings, snapshot: &[u8]) -> Result<Box<dyn Game>, RestoreError> {
        self.for_mode(&settings.mode).restore(settings, snapshot)
    }

    fn snapshot_version(&self, settings: &RoomSettings) -> u16 {
        self.for_mode(&settings.mode).snapshot_version(settings)
    }

    fn upgrade_snapshot(&self, settings: &RoomSettings, from: u16, snapshot: Vec<u8>) -> Result<Vec<u8>, RestoreError> {
        self.for_mode(&settings.mode).upgrade_snapshot(settings, from, snapshot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::{GameEvent, InputRejected, JoinRefused, Phase, PlayerResult};
    use crate::ids::PlayerId;

    struct Named(&'static str);
    struct Nothing;
    impl Game for Nothing {
        fn join(&mut self, _: PlayerId, _: &str) -> Result<(), JoinRefused> {
            Ok(())
        }
        fn disconnect(&mut self, _: PlayerId) {}
        fn leave(&mut self, _: PlayerId) {}
        fn seated(&self) -> Vec<PlayerId> {
            Vec::new()
        }
        fn apply_input(&mut self, _: PlayerId, _: &[u8]) -> Result<(), InputRejected> {
            Ok(())
        }
        fn step(&mut self, _: &mut Vec<GameEvent>) {}
        fn phase(&self) -> Phase {
            Phase::Lobby
        }
        fn results(&self) -> Option<Vec<PlayerResult>> {
            None
        }
        fn encode_keyframe(&self, _: &mut Vec<u8>) {}
        fn encode_delta(&self, _: &mut Vec<u8>) {}
        fn snapshot(&self) -> Vec<u8> {
            Vec::new()
        }
    }
    impl GameFactory for Named {
        fn name(&self) -> &'static str {
            self.0
        }
        fn create(&self, _: &RoomSettings) -> Box<dyn Game> {
            Box::new(Nothing)
        }
        fn restore(&self, _: &RoomSettings, _: &[u8]) -> Result<Box<dyn Game>, RestoreError> {
            Err(RestoreError(self.0.into()))
        }
    }

    #[test]
    fn a_mode_goes_to_the_game_it_names_or_to_the_default() {
        let games = GamesByMode::new(Named("arena")).with(Named("frontier"));
        for (mode, game) in
            [("frontier", "frontier"), ("frontier-blitz", "frontier"), ("frontierx", "arena"), ("arena-duel", "arena"), ("chess", "arena")]
        {
            assert_eq!(games.for_mode(mode).name(), game, "{mode}");
            let settings = RoomSettings { mode: mode.into(), ..RoomSettings::default() };
            assert_eq!(games.restore(&settings, &[]).err().unwrap().0, game, "{mode}: restored by its game too");
        }
    }
}
