// A Scene from the SDK's ArenaView: units for drawing, phases in lower case, the own ship
// marked, and (when the arena client predicts or interpolates) positions overridden.

import { type ArenaView, SUBUNITS_PER_UNIT, slotOf } from "orrery-sdk";
import type { PhaseName } from "./hud.js";
import type { Scene } from "./scene.js";

const PHASES: Record<string, PhaseName> = {
  Lobby: "lobby",
  Countdown: "countdown",
  Running: "running",
  Over: "over",
  Closable: "closable",
};

/** A position (units) and an angle (radians) to draw a ship at instead of the view's. */
export type Pose = { x: number; y: number; angle?: number };

export function sceneOf(view: ArenaView, me: string, pose: (player: string) => Pose | undefined = () => undefined): Scene {
  const w = view.world;
  const p = w.physics;
  const units = (v: number) => v / SUBUNITS_PER_UNIT;
  const mySlot = slotOf(w as Parameters<typeof slotOf>[0], me);
  const [width, height] = view.arenaSize;
  return {
    width,
    height,
    tick: view.tick,
    phase: PHASES[view.phase] ?? "lobby",
    secondsLeft: view.phaseSecondsLeft,
    shipRadius: units(p.shipRadius),
    bulletRadius: units(p.bulletRadius),
    pickupRadius: units(p.pickupRadius),
    ships: view.ships().map((s) => {
      const [x, y] = s.position;
      const at = pose(s.player);
      return {
        player: s.player,
        name: s.name,
        colour: s.colour,
        x: at?.x ?? x,
        y: at?.y ?? y,
        angle: at?.angle ?? s.angle,
        health: s.healthFraction,
        thrustCooldown: s.thrustCooldownFraction,
        fireCooldown: s.fireCooldownFraction,
        thrusting: s.ship.thrust,
        score: s.score,
        kills: s.kills,
        alive: s.alive,
        connected: s.connected,
        mine: s.player === me,
      };
    }),
    bullets: w.bullets.map((b) => ({ x: units(b.pos.x), y: units(b.pos.y), mine: b.owner === mySlot })),
    pickups: w.pickups.map((k) => ({ x: units(k.pos.x), y: units(k.pos.y), kind: k.kind === "Health" ? "health" : "score" })),
    blackHoles: w.blackHoles.map((h) => ({ x: units(h.pos.x), y: units(h.pos.y), coreRadius: units(h.coreRadius) })),
  };
}
