import { test } from "node:test";
import assert from "node:assert/strict";
import { Timings } from "./timings.js";

test("percentiles by nearest rank over a bounded window", () => {
  const t = new Timings(100);
  assert.ok(Number.isNaN(t.quantile(0.5)));
  for (let i = 1; i <= 100; i++) t.add(i);
  assert.equal(t.quantile(0.5), 50);
  assert.equal(t.quantile(0.99), 99);
  assert.equal(t.quantile(1), 100);
  for (let i = 0; i < 100; i++) t.add(1000);
  assert.equal(t.quantile(0), 1000, "old samples are overwritten");
  assert.equal(t.summary().count, 200);
});
