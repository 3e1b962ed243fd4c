// The motion of one tick (arena/src/kinematics.rs), shared by the server and every
// client: turning, thrust kicks, gravity, drag, the speed limit, walls, firing, bullet
// flight and expiry, cooldowns and the phase clock. Nothing here is random and nothing
// here scores. See fixed.ts for why plain numbers are exact here.
//
// It runs several times per frame (the delta's prediction, then the predictor's replay of
// the pending inputs), so it allocates nothing but the bullets it fires: vectors are pairs
// of locals, bodies are changed in place, the bullet list is compacted in place. The
// arithmetic is the one of fixed.ts's `direction`, `wrappingAdd` and `clampLength`,
// written out on components.

import { type Vec2, cosQ14, isqrt, sinQ14, tdiv, TRIG_ONE } from "./fixed.js";
import { type BlackHole, type Bullet, type Physics, type Ship, type World, dropBullet, makeBullet } from "./world.js";

/** Advances the motion of `world` by one tick, in place (`World::advance`). */
export function advance(world: World): void {
  world.tick += 1;
  world.phaseTicksLeft = Math.max(0, world.phaseTicksLeft - 1);
  const moving = world.phase === "Running" || world.phase === "Over";
  const firing = world.phase === "Running";
  if (world.phase === "Closable") return;
  const physics = world.physics;
  const holes = world.blackHoles;

  // Bullets that are gone leave the list; the order of the others is kept.
  const bullets = world.bullets;
  let kept = 0;
  for (let i = 0; i < bullets.length; i++) {
    const b = bullets[i] as Bullet;
    if (flyBullet(b, physics, holes)) bullets[kept++] = b;
    else dropBullet(world, b);
  }
  bullets.length = kept;

  const ships = world.ships;
  for (let slot = 0; slot < ships.length; slot++) {
    const ship = ships[slot];
    if (ship === null || ship === undefined || !ship.alive) continue;
    steerShip(ship, physics);
    if (moving) moveShip(ship, physics, holes);
    if (firing && ship.fire && ship.fireCooldown === 0) {
      ship.fireCooldown = physics.fireCooldown;
      bullets.push(spawnBullet(world, ship, slot, world.nextBulletId, physics));
      world.nextBulletId = (world.nextBulletId + 1) >>> 0;
    }
  }
}

/** Cooldowns and the turn, which work in every phase (players may aim in the lobby). */
function steerShip(ship: Ship, physics: Physics): void {
  ship.thrustCooldown = Math.max(0, ship.thrustCooldown - 1);
  ship.fireCooldown = Math.max(0, ship.fireCooldown - 1);
  const turn = ship.turn * physics.turnStep;
  ship.angle = (ship.angle + turn) & 0xffff;
}

// Results of `gravityAt` and `clamp`: two components, without an object.
let outX = 0;
let outY = 0;

/** `direction(angle, length).x` and `.y` (the product may pass 2^31: computed here, see `clamp`). */
function directionX(angle: number, length: number): number {
  return (Math.trunc((cosQ14(angle) * length) / TRIG_ONE) + 0) | 0;
}
function directionY(angle: number, length: number): number {
  return (Math.trunc((sinQ14(angle) * length) / TRIG_ONE) + 0) | 0;
}

/** `isqrt(v)`: `gravityAt` and `clamp` run its loop themselves for integers in 0..=2^52
 * (see `clamp`) and call this only outside (where isqrt throws its RangeError). */
function sqrtFloor(v: number): number {
  if (!(v >= 0 && v <= 2 ** 52 && Number.isInteger(v))) return isqrt(v);
  let r = Math.floor(Math.sqrt(v));
  while (r > 0 && r * r > v) r -= 1;
  while ((r + 1) * (r + 1) <= v) r += 1;
  return r;
}

/** `clampLength((x, y), max)` into outX, outY.
 *
 * Here and in `gravityAt` the squared lengths (up to 2^45), the products and the quotients
 * are not passed to `tdiv` or a square root function: a double above 2^31 crossing a call
 * V8 did not inline is boxed in a new HeapNumber, and V8 does not always inline them (it
 * depends on its budget and on deopts). `Math.trunc(a / b) + 0` is `tdiv(a, b)`. */
function clamp(x: number, y: number, max: number): void {
  const m = Math.max(max, 0);
  const lenSq = x * x + y * y;
  if (lenSq <= m * m) {
    outX = x;
    outY = y;
    return;
  }
  // Round the length up, so the truncated components can never exceed `max`.
  let floor: number;
  if (lenSq <= 2 ** 52 && Number.isInteger(lenSq)) {
    floor = Math.floor(Math.sqrt(lenSq));
    while (floor > 0 && floor * floor > lenSq) floor -= 1;
    while ((floor + 1) * (floor + 1) <= lenSq) floor += 1;
  } else {
    floor = sqrtFloor(lenSq);
  }
  const len = floor * floor < lenSq ? floor + 1 : floor;
  outX = (Math.trunc((x * m) / len) + 0) | 0;
  outY = (Math.trunc((y * m) / len) + 0) | 0;
}

