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
    /// No thrust: the ship stays near its spawn point, turning and firing (fills the
    /// field with bullets; used by the tick benchmark).
    Turret,
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
        let players = (0..count).map(|i| PlayerId(uuid::Uuid::from_u128((u128::from(seed) << 32) | (i as u128 + 1)))).collect();
        let intents = vec![Intent { turn: 0.0, thrust: true, fire: true }; count];
        Self { rng: RoomRng::from_seed(seed), players, intents, style }
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
                BotStyle::Turret => {
                    intent.thrust = false;
                    self.rng.below(30) == 0
                }
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

/// Sizes measured over a scripted game (see [`measure_payload`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PayloadReport {
    pub ticks: u64,
    /// Ticks spent in `Phase::Running`.
    pub running_ticks: u64,
    pub mean_keyframe_bytes: f64,
    pub mean_delta_bytes: f64,
    pub max_delta_bytes: usize,
    /// Mean delta over the running ticks only.
    pub mean_running_delta_bytes: f64,
    /// The same state as JSON (`serde_json` of the [`crate::ArenaView`]) every tick.
    pub mean_json_bytes: f64,
}

impl PayloadReport {
    /// Downstream bytes per second per player when each delta travels in a frame with
    /// `overhead` bytes of envelope and WebSocket framing.
    pub fn delta_bytes_per_second(&self, tick_hz: u16, overhead: usize) -> f64 {
        (self.mean_delta_bytes + overhead as f64) * f64::from(tick_hz)
    }
}

/// Runs `bots` bots in a fresh room of `settings` for `ticks` steps (joining at tick 0)
/// and measures every tick's keyframe, delta and JSON size.
pub fn measure_payload(settings: &orrery_common::game::RoomSettings, bots: usize, style: BotStyle, ticks: u64) -> PayloadReport {
    use orrery_common::game::Phase;
    let mut game = crate::ArenaGame::new(settings);
    let mut script = ScriptedBots::new(bots, settings.seed, style);
    script.join_all(&mut game);
    let mut report = PayloadReport { ticks, ..PayloadReport::default() };
    let (mut keyframes, mut deltas, mut running, mut json) = (0usize, 0usize, 0usize, 0usize);
    let mut buf = Vec::new();
    for _ in 0..ticks {
        script.act(&mut game);
        game.step(&mut Vec::new());
        buf.clear();
        game.encode_delta(&mut buf);
        deltas += buf.len();
        report.max_delta_bytes = report.max_delta_bytes.max(buf.len());
        if game.phase() == Phase::Running {
            report.running_ticks += 1;
            running += buf.len();
        }
        buf.clear();
        game.encode_keyframe(&mut buf);
        keyframes += buf.len();
        json += serde_json::to_vec(&game.view()).map_or(0, |j| j.len());
    }
    let per_tick = |total: usize, n: u64| if n == 0 { 0.0 } else { total as f64 / n as f64 };
    report.mean_keyframe_bytes = per_tick(keyframes, ticks);
    report.mean_delta_bytes = per_tick(deltas, ticks);
    report.mean_running_delta_bytes = per_tick(running, report.running_ticks);
    report.mean_json_bytes = per_tick(json, ticks);
    report
}
