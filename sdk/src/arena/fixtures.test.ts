// The Rust-written fixtures of sdk/fixtures/ (arena/tests/client_fixtures.rs), loaded for
// the arena's tests. (No tests here: node runs every *.test.js in its own process, and
// the files that import this one would run them again.)

import { readFileSync } from "node:fs";

/** The parsed JSON of `sdk/fixtures/<name>` (tests run from sdk/dist/arena/). */
export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8")) as T;
}

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface ReplayInput {
  seq: number;
  turn: number;
  thrust: boolean;
  fire: boolean;
  bytes: string;
}

export interface ReplayFrame {
  epoch: number;
  tick: number;
  kind: "keyframe" | "delta";
  base: number | null;
  ack: number | null;
  payload: string;
  hash: string;
  view?: string;
  input: ReplayInput;
}

export interface Replay {
  me: string;
  input_latency_ticks: number;
  canonical_every: number;
  frames: ReplayFrame[];
}

let replay: Replay | undefined;

/** The recorded match (parsed once). */
export function loadReplay(): Replay {
  replay ??= loadFixture<Replay>("arena-replay.json");
  return replay;
}
