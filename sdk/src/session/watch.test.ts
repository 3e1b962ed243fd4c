// Watching a room without a seat through the Session: Watch -> Watching and frames, asked
// again after a reconnect, inputs and commands refused, SpectatorsFull, leaving, joining.

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { OrreryError } from "../errors.js";
import { FakeWebSocket, delta, joined, keyframe, welcome } from "./fakes.test.util.js";
import { connected, ticks } from "./session.test.util.js";

beforeEach(() => FakeWebSocket.reset());

async function watching(room = 42) {
  const c = await connected();
  const seen: number[] = [];
  c.s.on("watching", (w) => seen.push(w.room));
  const asked = c.s.watch(room);
  assert.deepEqual(c.ws.said(), [{ type: "Watch", room }]);
  c.ws.serve({ type: "Watching", room, tickHz: 30 }).serve(keyframe(room, 3, 100)).serve(delta(room, 3, 101, 100));
  assert.deepEqual(await asked, { type: "Watching", room, tickHz: 30 });
  return { ...c, seen };
}

test("watch: Watching, then the room's frames; no seat to send inputs or commands from", async () => {
  const { s, ws, frames, seen } = await watching();
  assert.equal(s.room, 42);
  assert.equal(s.watching, true);
  assert.deepEqual(ticks(frames), ["3/100", "3/101"]);
  assert.deepEqual(seen, [42]);
  assert.equal(s.sendInput(Uint8Array.of(1)), 0, "an input is dropped: no seat, no sequence");
  await assert.rejects(s.command(Uint8Array.of(1)), (e: unknown) => e instanceof OrreryError && e.code === "Spectating");
  assert.deepEqual(ws.said(), [{ type: "Watch", room: 42 }], "nothing but the Watch was sent");
});

test("a reconnect watches again (no resume: a spectator's first frame is a keyframe)", async () => {
  const { t, s, ws, frames } = await watching();
  ws.serverClose(1006);
  t.advance(0);
  const ws2 = FakeWebSocket.last().accept().serve(welcome());
  assert.deepEqual(ws2.said(), [{ type: "Watch", room: 42 }]);
  ws2.serve({ type: "Watching", room: 42, tickHz: 30 }).serve(keyframe(42, 4, 90)).serve(delta(42, 4, 91, 90));
  assert.deepEqual(ticks(frames), ["3/100", "3/101", "4/90", "4/91"]);
  assert.equal(s.watching, true);
});

test("a full room rejects the watch with SpectatorsFull", async () => {
  const { s, ws } = await connected();
  const asked = s.watch(9);
  ws.serve({ type: "Error", code: "SpectatorsFull", message: "the room has as many spectators as it takes (32)" });
  await assert.rejects(asked, (e: unknown) => e instanceof OrreryError && e.code === "SpectatorsFull");
  assert.equal(s.room, undefined);
  assert.equal(s.watching, false);
});

test("joining the watched room takes a seat: inputs go out again", async () => {
  const { s, ws } = await watching();
  const joining = s.join(42);
  assert.deepEqual(ws.said().at(-1), { type: "Join", room: 42, resume: null }, "the spectator's frames are not a seat's history");
  ws.serve(joined(42)).serve(keyframe(42, 3, 102));
  await joining;
  assert.equal(s.watching, false);
  const seq = s.sendInput(Uint8Array.of(7));
  assert.deepEqual(ws.said().at(-1), { type: "Input", seq, payload: Uint8Array.of(7) });
});

test("leave stops watching", async () => {
  const { s, ws } = await watching();
  s.leave();
  assert.equal(ws.said().at(-1)?.type, "Leave");
  assert.equal(s.room, undefined);
  assert.equal(s.watching, false);
});
