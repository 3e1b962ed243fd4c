// A private Orrery of real processes for the browser tests: the debug binaries cargo built
// (orrery-gateway, orrery-worker, orrery-view-dump), their own NATS/Redis prefix and their
// own PostgreSQL database, free ports on 127.0.0.1, the page served by every gateway.
// `stop()` ends every process and drops the database, whatever happened; a process exit
// hook kills whatever is left.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const OUT = join(ROOT, "target", "browser");
const BIN = process.env["ORRERY_BIN_DIR"] ?? join(ROOT, "target", "debug");
const POSTGRES = process.env["ORRERY_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432";
const NATS = process.env["ORRERY_TEST_NATS"] ?? "nats://127.0.0.1:4222";
const REDIS = process.env["ORRERY_TEST_REDIS"] ?? "redis://127.0.0.1:6379";
const SECRET = "browser-test-secret-0123456789abcdef";

const everyChild = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of everyChild) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `probe` every `everyMs` until it returns a value other than undefined/false, or fail after `limitMs`. */
export async function until<T>(what: string, limitMs: number, probe: () => Promise<T | undefined | false> | T | undefined | false, everyMs = 50): Promise<T> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}`);
    await sleep(everyMs);
  }
}

export class Proc {
  readonly child: ChildProcess;
  constructor(
    readonly name: string,
    readonly port: number,
    program: string,
    args: string[],
    readonly log: string,
    env: Record<string, string> = {},
  ) {
    const out = createWriteStream(log, { flags: "w" });
    this.child = spawn(program, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout?.pipe(out);
    this.child.stderr?.pipe(out);
    everyChild.add(this.child);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** `kill -9`, and wait until it is gone. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    const gone = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGKILL");
    await gone;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    const gone = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await gone;
    clearTimeout(timer);
  }
}

function psql(database: string, sql: string): string {
  return execFileSync("psql", [`${POSTGRES}/${database}`, "-qtAc", sql], { encoding: "utf8", timeout: 10_000 }).trim();
}

export interface ClusterOptions {
  gateways?: number;
  workers?: number;
}

export class Cluster {
  readonly prefix = `web${Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, "0")}`;
  readonly database = `orrery_${this.prefix}`;
  readonly logs: string;
  readonly gateways: Proc[] = [];
  readonly workers: Proc[] = [];
  private readonly extra: Proc[] = [];

  private constructor(name: string) {
    this.logs = join(OUT, "logs", name);
    mkdirSync(this.logs, { recursive: true });
  }

  /** Start `workers` workers and `gateways` gateways serving web/dist; wait until all are ready. */
  static async start(name: string, opts: ClusterOptions = {}): Promise<Cluster> {
    const c = new Cluster(name);
    try {
      psql("postgres", `CREATE DATABASE ${c.database}`);
      const common = ["--nats-url", NATS, "--redis-url", REDIS, "--database-url", `${POSTGRES}/${c.database}`, "--prefix", c.prefix, "--log", "info"];
      for (let i = 0; i < (opts.workers ?? 2); i++) {
        const port = await freePort();
        const args = [...common, "--ops-listen", `127.0.0.1:${port}`, "--worker-id", `worker-${i}`];
        c.workers.push(new Proc(`worker-${i}`, port, join(BIN, "orrery-worker"), args, join(c.logs, `worker-${i}.log`)));
      }
      const ports: number[] = [];
      const opsPorts: number[] = [];
      for (let i = 0; i < (opts.gateways ?? 2); i++) {
        ports.push(await freePort());
        opsPorts.push(await freePort());
      }
      const urls = ports.map((p) => `http://127.0.0.1:${p}`);
      const secretFile = join(c.logs, "jwt-secret");
      writeFileSync(secretFile, SECRET);
      ports.forEach((port, i) => {
        const args = [
          ...common,
          "--listen",
          `127.0.0.1:${port}`,
          "--ops-listen",
          `127.0.0.1:${opsPorts[i]}`,
          // Every page and bot of the tests comes from 127.0.0.1.
          "--quota-guest-token-burst",
          "100000",
          "--quota-guest-tokens-per-minute",
          "100000",
          "--quota-sockets-per-address",
          "100000",
          "--jwt-secret-file",
          secretFile,
          "--web-dir",
          join(ROOT, "web", "dist"),
          "--web-peers",
          urls.join(","),
          "--allowed-origins",
          urls.join(","),
        ];
        c.gateways.push(new Proc(`gateway-${i}`, port, join(BIN, "orrery-gateway"), args, join(c.logs, `gateway-${i}.log`)));
      });
      for (const p of [...c.workers, ...c.gateways]) {
        await until(`${p.name} ready (see ${p.log})`, 30_000, async () => {
          if (!p.running) throw new Error(`${p.name} exited; see ${p.log}`);
          const r = await fetch(`http://127.0.0.1:${p.port}/readyz`).catch(() => undefined);
          return r?.status === 200;
        }, 100);
      }
      return c;
    } catch (e) {
      await c.stop();
      throw e;
    }
  }

  url(gateway: number): string {
    return `http://127.0.0.1:${this.gateways[gateway]?.port ?? 0}`;
  }

  /** The worker that owns `room` now (PostgreSQL `rooms.owner`, the id it claimed with). */
  owner(room: number): Proc | undefined {
    const id = psql(this.database, `SELECT owner FROM rooms WHERE id = ${Math.trunc(room)}`);
    return this.workers.find((w) => w.name === id);
  }

  epoch(room: number): number {
    return Number(psql(this.database, `SELECT epoch FROM rooms WHERE id = ${Math.trunc(room)}`));
  }

  /** Start another program of the cluster (the Rust view dumper), stopped with the rest. */
  spawn(name: string, binary: string, args: string[]): Proc {
    const p = new Proc(name, 0, join(BIN, binary), args, join(this.logs, `${name}.log`));
    this.extra.push(p);
    return p;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.extra, ...this.gateways].map((p) => p.stop(5000)));
    await Promise.all(this.workers.map((p) => p.stop(8000)));
    try {
      psql("postgres", `DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`);
    } catch {
      // Nothing to drop, or PostgreSQL is gone: the test already failed for it.
    }
  }
}
