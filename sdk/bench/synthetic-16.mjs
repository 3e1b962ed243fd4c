// A synthetic 16-ship recording, in the format of web/tests/bench/frame-bench.ts, for when
// no real one (target/browser/frames-16.jsonl, which needs the Rust binaries) is at hand:
// the fixture match's first keyframe, one hand-encoded delta that seats 16 ships (the
// recorded player among them) and makes them alive, spread, thrusting, turning and (half
// of them) firing in a running match, then deltas of pure prediction (0x00) with new
// intents every 30 frames. Kinematics only: nobody dies, and deltas carry no residuals
// (decoding is lighter than in a real room; advancing and copying, with more bullets, heavier).
//
//   npm run build -w sdk && node sdk/bench/synthetic-16.mjs 600 target/browser/frames-16.jsonl
import { readFileSync, writeFileSync } from "node:fs";
import { decodeKeyframe } from "../dist/index.js";
const replay = JSON.parse(readFileSync(new URL("../fixtures/arena-replay.json", import.meta.url), "utf8"));
const first = replay.frames[0];
const hex = (h) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const world = decodeKeyframe(hex(first.payload));
const { width, height, maxHealth } = world.physics;
const varint = (out, n) => { do { let b = n % 128; n = Math.floor(n / 128); if (n > 0) b |= 0x80; out.push(b); } while (n > 0); };
const zz = (out, n) => varint(out, n >= 0 ? 2 * n : -2 * n - 1);
const toHex = (a) => Buffer.from(a).toString("hex");
const uuid = (i) => i === 0 ? replay.me.replace(/-/g, "") : `00000000000040008000${(i).toString(16).padStart(12, "0")}`;
function intents(out, k) {
  varint(out, 0xffff);
  for (let i = 0; i < 16; i++) { out.push(1 | ((i + k) % 2 === 0 ? 2 : 0) | 4); out.push(((((i * 37 + k * 11) % 255) - 127) & 0xff)); }
}
const d = [15];
varint(d, 16); varint(d, 16);
for (let i = 0; i < 16; i++) { varint(d, i); d.push(1); d.push(...Buffer.from(uuid(i), "hex")); const name = `ship${i}`; varint(d, name.length); d.push(...Buffer.from(name)); varint(d, 0x123456 + i); }
intents(d, 0);
d.push(1 | 2, 2); zz(d, 100000);
varint(d, 0xffff);
for (let i = 0; i < 16; i++) { varint(d, 1 | 2 | 32 | (1 << 10)); zz(d, Math.floor(width * (0.1 + 0.8 * ((i % 4) / 3)))); zz(d, Math.floor(height * (0.1 + 0.8 * (Math.floor(i / 4) / 3)))); zz(d, maxHealth); }
const lines = [JSON.stringify({ player: replay.me }), JSON.stringify({ tick: first.tick, epoch: first.epoch, kind: "keyframe", base: null, payload: first.payload })];
let tick = first.tick;
const frames = Number(process.argv[2] ?? 600);
for (let n = 0; n < frames; n++) {
  let payload;
  if (n === 0) payload = d; else if (n % 30 === 0) { payload = [2]; intents(payload, n / 30); } else payload = [0];
  lines.push(JSON.stringify({ tick: tick + 1, epoch: first.epoch, kind: "delta", base: tick, payload: toHex(payload) }));
  tick += 1;
}
writeFileSync(process.argv[3], lines.join("\n") + "\n");
// Check it applies, and how busy it gets.
const { ArenaView } = await import("../dist/index.js");
const v = ArenaView.fromKeyframe(hex(first.payload)); let maxB = 0;
for (const l of lines.slice(2)) { v.applyDelta(hex(JSON.parse(l).payload)); maxB = Math.max(maxB, v.bullets.length); }
console.log(`${lines.length - 1} frames, ${v.ships().filter((s) => s.alive).length} ships alive, up to ${maxB} bullets, phase ${v.phase}`);
