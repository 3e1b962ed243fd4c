// The connection lifecycle (reconnect.ts) through the Session: the breaker, failed attempts, GoAway.

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { OrreryError } from "../errors.js";
import { FakeTimers, FakeWebSocket, welcome } from "./fakes.test.util.js";
import { Session } from "./session.js";
import { inRoom, options } from "./session.test.util.js";

beforeEach(() => FakeWebSocket.reset());

test("the breaker opens after N failed attempts within the window and emits failed", async () => {
  const t = new FakeTimers();
  const pending = Session.connect(options(t, { breakerFailures: 3, breakerWindowMs: 30_000 }));
  const urls: string[] = [];
  const delays: number[] = [];
  for (let i = 0; i < 3; i++) {
    const ws = FakeWebSocket.last();
    urls.push(ws.url);
    ws.serverClose(1006);
    const due = t.nextDue();
    if (due !== undefined && i < 2) {
      delays.push(due - t.now());
      t.advance(due - t.now());
    }
  }
  await assert.rejects(pending, (e: unknown) => e instanceof OrreryError && e.code === "CircuitOpen");
  assert.deepEqual(urls, ["ws://a.test:8080/v1/ws", "wss://b.test/v1/ws", "ws://a.test:8080/v1/ws"]);
  // Full jitter with random() = 0.5: half of 50, then half of 100.
  assert.deepEqual(delays, [25, 50]);
  assert.equal(FakeWebSocket.instances.length, 3);
  t.advance(60_000);
  assert.equal(FakeWebSocket.instances.length, 3, "no attempt after the circuit opened");
});

test("a connected session that loses every gateway fails with CircuitOpen", async () => {
  const { t, s, ws } = await inRoom();
  const failures: OrreryError[] = [];
  s.on("failed", (e) => failures.push(e));
  const pendingCommand = s.command(Uint8Array.of(1));
  ws.serverClose(1006);
  for (let i = 0; i < 10 && s.state !== "failed"; i++) {
    t.advance(10_000);
    FakeWebSocket.last().serverClose(1006);
  }
  assert.equal(s.state, "failed");
  assert.equal(failures.length, 1);
  assert.equal(failures[0]?.code, "CircuitOpen");
  await assert.rejects(pendingCommand, (e: unknown) => e instanceof OrreryError && e.code === "CircuitOpen");
});

test("failures spread wider than the window do not open the breaker", async () => {
  const t = new FakeTimers();
  const pending = Session.connect(options(t, { breakerFailures: 3, breakerWindowMs: 100, backoffInitialMs: 1000 }));
  // Six refusals, each at least 500 ms (half of the 1000 ms backoff) after the one before.
  for (let i = 0; i < 6; i++) {
    FakeWebSocket.last().serverClose(1006);
    t.advance(t.nextDue()! - t.now());
  }
  FakeWebSocket.last().accept().serve(welcome());
  const s = await pending;
  assert.equal(s.state, "connected");
  assert.equal(FakeWebSocket.instances.length, 7);
});

test("an error event alone ends the attempt at once", async () => {
  const t = new FakeTimers();
  const pending = Session.connect(options(t));
  FakeWebSocket.last().fail();
  t.advance(25);
  assert.equal(FakeWebSocket.instances.length, 2, "retried after the backoff, not after the Welcome timeout");
  FakeWebSocket.last().accept().serve(welcome());
  await pending;
});

test("no Welcome in time is a failed attempt", async () => {
  const t = new FakeTimers();
  const pending = Session.connect(options(t, { welcomeTimeoutMs: 1000 }));
  const first = FakeWebSocket.last().accept();
  t.advance(1000);
  assert.ok(first.closedByClient, "the silent socket is closed");
  t.advance(100);
  FakeWebSocket.last().accept().serve(welcome());
  await pending;
  assert.equal(FakeWebSocket.instances.length, 2);
});

test("GoAway: reconnect elsewhere after its delay, and resume", async () => {
  const { t, s, ws } = await inRoom();
  const messages: string[] = [];
  s.on("message", (m) => messages.push(m.type));
  ws.serve({ type: "GoAway", reason: "draining", reconnectAfterMs: 100 });
  ws.serverClose(1001);
  t.advance(99);
  assert.equal(FakeWebSocket.instances.length, 1);
  t.advance(1);
  const ws2 = FakeWebSocket.last().accept().serve(welcome());
  assert.equal(ws2.url, "wss://b.test/v1/ws");
  assert.deepEqual(ws2.said(), [{ type: "Join", room: 42, resume: { epoch: 3, tick: 100 } }]);
  assert.deepEqual(messages, ["GoAway"]);
});
