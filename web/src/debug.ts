// `window.orrery`: what the browser tests (and a curious person in the console) read from
// the page. Nothing here changes how the page plays.

import { Timings } from "./timings.js";

export interface Debug {
  /** The SDK Session in use (undefined before the first connect). */
  session: unknown;
  /** The SDK ArenaClient of the current game. */
  client: unknown;
  /** The gateways the page may use, its own origin first. */
  gateways: string[];
  /** The latest `canonicalView(view)` and its tick (computed when asked). */
  canonical(): { tick: number; epoch: number | undefined; view: string } | undefined;
  /** With `record = true`, every applied frame's canonical view by tick (newest 600). */
  record: boolean;
  views: Map<number, string>;
  /** Time to handle each frame event (decode, advance, reconcile), milliseconds. */
  frameTimings: Timings;
  /** Frames applied, and drawn, by the current game. */
  framesApplied: number;
  framesDrawn: number;
  /** Each resume: ms from the socket's close to the next frame drawn. */
  resumes: number[];
  /** Each resume as the Session reports it: ms from the loss to the new socket's Joined. */
  resumedAfter: number[];
  /** Connection events with their times (performance.now()), newest 50: what a resume did. */
  events: [string, number][];
  /** Connection status shown by the overlay ("playing", "reconnecting", "failed", …). */
  status: string;
  room: number | undefined;
  inviteCode: string | undefined;
  /** Intents sent, the InputSeq of the newest, and the newest ack seen in a frame. */
  intentsSent: number;
  lastInputSeq: number;
  lastAck: number | undefined;
}

export function createDebug(): Debug {
  const debug: Debug = {
    session: undefined,
    client: undefined,
    gateways: [],
    canonical: () => undefined,
    record: false,
    views: new Map(),
    frameTimings: new Timings(),
    framesApplied: 0,
    framesDrawn: 0,
    resumes: [],
    resumedAfter: [],
    events: [],
    status: "idle",
    room: undefined,
    inviteCode: undefined,
    intentsSent: 0,
    lastInputSeq: 0,
    lastAck: undefined,
  };
  (globalThis as { orrery?: Debug }).orrery = debug;
  return debug;
}

/** Note a connection event (bounded). */
export function note(debug: Debug, event: string): void {
  debug.events.push([event, performance.now()]);
  if (debug.events.length > 50) debug.events.shift();
}

/** Keep a canonical view by tick, the newest `limit` only. */
export function remember(views: Map<number, string>, tick: number, view: string, limit = 600): void {
  views.set(tick, view);
  while (views.size > limit) {
    const oldest = views.keys().next();
    if (oldest.done === true) break;
    views.delete(oldest.value);
  }
}
