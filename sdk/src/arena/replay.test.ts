// The whole recorded match replayed through ArenaView: after every frame the canonical
// text of the view hashes to what Rust's ArenaView held, and equals it in full wherever
// the fixture has the full text.

import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalView, fnv1a64 } from "./canonical.js";
import { fromHex, loadReplay } from "./fixtures.test.util.js";
import { ArenaView } from "./view.js";

test("every frame of the recorded match gives exactly Rust's view", () => {
  const replay = loadReplay();
  let view: ArenaView | undefined;
  let full = 0;
  const phases = new Set<string>();
  for (const [i, frame] of replay.frames.entries()) {
    const payload = fromHex(frame.payload);
    if (frame.kind === "keyframe") {
      view = ArenaView.fromKeyframe(payload);
    } else {
      assert.ok(view, "a delta comes after a keyframe");
      assert.equal(frame.base, view.tick, `frame ${i}: the delta's base is the view's tick`);
      view.applyDelta(payload);
    }
    assert.equal(view.tick, frame.tick, `frame ${i}: the world's tick is the frame's`);
    const text = canonicalView(view);
    if (frame.view !== undefined) {
      assert.equal(text, frame.view, `frame ${i} (tick ${frame.tick}): full canonical view`);
      full += 1;
    }
    assert.equal(fnv1a64(text), frame.hash, `frame ${i} (epoch ${frame.epoch}, tick ${frame.tick}): view hash`);
    phases.add(view.phase);
  }
  assert.ok(full >= replay.frames.length / replay.canonical_every, `${full} full views compared`);
  assert.deepEqual([...phases].sort(), ["Closable", "Countdown", "Lobby", "Over", "Running"]);
});

test("a refused delta in the middle of the match leaves the view as it was", () => {
  const replay = loadReplay();
  const first = replay.frames[0];
  assert.ok(first);
  const view = ArenaView.fromKeyframe(fromHex(first.payload));
  const before = canonicalView(view);
  const next = replay.frames[1];
  assert.ok(next);
  const bad = fromHex(next.payload + "00");
  assert.throws(() => view.applyDelta(bad), { name: "DecodeError", kind: "TrailingBytes" });
  assert.equal(canonicalView(view), before);
  view.applyDelta(fromHex(next.payload));
  assert.equal(fnv1a64(canonicalView(view)), next.hash);
});

test("refused deltas on the way do not disturb the deltas after them", () => {
  // Every prefix of every delta that edits bullets or pickups (and a sample of the others)
  // is refused first: the view must go on exactly as Rust's (the view applies deltas into
  // a reused scratch world, which a refused delta leaves half-changed).
  const replay = loadReplay();
  let view: ArenaView | undefined;
  let refused = 0;
  for (const [i, frame] of replay.frames.entries()) {
    const payload = fromHex(frame.payload);
    if (frame.kind === "keyframe") {
      view = ArenaView.fromKeyframe(payload);
    } else {
      assert.ok(view);
      const lists = ((payload[0] ?? 0) & (16 | 32)) !== 0;
      if (lists || i % 97 === 0) {
        const before: string = canonicalView(view);
        for (let len = 0; len < payload.length; len++) {
          try {
            view.applyDelta(payload.subarray(0, len));
          } catch {
            refused += 1;
          }
          assert.equal(canonicalView(view), before, `frame ${i}: a refused delta leaves the view`);
        }
      }
      view.applyDelta(payload);
    }
    assert.equal(fnv1a64(canonicalView(view)), frame.hash, `frame ${i} (tick ${frame.tick}): view hash`);
  }
  assert.ok(refused > 100, `${refused} deltas refused`);
});
