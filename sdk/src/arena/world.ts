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
export const MAX_SLOTS = 32;
const MAX_BULLETS = 4096;
const MAX_PICKUPS = 256;
const MAX_BLACK_HOLES = 16;

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
  const slot = world.ships.findIndex((s) => s !== null && s.player === player);
  return slot < 0 ? undefined : slot;
}

function cloneVec(v: Vec2): Vec2 {
  return { x: v.x, y: v.y };
}

export function cloneShip(s: Ship): Ship {
  return { ...s, pos: cloneVec(s.pos), vel: cloneVec(s.vel) };
}

/** A deep copy. */
export function cloneWorld(w: World): World {
  return {
    physics: { ...w.physics },
    tick: w.tick,
    phase: w.phase,
    phaseTicksLeft: w.phaseTicksLeft,
    ships: w.ships.map((s) => (s === null ? null : cloneShip(s))),
    bullets: w.bullets.map((b) => ({ ...b, pos: cloneVec(b.pos), vel: cloneVec(b.vel) })),
    pickups: w.pickups.map((p) => ({ ...p, pos: cloneVec(p.pos) })),
    blackHoles: w.blackHoles.map((h) => ({ pos: cloneVec(h.pos), coreRadius: h.coreRadius })),
    nextBulletId: w.nextBulletId,
  };
}

const utf8 = new TextEncoder();

function utf8Length(s: string): number {
  return utf8.encode(s).length;
}

/** `World::validate`: throws `DecodeError` kind "OutOfRange" when a bound is broken. */
export function validateWorld(w: World): void {
  const p = w.physics;
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new DecodeError("OutOfRange", `state out of bounds: ${what}`);
  };
  const within = (v: number, lo: number, hi: number): boolean => v >= lo && v <= hi;
  const small = (v: number): boolean => within(v, 0, MAX_SPEED_COMPONENT);
  check(p.tickHz > 0, "tick rate");
  check(within(p.width, 1, MAX_COORD) && within(p.height, 1, MAX_COORD), "arena size");
  for (const v of [p.shipRadius, p.shipMaxSpeed, p.thrustImpulse, p.bulletSpeed, p.bulletMaxSpeed, p.bulletRadius, p.gravityMaxAccel, p.pickupRadius]) {
    check(small(v), "physics constant");
  }
  check(within(p.dragQ10, 0, 1024) && within(p.turnStep, 0, 1024), "drag or turn");
  check(within(p.gravity, 0, 2 ** 52), "gravity");
  check(within(p.gravityMinDistance, 1, MAX_COORD), "gravity clamp");
  check(w.ships.length <= MAX_SLOTS, "seats");
  check(w.bullets.length <= MAX_BULLETS, "bullets");
  check(w.pickups.length <= MAX_PICKUPS, "pickups");
  check(w.blackHoles.length <= MAX_BLACK_HOLES, "black holes");
  const inside = (v: Vec2): boolean => within(v.x, 0, p.width) && within(v.y, 0, p.height);
  const speed = (v: Vec2): boolean => Math.abs(v.x) <= MAX_SPEED_COMPONENT && Math.abs(v.y) <= MAX_SPEED_COMPONENT;
  for (const ship of w.ships) {
    if (ship === null) continue;
    check(inside(ship.pos) && speed(ship.vel), "ship");
    check(ship.health <= p.maxHealth, "ship health");
    check(utf8Length(ship.name) <= MAX_NAME_BYTES && ship.colour <= 0xffffff, "ship identity");
  }
  for (const b of w.bullets) check(inside(b.pos) && speed(b.vel), "bullet");
  for (const pk of w.pickups) check(inside(pk.pos), "pickup");
  for (const h of w.blackHoles) check(inside(h.pos) && small(h.coreRadius), "black hole");
}
