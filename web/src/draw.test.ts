import { test } from "node:test";
import assert from "node:assert/strict";
import { fit } from "./draw.js";
import { css } from "./scene.js";

test("the arena is letterboxed into the canvas, centred", () => {
  const wide = fit(2000, 1000, 1600, 1000, 0);
  assert.equal(wide.scale, 1);
  assert.equal(wide.ox, 200);
  assert.equal(wide.oy, 0);
  const tall = fit(800, 1000, 1600, 1000, 0);
  assert.equal(tall.scale, 0.5);
  assert.equal(tall.oy, 250);
});

test("colours as CSS", () => {
  assert.equal(css(0xff8800), "#ff8800");
  assert.equal(css(0x0000ff), "#0000ff");
});
