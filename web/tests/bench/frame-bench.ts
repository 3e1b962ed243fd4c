// `npm run bench -w web`: the numbers of docs/BENCHMARKS.md for the browser side.
//
// 1. The SDK (protocol, session, arena client) minified and gzipped: an esbuild bundle of
//    sdk/src/index.ts.
// 2. Handling one frame in Chromium with 16 ships: a real room (15 bots and a recorder on a
//    private cluster, mode arena-practice so all 16 ships stay alive and their bullets keep
//    flying) is recorded by orrery-view-dump --record, then replayed in Chromium through the
//    page's own frame handling; p50/p99/max over every frame.

import { build } from "esbuild";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Browser } from "../browser.js";
import { Cluster, OUT, ROOT, sleep } from "../harness.js";
import type { RecordedFrame } from "./frame-page.js";

async function sdkSize(): Promise<{ minified: number; gzipped: number }> {
  const out = await build({ entryPoints: [join(ROOT, "sdk", "src", "index.ts")], bundle: true, minify: true, format: "esm", write: false, logLevel: "warning" });
  const code = out.outputFiles[0]?.contents ?? new Uint8Array();
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

async function record(file: string): Promise<{ player: string; frames: RecordedFrame[]; ships: number }> {
  const cluster = await Cluster.start("bench", { gateways: 1, workers: 1 });
  try {
    const base = cluster.url(0);
    const guest = (await (await fetch(`${base}/v1/auth/guest`, { method: "POST", body: "{}" })).json()) as { token: string };
    const created = await fetch(`${base}/v1/rooms`, {
      method: "POST",
      headers: { authorization: `Bearer ${guest.token}`, "content-type": "application/json" },
      body: JSON.stringify({ mode: "arena-practice", max_players: 16 }),
    });
    const { room } = (await created.json()) as { room: number };
    const dump = cluster.spawn("recorder", "orrery-view-dump", ["--gateway", base, "--room", String(room), "--record", file, "--duration-secs", "20"]);
    await sleep(500);
    cluster.spawn("bots", "orrery-bot", ["--gateway", base, "--room", String(room), "--bots", "15", "--duration-secs", "22"]);
    await sleep(21_000);
    await dump.stop(2000);
    const lines = readFileSync(file, "utf8").trim().split("\n");
    const player = (JSON.parse(lines[0] ?? "{}") as { player: string }).player;
    const frames = lines.slice(1).map((l) => JSON.parse(l) as RecordedFrame);
    const views = readFileSync(dump.log, "utf8")
      .split("\n")
      .filter((l) => l.startsWith('{"room"'));
    const ships = Math.max(0, ...views.map((l) => (l.match(/"alive":true/g) ?? []).length));
    const bullets = Math.max(0, ...views.map((l) => (l.match(/"ttl":/g) ?? []).length));
    console.log(`the recorded room: up to ${ships} ships alive and ${bullets} bullets at once`);
    return { player, frames, ships };
  } finally {
    await cluster.stop();
  }
}

function reuse(file: string): { player: string; frames: RecordedFrame[]; ships: number } {
  const lines = readFileSync(file, "utf8").trim().split("\n");
  const player = (JSON.parse(lines[0] ?? "{}") as { player: string }).player;
  return { player, frames: lines.slice(1).map((l) => JSON.parse(l) as RecordedFrame), ships: 16 };
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const size = await sdkSize();
  console.log(`SDK bundle (sdk/src/index.ts, esbuild --minify): ${size.minified} B, gzipped ${size.gzipped} B (${(size.gzipped / 1024).toFixed(1)} KiB)`);
  const file = join(OUT, "frames-16.jsonl");
  // ORRERY_BENCH_REUSE=1 replays the recording of an earlier run (the replay alone is CPU-bound).
  const rec = process.env["ORRERY_BENCH_REUSE"] === "1" && existsSync(file) ? reuse(file) : await record(file);
  console.log(`recorded ${rec.frames.length} frames with up to ${rec.ships} ships (${file})`);
  const page = await build({ entryPoints: [join(ROOT, "web", "tests", "bench", "frame-page.ts")], bundle: true, format: "iife", write: false, logLevel: "warning" });
  const browser = await Browser.launch();
  try {
    // A cross-origin isolated page (COOP + COEP), where performance.now() is precise to 5 µs.
    const script = page.outputFiles[0]?.text ?? "";
    const server = createServer((req, res) => {
      res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
      res.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
      if (req.url === "/bench.js") res.setHeader("content-type", "text/javascript").end(script);
      else res.setHeader("content-type", "text/html").end('<!doctype html><script src="/bench.js"></script>');
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const tab = await browser.context.newPage();
    await tab.goto(`http://127.0.0.1:${port}/`);
    await tab.waitForFunction(() => "runBench" in globalThis);
    const rounds = 6;
    const result = (await tab.evaluate(
      ([player, frames, n]) => (globalThis as unknown as { runBench: (p: string, f: unknown, n: number) => unknown }).runBench(player, frames, n),
      [rec.player, rec.frames, rounds] as const,
    )) as { count: number; p50: number; p99: number; max: number; isolated: boolean; quiet: { p50: number; p99: number; max: number } };
    server.close();
    const clock = result.isolated ? "5 µs clock" : "100 µs clock: not isolated";
    const line = `frame handling in Chromium, ${rec.ships} ships: ${result.count} frames, p50 ${result.p50.toFixed(3)} ms, p99 ${result.p99.toFixed(3)} ms, max ${result.max.toFixed(3)} ms (${clock})`;
    console.log(line);
    const q = result.quiet;
    console.log(`  per frame, fastest of ${rounds - 1} rounds (the machine's preemptions removed): p50 ${q.p50.toFixed(3)} ms, p99 ${q.p99.toFixed(3)} ms, max ${q.max.toFixed(3)} ms`);
    writeFileSync(join(OUT, "bench.json"), JSON.stringify({ sdk: size, frames: rec.frames.length, ships: rec.ships, handling: result }, null, 2));
  } finally {
    await browser.close();
  }
}

await main();
