// InputQueue: numbering, acknowledgement, the resend after a Joined and its budget.

import assert from "node:assert/strict";
import { test } from "node:test";
import { InputQueue } from "./inputs.js";

test("inputs are numbered from 1 and kept until acknowledged", () => {
  const q = new InputQueue();
  assert.deepEqual([1, 2, 3].map((b) => q.push(Uint8Array.of(b))), [1, 2, 3]);
  q.ack(2);
  assert.equal(q.pending, 1);
});

test("after a Joined: resend after last_input in order, number after both", () => {
  const q = new InputQueue();
  for (let i = 0; i < 5; i++) q.push(Uint8Array.of(i));
  assert.deepEqual(
    q.joined(2).map((i) => i.seq),
    [3, 4, 5],
  );
  assert.equal(q.nextSeq, 6);
  assert.deepEqual(q.joined(null).map((i) => i.seq), [3, 4, 5]);
  // A room that knows a later input (another tab, a restored snapshot): continue after it.
  q.joined(40);
  assert.equal(q.pending, 0);
  assert.equal(q.push(new Uint8Array()), 41);
});

test("a session that cannot send keeps the newest inputs only", () => {
  const q = new InputQueue(3);
  for (let i = 0; i < 5; i++) q.push(Uint8Array.of(i));
  assert.deepEqual(q.joined(null).map((i) => i.seq), [3, 4, 5]);
});

test("the resend after a Joined keeps the newest within its budget", () => {
  const q = new InputQueue();
  for (let i = 0; i < 10; i++) q.push(Uint8Array.of(i));
  assert.deepEqual(q.joined(2, 3).map((i) => i.seq), [8, 9, 10]);
  assert.equal(q.pending, 3);
});
