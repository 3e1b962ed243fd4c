// ArenaClient: glues a session (anything shaped like the SDK's Session: frames, joins,
// resync, inputs) to an ArenaView and a Predictor, and offers what a renderer needs each
// animation frame.
//
// - Every frame is applied to the view: a keyframe replaces it, a delta must follow the
//   last frame applied. A payload that does not decode (DecodeError), or a delta that
//   does not follow, asks the session for a keyframe (`resync()`) once and ignores deltas
//   until one arrives. Nothing is thrown to the session.
// - After each frame the predictor gets the view and the frame's ack; then, by default,
//   the current intent is sent (one input per tick keeps the prediction exact) and its
//   sequence number recorded.
// - `render(now)` gives positions in world units: the own ship predicted and glided, the
//   other ships and the bullets interpolated a little in the past.

import { DecodeError } from "../errors.js";
import { SUBUNITS_PER_UNIT, angleToRadians, toUnits } from "./fixed.js";
import { type Intent, encodeIntent } from "./input.js";
import { Predictor } from "./predict.js";
import { ArenaView } from "./view.js";
import type { Phase, PickupKind, Ship } from "./world.js";

/** A frame as the session delivers it (the SDK's `Frame`; `room` is optional here). */
export interface ArenaFrame {
  room?: number;
  epoch: number;
  tick: number;
  kind: { type: "Keyframe" } | { type: "Delta"; base: number };
  ack: number | null;
  payload: Uint8Array;
}

/** What ArenaClient needs of a session (the SDK's `Session` has it). */
export interface ArenaSource {
  /** This player's id (lowercase hyphenated UUID). */
  readonly player: string;
  on(event: "frame", listener: (frame: ArenaFrame) => void): () => void;
  on(event: "joined", listener: (joined: unknown) => void): () => void;
  /** Ask for a keyframe. */
  resync(): void;
  /** Send one input; returns its InputSeq. */
  sendInput(payload: Uint8Array): number;
}

export interface ArenaClientOptions {
  /** The player whose ship is predicted (default: `source.player`). */
  player?: string;
  /** How far behind the newest frame other ships and bullets are drawn, in ticks (default 2). */
  renderDelayTicks?: number;
  /** Send the current intent after every frame applied (default true). */
  inputEveryFrame?: boolean;
  /** Milliseconds, monotonic (default `performance.now()`). */
  now?: () => number;
}

/** One ship as a renderer draws it. */
export interface RenderShip {
  slot: number;
  player: string;
  name: string;
  colour: number;
  /** The player's own ship (predicted). */
  own: boolean;
  /** Units. */
  x: number;
  y: number;
  /** Radians. */
  angle: number;
  health: number;
  healthFraction: number;
  /** 1 = just used, 0 = ready. */
  thrustCooldownFraction: number;
  fireCooldownFraction: number;
  score: number;
  kills: number;
  alive: boolean;
  connected: boolean;
}

export interface RenderSnapshot {
  tick: number;
  phase: Phase;
  phaseTicksLeft: number;
  phaseSecondsLeft: number;
  /** Seconds until the match starts, during the countdown. */
  countdown: number | null;
  /** Units. */
  arena: { width: number; height: number };
  me: RenderShip | undefined;
  /** Every seated ship, by slot. */
  ships: RenderShip[];
  bullets: { id: number; owner: number; x: number; y: number }[];
  pickups: { id: number; kind: PickupKind; x: number; y: number }[];
  blackHoles: { x: number; y: number; coreRadius: number }[];
  /** Best first: score, then kills, then slot. */
  scores: { slot: number; player: string; name: string; score: number; kills: number; alive: boolean }[];
}

export interface ArenaClientStats {
  frames: number;
  keyframes: number;
  /** Payloads refused and deltas that did not follow: each asked for a keyframe. */
  decodeErrors: number;
  resyncs: number;
  inputsSent: number;
}

