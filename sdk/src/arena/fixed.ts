// Fixed-point arithmetic of the arena (arena/src/fixed.rs), bit-exact with Rust.
//
// Every value is a JavaScript number holding an integer. The kinematics only ever run on
// validated worlds (|coordinates| <= 2^22, |velocity components| <= 2^18, gravity <= 2^52),
// so every intermediate product stays below 2^53 and is exact in a double, and truncating
// division `Math.trunc(a / b)` is exact whenever |a| < 2^53 (the rounding error of the
// quotient is smaller than its distance to the next integer). `tdiv` is that division,
// and it never returns -0.

/** Sub-units per world unit: positions are exact to 1/256 of a unit. */
export const SUBUNITS_PER_UNIT = 256;
/** `1.0` in the Q14 format of `sinQ14` and `cosQ14`. */
export const TRIG_ONE = 1 << 14;
const SINE_TABLE_LEN = 1024;
const ANGLE_TO_INDEX_SHIFT = 6;

/** A point or a velocity in sub-units (per tick, for velocities): two i32. */
export interface Vec2 {
  x: number;
  y: number;
}

export function vec2(x: number, y: number): Vec2 {
  return { x, y };
}

/** Rust's `/` on integers: truncation toward zero (and never -0). */
export function tdiv(a: number, b: number): number {
  return Math.trunc(a / b) + 0;
}

/** Squared length, exact while it stays below 2^53. */
export function lengthSquared(v: Vec2): number {
  return v.x * v.x + v.y * v.y;
}

/** Squared distance, exact while it stays below 2^53. */
export function distanceSquared(a: Vec2, b: Vec2): number {
  const dx = a.x - b.x;
  const dy = a.y - b.y;
  return dx * dx + dy * dy;
}

/** Component-wise wrapping i32 sum (`Vec2::wrapping_add`). */
export function wrappingAdd(a: Vec2, b: Vec2): Vec2 {
  return { x: (a.x + b.x) | 0, y: (a.y + b.y) | 0 };
}

/** In world units (for drawing). */
export function toUnits(v: Vec2): [number, number] {
  return [v.x / SUBUNITS_PER_UNIT, v.y / SUBUNITS_PER_UNIT];
}

/** Integer square root (floor), exact for every integer in 0..=2^52. */
export function isqrt(v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 2 ** 52) {
    throw new RangeError(`isqrt: ${v} is outside 0..=2^52`);
  }
  let r = Math.floor(Math.sqrt(v));
  while (r > 0 && r * r > v) r -= 1;
  while ((r + 1) * (r + 1) <= v) r += 1;
  return r;
}

/** Shortened to at most `max` (truncating), direction kept (`Vec2::clamp_length`). */
export function clampLength(v: Vec2, max: number): Vec2 {
  const m = Math.max(max, 0);
  const lenSq = lengthSquared(v);
  if (lenSq <= m * m) return v;
  // Round the length up, so the truncated components can never exceed `max`.
  const floor = isqrt(lenSq);
  const len = floor * floor < lenSq ? floor + 1 : floor;
  return { x: tdiv(v.x * m, len) | 0, y: tdiv(v.y * m, len) | 0 };
}

function sineTaylor(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 24; n++) {
    term = (-term * x2) / (2 * n * (2 * n + 1));
    sum += term;
  }
  return sum;
}

function buildSineTable(): Int32Array {
  const pi = Math.PI;
  const table = new Int32Array(SINE_TABLE_LEN);
  for (let i = 0; i < SINE_TABLE_LEN; i++) {
    let x = (2 * pi * i) / SINE_TABLE_LEN;
    if (x > pi) x -= 2 * pi;
    const s = sineTaylor(x) * TRIG_ONE;
    table[i] = s >= 0 ? Math.trunc(s + 0.5) : Math.trunc(s - 0.5);
  }
  return table;
}

/** round(sin(2πi/1024) · 2^14), computed as Rust computes it at compile time. */
export const SINE_TABLE: Readonly<Int32Array> = buildSineTable();

/** `sin(angle)` in Q14; `angle` is a u16 (1/65536 of a turn). */
export function sinQ14(angle: number): number {
  return SINE_TABLE[(angle & 0xffff) >>> ANGLE_TO_INDEX_SHIFT] as number;
}

/** `cos(angle)` in Q14. */
export function cosQ14(angle: number): number {
  return sinQ14((angle + (1 << 14)) & 0xffff);
}

/** The vector of length `length` (an i32) pointing along `angle` (truncated toward zero). */
export function direction(angle: number, length: number): Vec2 {
  return { x: tdiv(cosQ14(angle) * length, TRIG_ONE) | 0, y: tdiv(sinQ14(angle) * length, TRIG_ONE) | 0 };
}

/** A u16 angle in radians (for drawing). */
export function angleToRadians(angle: number): number {
  return (angle / 65536) * Math.PI * 2;
}
