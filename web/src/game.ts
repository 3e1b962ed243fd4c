// One game on the page: the animation loop (draw at the display's frame rate), the
// keyboard (intents sent when they change, resent steadily and after every resume), the
// HUD and the connection overlay.

import { draw } from "./draw.js";
import type { Elements } from "./dom.js";
import { HudView } from "./hudview.js";
import { IntentSender } from "./intents.js";
import { intentOf, isGameKey, type KeyIntent } from "./keys.js";
import type { Scene } from "./scene.js";
import { nextStatus, type Status, type StatusEvent } from "./status.js";

/** What the loop needs from the arena side (built in arena.ts from the SDK's ArenaClient). */
export interface ArenaSource {
  /** The scene to draw now, or undefined before the first keyframe. */
  scene(nowMs: number): Scene | undefined;
  sendIntent(intent: KeyIntent): void;
  /** Frames applied so far (the loop notes when a new one is drawn). */
  readonly framesApplied: number;
}

export class GameLoop {
  private readonly held = new Set<string>();
  private readonly hud: HudView;
  private readonly intents: IntentSender;
  private status: Status = { kind: "connecting" };
  private raf = 0;
  private drawnFrames = -1;
  private stopped = false;
  /** Called after each draw that shows a frame not drawn before (with the time). */
  onFrameDrawn: (nowMs: number) => void = () => {};
  /** Called when the browser gave no animation frame for more than 100 ms. */
  onStall: (gapMs: number) => void = () => {};
  private lastAnimationFrame: number | undefined;
  lastScene: Scene | undefined;

  constructor(
    private readonly el: Elements,
    private readonly arena: ArenaSource,
  ) {
    this.hud = new HudView(el);
    this.intents = new IntentSender((i) => this.arena.sendIntent(i));
    window.addEventListener("keydown", this.onKey);
    window.addEventListener("keyup", this.onKey);
    window.addEventListener("blur", this.onBlur);
    window.addEventListener("resize", this.resize);
    this.resize();
    this.hud.status(this.status);
    this.raf = requestAnimationFrame(this.frame);
  }

  /** Feed a connection event (from the Session) to the overlay. */
  connection(event: StatusEvent): void {
    this.status = nextStatus(this.status, event);
    this.hud.status(this.status);
    if (event.type === "joined" || event.type === "resumed") this.intents.flush(performance.now());
  }

  get connectionStatus(): Status {
    return this.status;
  }

  /** Send the current intent again now (a new epoch restored an older intent). */
  resendIntent(): void {
    this.intents.flush(performance.now());
  }

  /** The room closed (or we were kicked): say so and offer the next match. */
  roomClosed(why: string): void {
    this.hud.closed = why;
  }

  invite(code: string | undefined): void {
    this.hud.invite(code);
  }

  stop(): void {
    this.stopped = true;
    cancelAnimationFrame(this.raf);
    window.removeEventListener("keydown", this.onKey);
    window.removeEventListener("keyup", this.onKey);
    window.removeEventListener("blur", this.onBlur);
    window.removeEventListener("resize", this.resize);
  }

  private readonly frame = (nowMs: number): void => {
    if (this.stopped) return;
    this.raf = requestAnimationFrame(this.frame);
    if (this.lastAnimationFrame !== undefined && nowMs - this.lastAnimationFrame > 100) this.onStall(nowMs - this.lastAnimationFrame);
    this.lastAnimationFrame = nowMs;
    this.intents.update(intentOf(this.held), nowMs);
    const scene = this.arena.scene(nowMs);
    this.lastScene = scene;
    const ctx = this.el.canvas.getContext("2d");
    if (ctx !== null && scene !== undefined) draw(ctx, scene, nowMs);
    this.hud.scene(scene);
    const applied = this.arena.framesApplied;
    if (scene !== undefined && applied !== this.drawnFrames) {
      this.drawnFrames = applied;
      this.onFrameDrawn(nowMs);
    }
  };

  private readonly onKey = (e: KeyboardEvent): void => {
    if (!isGameKey(e.code) || e.target instanceof HTMLInputElement) return;
    e.preventDefault();
    if (e.type === "keydown") this.held.add(e.code);
    else this.held.delete(e.code);
    this.intents.update(intentOf(this.held), performance.now());
  };

  private readonly onBlur = (): void => {
    this.held.clear();
    this.intents.update(intentOf(this.held), performance.now());
  };

  private readonly resize = (): void => {
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    const c = this.el.canvas;
    c.width = Math.max(1, Math.round(c.clientWidth * dpr));
    c.height = Math.max(1, Math.round(c.clientHeight * dpr));
  };
}
