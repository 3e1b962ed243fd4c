// The world as clients see it (arena/src/world.rs): ships by slot, bullets, pickups,
// black holes, phase and clock; and `validateWorld`, the bound every decoded world must
// satisfy (so that replaying the kinematics on it stays exact).

import { DecodeError } from "../errors.js";
import type { Vec2 } from "./fixed.js";

/** Largest arena side in sub-units (16384 units). */
export const MAX_COORD = 1 << 22;
/** Largest speed component, sub-units per tick. */
export const MAX_SPEED_COMPONENT = 1 << 18;
/** Longest display name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 32;
/** Most seats a room can have. */
export const MAX_SLOTS = 64;
const MAX_BULLETS = 4096;
const MAX_PICKUPS = 256;
/**
 * Most black holes in a world (arena/src/world.rs `MAX_BLACK_HOLES`): `arena-large` places
 * them in proportion to its area, 26 at its 64 seats; 32 is the round bound above that.
 */
export const MAX_BLACK_HOLES = 32;

/** Where a match is in its life (`orrery_common::game::Phase`). */
export type Phase = "Lobby" | "Countdown" | "Running" | "Over" | "Closable";
/** The phases by their wire code (delta) and postcard variant index (keyframe). */
export const PHASES: readonly Phase[] = ["Lobby", "Countdown", "Running", "Over", "Closable"];

/** Kinematic constants (lengths in sub-units, speeds per tick). */
export interface Physics {
  tickHz: number;
  width: number;
  height: number;
  shipRadius: number;
  shipMaxSpeed: number;
  thrustImpulse: number;
  dragQ10: number;
  turnStep: number;
  thrustCooldown: number;
  fireCooldown: number;
  bulletSpeed: number;
  bulletMaxSpeed: number;
  bulletLifetime: number;
  bulletRadius: number;
  maxHealth: number;
  /** `G` in sub-units³/tick² (an i64 in Rust, at most 2^52 in a valid world). */
  gravity: number;
  gravityMinDistance: number;
  gravityMaxAccel: number;
  pickupRadius: number;
}

/** One player's ship. */
export interface Ship {
  /** PlayerId: lowercase hyphenated UUID. */
  player: string;
  name: string;
  /** 0xRRGGBB. */
  colour: number;
  /** Quantised turn, -127..=127. */
  turn: number;
  thrust: boolean;
  fire: boolean;
  pos: Vec2;
  vel: Vec2;
  /** u16, 1/65536 of a turn. */
  angle: number;
  thrustCooldown: number;
  fireCooldown: number;
  health: number;
  score: number;
  kills: number;
  alive: boolean;
  connected: boolean;
}

export interface Bullet {
  id: number;
  /** Slot of the ship that fired it. */
  owner: number;
  pos: Vec2;
  vel: Vec2;
  ttl: number;
}

export type PickupKind = "Health" | "Score";

export interface Pickup {
  id: number;
  kind: PickupKind;
  pos: Vec2;
}

export interface BlackHole {
  pos: Vec2;
  coreRadius: number;
}

/** The shared state of a room (a keyframe is this; a delta changes it). */
export interface World {
  physics: Physics;
  tick: number;
  phase: Phase;
  phaseTicksLeft: number;
  /** Indexed by slot; the length is the number of seats. */
  ships: (Ship | null)[];
  bullets: Bullet[];
  pickups: Pickup[];
  blackHoles: BlackHole[];
  nextBulletId: number;
}

/** A seat with identity only (`Ship::seated`). */
export function seatedShip(player: string, name: string, colour: number): Ship {
  return {
    player,
    name,
    colour,
    turn: 0,
    thrust: false,
    fire: false,
    pos: { x: 0, y: 0 },
    vel: { x: 0, y: 0 },
    angle: 0,
    thrustCooldown: 0,
    fireCooldown: 0,
    health: 0,
    score: 0,
    kills: 0,
    alive: false,
    connected: false,
  };
}

/** The slot of `player`'s ship. */
export function slotOf(world: World, player: string): number | undefined {
  const ships = world.ships;
  for (let slot = 0; slot < ships.length; slot++) {
    const s = ships[slot];
    if (s !== null && s !== undefined && s.player === player) return slot;
  }
  return undefined;
}

function cloneVec(v: Vec2): Vec2 {
  return { x: v.x, y: v.y };
}

