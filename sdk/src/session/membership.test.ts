// Room membership through the Session: resends on Joined, refusals, RoomUnavailable,
// matchmaking, invite codes, RoomClosed, Kicked, leaving.

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { OrreryError } from "../errors.js";
import { FakeWebSocket, PLAYER, joined, keyframe, welcome } from "./fakes.test.util.js";
import { connected, inRoom } from "./session.test.util.js";

beforeEach(() => FakeWebSocket.reset());

test("the resend stays within half the gateway's burst", async () => {
  const { t, s, ws } = await inRoom();
  for (let i = 0; i < 100; i++) s.sendInput(Uint8Array.of(i));
  ws.serverClose(1006);
  t.advance(0);
  const ws2 = FakeWebSocket.last().accept().serve(welcome()).serve(joined(42, null));
  const inputs = ws2.said().filter((m) => m.type === "Input");
  // welcome() announces a burst of 120: the newest 60, in order.
  assert.deepEqual(
    inputs.map((m) => (m.type === "Input" ? m.seq : 0)),
    Array.from({ length: 60 }, (_, i) => 41 + i),
  );
});

test("numbering continues after the room's last input", async () => {
  const { s, ws } = await connected();
  s.sendInput(Uint8Array.of(1));
  const joining = s.join(5);
  ws.serve(joined(5, 40));
  await joining;
  // The input was sent before the join to another room: numbering starts afresh, then after 40.
  assert.equal(s.sendInput(Uint8Array.of(2)), 41);
});

test("RoomClosed ends the room calmly: no rejoin after a reconnect", async () => {
  const { t, s, ws } = await inRoom();
  const pendingCommand = s.command(Uint8Array.of(1));
  ws.serve({ type: "RoomClosed", room: 42 });
  assert.equal(s.room, undefined);
  assert.equal(s.cursor, undefined);
  await assert.rejects(pendingCommand, (e: unknown) => e instanceof OrreryError && e.code === "RoomClosed");
  ws.serverClose(1006);
  t.advance(0);
  const ws2 = FakeWebSocket.last().accept().serve(welcome());
  assert.deepEqual(ws2.said(), []);
  assert.equal(s.state, "connected");
});

test("Kicked ends the room and the session: no reconnect loop", async () => {
  const { t, s, ws } = await inRoom();
  const closed: number[] = [];
  s.on("closed", (i) => closed.push(i.code));
  ws.serve({ type: "Kicked", room: 42 });
  ws.serverClose(4003, "kicked");
  t.advance(60_000);
  assert.equal(FakeWebSocket.instances.length, 1);
  assert.equal(s.state, "closed");
  assert.equal(s.room, undefined);
  assert.deepEqual(closed, [4003]);
});

test("Replaced (4007, a newer socket of this player joined the room) ends the session: no reconnect", async () => {
  const { t, s, ws } = await inRoom();
  const closed: number[] = [];
  s.on("closed", (i) => closed.push(i.code));
  ws.serverClose(4007, "replaced");
  t.advance(60_000);
  assert.equal(FakeWebSocket.instances.length, 1, "a replaced session must not take its seat back");
  assert.equal(s.state, "closed");
  assert.deepEqual(closed, [4007]);
});

test("a refused join rejects with the server's code", async () => {
  const { s, ws } = await connected();
  const joining = s.join(9);
  ws.serve({ type: "Error", code: "JoinRefused", message: "the room is full" });
  await assert.rejects(joining, (e: unknown) => e instanceof OrreryError && e.code === "JoinRefused");
  assert.equal(s.room, undefined);
  assert.equal(s.state, "connected");
});

test("RoomUnavailable: the join is asked again after a backoff", async () => {
  const { t, s, ws } = await connected();
  const joining = s.join(9);
  ws.serve({ type: "Error", code: "RoomUnavailable", message: "no owner" });
  assert.equal(ws.said().length, 1);
  t.advance(1000);
  assert.deepEqual(ws.said(), [
    { type: "Join", room: 9, resume: null },
    { type: "Join", room: 9, resume: null },
  ]);
  ws.serve(joined(9));
  assert.equal((await joining).room, 9);
});

test("quickPlay: Queue, Queued, Matched, Joined", async () => {
  const { s, ws } = await connected();
  const seen: string[] = [];
  s.on("message", (m) => seen.push(m.type));
  const playing = s.quickPlay("arena-duel");
  assert.deepEqual(ws.said(), [{ type: "Queue", mode: "arena-duel", region: "any", party: [] }]);
  ws.serve({ type: "Queued", ticket: PLAYER }).serve({ type: "Matched", room: 77 }).serve(joined(77)).serve(keyframe(77, 1, 5));
  assert.equal((await playing).room, 77);
  assert.equal(s.room, 77);
  assert.deepEqual(s.cursor, { epoch: 1, tick: 5 });
  assert.deepEqual(seen, ["Queued", "Matched"]);
});

test("quickPlay refused, and leaving the queue", async () => {
  const { s, ws } = await connected();
  const refused = s.quickPlay("nope");
  ws.serve({ type: "Error", code: "QueueRefused", message: "unknown mode" });
  await assert.rejects(refused, (e: unknown) => e instanceof OrreryError && e.code === "QueueRefused");
  const left = s.quickPlay("arena");
  s.leaveQueue();
  assert.equal(ws.said().at(-1)?.type, "LeaveQueue");
  ws.serve({ type: "QueueLeft" });
  await assert.rejects(left, (e: unknown) => e instanceof OrreryError && e.code === "Closed");
});

test("joinByCode resolves with the room the code names", async () => {
  const { s, ws } = await connected();
  const joining = s.joinByCode("ABCD2345");
  assert.deepEqual(ws.said(), [{ type: "JoinByCode", code: "ABCD2345" }]);
  ws.serve(joined(12));
  assert.equal((await joining).room, 12);
  assert.equal(s.room, 12);
});

test("leave: Leave is sent, the room ends, a fresh socket follows the gateway's close", async () => {
  const { s, ws } = await inRoom();
  s.leave();
  assert.equal(ws.said().at(-1)?.type, "Leave");
  assert.equal(s.room, undefined);
  ws.serverClose(1000);
  const ws2 = FakeWebSocket.last();
  assert.notEqual(ws2, ws);
  ws2.accept().serve(welcome());
  assert.deepEqual(ws2.said(), []);
  assert.equal(s.state, "connected");
});
