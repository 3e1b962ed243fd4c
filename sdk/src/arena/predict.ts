// Client-side prediction (client/src/predict.rs): the player's own ship moves at once,
// the other ships are shown a little in the past, and corrections never jump.
//
// - Prediction and reconciliation: client and server share the fixed-point kinematics,
//   so replaying the inputs the server has not acknowledged on top of each authoritative
//   frame gives exactly where the server will be once it applies them.
// - Smooth convergence: the displayed ship is not moved to the prediction; its velocity
//   is the predicted velocity plus a share of the error, so a correction shows as a
//   short glide. Only an error beyond SNAP_DISTANCE (a respawn, a teleport) jumps.
// - Interpolation: other ships (and bullets) are drawn between the two authoritative
//   frames around "now minus a delay", from a short buffer of frames.
//
// The client is expected to send one input per tick (intents persist on the server
// until the next input, so one per tick is also what keeps prediction exact).
//
// A frame allocates nothing here once the buffers are full: the prediction and the
// buffered frames are worlds the predictor owns, copied into (copyWorldInto) rather than
// cloned, the oldest buffered world being reused for the newest frame.

import { type Vec2, toUnits } from "./fixed.js";
import { type Intent, quantiseTurn } from "./input.js";
import { advance } from "./kinematics.js";
import type { ArenaView } from "./view.js";
import { type Ship, type World, cloneWorld, copyWorldInto, ownWorld, slotOf } from "./world.js";

/** An error larger than this (units) is a discontinuity: snap instead of gliding. */
export const SNAP_DISTANCE = 200;
/** Share of the remaining error corrected per second of display time. */
export const CONVERGENCE_PER_SECOND = 8;
/** Authoritative frames kept for interpolation. */
const HISTORY = 8;

/** Prediction state for one player. */
export class Predictor {
  /** The unacknowledged inputs, oldest first: sequence numbers and intents side by side. */
  private readonly pendingSeqs: number[] = [];
  private readonly pendingIntents: Intent[] = [];
  /** The predicted world, when there is one; always `predictedStore` then. */
  private predicted: World | undefined;
  private predictedStore: World | undefined;
  private display: { pos: [number, number]; vel: [number, number] } | undefined;
  /** The buffered authoritative frames, oldest first (worlds of this predictor's own). */
  private readonly history: World[] = [];
  /** Worlds of this predictor's own not in use, to copy frames into. */
  private readonly spare: World[] = [];

  /** `me`: the player's id (lowercase hyphenated UUID). */
  constructor(readonly me: string) {}

  /** An input was sent: the prediction moves one tick with it at once. */
  onInput(seq: number, intent: Intent): void {
    this.pendingSeqs.push(seq);
    this.pendingIntents.push(intent);
    if (this.predicted !== undefined) stepWith(this.predicted, this.me, intent);
  }

  /** An authoritative frame (the view after applying it) with this player's ack: drop
   * what it acknowledged and replay the rest on top of it. */
  onServer(view: ArenaView, ack: number | null): void {
    if (ack !== null) {
      while (this.pendingSeqs.length > 0 && (this.pendingSeqs[0] as number) <= ack) {
        this.pendingSeqs.shift();
        this.pendingIntents.shift();
      }
    }
    let world = this.predictedStore;
    if (world === undefined) world = this.predictedStore = ownWorld(cloneWorld(view.world));
    else copyWorldInto(world, view.world);
    for (let i = 0; i < this.pendingIntents.length; i++) stepWith(world, this.me, this.pendingIntents[i] as Intent);
    this.predicted = world;
    // A frame at or before the newest one starts a new timeline (a fail-over rolled the
    // room back): the buffered frames no longer lead to it.
    const newest = this.history[this.history.length - 1];
    if (newest !== undefined && newest.tick >= view.tick) this.clearHistory();
    let frame = this.history.length >= HISTORY ? this.history.shift() : this.spare.pop();
    if (frame === undefined) frame = ownWorld(cloneWorld(view.world));
    else copyWorldInto(frame, view.world);
    this.history.push(frame);
  }

  /** Forget everything (a new room). */
  reset(): void {
    this.pendingSeqs.length = 0;
    this.pendingIntents.length = 0;
    this.predicted = undefined;
    this.display = undefined;
    this.clearHistory();
  }

  private clearHistory(): void {
    while (this.history.length > 0) this.spare.push(this.history.pop() as World);
  }

  /** Inputs not yet acknowledged (replayed on every frame). */
  get pending(): number {
    return this.pendingSeqs.length;
  }

  /** The predicted world (the newest frame with the unacknowledged inputs replayed; the
   * predictor's own, changed in place by the next input or frame). */
  get predictedWorld(): Readonly<World> | undefined {
    return this.predicted;
  }

  /** The newest authoritative frame received (a copy of the predictor's own, reused for a
   * later frame once it leaves the buffer). */
  get newest(): Readonly<World> | undefined {
    return this.history[this.history.length - 1];
  }

