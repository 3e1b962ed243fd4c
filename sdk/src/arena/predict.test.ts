// The Predictor, ported from client/src/predict.rs with its tests: exact prediction over
// the recorded match (inputs and acks as the player sent and received them), a glide
// instead of a jump, a snap for a discontinuity, and interpolation of other ships.

import assert from "node:assert/strict";
import { test } from "node:test";
import { SUBUNITS_PER_UNIT, toUnits } from "./fixed.js";
import { type ReplayFrame, fromHex, loadReplay } from "./fixtures.test.util.js";
import { advance } from "./kinematics.js";
import { Predictor, SNAP_DISTANCE } from "./predict.js";
import { ArenaView } from "./view.js";
import { type Ship, type World, cloneWorld, slotOf } from "./world.js";

function* views(): Generator<{ frame: ReplayFrame; view: ArenaView }> {
  let view: ArenaView | undefined;
  for (const frame of loadReplay().frames) {
    if (frame.kind === "keyframe") view = ArenaView.fromKeyframe(fromHex(frame.payload));
    else view?.applyDelta(fromHex(frame.payload));
    if (view !== undefined) yield { frame, view };
  }
}

function shipOf(world: Readonly<World>, player: string): Ship | undefined {
  const slot = slotOf(world as World, player);
  return slot === undefined ? undefined : (world.ships[slot] ?? undefined);
}

function motion(ship: Readonly<Ship>): string {
  return `${ship.pos.x},${ship.pos.y},${ship.vel.x},${ship.vel.y},${ship.angle}`;
}

function distance(a: [number, number], b: [number, number]): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

test("the prediction lands exactly where the server goes (the whole recorded match)", () => {
  const me = loadReplay().me;
  const p = new Predictor(me);
  // Predictions made at a frame, keyed by the (epoch, tick) they are for.
  const expected = new Map<string, string>();
  let checked = 0;
  let epoch = 0;
  let framesInEpoch = 0;
  for (const { frame, view } of views()) {
    if (frame.epoch !== epoch) [epoch, framesInEpoch] = [frame.epoch, 0];
    framesInEpoch += 1;
    p.onServer(view, frame.ack);
    const mine = view.shipOf(me);
    const key = `${frame.epoch}:${view.tick}`;
    const predicted = expected.get(key);
    expected.delete(key);
    // The rules (not the kinematics) move a ship when the match starts or ends and when it
    // dies: predictions are exact for a live ship in a running match.
    if (predicted !== undefined && mine?.alive && view.phase === "Running") {
      assert.equal(motion(mine.ship), predicted, `tick ${view.tick}: the prediction made earlier is exact`);
      checked += 1;
    }
    // Before the first ack the client cannot know how long inputs take to arrive; right
    // after a fail-over some sent inputs were lost with the old owner (they will never be
    // acknowledged, and are dropped when a later one is).
    const ship = p.predictedShip();
    if (frame.ack !== null && framesInEpoch > 4 && ship?.alive && view.phase === "Running") {
      expected.set(`${frame.epoch}:${view.tick + p.pending}`, motion(ship));
    }
    p.onInput(frame.input.seq, frame.input);
  }
  assert.ok(checked > 1500, `checked ${checked} predictions`);
});

/** A running frame of the recording where `me` is alive, as a world to step by hand. */
function runningWorld(me: string): World {
  for (const { view } of views()) {
    if (view.phase === "Running" && view.tick > 200 && view.shipOf(me)?.alive) return cloneWorld(view.world);
  }
  throw new Error("no running frame");
}

/** The server's motion: the kinematics with `me` thrusting straight toward the centre. */
function thrustTick(world: World, me: string): void {
  const ship = shipOf(world, me) as Ship;
  Object.assign(ship, { turn: 0, thrust: true, fire: false });
  advance(world);
}

