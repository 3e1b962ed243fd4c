//! Arena inputs and commands: the payloads of `ClientMsg::Input` and `ClientMsg::Command`,
//! which the gateway forwards unread and the room's `Game` decodes. Both decoders, then
//! the same bytes through a live room: applied to a seated player, then a step.

#![no_main]

use libfuzzer_sys::fuzz_target;
use orrery_arena::input::{decode_command, decode_intent, encode_command, encode_intent};
use orrery_arena::{ArenaGame, MODE_DUEL};
use orrery_common::PlayerId;
use orrery_common::game::{Game, RoomSettings};

fuzz_target!(|data: &[u8]| {
    if let Ok(intent) = decode_intent(data) {
        assert_eq!(decode_intent(&encode_intent(&intent)), Ok(intent));
    }
    if let Ok(command) = decode_command(data) {
        assert_eq!(decode_command(&encode_command(&command)), Ok(command));
    }
    let settings = RoomSettings { mode: MODE_DUEL.into(), max_players: 2, tick_hz: 30, seed: 7 };
    let mut game = ArenaGame::new(&settings);
    let player = PlayerId(uuid::Uuid::from_u128(1));
    game.join(player, "fuzz").expect("an empty room seats a player");
    let accepted = game.apply_input(player, data).is_ok();
    assert_eq!(accepted, decode_intent(data).is_ok(), "the room accepts exactly the inputs that decode");
    let _ = game.command(player, data);
    let mut events = Vec::new();
    game.step(&mut events);
    let mut out = Vec::new();
    game.encode_delta(&mut out);
});
