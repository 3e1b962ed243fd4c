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
// Applying is atomic: on any error the world given is untouched. The checks run in
// Rust's order, so a refused delta gets the same DecodeError kind as Rust's error.

import { DecodeError } from "../errors.js";
import { Reader as PostcardReader, utf8, uuidString } from "../protocol/reader.js";
import { I32, Reader, U16_MAX, U32_MAX, U8_MAX, addResidual } from "./codec.js";
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
  type World,
  cloneWorld,
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
  applyInPlace(next, bytes);
  validateWorld(next);
  if (next.tick > Number.MAX_SAFE_INTEGER) throw new DecodeError("OutOfRange", "tick above 2^53 - 1");
  return next;
}

function invalid(what: string, r: Reader): DecodeError {
  return new DecodeError("Invalid", `invalid ${what}`, r.offset);
}

function applyInPlace(world: World, bytes: Uint8Array): void {
  const r = new Reader(bytes);
  const sections = r.u8();
  if (sections & 0x80) throw invalid("section mask", r);
  if (sections & ROSTER) applyRoster(world, r);
  if (sections & INTENTS) applyIntents(world, r);
  advance(world);
  if (sections & MATCH) applyMatch(world, r);
  if (sections & SHIPS) applyShips(world, r);
  if (sections & BULLETS) world.bullets = applyList(world.bullets, r, bulletItem);
  if (sections & PICKUPS) world.pickups = applyList(world.pickups, r, pickupItem);
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

/** The set bits of a 64-bit mask, lowest first. */
function bits(mask: bigint): number[] {
  const out: number[] = [];
  for (let slot = 0; slot < 64; slot++) {
    if ((mask >> BigInt(slot)) & 1n) out.push(slot);
  }
  return out;
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
      const colour = r.varint();
      if (colour > BigInt(U32_MAX)) throw invalid("colour", r);
      world.ships[slot] = seatedShip(player, name, Number(colour));
    } else {
      throw invalid("seat tag", r);
    }
  }
}

