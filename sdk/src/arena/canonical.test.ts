// The canonical text and its hash, on hand-made worlds; the replay test checks them
// against Rust on a whole match.

import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalView, fnv1a64 } from "./canonical.js";
import { fromHex, loadReplay, toHex } from "./fixtures.test.util.js";
import { ArenaView } from "./view.js";
import { seatedShip } from "./world.js";

test("fixture helpers: hex round trip and FNV-1a known values", () => {
  assert.deepEqual(fromHex("00ff10"), Uint8Array.of(0, 255, 16));
  assert.equal(toHex(Uint8Array.of(0, 255, 16)), "00ff10");
  // The same values the Rust unit test of fnv1a64 checks.
  assert.equal(fnv1a64(""), "cbf29ce484222325");
  assert.equal(fnv1a64("a"), "af63dc4c8601ec8c");
});

test("the replay fixture is the match the README describes", () => {
  const r = loadReplay();
  assert.ok(r.frames.length > 5000);
  assert.equal(r.frames[0]?.kind, "keyframe");
  assert.ok(r.frames.filter((f) => f.kind === "keyframe").length >= 4);
  assert.deepEqual([...new Set(r.frames.map((f) => f.epoch))], [1, 2]);
});

test("names are escaped as serde_json escapes them, and the text is JSON", () => {
  const replay = loadReplay();
  const view = ArenaView.fromKeyframe(fromHex(replay.frames[0]?.payload ?? ""));
  const world = view.world as Parameters<typeof canonicalView>[0] & object;
  const ship = seatedShip("00000000-0000-0000-0000-0000000000ab", 'a "q"\n\u0001\u007f\u00e9', 0xff);
  (world as { ships: unknown[] }).ships[5] = ship;
  const text = canonicalView(view);
  assert.ok(text.includes('"name":"a \\"q\\"\\n\\u0001\u007f\u00e9"'), text);
  const parsed = JSON.parse(text) as { ships: { slot: number; name: string; vel: number[] }[] };
  const last = parsed.ships[parsed.ships.length - 1];
  assert.equal(last?.slot, 5);
  assert.equal(last?.name, ship.name);
  assert.deepEqual(last?.vel, [0, 0]);
});

test("ArenaView.scores() ranks by score, then kills, then slot", () => {
  const replay = loadReplay();
  const last = replay.frames.filter((f) => f.view !== undefined).at(-1);
  assert.ok(last?.view);
  const expected = (JSON.parse(last.view) as { ships: { slot: number; score: number; kills: number }[] }).ships
    .sort((a, b) => b.score - a.score || b.kills - a.kills || a.slot - b.slot)
    .map((s) => s.slot);
  let view: ArenaView | undefined;
  for (const f of replay.frames) {
    if (f.kind === "keyframe") view = ArenaView.fromKeyframe(fromHex(f.payload));
    else view?.applyDelta(fromHex(f.payload));
  }
  assert.ok(view);
  assert.deepEqual(view.scores().map((s) => s.slot), expected);
  assert.ok(new Set(view.scores().map((s) => s.score)).size > 1, "scores differ at the end of the match");
});
