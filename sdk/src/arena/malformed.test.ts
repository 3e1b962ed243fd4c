// Every payload Rust's ArenaView refuses (sdk/fixtures/arena-malformed.json) is refused
// here with DecodeError of the same kind, and a refused delta leaves the view unchanged.

import assert from "node:assert/strict";
import { test } from "node:test";
import { DecodeError } from "../errors.js";
import { canonicalView } from "./canonical.js";
import { fromHex, loadFixture, loadReplay } from "./fixtures.test.util.js";
import { readPhysics } from "./keyframe.js";
import { Reader } from "../protocol/reader.js";
import { ArenaView } from "./view.js";

interface Case {
  name: string;
  kind: "keyframe" | "delta";
  base?: string;
  payload: string;
  error: DecodeError["kind"];
  rust: string;
}

test("every malformed arena payload is refused with Rust's error kind", () => {
  const { cases } = loadFixture<{ cases: Case[] }>("arena-malformed.json");
  assert.ok(cases.length > 150);
  for (const c of cases) {
    const payload = fromHex(c.payload);
    let thrown: unknown;
    if (c.kind === "keyframe") {
      try {
        ArenaView.fromKeyframe(payload);
      } catch (e) {
        thrown = e;
      }
    } else {
      assert.ok(c.base);
      const view = ArenaView.fromKeyframe(fromHex(c.base));
      const before = canonicalView(view);
      try {
        view.applyDelta(payload);
      } catch (e) {
        thrown = e;
      }
      assert.equal(canonicalView(view), before, `${c.name}: the view is unchanged`);
    }
    assert.ok(thrown instanceof DecodeError, `${c.name}: refused with a DecodeError (got ${String(thrown)})`);
    assert.equal(thrown.kind, c.error, `${c.name}: kind (Rust: ${c.rust}; here: ${thrown.message})`);
  }
});

/** The first keyframe of the replay with its tick replaced. */
function keyframeWithTick(tick: bigint): Uint8Array {
  const keyframe = fromHex(loadReplay().frames[0]?.payload ?? "");
  const r = new Reader(keyframe.subarray(1));
  readPhysics(r);
  const tickAt = 1 + r.offset;
  r.u64Big();
  const tickEnd = 1 + r.offset;
  const varint: number[] = [];
  let v = tick;
  while (v >= 0x80n) {
    varint.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  varint.push(Number(v));
  return Uint8Array.from([...keyframe.subarray(0, tickAt), ...varint, ...keyframe.subarray(tickEnd)]);
}

test("a tick above 2^53 - 1, which Rust accepts, is refused with OutOfRange", () => {
  const bytes = keyframeWithTick(2n ** 53n);
  assert.throws(() => ArenaView.fromKeyframe(bytes), { name: "DecodeError", kind: "OutOfRange" });
  const ok = keyframeWithTick(2n ** 53n - 1n);
  assert.equal(ArenaView.fromKeyframe(ok).tick, Number.MAX_SAFE_INTEGER);
});
