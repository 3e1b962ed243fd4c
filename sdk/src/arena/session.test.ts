// ArenaClient on the SDK's real Session (over the session's fake WebSocket, which speaks
// the real v1 codec): the recorded match served as Frame messages gives Rust's view after
// every frame, the intents go out as Input messages with the recorded sequence numbers,
// and a bad payload makes the session send one Resync.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClientMsg } from "../protocol/types.js";
import { FakeTimers, FakeWebSocket, fakeToken, joined, welcome } from "../session/fakes.test.util.js";
import { Session } from "../session/session.js";
import { options } from "../session/session.test.util.js";
import { canonicalView, fnv1a64 } from "./canonical.js";
import { ArenaClient } from "./client.js";
import { type ReplayFrame, fromHex, loadReplay, toHex } from "./fixtures.test.util.js";

const ROOM = 77;

function frameMsg(f: ReplayFrame, payload = fromHex(f.payload)) {
  const kind = f.kind === "keyframe" ? ({ type: "Keyframe" } as const) : ({ type: "Delta", base: f.base as number } as const);
  return { type: "Frame", frame: { room: ROOM, epoch: f.epoch, tick: f.tick, kind, ack: f.ack, payload } } as const;
}

async function joinedSession(me: string) {
  FakeWebSocket.reset();
  const timers = new FakeTimers();
  const pending = Session.connect(options(timers, { gateways: ["http://a.test:8080"], token: fakeToken(me) }));
  const ws = FakeWebSocket.last().accept().serve(welcome(me));
  const session = await pending;
  const arena = new ArenaClient(session, { now: () => timers.now() });
  const joining = session.join(ROOM);
  ws.serve(joined(ROOM));
  await joining;
  return { session, arena, ws, timers };
}

const inputs = (said: ClientMsg[]) => said.filter((m): m is Extract<ClientMsg, { type: "Input" }> => m.type === "Input");

test("the recorded match through the real Session: Rust's view, the recorded inputs on the wire", async () => {
  const replay = loadReplay();
  const { session, arena, ws } = await joinedSession(replay.me);
  assert.equal(session.player, replay.me);
  for (const [i, frame] of replay.frames.entries()) {
    arena.setIntent(frame.input);
    ws.serve(frameMsg(frame));
    assert.equal(fnv1a64(canonicalView(arena.view ?? assert.fail(`frame ${i}: no view`))), frame.hash, `frame ${i}`);
  }
  const sent = inputs(ws.said());
  assert.equal(sent.length, replay.frames.length, "one input per frame");
  replay.frames.forEach((f, i) => {
    assert.equal(sent[i]?.seq, f.input.seq);
    assert.equal(toHex(sent[i]?.payload ?? new Uint8Array()), f.input.bytes);
  });
  assert.equal(arena.stats.decodeErrors, 0);
  assert.ok(!ws.said().some((m) => m.type === "Resync"));
  session.close();
});

test("a bad payload through the real Session: one Resync on the wire, recovery at the keyframe", async () => {
  const replay = loadReplay();
  const { session, arena, ws } = await joinedSession(replay.me);
  const resync = replay.frames.findIndex((f, i) => i > 0 && f.kind === "keyframe");
  for (const frame of replay.frames.slice(0, resync - 5)) ws.serve(frameMsg(frame));
  const bad = replay.frames[resync - 5] as ReplayFrame;
  ws.serve(frameMsg(bad, Uint8Array.of(0x80)));
  for (const frame of replay.frames.slice(resync - 4, resync)) ws.serve(frameMsg(frame));
  assert.equal(ws.said().filter((m) => m.type === "Resync").length, 1);
  assert.ok(arena.awaitingKeyframe);
  ws.serve(frameMsg(replay.frames[resync] as ReplayFrame));
  assert.equal(fnv1a64(canonicalView(arena.view ?? assert.fail())), replay.frames[resync]?.hash);
  assert.ok(!arena.awaitingKeyframe);
  session.close();
});