/** `cloneVec` into a vector `to` that exists (no allocation). */
function copyVecInto(to: Vec2, from: Readonly<Vec2>): void {
  to.x = from.x;
  to.y = from.y;
}

export function cloneShip(s: Ship): Ship {
  // Literals in the order of the keyframe decoder's (and seatedShip's): one object shape
  // for every ship, as for every other body below (a spread copy gets a shape of its own,
  // and code that sees several deoptimizes more).
  return {
    player: s.player,
    name: s.name,
    colour: s.colour,
    turn: s.turn,
    thrust: s.thrust,
    fire: s.fire,
    pos: cloneVec(s.pos),
    vel: cloneVec(s.vel),
    angle: s.angle,
    thrustCooldown: s.thrustCooldown,
    fireCooldown: s.fireCooldown,
    health: s.health,
    score: s.score,
    kills: s.kills,
    alive: s.alive,
    connected: s.connected,
  };
}

function clonePhysics(p: Physics): Physics {
  return {
    tickHz: p.tickHz,
    width: p.width,
    height: p.height,
    shipRadius: p.shipRadius,
    shipMaxSpeed: p.shipMaxSpeed,
    thrustImpulse: p.thrustImpulse,
    dragQ10: p.dragQ10,
    turnStep: p.turnStep,
    thrustCooldown: p.thrustCooldown,
    fireCooldown: p.fireCooldown,
    bulletSpeed: p.bulletSpeed,
    bulletMaxSpeed: p.bulletMaxSpeed,
    bulletLifetime: p.bulletLifetime,
    bulletRadius: p.bulletRadius,
    maxHealth: p.maxHealth,
    gravity: p.gravity,
    gravityMinDistance: p.gravityMinDistance,
    gravityMaxAccel: p.gravityMaxAccel,
    pickupRadius: p.pickupRadius,
  };
}

/** A deep copy. */
export function cloneWorld(w: World): World {
  return {
    physics: clonePhysics(w.physics),
    tick: w.tick,
    phase: w.phase,
    phaseTicksLeft: w.phaseTicksLeft,
    ships: w.ships.map((s) => (s === null ? null : cloneShip(s))),
    bullets: w.bullets.map((b) => ({ id: b.id, owner: b.owner, pos: cloneVec(b.pos), vel: cloneVec(b.vel), ttl: b.ttl })),
    pickups: w.pickups.map((p) => ({ id: p.id, kind: p.kind, pos: cloneVec(p.pos) })),
    blackHoles: w.blackHoles.map((h) => ({ pos: cloneVec(h.pos), coreRadius: h.coreRadius })),
    nextBulletId: w.nextBulletId,
  };
}

// Bullets come and go on most frames, in every world a client keeps (the view's two, the
// prediction, the interpolation buffer). A world the SDK owns (`ownWorld`) keeps the
// bullets it drops (advance, a delta, a copy of a world with fewer) and reuses them for
// those it gains, so that this churn allocates nothing. Only for worlds no one else holds
// a bullet of: a dropped bullet is changed when reused.
const spareBullets = new WeakMap<World, Bullet[]>();

/** Marks `world` as the SDK's own (see above); returns it. */
export function ownWorld(world: World): World {
  if (!spareBullets.has(world)) spareBullets.set(world, []);
  return world;
}

/** A bullet `world` dropped, to reuse (only for an owned world). */
export function spareBullet(world: World): Bullet | undefined {
  return spareBullets.get(world)?.pop();
}

/** A bullet with these fields: one `world` dropped (see above) if it has one, else a new one
 * (always in the same literal order: one object shape for every bullet). */
export function makeBullet(world: World, id: number, owner: number, px: number, py: number, vx: number, vy: number, ttl: number): Bullet {
  const b = spareBullet(world);
  if (b === undefined) return { id, owner, pos: { x: px, y: py }, vel: { x: vx, y: vy }, ttl };
  return setBullet(b, id, owner, px, py, vx, vy, ttl);
}

/** Sets every field of `b` in place; returns it. */
function setBullet(b: Bullet, id: number, owner: number, px: number, py: number, vx: number, vy: number, ttl: number): Bullet {
  b.id = id;
  b.owner = owner;
  b.pos.x = px;
  b.pos.y = py;
  b.vel.x = vx;
  b.vel.y = vy;
  b.ttl = ttl;
  return b;
}

/** `world` dropped `bullet`: keep it for reuse if the world is owned. */
export function dropBullet(world: World, bullet: Bullet): void {
  spareBullets.get(world)?.push(bullet);
}

