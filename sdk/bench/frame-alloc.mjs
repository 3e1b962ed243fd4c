// Bytes allocated and time per arena frame, in Node (the same V8 as Chromium): the recorded
// match (sdk/fixtures/arena-replay.json) replayed as the page's benchmark replays frames
// (web/tests/bench/frame-page.ts): an ArenaClient without inputs of its own, an intent sent
// before every frame and acknowledged two frames later, so two inputs are replayed per frame.
//
//   npm run build -w sdk
//   node --expose-gc --min-semi-space-size=256 --max-semi-space-size=256 sdk/bench/frame-alloc.mjs alloc  # bytes/frame
//   node sdk/bench/frame-alloc.mjs time                                                                   # p50/p99/max
//
// Arguments: mode (alloc | time), measured rounds (5; one more is run first, not counted),
// and optionally a recording in the format of web/tests/bench/frame-bench.ts
// (target/browser/frames-16.jsonl: a line {"player"}, then one {tick, epoch, kind, base,
// payload} per frame) instead of the fixture. ONE_CLIENT=1: one client for every round (each
// round then starts with a keyframe into a client that lives on, as after a resync).
import { readFileSync } from "node:fs";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { ArenaClient } from "../dist/index.js";

const mode = process.argv[2] ?? "alloc";
const rounds = Number(process.argv[3] ?? 5);
const replay = process.argv[4] === undefined ? JSON.parse(readFileSync(new URL("../fixtures/arena-replay.json", import.meta.url), "utf8")) : jsonl(process.argv[4]);
function jsonl(path) {
  const [head, ...lines] = readFileSync(path, "utf8").trim().split("\n");
  return { me: JSON.parse(head).player, frames: lines.map((l) => JSON.parse(l)) };
}
const hex = (h) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const frames = replay.frames.map((f) => ({
  room: 1,
  epoch: f.epoch,
  tick: f.tick,
  kind: f.kind === "keyframe" ? { type: "Keyframe" } : { type: "Delta", base: f.base },
  payload: hex(f.payload),
}));
const intents = [0, 1, 2, 3, 4, 5, 6].map((s) => ({ turn: s / 7 - 0.5, thrust: s % 3 === 0, fire: s % 4 === 0 }));

let gcs = 0;
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ["gc"] });
const settle = () => new Promise((r) => setTimeout(r, 0));

const times = [];
let bytes = 0;
let counted = 0;
let gcsDuring = 0;
let listener;
let seq = 0;
let client;
for (let round = 0; round <= rounds; round++) {
  const session = {
    player: replay.me,
    on: (event, l) => ((event === "frame" ? (listener = l) : undefined), () => {}),
    resync: () => {
      throw new Error("a recorded frame did not apply");
    },
    sendInput: () => ++seq,
  };
  if (client === undefined || process.env.ONE_CLIENT !== "1") {
    seq = 0;
    client = new ArenaClient(session, { inputEveryFrame: false });
  }
  // The envelopes are built here, outside the measured span, as the session builds them.
  const envelopes = frames.map((f) => ({ ...f, ack: 0 }));
  for (let start = 0; start < frames.length; start += 500) {
    const end = Math.min(start + 500, frames.length);
    // Measuring bytes: start each span from an empty young generation. Timing: let the
    // collections fall where they fall, as on the page.
    if (mode === "alloc") {
      globalThis.gc();
      await settle();
    }
    const gcsBefore = gcs;
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = start; i < end; i++) {
      client.sendIntent(intents[seq % 7]);
      const env = envelopes[i];
      env.ack = Math.max(0, seq - 2);
      if (mode === "time") {
        const t = performance.now();
        listener(env);
        if (round > 0) times.push(performance.now() - t);
      } else listener(env);
    }
    const heapAfter = process.memoryUsage().heapUsed;
    if (mode === "alloc") await settle();
    if (round > 0) {
      gcsDuring += gcs - gcsBefore;
      bytes += heapAfter - heapBefore;
      counted += end - start;
    }
  }
  if (client.stats.decodeErrors !== 0) throw new Error("a frame was refused");
}
const q = (s, p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
if (mode === "time") {
  times.sort((a, b) => a - b);
  await settle();
  const slow = times.filter((t) => t > 0.2).length;
  console.log(`${times.length} frames: p50 ${q(times, 0.5).toFixed(4)} ms, p99 ${q(times, 0.99).toFixed(4)} ms, max ${times[times.length - 1].toFixed(3)} ms; ${slow} frames over 0.2 ms; ${gcs} collections in ${rounds + 1} rounds`);
} else {
  const note = gcsDuring === 0 ? "no collection during the measured spans" : `${gcsDuring} collections during the spans: undercounted, raise --max-semi-space-size`;
  console.log(`${counted} frames: ${(bytes / counted).toFixed(0)} bytes allocated per frame (${note})`);
}
