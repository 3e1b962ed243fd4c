// FrontierView and the command encoder against sdk/fixtures/frontier-replay.json, written by
// the Rust crate (frontier/tests/client_fixtures.rs): every frame of a whole match as one
// player received it, the view after each, a spectator's keyframe, commands and their bytes.

import { strict as assert } from "node:assert";
import { test } from "node:test";
import { DecodeError } from "../errors.js";
import { fromHex, loadFixture, toHex } from "../fixtures.test.util.js";
import { encodeCommand } from "./codec.js";
import type { FrontierCommand } from "./types.js";
import { FrontierView } from "./view.js";

interface Fixture {
  me: string;
  frames: { kind: "keyframe" | "delta"; payload: string; view: unknown }[];
  spectator: { payload: string; view: unknown };
  commands: { command: FrontierCommand; bytes: string }[];
}

const fixture = loadFixture<Fixture>("frontier-replay.json");
const plain = (v: FrontierView): unknown => JSON.parse(JSON.stringify(v));

test("every frame of a recorded match gives the Rust view", () => {
  let view: FrontierView | null = null;
  for (const [i, f] of fixture.frames.entries()) {
    const bytes = fromHex(f.payload);
    if (f.kind === "keyframe") view = FrontierView.fromKeyframe(bytes);
    else view!.applyDelta(bytes);
    assert.deepEqual(plain(view!), f.view, `frame ${i}`);
  }
  assert.equal(view!.pub.phase, "Closable");
  assert.notEqual(view!.pub.winner, null);
  assert.equal(view!.pub.seats[view!.mine!.seat]!.player, fixture.me);
});

test("a spectator gets the scoreboard and nothing of its own", () => {
  const view = FrontierView.fromKeyframe(fromHex(fixture.spectator.payload));
  assert.equal(view.mine, null);
  assert.deepEqual(plain(view), fixture.spectator.view);
  assert.equal(view.tile({ x: 0, y: 0 }), null);
});

test("commands encode as the Rust crate's", () => {
  for (const c of fixture.commands) assert.equal(toHex(encodeCommand(c.command)), c.bytes);
});

test("bad payloads are refused with a DecodeError", () => {
  const key = fromHex(fixture.frames[0]!.payload);
  for (const bad of [key.subarray(0, key.length - 1), new Uint8Array([...key, 0]), new Uint8Array([9])]) {
    assert.throws(() => FrontierView.fromKeyframe(bad), DecodeError);
  }
  const spectator = FrontierView.fromKeyframe(fromHex(fixture.spectator.payload));
  const delta = fixture.frames.find((f) => f.kind === "delta")!;
  assert.throws(() => spectator.applyDelta(fromHex(delta.payload)), DecodeError, "a delta with no keyframe of its own");
});

test("whose turn it is and what a tile is", () => {
  const view = FrontierView.fromKeyframe(fromHex(fixture.frames[0]!.payload));
  assert.deepEqual(view.awaiting(), [], "the lobby waits on nobody");
  const last = fixture.frames.filter((f) => f.kind === "keyframe").at(-1)!;
  const later = FrontierView.fromKeyframe(fromHex(last.payload));
  const home = later.mine!.units[0]!.pos;
  assert.equal(later.tile(home)?.seen, true);
});
