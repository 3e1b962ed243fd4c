import { test } from "node:test";
import assert from "node:assert/strict";
import { intentOf, isGameKey, sameIntent } from "./keys.js";

test("arrows and WASD turn and thrust, space fires, opposite turns cancel", () => {
  assert.deepEqual(intentOf(new Set()), { turn: 0, thrust: false, fire: false });
  assert.deepEqual(intentOf(new Set(["ArrowLeft", "ArrowUp"])), { turn: -1, thrust: true, fire: false });
  assert.deepEqual(intentOf(new Set(["KeyD", "Space"])), { turn: 1, thrust: false, fire: true });
  assert.deepEqual(intentOf(new Set(["KeyA", "ArrowRight", "KeyW"])), { turn: 0, thrust: true, fire: false });
});

test("game keys are recognised, others are not", () => {
  assert.ok(isGameKey("Space") && isGameKey("KeyW") && isGameKey("ArrowDown"));
  assert.ok(!isGameKey("KeyQ") && !isGameKey("Enter"));
  assert.ok(sameIntent({ turn: 1, thrust: false, fire: true }, { turn: 1, thrust: false, fire: true }));
  assert.ok(!sameIntent({ turn: 1, thrust: false, fire: true }, { turn: 0, thrust: false, fire: true }));
});