function moveShip(ship: Ship, physics: Physics, holes: readonly BlackHole[]): void {
  let vx = ship.vel.x;
  let vy = ship.vel.y;
  if (ship.thrust && ship.thrustCooldown === 0) {
    ship.thrustCooldown = physics.thrustCooldown;
    vx = (vx + directionX(ship.angle, physics.thrustImpulse)) | 0;
    vy = (vy + directionY(ship.angle, physics.thrustImpulse)) | 0;
  }
  gravityAt(ship.pos.x, ship.pos.y, holes, physics);
  vx = (vx + outX) | 0;
  vy = (vy + outY) | 0;
  vx = drag(vx, physics.dragQ10);
  vy = drag(vy, physics.dragQ10);
  clamp(vx, vy, physics.shipMaxSpeed);
  vx = outX;
  vy = outY;
  // Keeps the ship inside the arena, reflecting (and halving) the velocity that hit a wall.
  const r = physics.shipRadius;
  let x = (ship.pos.x + vx) | 0;
  let y = (ship.pos.y + vy) | 0;
  const halfW = tdiv(physics.width, 2);
  const loX = Math.min(r, halfW);
  const hiX = Math.max(physics.width - r, halfW);
  if (x < loX) {
    x = loX;
    vx = tdiv(-vx, 2);
  } else if (x > hiX) {
    x = hiX;
    vx = tdiv(-vx, 2);
  }
  const halfH = tdiv(physics.height, 2);
  const loY = Math.min(r, halfH);
  const hiY = Math.max(physics.height - r, halfH);
  if (y < loY) {
    y = loY;
    vy = tdiv(-vy, 2);
  } else if (y > hiY) {
    y = hiY;
    vy = tdiv(-vy, 2);
  }
  ship.pos.x = x;
  ship.pos.y = y;
  ship.vel.x = vx;
  ship.vel.y = vy;
}

/** Moves a bullet; `false` when it is gone (lifetime, wall or black-hole core). */
function flyBullet(bullet: Bullet, physics: Physics, holes: readonly BlackHole[]): boolean {
  bullet.ttl = Math.max(0, bullet.ttl - 1);
  if (bullet.ttl === 0) return false;
  const pos = bullet.pos;
  const vel = bullet.vel;
  gravityAt(pos.x, pos.y, holes, physics);
  clamp((vel.x + outX) | 0, (vel.y + outY) | 0, physics.bulletMaxSpeed);
  vel.x = outX;
  vel.y = outY;
  pos.x = (pos.x + vel.x) | 0;
  pos.y = (pos.y + vel.y) | 0;
  const inside = pos.x >= 0 && pos.x <= physics.width && pos.y >= 0 && pos.y <= physics.height;
  return inside && !inAnyCore(pos, holes);
}

/** A new bullet (a spare one of `world` if it has one). */
function spawnBullet(world: World, ship: Ship, owner: number, id: number, physics: Physics): Bullet {
  const muzzle = physics.shipRadius + physics.bulletRadius + 1;
  const atX = (ship.pos.x + directionX(ship.angle, muzzle)) | 0;
  const atY = (ship.pos.y + directionY(ship.angle, muzzle)) | 0;
  clamp(
    (ship.vel.x + directionX(ship.angle, physics.bulletSpeed)) | 0,
    (ship.vel.y + directionY(ship.angle, physics.bulletSpeed)) | 0,
    physics.bulletMaxSpeed,
  );
  const x = Math.min(Math.max(atX, 0), physics.width);
  const y = Math.min(Math.max(atY, 0), physics.height);
  return makeBullet(world, id, owner, x, y, outX, outY, physics.bulletLifetime);
}

/** Whether `pos` is inside a black hole's core. */
export function inAnyCore(pos: Vec2, holes: readonly BlackHole[]): boolean {
  for (let i = 0; i < holes.length; i++) {
    const h = holes[i] as BlackHole;
    const dx = pos.x - h.pos.x;
    const dy = pos.y - h.pos.y;
    if (dx * dx + dy * dy <= h.coreRadius * h.coreRadius) return true;
  }
  return false;
}

/** The pull of all black holes at (x, y) into outX, outY: `G / max(d, d_min)²`, clamped,
 * truncated. No calls with large doubles (see `clamp`). */
function gravityAt(x: number, y: number, holes: readonly BlackHole[], physics: Physics): void {
  let ax = 0;
  let ay = 0;
  const minD = physics.gravityMinDistance;
  const g = physics.gravity;
  const maxAccel = physics.gravityMaxAccel;
  for (let i = 0; i < holes.length; i++) {
    const hole = holes[i] as BlackHole;
    const dx = hole.pos.x - x;
    const dy = hole.pos.y - y;
    const d2 = dx * dx + dy * dy;
    if (d2 === 0) continue;
    let d: number;
    if (d2 <= 2 ** 52 && Number.isInteger(d2)) {
      d = Math.floor(Math.sqrt(d2));
      while (d > 0 && d * d > d2) d -= 1;
      while ((d + 1) * (d + 1) <= d2) d += 1;
    } else {
      d = sqrtFloor(d2);
    }
    const a = Math.min(Math.trunc(g / Math.max(d2, minD * minD)) + 0, maxAccel);
    ax = (ax + ((Math.trunc((a * dx) / d) + 0) | 0)) | 0;
    ay = (ay + ((Math.trunc((a * dy) / d) + 0) | 0)) | 0;
  }
  outX = ax;
  outY = ay;
}

/** Drag on one component: a fraction plus one sub-unit, never past zero. */
function drag(v: number, dragQ10: number): number {
  const loss = ((tdiv(v * dragQ10, 1024) | 0) + Math.sign(v)) | 0;
  return Math.abs(loss) >= Math.abs(v) ? 0 : (v - loss) | 0;
}
