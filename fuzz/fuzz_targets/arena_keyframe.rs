//! Arena keyframes as a client reads them (`ArenaView::from_keyframe`, used by the Rust
//! client's bots and `orrery-view-dump`): a keyframe that decodes re-encodes to one that
//! decodes to the same world, and its canonical text (what the SDK compares) is written.

#![no_main]

use libfuzzer_sys::fuzz_target;
use orrery_arena::ArenaView;
use orrery_arena::wire::keyframe;

fuzz_target!(|data: &[u8]| {
    let Ok(view) = ArenaView::from_keyframe(data) else { return };
    let mut again = Vec::new();
    keyframe::encode(view.world(), &mut again);
    assert_eq!(keyframe::decode(&again).as_ref(), Ok(view.world()));
    let _ = view.canonical_json();
    for ship in view.ships() {
        let _ = (ship.position(), ship.velocity(), ship.angle(), ship.health_fraction());
    }
});
