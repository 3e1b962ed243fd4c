// The Session against real gateways (opt-in): skipped unless ORRERY_E2E_GATEWAYS names at
// least two running gateways (comma separated HTTP base URLs, guest tokens on, a worker
// behind them, origins allowed), and the runtime has a WebSocket (node 20:
// --experimental-websocket). For example, from sdk/ after `npm run build`:
//
//   ORRERY_E2E_GATEWAYS=http://127.0.0.1:18931,http://127.0.0.1:18932 \
//     node --experimental-websocket --test dist/session/e2e.test.js

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Frame } from "../protocol/types.js";
import { Session } from "./session.js";

const gateways = (process.env["ORRERY_E2E_GATEWAYS"] ?? "").split(",").filter((g) => g.length > 0);
const skip =
  gateways.length < 2
    ? "set ORRERY_E2E_GATEWAYS to two gateways"
    : typeof globalThis.WebSocket === "undefined"
      ? "no WebSocket in this runtime (node --experimental-websocket)"
      : false;

function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (ok()) resolve();
      else if (Date.now() - start > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

/** An arena intent: turn (f32 LE), thrust, fire (docs/protocol.md §10.1). */
function intent(turn: number, thrust: boolean): Uint8Array {
  const b = new Uint8Array(6);
  new DataView(b.buffer).setFloat32(0, turn, true);
  b[4] = thrust ? 1 : 0;
  return b;
}

test("a guest plays in a room, survives losing its socket and resumes on the other gateway", { skip }, async () => {
  const s = await Session.connect({ gateways, name: "sdk-e2e" });
  try {
    assert.match(s.player, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(s.name, "sdk-e2e");
    const frames: Frame[] = [];
    s.on("frame", (f) => frames.push(f));
    let gaps = 0;
    s.on("gap", () => gaps++);

    const { room } = await s.createRoom({ mode: "arena", maxPlayers: 5, tickHz: 30 });
    const joined = await s.join(room);
    assert.equal(joined.room, room);
    assert.equal(joined.tickHz, 30);
    await until("30 frames", () => frames.length >= 30);
    assert.equal(frames[0]?.kind.type, "Keyframe");
    for (let i = 1; i < frames.length; i++) {
      const f = frames[i]!;
      const prev = frames[i - 1]!;
      if (f.kind.type === "Delta") assert.deepEqual([f.epoch, f.kind.base], [prev.epoch, prev.tick]);
    }

    // Inputs are acknowledged by the room.
    for (let i = 0; i < 5; i++) s.sendInput(intent(0.25 * i, i % 2 === 0));
    await until("the inputs' acks", () => s.unacked === 0);
    assert.ok(frames.some((f) => f.ack === 5));

    // A command gets its CommandAck (the arena refuses one it cannot decode).
    const outcome = await s.command(Uint8Array.of(0xff, 0xff));
    assert.equal(outcome.type, "Rejected");

    // Clock sync from Pong.
    await until("a pong", () => Number.isFinite(s.clock.rttMs));
    assert.ok(Math.abs(s.clock.serverNowMs() - Date.now()) < 1000);

    // Lose the socket: the session resumes on the other gateway from its cursor.
    let seen = 0;
    let before = s.cursor!;
    const resumed = new Promise<{ gateway: string }>((resolve) =>
      s.on("resumed", (info) => {
        // Deltas may still arrive on the old socket while it closes: count from the resume.
        seen = frames.length;
        before = s.cursor!;
        resolve(info);
      }),
    );
    const first = s.gateway;
    // The socket itself, as a network failure would end it.
    (s as unknown as { conn: { socket: { ws: WebSocket } } }).conn.socket.ws.close(4100, "e2e");
    const info = await resumed;
    assert.notEqual(info.gateway, first);
    await until("frames after the resume", () => frames.length >= seen + 30);
    const after = frames.slice(seen);
    const next = after[0]!;
    if (next.kind.type === "Keyframe") {
      assert.ok(next.epoch > before.epoch || next.tick > before.tick, "the resume keyframe is newer than the cursor");
      assert.equal(s.duplicates, 0);
    } else {
      // The room had not ticked since the last frame: the keyframe at the cursor itself was
      // the state already held (skipped, counted as a duplicate), and deltas chain on it.
      assert.deepEqual([next.epoch, next.kind.base], [before.epoch, before.tick]);
      assert.equal(s.duplicates, 1);
    }
    assert.equal(gaps, 0);
    s.sendInput(intent(0, false));
    await until("the ack after the resume", () => s.unacked === 0);
  } finally {
    s.close();
  }
});

test("two players quick-play a duel, and a third joins a private room by its code", { skip }, async () => {
  const a = await Session.connect({ gateways, name: "duel-a" });
  const b = await Session.connect({ gateways: [...gateways].reverse(), name: "duel-b" });
  try {
    const seen: string[] = [];
    a.on("message", (m) => seen.push(m.type));
    const [ja, jb] = await Promise.all([a.quickPlay("arena-duel"), b.quickPlay("arena-duel")]);
    assert.equal(ja.room, jb.room);
    assert.equal(a.room, ja.room);
    assert.ok(seen.includes("Matched"), seen.join(","));

    const { room, inviteCode } = await a.createRoom({ mode: "arena", private: true });
    assert.ok(inviteCode, "a private room has an invite code");
    const joined = await b.joinByCode(inviteCode);
    assert.equal(joined.room, room);
    assert.equal(b.room, room);
    const frames: Frame[] = [];
    b.on("frame", (f) => frames.push(f));
    await until("frames of the private room", () => frames.length >= 5);
    assert.ok(frames.every((f) => f.room === room));

    await assert.rejects(b.joinByCode("NOSUCHCODE"), (e: unknown) => e instanceof Error && "code" in e);
  } finally {
    a.close();
    b.close();
  }
});
