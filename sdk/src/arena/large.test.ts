// A large room's frames (sdk/fixtures/arena-large.json, written by Rust's
// arena/tests/client_fixtures.rs): one player's shared part + own part, every frame, through
// ArenaView; after each the view and the board hash to what Rust's ArenaView held.

import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalView, fnv1a64 } from "./canonical.js";
import { fromHex, loadFixture } from "./fixtures.test.util.js";
import { ArenaView } from "./view.js";

interface LargeFrame {
  tick: number;
  kind: "keyframe" | "delta";
  payload: string;
  hash: string;
  board: string;
  view?: string;
  board_view?: string;
}

interface Large {
  me: string;
  seats: number;
  frames: LargeFrame[];
}

test("every frame of a large room gives exactly Rust's view and board", () => {
  const large = loadFixture<Large>("arena-large.json");
  let view: ArenaView | undefined;
  let keyframes = 0;
  for (const [i, frame] of large.frames.entries()) {
    const payload = fromHex(frame.payload);
    if (frame.kind === "keyframe") {
      view = ArenaView.fromKeyframe(payload);
      keyframes += 1;
    } else {
      assert.ok(view, "a delta comes after a keyframe");
      view.applyDelta(payload);
    }
    assert.equal(view.tick, frame.tick, `frame ${i}: tick`);
    const board = view.board;
    assert.ok(board, "a large room's view has a board");
    const text = canonicalView(view);
    const boardText = canonicalView(board);
    if (frame.view !== undefined) assert.equal(text, frame.view, `frame ${i}: full view`);
    if (frame.board_view !== undefined) assert.equal(boardText, frame.board_view, `frame ${i}: full board`);
    assert.equal(fnv1a64(text), frame.hash, `frame ${i} (tick ${frame.tick}): view hash`);
    assert.equal(fnv1a64(boardText), frame.board, `frame ${i} (tick ${frame.tick}): board hash`);
  }
  assert.equal(keyframes, 2);
  assert.ok(view);
  assert.equal(view.scores().length, large.seats, "the scores list every seat of the board");
  assert.ok(view.ships().length < large.seats, "the world holds only the ships in view");
  // arena-large places black holes in proportion to its area (26 at 64 seats): more than
  // the old bound of 16, which the decoder must accept (MAX_BLACK_HOLES is 32).
  assert.equal(view.blackHoles.length, 26, "the large room's black holes");
});

test("a refused split delta leaves the view and the board as they were", () => {
  const large = loadFixture<Large>("arena-large.json");
  const [first, next] = large.frames;
  assert.ok(first && next);
  const view = ArenaView.fromKeyframe(fromHex(first.payload));
  const before = [canonicalView(view), canonicalView(view.board!)];
  const payload = fromHex(next.payload);
  for (let len = 0; len < payload.length; len++) {
    assert.throws(() => view.applyDelta(payload.subarray(0, len)), { name: "DecodeError" });
    assert.deepEqual([canonicalView(view), canonicalView(view.board!)], before);
  }
  view.applyDelta(payload);
  assert.equal(fnv1a64(canonicalView(view)), next.hash);
  assert.equal(fnv1a64(canonicalView(view.board!)), next.board);
});
