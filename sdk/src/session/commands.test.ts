// Commands through the Session: outcomes, and resending with the same id after a resume.

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { OrreryError } from "../errors.js";
import { FakeWebSocket, joined, keyframe, welcome } from "./fakes.test.util.js";
import { connected, inRoom } from "./session.test.util.js";

beforeEach(() => FakeWebSocket.reset());

test("a command resolves on its ack, and is resent with the same id after a resume", async () => {
  const { t, s, ws } = await inRoom();
  const first = s.command(Uint8Array.of(7));
  const sent = ws.said().find((m) => m.type === "Command");
  assert.ok(sent?.type === "Command");
  ws.serve({ type: "CommandAck", id: sent.id, outcome: { type: "Accepted" } });
  assert.deepEqual(await first, { type: "Accepted" });

  const second = s.command(Uint8Array.of(8));
  const id = ws.said().filter((m) => m.type === "Command")[1]!;
  assert.ok(id.type === "Command");
  ws.serverClose(1011);
  t.advance(0);
  const ws2 = FakeWebSocket.last().accept().serve(welcome()).serve(joined(42));
  const resent = ws2.said().filter((m) => m.type === "Command");
  assert.deepEqual(resent, [{ type: "Command", id: id.id, payload: Uint8Array.of(8) }]);
  ws2.serve({ type: "CommandAck", id: id.id, outcome: { type: "Rejected", reason: "no" } });
  assert.deepEqual(await second, { type: "Rejected", reason: "no" });
});

test("a command unanswered for ackPatienceMs gives up the socket and goes, with its id, through the next gateway", async () => {
  const { t, s, ws } = await inRoom();
  const outcome = s.command(Uint8Array.of(9));
  const sent = ws.said().find((m) => m.type === "Command");
  assert.ok(sent?.type === "Command");
  const sockets = FakeWebSocket.instances.length;
  t.advance(2999);
  assert.equal(FakeWebSocket.instances.length, sockets, "still patient");
  assert.equal(ws.closedByClient, undefined);
  t.advance(1);
  assert.ok(ws.closedByClient !== undefined, "the hung gateway's socket is given up");
  t.advance(0);
  const ws2 = FakeWebSocket.last();
  assert.notEqual(ws2, ws);
  assert.match(ws2.url, /b\.test/, "through the next gateway");
  ws2.accept().serve(welcome()).serve(joined(42));
  assert.deepEqual(
    ws2.said().filter((m) => m.type === "Command"),
    [{ type: "Command", id: sent.id, payload: Uint8Array.of(9) }],
  );
  ws2.serve({ type: "CommandAck", id: sent.id, outcome: { type: "Accepted" } });
  assert.deepEqual(await outcome, { type: "Accepted" });
  t.advance(10_000);
  assert.equal(FakeWebSocket.last(), ws2, "answered: nothing more to wait for");
});

test("RoomUnavailable says the gateway is alive: the patience starts again and the command is resent on the same socket", async () => {
  const { t, s, ws } = await inRoom();
  void s.command(Uint8Array.of(5));
  t.advance(2500);
  ws.serve({ type: "Error", code: "RoomUnavailable", message: "the room did not answer; resend the command" });
  t.advance(2900);
  assert.equal(ws.closedByClient, undefined, "patient again from the RoomUnavailable, and from the resend");
  assert.equal(ws.said().filter((m) => m.type === "Command").length, 2, "resent once, on the same socket");
  t.advance(700);
  assert.ok(ws.closedByClient !== undefined, "then nothing for the patience: given up");
});

test("gateways that seat the session but never answer its commands open the circuit: a join does not forgive them", async () => {
  const { t, s, ws } = await connected({ breakerFailures: 3, breakerWindowMs: 30_000 });
  const joining = s.join(42);
  ws.serve(joined(42)).serve(keyframe(42, 3, 100));
  await joining;
  const failures: OrreryError[] = [];
  s.on("failed", (e) => failures.push(e));
  const outcome = s.command(Uint8Array.of(3));
  outcome.catch(() => {});
  const sockets = [ws];
  for (let i = 0; i < 2; i++) {
    t.advance(3000);
    t.advance(0);
    const next = FakeWebSocket.last();
    assert.notEqual(next, sockets.at(-1), `patience ${i + 1}: the hung socket is given up`);
    next.accept().serve(welcome()).serve(joined(42));
    sockets.push(next);
  }
  assert.equal(failures.length, 0, "two patiences ran out: still trying");
  t.advance(3000);
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.code, "CircuitOpen");
  assert.match(failures[0]!.message, /3 failed attempts.*no answer to a command/);
  await assert.rejects(outcome, (e: unknown) => e instanceof OrreryError);
  t.advance(60_000);
  assert.equal(FakeWebSocket.instances.length, 3, "no socket after the circuit opened");
  assert.deepEqual(
    sockets.map((w) => w.said().filter((m) => m.type === "Command").length),
    [1, 1, 1],
    "the command went once on each socket",
  );
});
