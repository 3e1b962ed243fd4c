// The arena side of a game on the page: the SDK's ArenaClient (view and predictor) fed by
// the Session's frames, the handling of every frame timed, the scene for each animation
// frame, and the intents sent through the client.
//
// The client's default of an input after every frame is switched off: the page sends an
// intent when the keys change it, resends it steadily and after every resume (intents.ts).

import { ArenaClient, type ArenaFrame, type ArenaSource as ClientSource, type Session, canonicalView } from "orrery-sdk";
import { type Debug, remember } from "./debug.js";
import type { ArenaSource } from "./game.js";
import type { KeyIntent } from "./keys.js";
import type { Scene } from "./scene.js";
import { sceneOf } from "./sceneof.js";

/** What the page needs of a Session (the SDK's Session has it; the benchmark fakes it). */
export type PageSession = Pick<Session, "player" | "cursor" | "resync" | "sendInput"> & {
  on(event: "frame", listener: (frame: ArenaFrame) => void): () => void;
  on(event: "joined", listener: (joined: unknown) => void): () => void;
};

export class PageArena implements ArenaSource {
  readonly client: ArenaClient;
  private applied = 0;

  constructor(
    private readonly session: PageSession,
    private readonly debug: Debug,
  ) {
    debug.lastAck = undefined;
    debug.framesApplied = 0;
    debug.views.clear();
    this.client = new ArenaClient(this.timed(), { inputEveryFrame: false });
    debug.client = this.client;
    debug.canonical = () => {
      const view = this.client.view;
      return view === undefined ? undefined : { tick: view.tick, epoch: this.session.cursor?.epoch, view: canonicalView(view) };
    };
  }

  get framesApplied(): number {
    return this.applied;
  }

  stop(): void {
    this.client.close();
  }

  /** The session as the client sees it, with every frame's handling timed. */
  private timed(): ClientSource {
    const s = this.session;
    const on = (event: "frame" | "joined", listener: (x: never) => void): (() => void) => {
      if (event === "joined") return s.on("joined", listener as (j: unknown) => void);
      const handle = listener as (f: ArenaFrame) => void;
      return s.on("frame", (frame) => {
        const started = performance.now();
        handle(frame);
        this.debug.frameTimings.add(performance.now() - started);
        this.afterFrame(frame);
      });
    };
    return { player: s.player, on: on as ClientSource["on"], resync: () => s.resync(), sendInput: (p) => s.sendInput(p) };
  }

  private afterFrame(frame: ArenaFrame): void {
    const view = this.client.view;
    if (view === undefined || this.client.awaitingKeyframe) return;
    this.applied += 1;
    this.debug.framesApplied = this.applied;
    if (frame.ack !== null) this.debug.lastAck = Math.max(this.debug.lastAck ?? 0, frame.ack);
    if (this.debug.record) remember(this.debug.views, view.tick, canonicalView(view));
  }

  sendIntent(intent: KeyIntent): void {
    this.debug.lastInputSeq = this.client.sendIntent(intent);
    this.debug.intentsSent += 1;
  }

  scene(nowMs: number): Scene | undefined {
    const view = this.client.view;
    const snap = this.client.render(nowMs);
    return view === undefined || snap === undefined ? undefined : sceneOf(snap, view);
  }
}
