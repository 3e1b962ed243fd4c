// The Session's face: connecting (token or guest token), listeners that throw, clock sync, close.

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { OrreryError } from "../errors.js";
import { FakeTimers, FakeWebSocket, PLAYER, delta, fakeToken, joined, keyframe, welcome } from "./fakes.test.util.js";
import { Session } from "./session.js";
import { GATEWAYS, connected, inRoom, options, ticks } from "./session.test.util.js";

beforeEach(() => FakeWebSocket.reset());

test("connects with the token as the second subprotocol and learns its player", async () => {
  const { s, ws } = await connected();
  assert.equal(ws.url, "ws://a.test:8080/v1/ws");
  assert.deepEqual(ws.protocols, ["orrery.v1", `orrery.token.${fakeToken()}`]);
  assert.equal(ws.binaryType, "arraybuffer");
  assert.equal(s.player, PLAYER);
  assert.equal(s.name, "ada");
  assert.equal(s.state, "connected");
  assert.equal(s.gateway, GATEWAYS[0]);
  assert.equal(ws.messages()[0]?.type, "Ping");
});

test("gets a guest token from the first gateway that answers", async () => {
  const t = new FakeTimers();
  const asked: string[] = [];
  const fetchFn = (async (url: string, init: RequestInit) => {
    asked.push(url);
    if (url.startsWith(GATEWAYS[0]!)) throw new TypeError("connection refused");
    assert.deepEqual(JSON.parse(String(init.body)), { name: "ada" });
    return new Response(JSON.stringify({ token: "tok", player: PLAYER, name: "ada", expires_in: 3600 }), { status: 200 });
  }) as unknown as typeof fetch;
  const pending = Session.connect({ ...options(t), token: undefined, name: "ada", fetch: fetchFn });
  await new Promise((r) => setImmediate(r));
  const ws = FakeWebSocket.last().accept().serve(welcome());
  const s = await pending;
  assert.deepEqual(asked, ["http://a.test:8080/v1/auth/guest", "https://b.test/v1/auth/guest"]);
  assert.equal(ws.url, "wss://b.test/v1/ws");
  assert.deepEqual(ws.protocols, ["orrery.v1", "orrery.token.tok"]);
  assert.equal(s.gateway, GATEWAYS[1]);
});

test("a listener that throws does not break the session", async () => {
  const errors: unknown[] = [];
  const c = await connected({ onListenerError: (e) => errors.push(e) });
  const joining = c.s.join(42);
  c.ws.serve(joined(42)).serve(keyframe(42, 3, 100));
  await joining;
  c.s.on("frame", () => {
    throw new Error("a bug in the game");
  });
  assert.doesNotThrow(() => c.ws.serve(delta(42, 3, 101, 100)).serve(delta(42, 3, 102, 101)));
  assert.equal(errors.length, 2);
  assert.deepEqual(ticks(c.frames), ["3/100", "3/101", "3/102"]);
  assert.deepEqual(c.s.cursor, { epoch: 3, tick: 102 });
});

test("clock sync from Ping/Pong", async () => {
  const { t, s, ws } = await connected({ pingIntervalMs: 1000 });
  const ping = ws.messages()[0];
  assert.ok(ping?.type === "Ping");
  assert.equal(ping.clientTimeUs, t.now() * 1000);
  t.advance(40);
  ws.serve({ type: "Pong", clientTimeUs: ping.clientTimeUs, serverTimeMs: 1_700_000_000_000, tick: null });
  assert.equal(s.clock.rttMs, 40);
  // Half the round trip after the server stamped it.
  assert.equal(s.clock.serverNowMs(), 1_700_000_000_020);
  t.advance(960);
  assert.equal(ws.messages().filter((m) => m.type === "Ping").length, 2, "one ping per interval");
});

test("close: pending promises fail with Closed, nothing reconnects", async () => {
  const { t, s, ws } = await inRoom();
  const pendingCommand = s.command(Uint8Array.of(1));
  s.close();
  assert.equal(s.state, "closed");
  assert.ok(ws.closedByClient);
  await assert.rejects(pendingCommand, (e: unknown) => e instanceof OrreryError && e.code === "Closed");
  t.advance(60_000);
  assert.equal(FakeWebSocket.instances.length, 1);
});
