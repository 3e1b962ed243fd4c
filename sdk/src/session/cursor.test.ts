// judge: which frames apply on the cursor, which are duplicates, which are gaps.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Frame } from "../protocol/types.js";
import { judge } from "./cursor.js";

const key = (epoch: number, tick: number): Frame => ({ room: 1, epoch, tick, kind: { type: "Keyframe" }, ack: null, payload: new Uint8Array() });
const delta = (epoch: number, tick: number, base: number): Frame => ({
  room: 1,
  epoch,
  tick,
  kind: { type: "Delta", base },
  ack: null,
  payload: new Uint8Array(),
});

test("without a cursor only a keyframe applies", () => {
  assert.equal(judge(undefined, key(1, 5)), "apply");
  assert.equal(judge(undefined, delta(1, 5, 4)), "gap");
});

test("a delta applies on the cursor's tick in the same epoch only", () => {
  const c = { epoch: 3, tick: 100 };
  assert.equal(judge(c, delta(3, 101, 100)), "apply");
  assert.equal(judge(c, delta(3, 102, 101)), "gap");
  assert.equal(judge(c, delta(4, 101, 100)), "gap", "another epoch never chains");
});

test("frames at or before the cursor are duplicates; (epoch, tick) order, epoch first", () => {
  const c = { epoch: 3, tick: 100 };
  assert.equal(judge(c, key(3, 100)), "duplicate");
  assert.equal(judge(c, delta(3, 100, 99)), "duplicate");
  assert.equal(judge(c, key(2, 500)), "duplicate");
  assert.equal(judge(c, key(4, 10)), "apply", "a new epoch may roll the tick back");
  assert.equal(judge(c, key(3, 101)), "apply");
});