/** The arena's client side of one session. */
export class ArenaClient {
  readonly predictor: Predictor;
  readonly stats: ArenaClientStats = { frames: 0, keyframes: 0, decodeErrors: 0, resyncs: 0, inputsSent: 0 };
  private current: ArenaView | undefined;
  /** The last frame applied (changed in place: a frame allocates nothing here). */
  private last: { room: number | undefined; epoch: number; tick: number } | undefined;
  private waitingForKeyframe = false;
  private intent: Intent = { turn: 0, thrust: false, fire: false };
  private lastFrameAt: number | undefined;
  private lastRenderAt: number | undefined;
  private readonly listeners = new Set<(view: ArenaView) => void>();
  private readonly unsubscribe: (() => void)[];
  private readonly renderDelayTicks: number;
  private readonly inputEveryFrame: boolean;
  private readonly now: () => number;
  /** The last error a frame caused (for diagnostics). */
  lastError: unknown;

  constructor(
    private readonly source: ArenaSource,
    options: ArenaClientOptions = {},
  ) {
    this.predictor = new Predictor(options.player ?? source.player);
    this.renderDelayTicks = options.renderDelayTicks ?? 2;
    this.inputEveryFrame = options.inputEveryFrame ?? true;
    this.now = options.now ?? (() => performance.now());
    this.unsubscribe = [source.on("frame", (f) => this.onFrame(f)), source.on("joined", (j) => this.onJoined(j))];
  }

  /** The room as of the last frame applied (undefined before the first keyframe). */
  get view(): ArenaView | undefined {
    return this.current;
  }

  /** Whether deltas are being ignored until a keyframe arrives. */
  get awaitingKeyframe(): boolean {
    return this.waitingForKeyframe;
  }

  /** The intent sent after each frame from now on. */
  setIntent(intent: Intent): void {
    this.intent = { ...intent };
  }

  /** Sends `intent` now (and makes it the current one); returns its InputSeq. */
  sendIntent(intent: Intent): number {
    // The current intent is never changed in place (setIntent replaces it), so resending
    // it needs no copy; the predictor keeps it as the pending input's intent.
    if (intent !== this.intent) this.setIntent(intent);
    const seq = this.source.sendInput(encodeIntent(this.intent));
    this.predictor.onInput(seq, this.intent);
    this.stats.inputsSent += 1;
    return seq;
  }

