// Split frames of a large room (arena/src/wire/split.rs): each player receives a shared
// part (the board: every seat's identity and score, nothing of where it is) followed by its
// own part (the world near its ship), both in the usual encoding.
//
//   keyframe := 2 board_len:varint keyframe(board) keyframe(view)
//   delta    := board_len:varint delta(board) delta(view)
//
// A client learns from the keyframe's first byte whether the room's deltas are split.

import { Reader } from "./codec.js";
import { decodeKeyframe } from "./keyframe.js";
import type { World } from "./world.js";
import { DecodeError } from "../errors.js";

/** The first byte of a split keyframe (a plain one starts with KEYFRAME_FORMAT). */
export const SPLIT_KEYFRAME_FORMAT = 2;
/** The longest board a client accepts, in bytes. */
const MAX_BOARD_BYTES = 1 << 20;

/** The board's bytes and the view's bytes of a split frame (after a keyframe's format byte). */
export function splitParts(bytes: Uint8Array): [Uint8Array, Uint8Array] {
  const r = new Reader(bytes);
  const len = r.count(MAX_BOARD_BYTES, "board length");
  const board = r.take(len);
  return [board, r.rest()];
}

/** Decodes a split keyframe into the board and the view; throws `DecodeError` on bad bytes. */
export function decodeSplitKeyframe(bytes: Uint8Array): { board: World; view: World } {
  if (bytes.length === 0) throw new DecodeError("Truncated", "the message ended early", 0);
  const format = bytes[0] as number;
  if (format !== SPLIT_KEYFRAME_FORMAT) throw new DecodeError("BadTag", `unknown keyframe format ${format}`, 0);
  const [board, view] = splitParts(bytes.subarray(1));
  return { board: decodeKeyframe(board), view: decodeKeyframe(view) };
}
