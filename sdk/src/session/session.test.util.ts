// Test support (not shipped): a Session on the fake clock and fake sockets, connected or
// already in a room.

import type { Frame } from "../protocol/types.js";
import { FakeTimers, FakeWebSocket, fakeToken, joined, keyframe, welcome } from "./fakes.test.util.js";
import { Session, type SessionOptions } from "./session.js";

export const GATEWAYS = ["http://a.test:8080", "https://b.test"];

export function options(t: FakeTimers, more: Partial<SessionOptions> = {}): SessionOptions {
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
export async function connected(more: Partial<SessionOptions> = {}) {
  const t = new FakeTimers();
  const pending = Session.connect(options(t, more));
  const ws = FakeWebSocket.last().accept().serve(welcome());
  const s = await pending;
  const frames: Frame[] = [];
  s.on("frame", (f) => frames.push(f));
  return { t, s, ws, frames };
}

/** Join `room` on `ws` and answer with Joined and a keyframe at (epoch, tick). */
export async function inRoom(room = 42, epoch = 3, tick = 100) {
  const c = await connected();
  const joining = c.s.join(room);
  c.ws.serve(joined(room)).serve(keyframe(room, epoch, tick));
  await joining;
  return c;
}

export const ticks = (frames: Frame[]) => frames.map((f) => `${f.epoch}/${f.tick}`);
