import { test } from "node:test";
import assert from "node:assert/strict";
import { remember } from "./debug.js";

test("views are kept by tick, newest only", () => {
  const views = new Map<number, string>();
  for (let t = 1; t <= 5; t++) remember(views, t, `v${t}`, 3);
  assert.deepEqual([...views.keys()], [3, 4, 5]);
  assert.equal(views.get(5), "v5");
});
