// The frame cursor: the (epoch, tick) of the last frame applied, and the rule that decides
// what an arriving frame is (docs/protocol.md §6.3). Frames are ordered by (epoch, tick); a
// keyframe applies when it is newer than the cursor, a delta only on the cursor itself.

import type { Frame } from "../protocol/types.js";

export interface Cursor {
  epoch: number;
  tick: number;
}

export type Verdict = "apply" | "duplicate" | "gap";

/** Whether (epoch, tick) a is at or before b. */
export function atOrBefore(a: Cursor, b: Cursor): boolean {
  return a.epoch < b.epoch || (a.epoch === b.epoch && a.tick <= b.tick);
}

/**
 * What to do with `frame` given the cursor: "duplicate" for a frame at or before it (the
 * keyframe a resume brings at the cursor itself included: it is the state already held),
 * "apply" for a newer keyframe or a delta whose base is the cursor in the same epoch, "gap"
 * for a delta that does not chain.
 */
export function judge(cursor: Cursor | undefined, frame: Frame): Verdict {
  if (cursor !== undefined && atOrBefore(frame, cursor)) return "duplicate";
  if (frame.kind.type === "Keyframe") return "apply";
  if (cursor !== undefined && cursor.epoch === frame.epoch && cursor.tick === frame.kind.base) return "apply";
  return "gap";
}
