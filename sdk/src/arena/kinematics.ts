// The motion of one tick (arena/src/kinematics.rs), shared by the server and every
// client: turning, thrust kicks, gravity, drag, the speed limit, walls, firing, bullet
// flight and expiry, cooldowns and the phase clock. Nothing here is random and nothing
// here scores. See fixed.ts for why plain numbers are exact here.

import { type Vec2, clampLength, direction, distanceSquared, isqrt, tdiv, wrappingAdd } from "./fixed.js";
import type { BlackHole, Bullet, Physics, Ship, World } from "./world.js";

/** Advances the motion of `world` by one tick, in place (`World::advance`). */
export function advance(world: World): void {
  world.tick += 1;
  world.phaseTicksLeft = Math.max(0, world.phaseTicksLeft - 1);
  const moving = world.phase === "Running" || world.phase === "Over";
  const firing = world.phase === "Running";
  if (world.phase === "Closable") return;
  const physics = world.physics;
  const holes = world.blackHoles;

  world.bullets = world.bullets.filter((b) => flyBullet(b, physics, holes));

  world.ships.forEach((ship, slot) => {
    if (ship === null || !ship.alive) return;
    steerShip(ship, physics);
    if (moving) moveShip(ship, physics, holes);
    if (firing && ship.fire && ship.fireCooldown === 0) {
      ship.fireCooldown = physics.fireCooldown;
      world.bullets.push(spawnBullet(ship, slot, world.nextBulletId, physics));
      world.nextBulletId = (world.nextBulletId + 1) >>> 0;
    }
  });
}

/** Cooldowns and the turn, which work in every phase (players may aim in the lobby). */
function steerShip(ship: Ship, physics: Physics): void {
  ship.thrustCooldown = Math.max(0, ship.thrustCooldown - 1);
  ship.fireCooldown = Math.max(0, ship.fireCooldown - 1);
  const turn = ship.turn * physics.turnStep;
  ship.angle = (ship.angle + turn) & 0xffff;
}

function moveShip(ship: Ship, physics: Physics, holes: readonly BlackHole[]): void {
  let vel = ship.vel;
  if (ship.thrust && ship.thrustCooldown === 0) {
    ship.thrustCooldown = physics.thrustCooldown;
    vel = wrappingAdd(vel, direction(ship.angle, physics.thrustImpulse));
  }
  vel = wrappingAdd(vel, gravity(ship.pos, holes, physics));
  vel = { x: drag(vel.x, physics.dragQ10), y: drag(vel.y, physics.dragQ10) };
  vel = clampLength(vel, physics.shipMaxSpeed);
  const [pos, bounced] = bounce(wrappingAdd(ship.pos, vel), vel, physics.shipRadius, physics);
  ship.pos = pos;
  ship.vel = bounced;
}

/** Moves a bullet; `false` when it is gone (lifetime, wall or black-hole core). */
function flyBullet(bullet: Bullet, physics: Physics, holes: readonly BlackHole[]): boolean {
  bullet.ttl = Math.max(0, bullet.ttl - 1);
  if (bullet.ttl === 0) return false;
  bullet.vel = clampLength(wrappingAdd(bullet.vel, gravity(bullet.pos, holes, physics)), physics.bulletMaxSpeed);
  bullet.pos = wrappingAdd(bullet.pos, bullet.vel);
  const p = bullet.pos;
  const inside = p.x >= 0 && p.x <= physics.width && p.y >= 0 && p.y <= physics.height;
  return inside && !inAnyCore(p, holes);
}

function spawnBullet(ship: Ship, owner: number, id: number, physics: Physics): Bullet {
  const muzzle = direction(ship.angle, physics.shipRadius + physics.bulletRadius + 1);
  const vel = clampLength(wrappingAdd(ship.vel, direction(ship.angle, physics.bulletSpeed)), physics.bulletMaxSpeed);
  const at = wrappingAdd(ship.pos, muzzle);
  const pos = { x: Math.min(Math.max(at.x, 0), physics.width), y: Math.min(Math.max(at.y, 0), physics.height) };
  return { id, owner, pos, vel, ttl: physics.bulletLifetime };
}

/** Whether `pos` is inside a black hole's core. */
export function inAnyCore(pos: Vec2, holes: readonly BlackHole[]): boolean {
  return holes.some((h) => distanceSquared(pos, h.pos) <= h.coreRadius * h.coreRadius);
}

/** The pull of all black holes at `pos`: `G / max(d, d_min)²`, clamped, truncated. */
function gravity(pos: Vec2, holes: readonly BlackHole[], physics: Physics): Vec2 {
  let accel: Vec2 = { x: 0, y: 0 };
  const minD = physics.gravityMinDistance;
  for (const hole of holes) {
    const dx = hole.pos.x - pos.x;
    const dy = hole.pos.y - pos.y;
    const d2 = dx * dx + dy * dy;
    if (d2 === 0) continue;
    const d = isqrt(d2);
    const a = Math.min(tdiv(physics.gravity, Math.max(d2, minD * minD)), physics.gravityMaxAccel);
    accel = wrappingAdd(accel, { x: tdiv(a * dx, d) | 0, y: tdiv(a * dy, d) | 0 });
  }
  return accel;
}

/** Drag on one component: a fraction plus one sub-unit, never past zero. */
function drag(v: number, dragQ10: number): number {
  const loss = ((tdiv(v * dragQ10, 1024) | 0) + Math.sign(v)) | 0;
  return Math.abs(loss) >= Math.abs(v) ? 0 : (v - loss) | 0;
}

/** Keeps a body inside the arena, reflecting (and halving) the velocity that hit a wall. */
function bounce(pos: Vec2, vel: Vec2, radius: number, physics: Physics): [Vec2, Vec2] {
  const axis = (p: number, v: number, max: number): [number, number] => {
    const half = tdiv(max, 2);
    const lo = Math.min(radius, half);
    const hi = Math.max(max - radius, half);
    if (p < lo) return [lo, tdiv(-v, 2)];
    if (p > hi) return [hi, tdiv(-v, 2)];
    return [p, v];
  };
  const [x, vx] = axis(pos.x, vel.x, physics.width);
  const [y, vy] = axis(pos.y, vel.y, physics.height);
  return [
    { x, y },
    { x: vx, y: vy },
  ];
}
