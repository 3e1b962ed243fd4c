//! Frames in two parts, for rooms where each player sees only its own view
//! ([`crate::interest`]): a shared part every player receives, followed by the player's
//! own part (the engine concatenates them, `docs/protocol.md` §5.3).
//!
//! ```text
//! keyframe := 2 board_len:varint keyframe(board) keyframe(view)
//! delta    := board_len:varint delta(board) delta(view)
//! ```
//!
//! The board and the view are each a [`World`] in the usual encoding ([`super::keyframe`],
//! [`super::delta`]); the shared part is everything up to the end of the board. A client
//! learns from the keyframe's first byte whether the room's deltas are split.

use super::codec::{Reader, put_varint};
use super::{DecodeError, delta, keyframe};
use crate::world::World;

/// The first byte of a split keyframe (a plain one starts with [`keyframe::KEYFRAME_FORMAT`]).
pub const SPLIT_KEYFRAME_FORMAT: u8 = 2;
/// The longest board a client accepts, in bytes.
const MAX_BOARD_BYTES: usize = 1 << 20;

/// Appends the shared part of a keyframe: the format byte and the board.
pub fn encode_shared_keyframe(board: &World, out: &mut Vec<u8>) {
    out.push(SPLIT_KEYFRAME_FORMAT);
    let mut bytes = Vec::new();
    keyframe::encode(board, &mut bytes);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(&bytes);
}

/// Appends the shared part of a delta: the board's delta, with its length.
pub fn encode_shared_delta(board_delta: &[u8], out: &mut Vec<u8>) {
    put_varint(out, board_delta.len() as u64);
    out.extend_from_slice(board_delta);
}

/// The board's bytes and the view's bytes of a split frame whose format byte (for a
/// keyframe) was already read.
fn parts(bytes: &[u8]) -> Result<(&[u8], &[u8]), DecodeError> {
    let mut r = Reader::new(bytes);
    let len = r.count(MAX_BOARD_BYTES, "board length")?;
    let board = r.take(len)?;
    Ok((board, &bytes[bytes.len() - r.remaining()..]))
}

/// Decodes a split keyframe into the board and the view.
pub fn decode_keyframe(bytes: &[u8]) -> Result<(World, World), DecodeError> {
    let (&format, body) = bytes.split_first().ok_or(DecodeError::Truncated)?;
    if format != SPLIT_KEYFRAME_FORMAT {
        return Err(DecodeError::UnknownFormat(format));
    }
    let (board, view) = parts(body)?;
    Ok((keyframe::decode(board)?, keyframe::decode(view)?))
}

/// Applies a split delta to the board and the view, atomically (on error both are unchanged).
pub fn apply_delta(board: &mut World, view: &mut World, bytes: &[u8]) -> Result<(), DecodeError> {
    let (board_bytes, view_bytes) = parts(bytes)?;
    let mut next_board = board.clone();
    delta::apply(&mut next_board, board_bytes)?;
    delta::apply(view, view_bytes)?;
    *board = next_board;
    Ok(())
}
