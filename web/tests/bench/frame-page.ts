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
): { count: number; p50: number; p99: number; max: number; isolated: boolean; quiet: { p50: number; p99: number; max: number } } {
  const frames = recorded.map((f) => ({ ...f, bytes: bytes(f.payload) }));
  const debug = createDebug();
  // Per frame, the fastest of the measured rounds: every round handles the same frames from
  // the same state, so the minimum is the frame's own cost without the preemptions of a
  // busy machine (which the plain percentiles include).
  const fastest = new Array<number>(frames.length).fill(Infinity);
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
    for (const [i, f] of frames.entries()) {
      arena.sendIntent({ turn: (seq % 7) / 7 - 0.5, thrust: seq % 3 === 0, fire: seq % 4 === 0 });
      const kind = f.kind === "keyframe" ? { type: "Keyframe" } : { type: "Delta", base: f.base };
      const before = debug.frameTimings.total;
      listener?.({ room: 1, epoch: f.epoch, tick: f.tick, kind, ack: Math.max(0, seq - 2), payload: f.bytes });
      if (round > 0 && debug.frameTimings.total > before) fastest[i] = Math.min(fastest[i] ?? Infinity, debug.frameTimings.last);
    }
    arena.stop();
  }
  // performance.now() is precise to 5 µs only in a cross-origin isolated page (100 µs otherwise).
  const quiet = new Timings(frames.length);
  for (const t of fastest) if (Number.isFinite(t)) quiet.add(t);
  const { p50, p99, max } = quiet.summary();
  return { ...debug.frameTimings.summary(), isolated: globalThis.crossOriginIsolated === true, quiet: { p50, p99, max } };
}

(globalThis as { runBench?: typeof runBench }).runBench = runBench;
