import { test } from "node:test";
import assert from "node:assert/strict";
import { IntentSender } from "./intents.js";
import type { KeyIntent } from "./keys.js";

test("sends on change, not on repeats, then again when the resend is due", () => {
  const sent: KeyIntent[] = [];
  const s = new IntentSender((i) => sent.push(i), 500);
  const idle = { turn: 0, thrust: false, fire: false };
  const left = { turn: -1, thrust: false, fire: false };
  assert.equal(s.update(idle, 0), true, "the first update is due");
  assert.equal(s.update(idle, 16), false);
  assert.equal(s.update(left, 32), true);
  assert.equal(s.update(left, 48), false);
  assert.equal(s.update(left, 531), false);
  assert.equal(s.update(left, 532), true, "steady resend");
  s.flush(600);
  assert.deepEqual(sent, [idle, left, left, left]);
  assert.equal(s.count, 4);
});