  /** Called with the view after every frame applied; returns an unsubscribe function. */
  onView(listener: (view: ArenaView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stop listening to the source. */
  close(): void {
    for (const off of this.unsubscribe) off();
    this.listeners.clear();
  }

  private onJoined(joined: unknown): void {
    const room = typeof joined === "object" && joined !== null && "room" in joined ? (joined as { room: unknown }).room : undefined;
    if (this.last !== undefined && typeof room === "number" && room === this.last.room) return;
    // Another room: nothing of the old one applies.
    this.current = undefined;
    this.last = undefined;
    this.waitingForKeyframe = false;
    this.lastRenderAt = undefined;
    this.predictor.reset();
  }

  private onFrame(frame: ArenaFrame): void {
    this.stats.frames += 1;
    try {
      if (frame.kind.type === "Keyframe") {
        if (this.last !== undefined && frame.room !== undefined && this.last.room !== undefined && frame.room !== this.last.room) {
          this.predictor.reset();
        }
        this.current = ArenaView.fromKeyframe(frame.payload);
        this.stats.keyframes += 1;
        this.waitingForKeyframe = false;
      } else {
        const view = this.current;
        const last = this.last;
        if (view === undefined || this.waitingForKeyframe) return;
        if (last === undefined || last.epoch !== frame.epoch || last.tick !== frame.kind.base) {
          throw new DecodeError("Invalid", `a delta on tick ${frame.kind.base} does not follow tick ${last?.tick}`);
        }
        view.applyDelta(frame.payload);
      }
    } catch (e) {
      // A DecodeError by contract; anything else would be a bug, and still must not
      // reach the session: treat it the same way.
      this.lastError = e;
      this.stats.decodeErrors += 1;
      if (!this.waitingForKeyframe) {
        this.waitingForKeyframe = true;
        this.stats.resyncs += 1;
        this.source.resync();
      }
      return;
    }
    const view = this.current as ArenaView;
    const last = this.last;
    if (last === undefined) this.last = { room: frame.room, epoch: frame.epoch, tick: frame.tick };
    else {
      last.room = frame.room ?? last.room;
      last.epoch = frame.epoch;
      last.tick = frame.tick;
    }
    this.predictor.onServer(view, frame.ack);
    this.lastFrameAt = this.now();
    // A copy, so that a listener may unsubscribe (or subscribe) while they are called.
    if (this.listeners.size > 0) {
      for (const listener of [...this.listeners]) {
        try {
          listener(view);
        } catch (e) {
          queueMicrotask(() => {
            throw e;
          });
        }
      }
    }
    if (this.inputEveryFrame) this.sendIntent(this.intent);
  }

  /** What to draw at `now` (milliseconds on the `now` clock; default: the clock's now). */
  render(now: number = this.now()): RenderSnapshot | undefined {
    const view = this.current;
    if (view === undefined) return undefined;
    const hz = view.tickHz;
    const dt = this.lastRenderAt === undefined ? 0 : Math.min(Math.max((now - this.lastRenderAt) / 1000, 0), 0.25);
    this.lastRenderAt = now;
    const sinceFrame = this.lastFrameAt === undefined ? 0 : ((now - this.lastFrameAt) / 1000) * hz;
    const delay = Math.max(this.renderDelayTicks - Math.min(Math.max(sinceFrame, 0), this.renderDelayTicks), 0);
    const physics = view.world.physics;
    const fraction = (v: number, max: number): number => Math.min(v / Math.max(max, 1), 1);
    const me = this.predictor.me;
    const displayed = this.predictor.displayStep(dt);
    const predicted = this.predictor.predictedShip();

    const ships: RenderShip[] = view.ships().map((s) => {
      const own = s.player === me;
      const ship: Readonly<Ship> = own && predicted !== undefined ? predicted : s.ship;
      const [x, y] = (own ? displayed : this.predictor.interpolated(s.player, delay)) ?? toUnits(ship.pos);
      return {
        slot: s.slot,
        player: s.player,
        name: s.name,
        colour: s.colour,
        own,
        x,
        y,
        angle: angleToRadians(ship.angle),
        health: s.health,
        healthFraction: s.healthFraction,
        thrustCooldownFraction: fraction(ship.thrustCooldown, physics.thrustCooldown),
        fireCooldownFraction: fraction(ship.fireCooldown, physics.fireCooldown),
        score: s.score,
        kills: s.kills,
        alive: s.alive,
        connected: s.connected,
      };
    });
    const [width, height] = view.arenaSize;
    return {
      tick: view.tick,
      phase: view.phase,
      phaseTicksLeft: view.phaseTicksLeft,
      phaseSecondsLeft: view.phaseSecondsLeft,
      countdown: view.phase === "Countdown" ? view.phaseSecondsLeft : null,
      arena: { width, height },
      me: ships.find((s) => s.own),
      ships,
      bullets: this.predictor.interpolatedBullets(delay).map((b) => ({ id: b.id, owner: b.owner, x: b.pos[0], y: b.pos[1] })),
      pickups: view.pickups.map((p) => {
        const [x, y] = toUnits(p.pos);
        return { id: p.id, kind: p.kind, x, y };
      }),
      blackHoles: view.blackHoles.map((h) => {
        const [x, y] = toUnits(h.pos);
        return { x, y, coreRadius: h.coreRadius / SUBUNITS_PER_UNIT };
      }),
      scores: ships
        .map((s) => ({ slot: s.slot, player: s.player, name: s.name, score: s.score, kills: s.kills, alive: s.alive }))
        .sort((a, b) => b.score - a.score || b.kills - a.kills || a.slot - b.slot),
    };
  }
}
