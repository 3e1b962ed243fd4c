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
