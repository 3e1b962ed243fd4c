// The space arena's client: decoding (keyframes, deltas), the shared fixed-point
// kinematics, the view, intents, prediction and the glue to a session.

export { ArenaView, ShipView } from "./view.js";
export { canonicalView, fnv1a64 } from "./canonical.js";
export { type Intent, type ArenaCommand, EMOTES, encodeIntent, encodeCommand, quantiseTurn } from "./input.js";
export { advance } from "./kinematics.js";
export { decodeKeyframe, KEYFRAME_FORMAT } from "./keyframe.js";
export { applyDelta } from "./delta.js";
export {
  type Vec2,
  SUBUNITS_PER_UNIT,
  TRIG_ONE,
  angleToRadians,
  clampLength,
  cosQ14,
  direction,
  isqrt,
  sinQ14,
  toUnits,
} from "./fixed.js";
export {
  type BlackHole,
  type Bullet,
  type Phase,
  type Physics,
  type Pickup,
  type PickupKind,
  type Ship,
  type World,
  MAX_SLOTS,
  cloneWorld,
  slotOf,
  validateWorld,
} from "./world.js";
