//! Player input: the [`Intent`] a client or bot sends (postcard, see [`encode_intent`]),
//! its validation, and how several inputs within one tick are coalesced
//! ([`PendingIntent`]).
//!
//! An intent persists until the next input: a client only needs to send one when its
//! intent changes. Within a tick the latest turn and thrust win and fire is OR-ed, so a
//! tap between two ticks still fires.

use orrery_common::game::InputRejected;
use serde::{Deserialize, Serialize};

/// What a player wants their ship to do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    /// −1 (full turn toward decreasing angle) ..= 1; clamped.
    pub turn: f32,
    pub thrust: bool,
    pub fire: bool,
}

/// The bytes of `intent` as `Game::apply_input` expects them (postcard: an `f32` and
/// two bools, 6 bytes).
pub fn encode_intent(intent: &Intent) -> Vec<u8> {
    postcard::to_allocvec(intent).expect("an Intent always serialises")
}

/// The arena's commands: acknowledged, applied at most once (see `Game::command`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArenaCommand {
    /// Show emote number `0..=15` above the ship; recorded as an `emote` match event.
    Emote(u8),
}

/// The most emotes there are.
pub const EMOTES: u8 = 16;

/// The bytes of a command as `Game::command` expects them (postcard).
pub fn encode_command(command: &ArenaCommand) -> Vec<u8> {
    postcard::to_allocvec(command).expect("an ArenaCommand always serialises")
}

/// Decodes and validates a command.
pub fn decode_command(bytes: &[u8]) -> Result<ArenaCommand, String> {
    let (command, rest) = postcard::take_from_bytes::<ArenaCommand>(bytes).map_err(|_| "undecodable command".to_string())?;
    if !rest.is_empty() {
        return Err("trailing bytes after the command".into());
    }
    match command {
        ArenaCommand::Emote(e) if e >= EMOTES => Err(format!("no emote {e}: there are {EMOTES}")),
        c => Ok(c),
    }
}

/// Decodes and validates an input.
pub fn decode_intent(bytes: &[u8]) -> Result<Intent, InputRejected> {
    let (intent, rest) = postcard::take_from_bytes::<Intent>(bytes).map_err(|_| InputRejected::Malformed)?;
    if !rest.is_empty() {
        return Err(InputRejected::Malformed);
    }
    if !intent.turn.is_finite() {
        return Err(InputRejected::NotFinite);
    }
    Ok(intent)
}

/// The turn as the simulation keeps it: −127..=127.
pub fn quantise_turn(turn: f32) -> i8 {
    if turn.is_finite() { (turn.clamp(-1.0, 1.0) * 127.0).round() as i8 } else { 0 }
}

/// A seat's input between two ticks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingIntent {
    pub turn: i8,
    pub thrust: bool,
    pub fire: bool,
    /// Whether fire was asked for by any input since the last tick.
    pub fire_latch: bool,
}

impl PendingIntent {
    /// Records one more input.
    pub fn push(&mut self, intent: &Intent) {
        self.turn = quantise_turn(intent.turn);
        self.thrust = intent.thrust;
        self.fire = intent.fire;
        self.fire_latch |= intent.fire;
    }

    /// `(turn, thrust, fire)` for the coming tick; clears the fire latch.
    pub fn take_for_tick(&mut self) -> (i8, bool, bool) {
        let fire = self.fire || self.fire_latch;
        self.fire_latch = false;
        (self.turn, self.thrust, fire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let i = Intent { turn: -0.5, thrust: true, fire: false };
        assert_eq!(decode_intent(&encode_intent(&i)), Ok(i));
    }

    #[test]
    fn rejects_non_finite_and_garbage() {
        for turn in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let bytes = encode_intent(&Intent { turn, thrust: false, fire: false });
            assert_eq!(decode_intent(&bytes), Err(InputRejected::NotFinite));
        }
        assert_eq!(decode_intent(&[]), Err(InputRejected::Malformed));
        assert_eq!(decode_intent(&[0, 0, 0, 0, 7, 0]), Err(InputRejected::Malformed));
        let mut long = encode_intent(&Intent::default());
        long.push(0);
        assert_eq!(decode_intent(&long), Err(InputRejected::Malformed));
    }

    #[test]
    fn huge_turns_are_clamped() {
        assert_eq!(quantise_turn(1e30), 127);
        assert_eq!(quantise_turn(-3.0), -127);
        assert_eq!(quantise_turn(0.0), 0);
    }

    #[test]
    fn coalescing_keeps_latest_and_ors_fire() {
        let mut p = PendingIntent::default();
        p.push(&Intent { turn: 1.0, thrust: true, fire: true });
        p.push(&Intent { turn: -1.0, thrust: false, fire: false });
        assert_eq!(p.take_for_tick(), (-127, false, true));
        assert_eq!(p.take_for_tick(), (-127, false, false), "the tap fired once");
    }
}
