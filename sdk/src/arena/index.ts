// The space arena's client: decoding (keyframes, deltas), the shared fixed-point
// kinematics, the view, intents, prediction and the glue to a session. Bit-exact with the
// Rust crate `orrery-arena` (checked against the fixtures in sdk/fixtures/arena-*.json).
//
//   const client = new ArenaClient(session);          // listens to frames and joins
//   client.setIntent({ turn: -0.5, thrust: true, fire: false });  // sent after each frame
//   requestAnimationFrame(function draw(now) {
//     const snap = client.render(now);                // own ship predicted, others interpolated
//     ...; requestAnimationFrame(draw);
//   });
//   canonicalView(client.view!)                       // === Rust's ArenaView::canonical_json()

export { ArenaView, ShipView } from "./view.js";
export { canonicalView, fnv1a64 } from "./canonical.js";
export { type Intent, type ArenaCommand, EMOTES, encodeIntent, encodeCommand, quantiseTurn } from "./input.js";
export { advance } from "./kinematics.js";
export { decodeKeyframe, KEYFRAME_FORMAT } from "./keyframe.js";
export { applyDelta } from "./delta.js";
export { SPLIT_KEYFRAME_FORMAT, decodeSplitKeyframe } from "./split.js";
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
export { CONVERGENCE_PER_SECOND, Predictor, SNAP_DISTANCE } from "./predict.js";
export {
  type ArenaClientOptions,
  type ArenaClientStats,
  type ArenaFrame,
  type ArenaSource,
  type RenderShip,
  type RenderSnapshot,
  ArenaClient,
} from "./client.js";
