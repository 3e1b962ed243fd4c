// Test support (not shipped): a fake clock with timers, and a scripted fake WebSocket that
// speaks the real codec.

import { decodeClientMsg, encodeServerMsg } from "../protocol/codec.js";
import type { ClientMsg, ServerMsg } from "../protocol/types.js";
import type { Timers } from "./timers.js";

export class FakeTimers implements Timers {
  private t = 1_000;
  private seq = 0;
  private readonly queue = new Map<number, { at: number; fn: () => void }>();
  /** What random() returns (full jitter: the fraction of the ceiling waited). */
  randomValue = 0.5;

  now(): number {
    return this.t;
  }
  random(): number {
    return this.randomValue;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.queue.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.queue.delete(handle as number);
  }
  /** Move time forward, running due timers in order (including ones they schedule). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.queue) {
        if (entry[1].at <= end && (next === undefined || entry[1].at < next[1].at)) next = entry;
      }
      if (next === undefined) break;
      this.queue.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
  /** When the earliest timer is due (or undefined). */
  nextDue(): number | undefined {
    let min: number | undefined;
    for (const { at } of this.queue.values()) if (min === undefined || at < min) min = at;
    return min;
  }
}

export class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  static reset(): void {
    FakeWebSocket.instances = [];
  }
  static last(): FakeWebSocket {
    const ws = FakeWebSocket.instances.at(-1);
    if (ws === undefined) throw new Error("no socket was opened");
    return ws;
  }

  readyState = 0;
  binaryType = "blob";
  readonly sent: Uint8Array[] = [];
  closedByClient: { code: number | undefined; reason: string | undefined } | undefined;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeWebSocket.instances.push(this);
  }

  send(data: Uint8Array): void {
    if (this.readyState !== 1) throw new Error("InvalidStateError: not open");
    this.sent.push(Uint8Array.from(data));
  }
  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    this.readyState = 3;
  }

  // ---- the server's side ----
  accept(): this {
    this.readyState = 1;
    this.onopen?.({});
    return this;
  }
  serve(msg: ServerMsg): this {
    const bytes = encodeServerMsg(msg);
    this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
    return this;
  }
  raw(data: unknown): this {
    this.onmessage?.({ data });
    return this;
  }
  /** A connection that fails with an error event and no close (node's undici on a refusal). */
  fail(): void {
    this.readyState = 3;
    this.onerror?.({});
  }
  serverClose(code: number, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  /** What the client sent, decoded. */
  messages(): ClientMsg[] {
    return this.sent.map((b) => decodeClientMsg(b));
  }
  /** What the client sent, without the pings. */
  said(): ClientMsg[] {
    return this.messages().filter((m) => m.type !== "Ping");
  }
}

export const PLAYER = "67e55044-10b1-426f-9247-bb680e5fe0c8";

export function welcome(player = PLAYER): ServerMsg {
  return { type: "Welcome", protocol: 1, player, limits: { maxMessageBytes: 1024, messagesPerSecond: 60, messageBurst: 120 } };
}

export function keyframe(room: number, epoch: number, tick: number, ack: number | null = null): ServerMsg {
  return { type: "Frame", frame: { room, epoch, tick, kind: { type: "Keyframe" }, ack, payload: Uint8Array.of(1) } };
}

export function delta(room: number, epoch: number, tick: number, base: number, ack: number | null = null): ServerMsg {
  return { type: "Frame", frame: { room, epoch, tick, kind: { type: "Delta", base }, ack, payload: Uint8Array.of(0) } };
}

export function joined(room: number, lastInput: number | null = null): ServerMsg {
  return { type: "Joined", room, tickHz: 30, lastInput };
}

/** A JWT-shaped token with `sub` and `name` claims (unsigned: the fake server does not check). */
export function fakeToken(sub = PLAYER, name = "ada"): string {
  const b64 = (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${b64('{"alg":"HS256"}')}.${b64(JSON.stringify({ sub, name }))}.sig`;
}