function applyIntents(world: World, r: Reader): void {
  const mask = r.varint();
  for (const slot of bits(mask)) {
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
  if (mask & 2) world.phaseTicksLeft = addResidual(world.phaseTicksLeft, r.zigzag(), 0, U32_MAX);
  if (mask & 4) world.tick = Number(BigInt.asUintN(64, BigInt(world.tick) + r.zigzag()));
  if (mask & 8) world.nextBulletId = addResidual(world.nextBulletId, r.zigzag(), 0, U32_MAX);
}

function applyShips(world: World, r: Reader): void {
  const slots = r.varint();
  for (const slot of bits(slots)) {
    const ship = world.ships[slot];
    if (ship === undefined || ship === null) throw invalid("ship slot", r);
    const fieldsBig = r.varint();
    if (fieldsBig >= 1n << 12n) throw invalid("ship fields", r);
    const fields = Number(fieldsBig);
    for (let field = 0; field < SHIP_NUMERIC_FIELDS; field++) {
      if ((fields & (1 << field)) === 0) continue;
      const d = r.zigzag();
      switch (field) {
        case 0:
          ship.pos = { ...ship.pos, x: addResidual(ship.pos.x, d, ...I32) };
          break;
        case 1:
          ship.pos = { ...ship.pos, y: addResidual(ship.pos.y, d, ...I32) };
          break;
        case 2:
          ship.vel = { ...ship.vel, x: addResidual(ship.vel.x, d, ...I32) };
          break;
        case 3:
          ship.vel = { ...ship.vel, y: addResidual(ship.vel.y, d, ...I32) };
          break;
        case 4:
          ship.angle = (ship.angle + Number(BigInt.asUintN(16, d))) & 0xffff;
          break;
        case 5:
          ship.health = addResidual(ship.health, d, 0, U16_MAX);
          break;
        case 6:
          ship.score = addResidual(ship.score, d, ...I32);
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
    if (fields & ALIVE_FLIPS) ship.alive = !ship.alive;
    if (fields & CONNECTED_FLIPS) ship.connected = !ship.connected;
  }
}

// --- lists (bullets, pickups) -----------------------------------------------------------

interface ListItem<T> {
  applyResiduals(item: T, fields: number, r: Reader): T;
  read(r: Reader): T;
}

function readGaps(r: Reader, count: number, len: number): Set<number> {
  const indices = new Set<number>();
  let next = 0;
  for (let n = 0; n < count; n++) {
    const i = next + r.count(len, "index");
    if (i >= len) throw invalid("index", r);
    indices.add(i);
    next = i + 1;
  }
  return indices;
}

function applyList<T>(list: T[], r: Reader, item: ListItem<T>): T[] {
  const removedCount = r.count(list.length, "removed count");
  const removed = readGaps(r, removedCount, list.length);
  const out = list.filter((_, i) => !removed.has(i));
  const changed = r.count(out.length, "changed count");
  let next = 0;
  for (let n = 0; n < changed; n++) {
    const k = next + r.count(out.length, "index");
    if (k >= out.length) throw invalid("index", r);
    next = k + 1;
    const fields = r.u8();
    out[k] = item.applyResiduals(out[k] as T, fields, r);
  }
  const added = r.count(Math.max(MAX_LIST_LEN - out.length, 0), "added count");
  for (let n = 0; n < added; n++) out.push(item.read(r));
  return out;
}

function readI32(r: Reader): number {
  const v = r.zigzag();
  if (v < BigInt(I32[0]) || v > BigInt(I32[1])) throw invalid("coordinate", r);
  return Number(v);
}

function readVec2(r: Reader): Vec2 {
  const x = readI32(r);
  const y = readI32(r);
  return { x, y };
}

function readUnsigned(r: Reader, max: number, what: string): number {
  const v = r.varint();
  if (v > BigInt(max)) throw invalid(what, r);
  return Number(v);
}

const bulletItem: ListItem<Bullet> = {
  applyResiduals(b, fields, r) {
    if (fields & ~63) throw invalid("bullet fields", r);
    const out = { ...b, pos: { ...b.pos }, vel: { ...b.vel } };
    for (let bit = 0; bit < 6; bit++) {
      if ((fields & (1 << bit)) === 0) continue;
      const d = r.zigzag();
      if (bit === 0) out.pos.x = addResidual(out.pos.x, d, ...I32);
      else if (bit === 1) out.pos.y = addResidual(out.pos.y, d, ...I32);
      else if (bit === 2) out.vel.x = addResidual(out.vel.x, d, ...I32);
      else if (bit === 3) out.vel.y = addResidual(out.vel.y, d, ...I32);
      else if (bit === 4) out.ttl = addResidual(out.ttl, d, 0, U16_MAX);
      else out.owner = addResidual(out.owner, d, 0, U8_MAX);
    }
    return out;
  },
  read(r) {
    const id = readUnsigned(r, U32_MAX, "id");
    const owner = readUnsigned(r, U8_MAX, "owner");
    const pos = readVec2(r);
    const vel = readVec2(r);
    const ttl = readUnsigned(r, U16_MAX, "ttl");
    return { id, owner, pos, vel, ttl };
  },
};

const KIND_CODES: Record<PickupKind, number> = { Health: 0, Score: 1 };
const KINDS: readonly PickupKind[] = ["Health", "Score"];

function kindFromCode(code: bigint, r: Reader): PickupKind {
  const kind = code === 0n || code === 1n ? KINDS[Number(code)] : undefined;
  if (kind === undefined) throw invalid("pickup kind", r);
  return kind;
}

const pickupItem: ListItem<Pickup> = {
  applyResiduals(p, fields, r) {
    if (fields & ~7) throw invalid("pickup fields", r);
    const out = { ...p, pos: { ...p.pos } };
    if (fields & 1) out.pos.x = addResidual(out.pos.x, r.zigzag(), ...I32);
    if (fields & 2) out.pos.y = addResidual(out.pos.y, r.zigzag(), ...I32);
    if (fields & 4) out.kind = kindFromCode(BigInt(KIND_CODES[out.kind]) + r.zigzag(), r);
    return out;
  },
  read(r) {
    const id = readUnsigned(r, U32_MAX, "id");
    const kind = kindFromCode(BigInt(r.u8()), r);
    const pos = readVec2(r);
    return { id, kind, pos };
  },
};
