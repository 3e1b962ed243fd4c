// ArenaClient driven by a scripted session that plays the recorded match: the view after
// every frame is Rust's, the inputs sent are the recorded ones with their sequence numbers,
// a bad payload asks for one keyframe and is recovered from, and render() gives what a
// renderer needs.

import assert from "node:assert/strict";
import { test } from "node:test";
import { fnv1a64, canonicalView } from "./canonical.js";
import { type ArenaFrame, type ArenaSource, ArenaClient } from "./client.js";
import type { Session } from "../session/index.js";
import { type ReplayFrame, fromHex, loadReplay, toHex } from "./fixtures.test.util.js";

/** A session that delivers the recorded frames when told to. */
class ScriptedSource implements ArenaSource {
  readonly sent: Uint8Array[] = [];
  resyncs = 0;
  private seq = 0;
  private readonly frameListeners = new Set<(f: ArenaFrame) => void>();
  private readonly joinedListeners = new Set<(j: unknown) => void>();

  constructor(readonly player: string) {}

  on(event: "frame", listener: (frame: ArenaFrame) => void): () => void;
  on(event: "joined", listener: (joined: unknown) => void): () => void;
  on(event: "frame" | "joined", listener: ((frame: ArenaFrame) => void) | ((joined: unknown) => void)): () => void {
    const set = (event === "frame" ? this.frameListeners : this.joinedListeners) as Set<unknown>;
    set.add(listener);
    return () => set.delete(listener);
  }

  resync(): void {
    this.resyncs += 1;
  }

  sendInput(payload: Uint8Array): number {
    this.sent.push(payload);
    this.seq += 1;
    return this.seq;
  }

  deliver(frame: ReplayFrame, payload: Uint8Array = fromHex(frame.payload), room = 7): void {
    const kind: ArenaFrame["kind"] = frame.kind === "keyframe" ? { type: "Keyframe" } : { type: "Delta", base: frame.base as number };
    for (const l of this.frameListeners) l({ room, epoch: frame.epoch, tick: frame.tick, kind, ack: frame.ack, payload });
  }

  joined(room: number): void {
    for (const l of this.joinedListeners) l({ room });
  }
}

const TICK_MS = 1000 / 30;

test("the whole recorded match through ArenaClient: Rust's view, the recorded inputs, a render per frame", () => {
  const replay = loadReplay();
  const source = new ScriptedSource(replay.me);
  let now = 0;
  const client = new ArenaClient(source, { now: () => now });
  let views = 0;
  client.onView(() => (views += 1));
  let countdowns = 0;
  let rendered = 0;
  let maxGap = 0;
  for (const [i, frame] of replay.frames.entries()) {
    client.setIntent(frame.input);
    now += TICK_MS;
    source.deliver(frame);
    const view = client.view;
    assert.ok(view);
    assert.equal(fnv1a64(canonicalView(view)), frame.hash, `frame ${i}: the client's view is Rust's`);
    assert.equal(source.sent.length, frame.input.seq, `frame ${i}: one input per frame, with the recorded seq`);
    assert.equal(toHex(source.sent[source.sent.length - 1] as Uint8Array), frame.input.bytes);

    // Two animation frames per tick.
    for (const at of [now + TICK_MS / 2, now + TICK_MS]) {
      const snap = client.render(at);
      assert.ok(snap);
      rendered += 1;
      assert.equal(snap.tick, view.tick);
      assert.equal(snap.phase, view.phase);
      assert.equal(snap.ships.length, view.ships().length);
      if (snap.phase === "Countdown") {
        assert.ok(snap.countdown !== null && snap.countdown > 0);
        countdowns += 1;
      } else assert.equal(snap.countdown, null);
      for (const s of snap.ships) {
        for (const f of [s.healthFraction, s.thrustCooldownFraction, s.fireCooldownFraction]) assert.ok(f >= 0 && f <= 1, JSON.stringify(s));
        assert.ok(s.x >= 0 && s.x <= snap.arena.width && s.y >= 0 && s.y <= snap.arena.height, JSON.stringify(s));
      }
      const me = snap.me;
      const predicted = client.predictor.predictedShip();
      // The join keyframe is the room before the player's seat (it comes with the next delta).
      assert.equal(me !== undefined, view.shipOf(replay.me) !== undefined, `frame ${i}: own ship`);
      if (me === undefined || predicted === undefined) continue;
      assert.equal(me.angle, (predicted.angle / 65536) * 2 * Math.PI, "own ship turns as predicted");
      maxGap = Math.max(maxGap, Math.hypot(me.x - predicted.pos.x / 256, me.y - predicted.pos.y / 256));
      const scores = snap.scores.map((s) => s.score);
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
      assert.equal(snap.bullets.length <= view.bullets.length + 20, true);
      assert.equal(snap.blackHoles.length, view.blackHoles.length);
    }
  }
  assert.equal(views, replay.frames.length);
  assert.equal(client.stats.decodeErrors, 0);
  assert.equal(source.resyncs, 0);
  assert.ok(countdowns > 10 && rendered === 2 * replay.frames.length);
  // The own ship is drawn gliding toward its prediction; only a snap (respawn) could be far.
  assert.ok(maxGap < 200, `the drawn ship stays near its prediction: ${maxGap}`);
});

