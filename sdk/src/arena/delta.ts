// Deltas (arena/src/wire/delta.rs): one tick's change as residuals against the shared
// prediction. Layout:
//
//   delta    := sections:u8 [roster] [intents] [match] [ships] [bullets] [pickups] [statics]
//   --- applied before the prediction ---
//   roster   := seats:varint n:varint { slot:varint (0 | 1 uuid:16B name_len:varint name colour:varint) }*n
//   intents  := slot_mask:varint { flags:u8 (1 thrust, 2 fire, 4 turn follows) [turn:i8] } per set slot
//   --- the prediction: advance() ---
//   match    := mask:u8 [phase:u8] [ticks_left:zz] [tick:zz] [next_bullet_id:zz]
//   ships    := slot_mask:varint { fields:varint residual:zz per set numeric field } per set slot
//   bullets, pickups := removed:varint {gap} changed:varint {gap fields:u8 residual..} added:varint {item}
//   statics  := len:varint postcard(Physics, Vec<BlackHole>)
//
// `applyDelta` is atomic: on any error the world given is untouched (it applies to a copy).
// `applyDeltaInPlace` changes the world it is given (ArenaView applies to a scratch copy it
// reuses, and swaps). The checks run in Rust's order, so a refused delta gets the same
// DecodeError kind as Rust's error.
//
// Applying runs on every frame, so it allocates only what the delta adds (bullets,
// pickups, seats, statics): varints are read as numbers (bigint only for the tick and for
// varints too long for a double, see codec.ts), lists are edited in place.

import { DecodeError } from "../errors.js";
import { Reader as PostcardReader, utf8, uuidString } from "../protocol/reader.js";
import { I32_MAX, I32_MIN, Reader, U16_MAX, U32_MAX, U8_MAX, addResidual } from "./codec.js";
import type { Vec2 } from "./fixed.js";
import { readBlackHole, readPhysics } from "./keyframe.js";
import { advance } from "./kinematics.js";
import {
  type Bullet,
  MAX_NAME_BYTES,
  MAX_SLOTS,
  PHASES,
  type Pickup,
  type PickupKind,
  type Ship,
  type World,
  cloneWorld,
  dropBullet,
  makeBullet,
  seatedShip,
  validateWorld,
} from "./world.js";

const ROSTER = 1;
const INTENTS = 2;
const MATCH = 4;
const SHIPS = 8;
const BULLETS = 16;
const PICKUPS = 32;
const STATICS = 64;
const MAX_LIST_LEN = 4096;
const SHIP_NUMERIC_FIELDS = 10;
const ALIVE_FLIPS = 1 << 10;
const CONNECTED_FLIPS = 1 << 11;

/** The world after applying `bytes` to `world` (validated); `world` is not changed. */
export function applyDelta(world: World, bytes: Uint8Array): World {
  const next = cloneWorld(world);
  applyDeltaInPlace(next, bytes);
  return next;
}

/** Applies `bytes` to `world` itself and validates the result. On an error `world` is left
 * partly changed: apply to a copy you can drop (as `applyDelta` and `ArenaView` do). */
export function applyDeltaInPlace(world: World, bytes: Uint8Array): void {
  applyInPlace(world, bytes);
  validateWorld(world);
  if (world.tick > Number.MAX_SAFE_INTEGER) throw new DecodeError("OutOfRange", "tick above 2^53 - 1");
}

function invalid(what: string, r: Reader): DecodeError {
  return new DecodeError("Invalid", `invalid ${what}`, r.offset);
}

/** The reader of every delta (applying is not reentrant). */
const reader = new Reader();

function applyInPlace(world: World, bytes: Uint8Array): void {
  const r = reader.reset(bytes);
  const sections = r.u8();
  if (sections & 0x80) throw invalid("section mask", r);
  if (sections & ROSTER) applyRoster(world, r);
  if (sections & INTENTS) applyIntents(world, r);
  advance(world);
  if (sections & MATCH) applyMatch(world, r);
  if (sections & SHIPS) applyShips(world, r);
  if (sections & BULLETS) applyList(world, world.bullets, r, bulletItem);
  if (sections & PICKUPS) applyList(world, world.pickups, r, pickupItem);
  if (sections & STATICS) {
    const len = r.count(1 << 16, "statics length");
    const p = new PostcardReader(r.take(len));
    try {
      // Like postcard::from_bytes, bytes after the value are ignored.
      const physics = readPhysics(p);
      const holes = p.seq(() => readBlackHole(p));
      world.physics = physics;
      world.blackHoles = holes;
    } catch (e) {
      if (e instanceof DecodeError) throw new DecodeError("Invalid", `invalid statics: ${e.message}`, r.offset);
      throw e;
    }
  }
  r.end();
}

/** The set bits of the 64-bit mask just read by `r.varintNumber()`: its low and high 32 bits. */
let maskLow = 0;
let maskHigh = 0;

