// What the renderer draws each animation frame, in arena units (x right, y down, angles
// in radians). Built from the SDK's ArenaClient by `arena.ts`; drawn by `draw.ts`.

import type { PhaseName } from "./hud.js";

export interface SceneShip {
  player: string;
  name: string;
  /** 0xRRGGBB */
  colour: number;
  x: number;
  y: number;
  angle: number;
  /** 0..1 */
  health: number;
  /** Cooldown left, 1 = just used, 0 = ready. */
  thrustCooldown: number;
  fireCooldown: number;
  thrusting: boolean;
  score: number;
  kills: number;
  alive: boolean;
  connected: boolean;
  mine: boolean;
}

export interface Scene {
  width: number;
  height: number;
  tick: number;
  phase: PhaseName;
  secondsLeft: number;
  shipRadius: number;
  bulletRadius: number;
  pickupRadius: number;
  ships: SceneShip[];
  bullets: { x: number; y: number; mine: boolean }[];
  pickups: { x: number; y: number; kind: "health" | "score" }[];
  blackHoles: { x: number; y: number; coreRadius: number }[];
}

/** "#rrggbb" of 0xRRGGBB. */
export function css(colour: number): string {
  return `#${(colour & 0xffffff).toString(16).padStart(6, "0")}`;
}
