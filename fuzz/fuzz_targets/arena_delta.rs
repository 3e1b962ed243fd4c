//! Arena deltas as a client applies them (`ArenaView::apply_delta`). The input is a base
//! keyframe and a delta (see `orrery_fuzz::split_prefixed`). A refused delta leaves the
//! view as it was; an applied one leaves a valid world, and the server's encoder, given
//! the base and that world, writes a delta that takes the base to the same world.

#![no_main]

use libfuzzer_sys::fuzz_target;
use orrery_arena::ArenaView;
use orrery_arena::wire::delta;

fuzz_target!(|data: &[u8]| {
    let Some((base, bytes)) = orrery_fuzz::split_prefixed(data) else { return };
    let Ok(mut view) = ArenaView::from_keyframe(base) else { return };
    let before = view.clone();
    match view.apply_delta(bytes) {
        Err(_) => assert_eq!(view, before, "a refused delta changed the view"),
        Ok(()) => {
            view.world().validate().expect("an applied delta leaves a valid world");
            let mut out = Vec::new();
            let mut scratch = before.world().clone();
            delta::encode(before.world(), view.world(), &mut scratch, &mut out);
            let mut again = before.clone();
            again.apply_delta(&out).expect("the encoder's delta applies");
            assert_eq!(again, view, "the encoder's delta for this change gives another world");
            let _ = view.canonical_json();
        }
    }
});