/**
 * Makes `dst` a deep copy of `src`, reusing the objects and arrays `dst` already has (no
 * allocation once `dst` has as many bodies as `src`). `dst` must own its objects: no
 * object of `dst` may be shared with `src` or any other world.
 */
export function copyWorldInto(dst: World, src: Readonly<World>): void {
  if (dst === src) return;
  copyPhysicsInto(dst.physics, src.physics);
  dst.tick = src.tick;
  dst.phase = src.phase;
  dst.phaseTicksLeft = src.phaseTicksLeft;
  dst.nextBulletId = src.nextBulletId;
  const ships = dst.ships;
  ships.length = src.ships.length;
  for (let i = 0; i < ships.length; i++) {
    const from = src.ships[i] ?? null;
    const to = ships[i];
    if (from === null) ships[i] = null;
    else if (to === null || to === undefined) ships[i] = cloneShip(from);
    else copyShipInto(to, from);
  }
  const bullets = dst.bullets;
  for (let i = src.bullets.length; i < bullets.length; i++) dropBullet(dst, bullets[i] as Bullet);
  bullets.length = src.bullets.length;
  for (let i = 0; i < bullets.length; i++) {
    const { id, owner, pos, vel, ttl } = src.bullets[i] as Bullet;
    const to = bullets[i];
    bullets[i] =
      to === undefined
        ? makeBullet(dst, id, owner, pos.x, pos.y, vel.x, vel.y, ttl)
        : setBullet(to, id, owner, pos.x, pos.y, vel.x, vel.y, ttl);
  }
  const pickups = dst.pickups;
  pickups.length = src.pickups.length;
  for (let i = 0; i < pickups.length; i++) {
    const from = src.pickups[i] as Pickup;
    const to = pickups[i];
    if (to === undefined) {
      pickups[i] = { id: from.id, kind: from.kind, pos: cloneVec(from.pos) };
    } else {
      to.id = from.id;
      to.kind = from.kind;
      copyVecInto(to.pos, from.pos);
    }
  }
  const holes = dst.blackHoles;
  holes.length = src.blackHoles.length;
  for (let i = 0; i < holes.length; i++) {
    const from = src.blackHoles[i] as BlackHole;
    const to = holes[i];
    if (to === undefined) {
      holes[i] = { pos: cloneVec(from.pos), coreRadius: from.coreRadius };
    } else {
      copyVecInto(to.pos, from.pos);
      to.coreRadius = from.coreRadius;
    }
  }
}

/** Field by field, and only the fields that differ (they almost never do): Object.assign
 * allocated a HeapNumber for `gravity` on every copy. */
function copyPhysicsInto(to: Physics, from: Readonly<Physics>): void {
  if (to.tickHz !== from.tickHz) to.tickHz = from.tickHz;
  if (to.width !== from.width) to.width = from.width;
  if (to.height !== from.height) to.height = from.height;
  if (to.shipRadius !== from.shipRadius) to.shipRadius = from.shipRadius;
  if (to.shipMaxSpeed !== from.shipMaxSpeed) to.shipMaxSpeed = from.shipMaxSpeed;
  if (to.thrustImpulse !== from.thrustImpulse) to.thrustImpulse = from.thrustImpulse;
  if (to.dragQ10 !== from.dragQ10) to.dragQ10 = from.dragQ10;
  if (to.turnStep !== from.turnStep) to.turnStep = from.turnStep;
  if (to.thrustCooldown !== from.thrustCooldown) to.thrustCooldown = from.thrustCooldown;
  if (to.fireCooldown !== from.fireCooldown) to.fireCooldown = from.fireCooldown;
  if (to.bulletSpeed !== from.bulletSpeed) to.bulletSpeed = from.bulletSpeed;
  if (to.bulletMaxSpeed !== from.bulletMaxSpeed) to.bulletMaxSpeed = from.bulletMaxSpeed;
  if (to.bulletLifetime !== from.bulletLifetime) to.bulletLifetime = from.bulletLifetime;
  if (to.bulletRadius !== from.bulletRadius) to.bulletRadius = from.bulletRadius;
  if (to.maxHealth !== from.maxHealth) to.maxHealth = from.maxHealth;
  if (to.gravity !== from.gravity) to.gravity = from.gravity;
  if (to.gravityMinDistance !== from.gravityMinDistance) to.gravityMinDistance = from.gravityMinDistance;
  if (to.gravityMaxAccel !== from.gravityMaxAccel) to.gravityMaxAccel = from.gravityMaxAccel;
  if (to.pickupRadius !== from.pickupRadius) to.pickupRadius = from.pickupRadius;
}

