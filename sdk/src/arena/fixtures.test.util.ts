// Test support (not shipped, not a test itself): the arena's Rust-written fixtures
// (arena/tests/client_fixtures.rs), above all the recorded match, for the arena's tests.

import { loadFixture } from "../fixtures.test.util.js";

export { fromHex, loadFixture, toHex } from "../fixtures.test.util.js";

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
