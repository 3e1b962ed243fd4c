import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { OrreryError } from "../errors.js";
import type { Frame } from "../protocol/types.js";
import {
  FakeTimers,
  FakeWebSocket,
  PLAYER,
  delta,
  fakeToken,
  joined,
  keyframe,
  welcome,
} from "./fakes.test.util.js";
import { Session, type SessionOptions } from "./session.js";

const GATEWAYS = ["http://a.test:8080", "https://b.test"];

beforeEach(() => FakeWebSocket.reset());

function options(t: FakeTimers, more: Partial<SessionOptions> = {}): SessionOptions {
  return {
    gateways: GATEWAYS,
    token: fakeToken(),
    WebSocket: FakeWebSocket as unknown as typeof WebSocket,
    fetch: (() => Promise.reject(new Error("no HTTP in this test"))) as typeof fetch,
    timers: t,
    ...more,
  };
}

/** A connected session and its first socket. */
async function connected(more: Partial<SessionOptions> = {}) {
  const t = new FakeTimers();
  const pending = Session.connect(options(t, more));
  const ws = FakeWebSocket.last().accept().serve(welcome());
  const s = await pending;
  const frames: Frame[] = [];
  s.on("frame", (f) => frames.push(f));
  return { t, s, ws, frames };
}

/** Join `room` on `ws` and answer with Joined and a keyframe at (epoch, tick). */
async function inRoom(room = 42, epoch = 3, tick = 100) {
  const c = await connected();
  const joining = c.s.join(room);
  c.ws.serve(joined(room)).serve(keyframe(room, epoch, tick));
  await joining;
  return c;
}

const ticks = (frames: Frame[]) => frames.map((f) => `${f.epoch}/${f.tick}`);

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
