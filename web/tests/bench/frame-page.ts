// Runs in Chromium (bundled by frame-bench.ts): replays a recorded room through the page's
// own frame handling (PageArena: decode, advance, reconcile with the predictor) and
// returns its timings. An input is "sent" every tick and acknowledged two ticks later, so
// the predictor replays two pending inputs on every frame, as it does when playing.

import { PageArena } from "../../src/arena.js";
import { createDebug } from "../../src/debug.js";
import { Timings } from "../../src/timings.js";

export interface RecordedFrame {
  tick: number;
  epoch: number;
  kind: "keyframe" | "delta";
  base: number | null;
  payload: string;
}

function bytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function runBench(
  player: string,
  recorded: RecordedFrame[],
  rounds: number,
): { count: number; p50: number; p99: number; max: number; isolated: boolean } {
  const frames = recorded.map((f) => ({ ...f, bytes: bytes(f.payload) }));
  const debug = createDebug();
  for (let round = 0; round < rounds; round++) {
    let listener: ((frame: unknown) => void) | undefined;
    let seq = 0;
    const session = {
      player,
      cursor: undefined,
      on: (event: string, l: (frame: unknown) => void) => {
        if (event === "frame") listener = l;
        return () => {};
      },
      resync: () => {
        throw new Error("a recorded frame did not apply");
      },
      sendInput: () => ++seq,
    };
    const arena = new PageArena(session as never, debug);
    // Warm-up rounds are not counted.
    if (round === 1) debug.frameTimings = new Timings(1 << 20);
    for (const f of frames) {
      arena.sendIntent({ turn: (seq % 7) / 7 - 0.5, thrust: seq % 3 === 0, fire: seq % 4 === 0 });
      const kind = f.kind === "keyframe" ? { type: "Keyframe" } : { type: "Delta", base: f.base };
      listener?.({ room: 1, epoch: f.epoch, tick: f.tick, kind, ack: Math.max(0, seq - 2), payload: f.bytes });
    }
    arena.stop();
  }
  // performance.now() is precise to 5 µs only in a cross-origin isolated page (100 µs otherwise).
  return { ...debug.frameTimings.summary(), isolated: globalThis.crossOriginIsolated === true };
}

(globalThis as { runBench?: typeof runBench }).runBench = runBench;