function readMask(r: Reader): void {
  const v = r.varintNumber();
  const wide = r.wide;
  if (wide === undefined) {
    maskLow = v % 2 ** 32;
    maskHigh = Math.floor(v / 2 ** 32);
  } else {
    maskLow = Number(wide & 0xffffffffn);
    maskHigh = Number(wide >> 32n);
  }
}

/** Whether bit `slot` (0..63) of the mask read last is set. */
function maskHas(slot: number): boolean {
  return slot < 32 ? ((maskLow >>> slot) & 1) === 1 : ((maskHigh >>> (slot - 32)) & 1) === 1;
}

function applyRoster(world: World, r: Reader): void {
  const seats = r.count(MAX_SLOTS, "seat count");
  const changes = r.count(seats, "seat changes");
  world.ships.length = Math.min(world.ships.length, seats);
  while (world.ships.length < seats) world.ships.push(null);
  for (let i = 0; i < changes; i++) {
    const slot = r.count(Math.max(seats - 1, 0), "slot");
    if (slot >= seats) throw invalid("slot", r);
    const tag = r.u8();
    if (tag === 0) {
      world.ships[slot] = null;
    } else if (tag === 1) {
      const player = uuidString(r.take(16));
      const nameLen = r.count(MAX_NAME_BYTES, "name length");
      let name: string;
      try {
        name = utf8.decode(r.take(nameLen));
      } catch (e) {
        if (e instanceof DecodeError) throw e;
        throw invalid("name", r);
      }
      const colour = r.varintNumber();
      if (colour > U32_MAX) throw invalid("colour", r);
      world.ships[slot] = seatedShip(player, name, colour);
    } else {
      throw invalid("seat tag", r);
    }
  }
}

function applyIntents(world: World, r: Reader): void {
  readMask(r);
  for (let slot = 0; slot < 64; slot++) {
    if (!maskHas(slot)) continue;
    const ship = world.ships[slot];
    if (ship === undefined || ship === null) throw invalid("intent slot", r);
    const flags = r.u8();
    if (flags & ~7) throw invalid("intent flags", r);
    ship.thrust = (flags & 1) !== 0;
    ship.fire = (flags & 2) !== 0;
    if (flags & 4) ship.turn = (r.u8() << 24) >> 24;
  }
}

function applyMatch(world: World, r: Reader): void {
  const mask = r.u8();
  if (mask & ~15) throw invalid("match fields", r);
  if (mask & 1) {
    const code = r.u8();
    const phase = PHASES[code];
    if (phase === undefined) throw invalid("phase", r);
    world.phase = phase;
  }
  if (mask & 2) world.phaseTicksLeft = addResidual(world.phaseTicksLeft, r.zigzagNumber(), 0, U32_MAX);
  if (mask & 4) world.tick = Number(BigInt.asUintN(64, BigInt(world.tick) + r.zigzag()));
  if (mask & 8) world.nextBulletId = addResidual(world.nextBulletId, r.zigzagNumber(), 0, U32_MAX);
}

function applyShips(world: World, r: Reader): void {
  readMask(r);
  const low = maskLow;
  const high = maskHigh;
  for (let slot = 0; slot < 64; slot++) {
    if (((slot < 32 ? low >>> slot : high >>> (slot - 32)) & 1) === 0) continue;
    const ship = world.ships[slot];
    if (ship === undefined || ship === null) throw invalid("ship slot", r);
    // A rounded (wide) value is at least 2^49.
    const fields = r.varintNumber();
    if (fields >= 1 << 12) throw invalid("ship fields", r);
    for (let field = 0; field < SHIP_NUMERIC_FIELDS; field++) {
      if ((fields & (1 << field)) === 0) continue;
      applyShipResidual(ship, field, r);
    }
    if (fields & ALIVE_FLIPS) ship.alive = !ship.alive;
    if (fields & CONNECTED_FLIPS) ship.connected = !ship.connected;
  }
}

function applyShipResidual(ship: Ship, field: number, r: Reader): void {
  const d = r.zigzagNumber();
  switch (field) {
    case 0:
      ship.pos.x = addResidual(ship.pos.x, d, I32_MIN, I32_MAX);
      break;
    case 1:
      ship.pos.y = addResidual(ship.pos.y, d, I32_MIN, I32_MAX);
      break;
    case 2:
      ship.vel.x = addResidual(ship.vel.x, d, I32_MIN, I32_MAX);
      break;
    case 3:
      ship.vel.y = addResidual(ship.vel.y, d, I32_MIN, I32_MAX);
      break;
    case 4: {
      // The residual wraps as a u16: `d mod 2^16` (exact for an exact d; else from `wide`).
      const wide = r.wide;
      const turn = wide === undefined ? d % 65536 : Number(BigInt.asUintN(16, wide));
      ship.angle = (ship.angle + turn) & 0xffff;
      break;
    }
    case 5:
      ship.health = addResidual(ship.health, d, 0, U16_MAX);
      break;
    case 6:
      ship.score = addResidual(ship.score, d, I32_MIN, I32_MAX);
      break;
    case 7:
      ship.kills = addResidual(ship.kills, d, 0, U16_MAX);
      break;
    case 8:
      ship.thrustCooldown = addResidual(ship.thrustCooldown, d, 0, U16_MAX);
      break;
    default:
      ship.fireCooldown = addResidual(ship.fireCooldown, d, 0, U16_MAX);
  }
}