function copyShipInto(to: Ship, from: Readonly<Ship>): void {
  to.player = from.player;
  to.name = from.name;
  to.colour = from.colour;
  to.turn = from.turn;
  to.thrust = from.thrust;
  to.fire = from.fire;
  copyVecInto(to.pos, from.pos);
  copyVecInto(to.vel, from.vel);
  to.angle = from.angle;
  to.thrustCooldown = from.thrustCooldown;
  to.fireCooldown = from.fireCooldown;
  to.health = from.health;
  to.score = from.score;
  to.kills = from.kills;
  to.alive = from.alive;
  to.connected = from.connected;
}

/** The length of `s` in UTF-8 (as `TextEncoder` encodes it: a lone surrogate is U+FFFD, 3 bytes). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i += 1;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

function outOfBounds(what: string): DecodeError {
  return new DecodeError("OutOfRange", `state out of bounds: ${what}`);
}

function within(v: number, lo: number, hi: number): boolean {
  return v >= lo && v <= hi;
}

function small(v: number): boolean {
  return within(v, 0, MAX_SPEED_COMPONENT);
}

function inside(v: Vec2, p: Physics): boolean {
  return within(v.x, 0, p.width) && within(v.y, 0, p.height);
}

function speed(v: Vec2): boolean {
  return Math.abs(v.x) <= MAX_SPEED_COMPONENT && Math.abs(v.y) <= MAX_SPEED_COMPONENT;
}

/** `World::validate`: throws `DecodeError` kind "OutOfRange" when a bound is broken. */
export function validateWorld(w: World): void {
  // Runs on every delta: no closures, arrays or encoded names (allocation-free).
  const p = w.physics;
  if (!(p.tickHz > 0)) throw outOfBounds("tick rate");
  if (!(within(p.width, 1, MAX_COORD) && within(p.height, 1, MAX_COORD))) throw outOfBounds("arena size");
  if (
    !small(p.shipRadius) ||
    !small(p.shipMaxSpeed) ||
    !small(p.thrustImpulse) ||
    !small(p.bulletSpeed) ||
    !small(p.bulletMaxSpeed) ||
    !small(p.bulletRadius) ||
    !small(p.gravityMaxAccel) ||
    !small(p.pickupRadius)
  ) {
    throw outOfBounds("physics constant");
  }
  if (!(within(p.dragQ10, 0, 1024) && within(p.turnStep, 0, 1024))) throw outOfBounds("drag or turn");
  if (!within(p.gravity, 0, 2 ** 52)) throw outOfBounds("gravity");
  if (!within(p.gravityMinDistance, 1, MAX_COORD)) throw outOfBounds("gravity clamp");
  if (!(w.ships.length <= MAX_SLOTS)) throw outOfBounds("seats");
  if (!(w.bullets.length <= MAX_BULLETS)) throw outOfBounds("bullets");
  if (!(w.pickups.length <= MAX_PICKUPS)) throw outOfBounds("pickups");
  if (!(w.blackHoles.length <= MAX_BLACK_HOLES)) throw outOfBounds("black holes");
  for (let i = 0; i < w.ships.length; i++) {
    const ship = w.ships[i];
    if (ship === null || ship === undefined) continue;
    if (!(inside(ship.pos, p) && speed(ship.vel))) throw outOfBounds("ship");
    if (!(ship.health <= p.maxHealth)) throw outOfBounds("ship health");
    if (!(utf8Length(ship.name) <= MAX_NAME_BYTES && ship.colour <= 0xffffff)) throw outOfBounds("ship identity");
  }
  for (let i = 0; i < w.bullets.length; i++) {
    const b = w.bullets[i] as Bullet;
    if (!(inside(b.pos, p) && speed(b.vel))) throw outOfBounds("bullet");
  }
  for (let i = 0; i < w.pickups.length; i++) {
    if (!inside((w.pickups[i] as Pickup).pos, p)) throw outOfBounds("pickup");
  }
  for (let i = 0; i < w.blackHoles.length; i++) {
    const h = w.blackHoles[i] as BlackHole;
    if (!(inside(h.pos, p) && small(h.coreRadius))) throw outOfBounds("black hole");
  }
}
