//! Scripted bots for tests, demos, examples and benchmarks: deterministic players that
//! turn, thrust and fire continuously, driven through the public [`Game`] API.

use crate::input::{Intent, encode_intent};
use crate::rng::RoomRng;
use orrery_common::PlayerId;
use orrery_common::game::Game;

/// How often a bot changes its turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BotStyle {
    /// A new random turn now and then (on average every 10 ticks, as a person steers);
    /// inputs are sent only when the intent changes.
    Steady,
    /// A new random turn every tick, sent every tick: the worst case for bandwidth.
    Jittery,
}

/// A group of bots with one seeded script.
#[derive(Clone, Debug)]
pub struct ScriptedBots {
    rng: RoomRng,
    players: Vec<PlayerId>,
    intents: Vec<Intent>,
    style: BotStyle,
}

impl ScriptedBots {
    /// `count` bots with player ids derived from `seed`.
    pub fn new(count: usize, seed: u64, style: BotStyle) -> Self {
        let players = (0..count)
            .map(|i| {
                PlayerId(uuid::Uuid::from_u128(
                    (u128::from(seed) << 32) | i as u128 + 1,
                ))
            })
            .collect();
        let intents = vec![
            Intent {
                turn: 0.0,
                thrust: true,
                fire: true
            };
            count
        ];
        Self {
            rng: RoomRng::from_seed(seed),
            players,
            intents,
            style,
        }
    }

    pub fn players(&self) -> &[PlayerId] {
        &self.players
    }

    /// Seats every bot (names `bot 1`, `bot 2`, …), ignoring refusals.
    pub fn join_all(&self, game: &mut dyn Game) {
        for (i, player) in self.players.iter().enumerate() {
            let _ = game.join(*player, &format!("bot {}", i + 1));
        }
    }

    /// Each bot picks its intent for the coming tick and sends it when it changed (or
    /// every tick, for [`BotStyle::Jittery`]). Call once before each `step`.
    pub fn act(&mut self, game: &mut dyn Game) {
        for (player, intent) in self.players.iter().zip(self.intents.iter_mut()) {
            let reroll = match self.style {
                BotStyle::Steady => self.rng.below(10) == 0,
                BotStyle::Jittery => true,
            };
            if reroll {
                intent.turn = self.rng.range_i32(-100, 101) as f32 / 100.0;
            }
            if reroll || game.phase() == orrery_common::game::Phase::Lobby {
                let _ = game.apply_input(*player, &encode_intent(intent));
            }
        }
    }
}
