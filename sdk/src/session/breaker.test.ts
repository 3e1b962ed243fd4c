// CircuitBreaker: N failures within the window open it, older ones fall out, a success closes it.

import assert from "node:assert/strict";
import { test } from "node:test";
import { CircuitBreaker } from "./breaker.js";

test("opens at N failures within the window", () => {
  const b = new CircuitBreaker(3, 1000);
  assert.equal(b.fail(0), false);
  assert.equal(b.fail(500), false);
  assert.equal(b.fail(1000), true);
});

test("failures older than the window are forgotten, and a success resets", () => {
  const b = new CircuitBreaker(3, 1000);
  b.fail(0);
  b.fail(500);
  assert.equal(b.fail(1200), false, "the one at 0 left the window");
  assert.equal(b.count, 2);
  b.succeed();
  assert.equal(b.fail(1300), false);
  assert.equal(b.count, 1);
});