// --- lists (bullets, pickups) -----------------------------------------------------------

interface ListItem<T> {
  /** Applies the residuals of `fields` to `item` itself. */
  applyResiduals(item: T, fields: number, r: Reader): void;
  /** A new item (reusing one `world` dropped, if it can). */
  read(r: Reader, world: World): T;
  /** `world` no longer has `item`. */
  drop(world: World, item: T): void;
}

/** Edits `list` in place: removals (compacting, order kept), changes, additions. */
function applyList<T>(world: World, list: T[], r: Reader, item: ListItem<T>): void {
  const len = list.length;
  const removedCount = r.count(len, "removed count");
  // The removed indices are strictly increasing: compact while reading them.
  let write = 0;
  let read = 0;
  let next = 0;
  for (let n = 0; n < removedCount; n++) {
    const i = next + r.count(len, "index");
    if (i >= len) throw invalid("index", r);
    next = i + 1;
    while (read < i) list[write++] = list[read++] as T;
    item.drop(world, list[i] as T);
    read = i + 1;
  }
  while (read < len) list[write++] = list[read++] as T;
  list.length = write;
  const changed = r.count(list.length, "changed count");
  next = 0;
  for (let n = 0; n < changed; n++) {
    const k = next + r.count(list.length, "index");
    if (k >= list.length) throw invalid("index", r);
    next = k + 1;
    const fields = r.u8();
    item.applyResiduals(list[k] as T, fields, r);
  }
  const added = r.count(Math.max(MAX_LIST_LEN - list.length, 0), "added count");
  for (let n = 0; n < added; n++) list.push(item.read(r, world));
}

function readI32(r: Reader): number {
  // A rounded (wide) value is far outside the range too.
  const v = r.zigzagNumber();
  if (v < I32_MIN || v > I32_MAX) throw invalid("coordinate", r);
  return v;
}

function readUnsigned(r: Reader, max: number, what: string): number {
  const v = r.varintNumber();
  if (v > max) throw invalid(what, r);
  return v;
}

/** The residuals of `v`'s x and y, when bits `xBit` and `xBit << 1` of `fields` are set. */
function applyVecResiduals(v: Vec2, fields: number, xBit: number, r: Reader): void {
  if (fields & xBit) v.x = addResidual(v.x, r.zigzagNumber(), I32_MIN, I32_MAX);
  if (fields & (xBit << 1)) v.y = addResidual(v.y, r.zigzagNumber(), I32_MIN, I32_MAX);
}

const bulletItem: ListItem<Bullet> = {
  applyResiduals(b, fields, r) {
    if (fields & ~63) throw invalid("bullet fields", r);
    applyVecResiduals(b.pos, fields, 1, r);
    applyVecResiduals(b.vel, fields, 4, r);
    if (fields & 16) b.ttl = addResidual(b.ttl, r.zigzagNumber(), 0, U16_MAX);
    if (fields & 32) b.owner = addResidual(b.owner, r.zigzagNumber(), 0, U8_MAX);
  },
  read(r, world) {
    const id = readUnsigned(r, U32_MAX, "id");
    const owner = readUnsigned(r, U8_MAX, "owner");
    const px = readI32(r);
    const py = readI32(r);
    const vx = readI32(r);
    const vy = readI32(r);
    const ttl = readUnsigned(r, U16_MAX, "ttl");
    return makeBullet(world, id, owner, px, py, vx, vy, ttl);
  },
  drop: dropBullet,
};

const KINDS: readonly PickupKind[] = ["Health", "Score"];

/** The kind of wire code `code` (a rounded code is never 0 or 1 either). */
function kindFromCode(code: number, r: Reader): PickupKind {
  const kind = code === 0 || code === 1 ? KINDS[code] : undefined;
  if (kind === undefined) throw invalid("pickup kind", r);
  return kind;
}

const pickupItem: ListItem<Pickup> = {
  applyResiduals(p, fields, r) {
    if (fields & ~7) throw invalid("pickup fields", r);
    applyVecResiduals(p.pos, fields, 1, r);
    if (fields & 4) p.kind = kindFromCode((p.kind === "Health" ? 0 : 1) + r.zigzagNumber(), r);
  },
  read(r) {
    const id = readUnsigned(r, U32_MAX, "id");
    const kind = kindFromCode(r.u8(), r);
    const x = readI32(r);
    const y = readI32(r);
    return { id, kind, pos: { x, y } };
  },
  drop() {},
};
