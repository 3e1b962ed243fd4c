// The arena side of a game on the page: the SDK's view and predictor fed by the Session's
// frames, every frame's handling timed, the scene for each animation frame, and the
// intents sent through the Session.

import { ArenaView, type Frame, Predictor, type Session, angleToRadians, canonicalView, encodeIntent } from "orrery-sdk";
import { type Debug, remember } from "./debug.js";
import type { ArenaSource } from "./game.js";
import type { KeyIntent } from "./keys.js";
import type { Scene } from "./scene.js";
import { sceneOf } from "./sceneof.js";

/** Other ships are drawn this many ticks behind the newest frame (smooth between frames). */
const INTERPOLATION_TICKS = 1.5;

export class PageArena implements ArenaSource {
  private view: ArenaView | undefined;
  private readonly predictor: Predictor;
  private lastNow: number | undefined;
  private applied = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly session: Session,
    private readonly debug: Debug,
  ) {
    this.predictor = new Predictor(session.player);
    debug.lastAck = undefined;
    debug.framesApplied = 0;
    debug.views.clear();
    this.unsubscribe = session.on("frame", (frame) => this.onFrame(frame));
    debug.canonical = () =>
      this.view === undefined ? undefined : { tick: this.view.tick, epoch: this.session.cursor?.epoch, view: canonicalView(this.view) };
  }

  get framesApplied(): number {
    return this.applied;
  }

  stop(): void {
    this.unsubscribe();
  }

  private onFrame(frame: Frame): void {
    const started = performance.now();
    try {
      if (frame.kind.type === "Keyframe") this.view = ArenaView.fromKeyframe(frame.payload);
      else if (this.view !== undefined) this.view.applyDelta(frame.payload);
      else return;
      this.predictor.onServer(this.view, frame.ack);
    } catch {
      // A payload that does not decode: drop the view and ask for a keyframe.
      this.view = undefined;
      this.session.resync();
      return;
    }
    this.debug.frameTimings.add(performance.now() - started);
    this.applied += 1;
    this.debug.framesApplied = this.applied;
    if (frame.ack !== null) this.debug.lastAck = Math.max(this.debug.lastAck ?? 0, frame.ack);
    if (this.debug.record) remember(this.debug.views, this.view.tick, canonicalView(this.view));
  }

  sendIntent(intent: KeyIntent): void {
    const seq = this.session.sendInput(encodeIntent(intent));
    this.predictor.onInput(seq, intent);
    this.debug.lastInputSeq = seq;
    this.debug.intentsSent += 1;
  }

  scene(nowMs: number): Scene | undefined {
    const view = this.view;
    if (view === undefined) return undefined;
    const dt = this.lastNow === undefined ? 0 : Math.min((nowMs - this.lastNow) / 1000, 0.1);
    this.lastNow = nowMs;
    const me = this.session.player;
    const own = this.predictor.displayStep(dt);
    const ownAngle = this.predictor.predictedShip()?.angle;
    return sceneOf(view, me, (player) => {
      if (player === me) {
        if (own === undefined) return undefined;
        return ownAngle === undefined ? { x: own[0], y: own[1] } : { x: own[0], y: own[1], angle: angleToRadians(ownAngle) };
      }
      const at = this.predictor.interpolated(player, INTERPOLATION_TICKS);
      return at === undefined ? undefined : { x: at[0], y: at[1] };
    });
  }
}
