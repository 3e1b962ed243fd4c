// A Scene from what the SDK's ArenaClient renders (own ship predicted, others and bullets
// interpolated) plus the few things drawn from the view itself (sizes, thrust flames).

import { type ArenaView, type RenderSnapshot, SUBUNITS_PER_UNIT } from "orrery-sdk";
import type { PhaseName } from "./hud.js";
import type { Scene } from "./scene.js";

const PHASES: Record<string, PhaseName> = {
  Lobby: "lobby",
  Countdown: "countdown",
  Running: "running",
  Over: "over",
  Closable: "closable",
};

export function sceneOf(snap: RenderSnapshot, view: ArenaView): Scene {
  const p = view.world.physics;
  const units = (v: number) => v / SUBUNITS_PER_UNIT;
  const mySlot = snap.me?.slot;
  return {
    width: snap.arena.width,
    height: snap.arena.height,
    tick: snap.tick,
    phase: PHASES[snap.phase] ?? "lobby",
    secondsLeft: snap.phaseSecondsLeft,
    shipRadius: units(p.shipRadius),
    bulletRadius: units(p.bulletRadius),
    pickupRadius: units(p.pickupRadius),
    ships: snap.ships.map((s) => ({
      player: s.player,
      name: s.name,
      colour: s.colour,
      x: s.x,
      y: s.y,
      angle: s.angle,
      health: s.healthFraction,
      thrustCooldown: s.thrustCooldownFraction,
      fireCooldown: s.fireCooldownFraction,
      thrusting: view.world.ships[s.slot]?.thrust === true,
      score: s.score,
      kills: s.kills,
      alive: s.alive,
      connected: s.connected,
      mine: s.own,
    })),
    bullets: snap.bullets.map((b) => ({ x: b.x, y: b.y, mine: b.owner === mySlot })),
    pickups: snap.pickups.map((k) => ({ x: k.x, y: k.y, kind: k.kind === "Health" ? "health" : "score" })),
    blackHoles: snap.blackHoles.map((h) => ({ x: h.x, y: h.y, coreRadius: h.coreRadius })),
  };
}