  /** The player's own ship as predicted. */
  predictedShip(): Readonly<Ship> | undefined {
    const world = this.predicted;
    if (world === undefined) return undefined;
    const slot = slotOf(world, this.me);
    return slot === undefined ? undefined : (world.ships[slot] ?? undefined);
  }

  /** Advance the displayed position of the player's own ship by `dt` seconds toward the
   * prediction, by velocity, and return it (units). Called once the frame for "now" has
   * been applied, it returns where to draw the ship at "now + dt". */
  displayStep(dt: number): [number, number] | undefined {
    const ship = this.predictedShip();
    if (ship === undefined || this.predicted === undefined) return undefined;
    const target = toUnits(ship.pos);
    const hz = this.predicted.physics.tickHz;
    const [vx, vy] = toUnits(ship.vel);
    const targetVel: [number, number] = [vx * hz, vy * hz];
    if (this.display === undefined || distance(this.display.pos, target) > SNAP_DISTANCE) {
      this.display = { pos: target, vel: targetVel };
      return target;
    }
    const pos = this.display.pos;
    // Glide: the predicted motion plus a share of the error, never a jump.
    const gain = Math.min(CONVERGENCE_PER_SECOND * dt, 1);
    const perSecond = gain / Math.max(dt, 1e-6);
    const vel: [number, number] = [targetVel[0] + (target[0] - pos[0]) * perSecond, targetVel[1] + (target[1] - pos[1]) * perSecond];
    const next: [number, number] = [pos[0] + targetVel[0] * dt + (target[0] - pos[0]) * gain, pos[1] + targetVel[1] * dt + (target[1] - pos[1]) * gain];
    this.display = { pos: next, vel };
    return next;
  }

  /** The displayed velocity of the own ship (units per second), as of the last displayStep. */
  get displayVelocity(): [number, number] | undefined {
    return this.display?.vel;
  }

  /** Where another player's ship is drawn `delayTicks` behind the newest frame: linear
   * interpolation between the two buffered frames around that moment. */
  interpolated(player: string, delayTicks: number): [number, number] | undefined {
    return this.interpolate(delayTicks, (w) => {
      const slot = slotOf(w, player);
      const ship = slot === undefined ? null : w.ships[slot];
      return ship === null || ship === undefined ? undefined : ship.pos;
    });
  }

  /** The bullets as they were `delayTicks` behind the newest frame (the same moment as
   * the other ships): those of the buffered frame just after that moment, each between
   * its position there and in the frame before (where it already existed). */
  interpolatedBullets(delayTicks: number): { id: number; owner: number; pos: [number, number] }[] {
    const around = this.around(delayTicks);
    if (around === undefined) return [];
    const { before, after, t } = around;
    return after.bullets.map((b) => {
      const [bx, by] = toUnits(b.pos);
      const earlier = before.bullets.find((e) => e.id === b.id);
      if (earlier === undefined) return { id: b.id, owner: b.owner, pos: [bx, by] };
      const [ax, ay] = toUnits(earlier.pos);
      return { id: b.id, owner: b.owner, pos: [ax + (bx - ax) * t, ay + (by - ay) * t] };
    });
  }

  /** The two buffered frames around `delayTicks` behind the newest, and where between them. */
  private around(delayTicks: number): { before: World; after: World; t: number } | undefined {
    const newest = this.history[this.history.length - 1];
    if (newest === undefined) return undefined;
    const at = newest.tick - delayTicks;
    const after = this.history.find((w) => w.tick >= at);
    if (after === undefined) return undefined;
    let before = after;
    for (let i = this.history.length - 1; i >= 0; i--) {
      const w = this.history[i] as World;
      if (w.tick <= at) {
        before = w;
        break;
      }
    }
    const span = after.tick - before.tick;
    return { before, after, t: span === 0 ? 0 : (at - before.tick) / span };
  }

  private interpolate(delayTicks: number, pos: (w: World) => Vec2 | undefined): [number, number] | undefined {
    const around = this.around(delayTicks);
    if (around === undefined) return undefined;
    const a = pos(around.before);
    const b = pos(around.after);
    if (a === undefined || b === undefined) return undefined;
    const [ax, ay] = toUnits(a);
    const [bx, by] = toUnits(b);
    return [ax + (bx - ax) * around.t, ay + (by - ay) * around.t];
  }
}

/** One tick of the shared kinematics with this player's intent applied first, as the
 * server applies a pending input at the start of its next tick. */
function stepWith(world: World, me: string, intent: Intent): void {
  const slot = slotOf(world, me);
  const ship = slot === undefined ? null : world.ships[slot];
  if (ship !== null && ship !== undefined && ship.alive) {
    ship.turn = quantiseTurn(intent.turn);
    ship.thrust = intent.thrust;
    ship.fire = intent.fire;
  }
  advance(world);
}

function distance(a: [number, number], b: [number, number]): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}
