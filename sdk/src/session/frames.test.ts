// Frame ordering through the Session: in order across a resume, duplicates, gaps and Resync.

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { FakeWebSocket, delta, joined, keyframe, welcome } from "./fakes.test.util.js";
import { inRoom, ticks } from "./session.test.util.js";

beforeEach(() => FakeWebSocket.reset());

test("frames apply in order; a resume joins with the cursor, drops duplicates and resends what is unacked", async () => {
  const { t, s, ws, frames } = await inRoom();
  assert.deepEqual(ws.said()[0], { type: "Join", room: 42, resume: null });
  const a = s.sendInput(Uint8Array.of(0xa));
  const b = s.sendInput(Uint8Array.of(0xb));
  const c = s.sendInput(Uint8Array.of(0xc));
  assert.deepEqual([a, b, c], [1, 2, 3]);
  ws.serve(delta(42, 3, 101, 100, 1)).serve(delta(42, 3, 102, 101, 1));
  assert.deepEqual(ticks(frames), ["3/100", "3/101", "3/102"]);
  assert.equal(s.unacked, 2);

  const events: string[] = [];
  s.on("reconnecting", (i) => events.push(`reconnecting ${i.attempt}`));
  s.on("resumed", (i) => events.push(`resumed ${i.gateway} ${i.resent}`));
  ws.serverClose(1006);
  assert.equal(s.state, "reconnecting");
  t.advance(0);
  const ws2 = FakeWebSocket.last();
  assert.notEqual(ws2, ws);
  assert.equal(ws2.url, "wss://b.test/v1/ws", "the next gateway");
  ws2.accept().serve(welcome());
  assert.deepEqual(ws2.said(), [{ type: "Join", room: 42, resume: { epoch: 3, tick: 102 } }]);

  // The room applied input 2 before the connection died: only 3 is resent, with its number.
  ws2.serve(joined(42, 2));
  assert.deepEqual(
    ws2.said().slice(1).map((m) => (m.type === "Input" ? `${m.seq}:${m.payload[0]}` : m.type)),
    ["3:12"],
  );
  assert.deepEqual(events, ["reconnecting 1", "resumed https://b.test 1"]);
  assert.equal(s.state, "connected");

  // The keyframe at the cursor and anything older is not handed out again.
  ws2.serve(keyframe(42, 3, 102)).serve(delta(42, 3, 101, 100)).serve(delta(42, 3, 103, 102, 3));
  assert.deepEqual(ticks(frames), ["3/100", "3/101", "3/102", "3/103"]);
  assert.equal(s.duplicates, 2);
  assert.equal(s.unacked, 0);
  assert.equal(s.sendInput(Uint8Array.of(0xd)), 4);
});

test("a delta that does not chain is a gap: one Resync until a keyframe comes", async () => {
  const { t, s, ws, frames } = await inRoom();
  let gaps = 0;
  s.on("gap", () => gaps++);
  ws.serve(delta(42, 3, 102, 101)).serve(delta(42, 3, 103, 102));
  assert.equal(gaps, 2);
  assert.deepEqual(ws.said().filter((m) => m.type === "Resync").length, 1);
  assert.deepEqual(ticks(frames), ["3/100"]);
  // No keyframe within 2 s: asked again.
  t.advance(2000);
  assert.deepEqual(ws.said().filter((m) => m.type === "Resync").length, 2);
  ws.serve(keyframe(42, 3, 104)).serve(delta(42, 3, 105, 104));
  assert.deepEqual(ticks(frames), ["3/100", "3/104", "3/105"]);
  // A new epoch may roll the tick back; a delta across epochs never chains.
  ws.serve(delta(42, 4, 90, 105));
  assert.equal(gaps, 3);
  ws.serve(keyframe(42, 4, 90));
  assert.deepEqual(ticks(frames), ["3/100", "3/104", "3/105", "4/90"]);
  assert.equal(ws.said().filter((m) => m.type === "Resync").length, 3);
});

test("a resync asked for before a reconnect: the keyframe at the cursor applies", async () => {
  const { t, s, ws, frames } = await inRoom();
  ws.serve(delta(42, 3, 102, 101)); // a gap: the state is behind, a keyframe is wanted
  ws.serverClose(1006);
  t.advance(0);
  FakeWebSocket.last().accept().serve(welcome()).serve(joined(42)).serve(keyframe(42, 3, 100)).serve(keyframe(42, 3, 100));
  assert.deepEqual(ticks(frames), ["3/100", "3/100"], "delivered once, as the wanted keyframe");
  assert.equal(s.duplicates, 1);
});

test("malformed bytes from the server do not throw: the session resyncs", async () => {
  const { s, ws, frames } = await inRoom();
  let gaps = 0;
  s.on("gap", () => gaps++);
  assert.doesNotThrow(() => ws.raw(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x1f).buffer));
  assert.doesNotThrow(() => ws.raw("a text frame"));
  assert.doesNotThrow(() => ws.raw(Uint8Array.of(2, 42, 3, 0xe9, 0x00).buffer)); // a frame cut short
  assert.equal(s.malformed, 3);
  assert.equal(gaps, 3);
  assert.equal(ws.said().filter((m) => m.type === "Resync").length, 1);
  assert.equal(s.state, "connected");
  ws.serve(keyframe(42, 3, 110));
  assert.deepEqual(ticks(frames), ["3/100", "3/110"]);
});