test("a correction glides instead of jumping, and a discontinuity snaps", () => {
  const me = loadReplay().me;
  const server = runningWorld(me);
  const ship = shipOf(server, me) as Ship;
  const [cx, cy] = [server.physics.width / 2, server.physics.height / 2];
  // As at the start of a match (like the Rust test): at rest, cooldowns ready.
  Object.assign(ship, { vel: { x: 0, y: 0 }, thrustCooldown: 0, fireCooldown: 0 });
  ship.angle = Math.round((Math.atan2(cy - ship.pos.y, cx - ship.pos.x) / (2 * Math.PI)) * 65536) & 0xffff;
  const p = new Predictor(me);
  p.onServer(ArenaView.fromWorld(cloneWorld(server)), null);
  const start = p.displayStep(1 / 60) as [number, number];
  // The server moves the ship in a way this client did not predict: thrust for a while.
  for (let i = 0; i < 15; i++) thrustTick(server, me);
  p.onServer(ArenaView.fromWorld(cloneWorld(server)), null);
  const error = distance(start, toUnits((p.predictedShip() as Ship).pos));
  assert.ok(error > 5 && error < SNAP_DISTANCE, `a real but small disagreement: ${error}`);
  // Frames keep coming (the ship keeps thrusting); the display is stepped once a tick.
  const maxStep = 300 / 30;
  let shown = start;
  for (let i = 0; i < 45; i++) {
    const next = p.displayStep(1 / 30) as [number, number];
    assert.ok(distance(shown, next) <= maxStep + error * 0.3, `a step of the glide is never a jump: ${distance(shown, next)}`);
    shown = next;
    thrustTick(server, me);
    p.onServer(ArenaView.fromWorld(cloneWorld(server)), null);
  }
  // A display step renders the moment of the next frame: compare it with that frame.
  const last = p.displayStep(1 / 30) as [number, number];
  thrustTick(server, me);
  p.onServer(ArenaView.fromWorld(cloneWorld(server)), null);
  const left = distance(last, toUnits((p.predictedShip() as Ship).pos));
  assert.ok(left < 1, `converged within 1.5 s: ${left}`);

  // A discontinuity beyond the snap distance is shown at once.
  const far = cloneWorld(server);
  const farShip = shipOf(far, me) as Ship;
  const jump = (SNAP_DISTANCE + 50) * SUBUNITS_PER_UNIT;
  farShip.pos = { ...farShip.pos, x: farShip.pos.x > far.physics.width / 2 ? farShip.pos.x - jump : farShip.pos.x + jump };
  p.onServer(ArenaView.fromWorld(far), null);
  assert.deepEqual(p.displayStep(1 / 60), toUnits((p.predictedShip() as Ship).pos));
});

test("other ships are interpolated between buffered frames", () => {
  const me = loadReplay().me;
  const p = new Predictor(me);
  const seen: [number, number][] = [];
  let other: string | undefined;
  for (const { view } of views()) {
    if (view.phase !== "Running" || view.tick < 300) continue;
    other ??= view.ships().find((s) => s.player !== me && s.alive && Math.hypot(...s.velocity) > 10)?.player;
    if (other === undefined) continue;
    seen.push((view.shipOf(other) as { position: [number, number] }).position);
    p.onServer(view, null);
    if (seen.length === 4) break;
  }
  assert.ok(other !== undefined && seen.length === 4);
  assert.deepEqual(p.interpolated(other, 1), seen[2], "one tick back is the previous frame");
  const half = p.interpolated(other, 1.5) as [number, number];
  const [a, b] = [seen[1] as [number, number], seen[2] as [number, number]];
  assert.ok(distance(half, [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]) < 1e-9, "halfway between two frames");
  assert.notDeepEqual(a, b, "the ship moved");
  assert.equal(p.interpolated(me === other ? "nobody" : "00000000-0000-0000-0000-000000000000", 1), undefined);
});

test("a rolled-back frame starts a new interpolation buffer", () => {
  const p = new Predictor("x");
  const frames = [...views()].slice(0, 6).map(({ view }) => cloneWorld(view.world));
  for (const w of frames.slice(2)) p.onServer(ArenaView.fromWorld(w), null);
  p.onServer(ArenaView.fromWorld(frames[1] as World), null);
  assert.equal(p.newest?.tick, frames[1]?.tick);
  assert.equal(p.interpolatedBullets(1).length, (frames[1] as World).bullets.length);
});
