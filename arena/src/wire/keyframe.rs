//! Keyframes: the whole [`World`] as a format byte followed by its postcard encoding
//! (integers are varints, signed ones zigzag, so fixed-point positions, velocities and
//! angles take two or three bytes each).

use super::DecodeError;
use crate::world::World;

/// The first byte of every keyframe.
pub const KEYFRAME_FORMAT: u8 = 1;

/// Appends the keyframe of `world` to `out`.
pub fn encode(world: &World, out: &mut Vec<u8>) {
    out.push(KEYFRAME_FORMAT);
    let bytes = postcard::to_allocvec(world).expect("a World always serialises");
    out.extend_from_slice(&bytes);
}

/// Decodes and validates a keyframe.
pub fn decode(bytes: &[u8]) -> Result<World, DecodeError> {
    let (&format, body) = bytes.split_first().ok_or(DecodeError::Truncated)?;
    if format != KEYFRAME_FORMAT {
        return Err(DecodeError::UnknownFormat(format));
    }
    let (world, rest) = postcard::take_from_bytes::<World>(body).map_err(|_| DecodeError::Invalid("keyframe body"))?;
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes);
    }
    world.validate()?;
    Ok(world)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ArenaConfig;
    use crate::fixed::Vec2;
    use crate::world::{BlackHole, MAX_BLACK_HOLES};

    /// A 64-seat `arena-large` field with `holes` black holes, spread over it.
    fn large_world(holes: usize) -> World {
        let physics = ArenaConfig::large(30, 64).physics;
        let (dx, dy) = (physics.width / 40, physics.height / 40);
        let hole = |i: i32| BlackHole { pos: Vec2::new(dx * (i + 1), dy * (i + 1)), core_radius: 7168 };
        World::new(physics, 64, (0..holes as i32).map(hole).collect())
    }

    #[test]
    fn a_large_rooms_black_holes_round_trip_beyond_the_old_limit_of_16() {
        let holes = usize::from(ArenaConfig::large(30, 64).black_holes);
        assert!(holes > 16, "{holes}");
        for n in [17, holes, MAX_BLACK_HOLES] {
            let world = large_world(n);
            let mut bytes = Vec::new();
            encode(&world, &mut bytes);
            assert_eq!(decode(&bytes).unwrap(), world, "{n} holes");
            // And as a delta's statics section (physics and black holes).
            let base = large_world(0);
            let mut out = Vec::new();
            crate::wire::delta::encode(&base, &world, &mut base.clone(), &mut out);
            let mut client = base.clone();
            crate::wire::delta::apply(&mut client, &out).unwrap();
            assert_eq!(client, world, "{n} holes in a delta");
        }
    }

    #[test]
    fn more_black_holes_than_the_limit_are_refused() {
        let mut bytes = Vec::new();
        encode(&large_world(MAX_BLACK_HOLES + 1), &mut bytes);
        assert!(matches!(decode(&bytes), Err(DecodeError::OutOfBounds(_))), "{:?}", decode(&bytes));
    }
}
