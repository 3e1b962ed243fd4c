// Fixed-point math, intents and commands against the values Rust wrote
// (sdk/fixtures/arena-fixed.json), and hand-made worlds advanced tick by tick.

import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalView, fnv1a64 } from "./canonical.js";
import { SINE_TABLE, clampLength, cosQ14, direction, isqrt, sinQ14 } from "./fixed.js";
import { fromHex, loadFixture, toHex } from "./fixtures.test.util.js";
import { encodeCommand, encodeIntent, quantiseTurn } from "./input.js";
import { decodeKeyframe } from "./keyframe.js";
import { advance } from "./kinematics.js";
import { ArenaView } from "./view.js";

interface Fixed {
  sine_q14: number[];
  trig: [number, number, number][];
  isqrt: [number, number][];
  direction: [number, number, number, number][];
  clamp_length: [number, number, number, number, number][];
  quantise_turn: [number, number][];
  quantise_non_finite: [string, number][];
  intents: { turn: number; thrust: boolean; fire: boolean; bytes: string }[];
  commands: { emote: number; bytes: string }[];
  advance: { name: string; keyframe: string; after_each_advance: string[] }[];
  deltas: { name: string; base: string; payload: string; view: string }[];
  extremes: { name: string; keyframe: string; hashes: string[]; view?: string }[];
}

const fixed = loadFixture<Fixed>("arena-fixed.json");

test("the sine table is built exactly as Rust builds it", () => {
  assert.deepEqual(Array.from(SINE_TABLE), fixed.sine_q14);
  for (const [angle, sin, cos] of fixed.trig) {
    assert.equal(sinQ14(angle), sin, `sin ${angle}`);
    assert.equal(cosQ14(angle), cos, `cos ${angle}`);
  }
});

test("isqrt is exact up to 2^52 and refuses what it cannot do exactly", () => {
  assert.ok(fixed.isqrt.length > 20);
  for (const [v, r] of fixed.isqrt) assert.equal(isqrt(v), r, `isqrt ${v}`);
  assert.throws(() => isqrt(2 ** 52 + 1), RangeError);
  assert.throws(() => isqrt(-1), RangeError);
});

test("direction and clamp_length truncate as Rust does", () => {
  for (const [angle, length, x, y] of fixed.direction) {
    assert.deepEqual(direction(angle, length), { x, y }, `direction(${angle}, ${length})`);
  }
  for (const [x, y, max, cx, cy] of fixed.clamp_length) {
    assert.deepEqual(clampLength({ x, y }, max), { x: cx, y: cy }, `clamp(${x}, ${y}, ${max})`);
  }
});

test("turns are quantised in f32 with halves away from zero", () => {
  for (const [turn, q] of fixed.quantise_turn) assert.equal(quantiseTurn(turn), q, `quantise ${turn}`);
  const nonFinite: Record<string, number> = { nan: NaN, inf: Infinity, "-inf": -Infinity };
  for (const [name, q] of fixed.quantise_non_finite) assert.equal(quantiseTurn(nonFinite[name] as number), q, name);
});

test("intents and commands encode to Rust's bytes", () => {
  for (const i of fixed.intents) assert.equal(toHex(encodeIntent(i)), i.bytes, JSON.stringify(i));
  for (const c of fixed.commands) assert.equal(toHex(encodeCommand({ type: "Emote", emote: c.emote })), c.bytes);
  assert.throws(() => encodeCommand({ type: "Emote", emote: 16 }), RangeError);
});

test("hand-made worlds advance exactly as in Rust (walls, holes, phases, lobby)", () => {
  assert.equal(fixed.advance.length, 3);
  for (const c of fixed.advance) {
    const world = decodeKeyframe(fromHex(c.keyframe));
    c.after_each_advance.forEach((expected, n) => {
      advance(world);
      assert.equal(canonicalView(world), expected, `${c.name}: after ${n + 1} advances`);
    });
  }
});

test("deltas the match never sends apply as in Rust (all sections, seats shrinking, statics)", () => {
  assert.equal(fixed.deltas.length, 2);
  for (const c of fixed.deltas) {
    const view = ArenaView.fromKeyframe(fromHex(c.base));
    view.applyDelta(fromHex(c.payload));
    assert.equal(canonicalView(view), c.view, c.name);
  }
});

test("worlds at the edges of validation advance exactly as in Rust (doubles stay exact)", () => {
  assert.equal(fixed.extremes.length, 40);
  let full = 0;
  for (const c of fixed.extremes) {
    const world = decodeKeyframe(fromHex(c.keyframe));
    c.hashes.forEach((hash, n) => {
      advance(world);
      assert.equal(fnv1a64(canonicalView(world)), hash, `${c.name}: after ${n + 1} advances`);
    });
    if (c.view !== undefined) {
      assert.equal(canonicalView(world), c.view, c.name);
      full += 1;
    }
  }
  assert.equal(full, 8);
});
