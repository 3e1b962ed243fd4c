// Keyframes (arena/src/wire/keyframe.rs): the whole world as a format byte followed by
// its postcard encoding. Like Rust, every postcard failure of the body is reported as
// "Invalid" (the message says what), an unknown format byte as "BadTag", bytes after the
// world as "TrailingBytes" and a world out of bounds as "OutOfRange". A tick above
// Number.MAX_SAFE_INTEGER (which Rust would accept) is refused with "OutOfRange".

import { DecodeError } from "../errors.js";
import { Reader as PostcardReader } from "../protocol/reader.js";
import {
  type BlackHole,
  type Bullet,
  PHASES,
  type Physics,
  type Pickup,
  type PickupKind,
  type Ship,
  type World,
  validateWorld,
} from "./world.js";
import type { Vec2 } from "./fixed.js";

/** The first byte of every keyframe. */
export const KEYFRAME_FORMAT = 1;
const PICKUP_KINDS: readonly PickupKind[] = ["Health", "Score"];

/** Decodes and validates a keyframe. */
export function decodeKeyframe(bytes: Uint8Array): World {
  if (bytes.length === 0) throw new DecodeError("Truncated", "the message ended early", 0);
  const format = bytes[0] as number;
  if (format !== KEYFRAME_FORMAT) throw new DecodeError("BadTag", `unknown keyframe format ${format}`, 0);
  const r = new PostcardReader(bytes.subarray(1));
  let world: World;
  try {
    world = readWorld(r);
  } catch (e) {
    if (e instanceof DecodeError) {
      throw new DecodeError("Invalid", `keyframe body: ${e.message}`, e.offset === undefined ? undefined : e.offset + 1);
    }
    throw e;
  }
  if (r.rest().length !== 0) throw new DecodeError("TrailingBytes", "bytes left over after the keyframe", r.offset + 1);
  validateWorld(world);
  if (world.tick > Number.MAX_SAFE_INTEGER) throw new DecodeError("OutOfRange", "tick above 2^53 - 1");
  return world;
}

/** A u64 as a number (ticks): exact up to 2^53 - 1, larger values are caught by the caller. */
function u64AsNumber(r: PostcardReader): number {
  return Number(r.u64Big());
}

export function readVec2(r: PostcardReader): Vec2 {
  const x = r.i32();
  const y = r.i32();
  return { x, y };
}

export function readPhysics(r: PostcardReader): Physics {
  return {
    tickHz: r.u16(),
    width: r.i32(),
    height: r.i32(),
    shipRadius: r.i32(),
    shipMaxSpeed: r.i32(),
    thrustImpulse: r.i32(),
    dragQ10: r.i32(),
    turnStep: r.i32(),
    thrustCooldown: r.u16(),
    fireCooldown: r.u16(),
    bulletSpeed: r.i32(),
    bulletMaxSpeed: r.i32(),
    bulletLifetime: r.u16(),
    bulletRadius: r.i32(),
    maxHealth: r.u16(),
    // Outside 0..=2^52 the world is refused by validation whatever the rounding.
    gravity: Number(r.i64Big()),
    gravityMinDistance: r.i32(),
    gravityMaxAccel: r.i32(),
    pickupRadius: r.i32(),
  };
}

function readShip(r: PostcardReader): Ship {
  return {
    player: r.uuid(),
    name: r.string(),
    colour: r.u32(),
    turn: r.i8(),
    thrust: r.flag("a bool"),
    fire: r.flag("a bool"),
    pos: readVec2(r),
    vel: readVec2(r),
    angle: r.u16(),
    thrustCooldown: r.u16(),
    fireCooldown: r.u16(),
    health: r.u16(),
    score: r.i32(),
    kills: r.u16(),
    alive: r.flag("a bool"),
    connected: r.flag("a bool"),
  };
}

function readBullet(r: PostcardReader): Bullet {
  return { id: r.u32(), owner: r.u8(), pos: readVec2(r), vel: readVec2(r), ttl: r.u16() };
}

function readPickup(r: PostcardReader): Pickup {
  return { id: r.u32(), kind: PICKUP_KINDS[r.variant(2, "pickup kind")] as PickupKind, pos: readVec2(r) };
}

export function readBlackHole(r: PostcardReader): BlackHole {
  return { pos: readVec2(r), coreRadius: r.i32() };
}

function readWorld(r: PostcardReader): World {
  return {
    physics: readPhysics(r),
    tick: u64AsNumber(r),
    phase: PHASES[r.variant(5, "phase")] as World["phase"],
    phaseTicksLeft: r.u32(),
    ships: r.seq(() => r.option(() => readShip(r))),
    bullets: r.seq(() => readBullet(r)),
    pickups: r.seq(() => readPickup(r)),
    blackHoles: r.seq(() => readBlackHole(r)),
    nextBulletId: r.u32(),
  };
}