test("a bad payload asks for one keyframe, deltas wait for it, and the keyframe recovers", () => {
  const replay = loadReplay();
  const source = new ScriptedSource(replay.me);
  const client = new ArenaClient(source, { now: () => 0 });
  const resync = replay.frames.findIndex((f, i) => i > 0 && f.kind === "keyframe");
  const broken = resync - 10;
  for (const frame of replay.frames.slice(0, broken)) source.deliver(frame);
  const before = canonicalView(client.view ?? assert.fail());
  const inputs = source.sent.length;
  const bad = replay.frames[broken] as ReplayFrame;
  source.deliver(bad, fromHex(bad.payload).subarray(0, 1).fill(0x80));
  assert.equal(source.resyncs, 1);
  assert.ok(client.awaitingKeyframe);
  for (const frame of replay.frames.slice(broken + 1, resync)) source.deliver(frame);
  assert.equal(source.resyncs, 1, "one request, however many deltas wait");
  assert.equal(canonicalView(client.view ?? assert.fail()), before, "deltas are ignored while waiting");
  assert.equal(source.sent.length, inputs, "no inputs on frames that were not applied");
  const keyframe = replay.frames[resync] as ReplayFrame;
  source.deliver(keyframe);
  assert.ok(!client.awaitingKeyframe);
  assert.equal(fnv1a64(canonicalView(client.view ?? assert.fail())), keyframe.hash);
  source.deliver(replay.frames[resync + 1] as ReplayFrame);
  assert.equal(fnv1a64(canonicalView(client.view ?? assert.fail())), replay.frames[resync + 1]?.hash);
  assert.ok(client.stats.decodeErrors === 1 && client.stats.keyframes === 2);
  assert.ok(client.lastError instanceof Error && client.lastError.name === "DecodeError");
});

test("a delta that does not follow the last frame asks for a keyframe; a new room starts afresh", () => {
  const replay = loadReplay();
  const source = new ScriptedSource(replay.me);
  const client = new ArenaClient(source, { now: () => 0 });
  source.deliver(replay.frames[0] as ReplayFrame);
  source.deliver(replay.frames[2] as ReplayFrame);
  assert.equal(source.resyncs, 1);
  assert.equal(client.view?.tick, replay.frames[0]?.tick);
  source.deliver(replay.frames[0] as ReplayFrame);
  source.deliver(replay.frames[1] as ReplayFrame);
  assert.equal(client.view?.tick, replay.frames[1]?.tick);
  source.joined(7);
  assert.ok(client.view, "joined the same room again (a resume): the view stays");
  source.joined(8);
  assert.equal(client.view, undefined, "another room: the old view is dropped");
  assert.equal(client.predictor.pending, 0);
  assert.equal(client.render(), undefined);
  client.close();
  source.deliver(replay.frames[0] as ReplayFrame);
  assert.equal(client.view, undefined, "closed: no longer listening");
});

test("a Session-shaped object (generic `on` over its events, the SDK's Frame) is an ArenaSource", () => {
  // The contract's Session API, reduced to what ArenaClient uses; checked by the compiler.
  type FrameKind = { type: "Keyframe" } | { type: "Delta"; base: number };
  interface Frame {
    room: number;
    epoch: number;
    tick: number;
    kind: FrameKind;
    ack: number | null;
    payload: Uint8Array;
  }
  interface Joined {
    room: number;
    epoch: number;
    tick: number;
  }
  interface SessionEvents {
    frame(frame: Frame): void;
    joined(joined: Joined): void;
    gap(): void;
  }
  class SessionLike {
    readonly player = "00000000-0000-0000-0000-000000000001";
    readonly calls: string[] = [];
    on<K extends keyof SessionEvents>(event: K, listener: SessionEvents[K]): () => void {
      this.calls.push(`on ${event}`);
      void listener;
      return () => this.calls.push(`off ${event}`);
    }
    resync(): void {}
    sendInput(payload: Uint8Array): number {
      return payload.length;
    }
  }
  const session = new SessionLike();
  const source: ArenaSource = session;
  const client = new ArenaClient(source);
  client.close();
  assert.deepEqual(session.calls, ["on frame", "on joined", "off frame", "off joined"]);
});

test("the SDK's Session is an ArenaSource (checked by the compiler)", () => {
  const accepts = (source: ArenaSource): ArenaSource => source;
  const fromSession: (session: Session) => ArenaSource = accepts;
  assert.equal(typeof fromSession, "function");
});
