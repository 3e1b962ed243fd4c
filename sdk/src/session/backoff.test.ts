// backoffDelay: exponential growth to the cap, with full jitter.

import assert from "node:assert/strict";
import { test } from "node:test";
import { backoffDelay } from "./backoff.js";

test("the ceiling doubles from the initial delay up to the maximum", () => {
  const ceilings = [0, 1, 2, 3, 4, 5, 6, 7, 40].map((n) => backoffDelay(n, 50, 5000, () => 0.999999));
  assert.deepEqual(
    ceilings.map((d) => Math.round(d)),
    [50, 100, 200, 400, 800, 1600, 3200, 5000, 5000],
  );
});

test("full jitter: anywhere from zero to the ceiling", () => {
  assert.equal(backoffDelay(3, 50, 5000, () => 0), 0);
  assert.equal(backoffDelay(3, 50, 5000, () => 0.25), 100);
});
