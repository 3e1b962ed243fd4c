// What a Session can be told (SessionOptions), and the settings it runs with once the
// defaults are filled in.

import type { Timers } from "./timers.js";

export interface SessionOptions {
  /** HTTP base URLs, e.g. "http://127.0.0.1:8080"; the socket is ws(s)://host/v1/ws. */
  gateways: string[];
  /** Else POST /v1/auth/guest {name} on the first gateway that answers. */
  token?: string;
  name?: string;
  /** 50 ms, doubling with full jitter up to backoffMaxMs (5000). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** 6 failed attempts within breakerWindowMs (30000) open the circuit. */
  breakerFailures?: number;
  breakerWindowMs?: number;
  /** 1000: clock sync (and keep-alive). */
  pingIntervalMs?: number;
  /** A connection attempt fails without a Welcome within this time (5000). */
  welcomeTimeoutMs?: number;
  /** A (re)join fails without an answer within this time (10000). */
  joinTimeoutMs?: number;
  /**
   * A command sent and not answered (CommandAck, or RoomUnavailable) within this time means
   * the gateway hangs: the socket is given up, and the command goes again, with its id,
   * through the next gateway (3000; a working gateway answers within 2 s).
   */
  ackPatienceMs?: number;
  /** Injectable (tests); default globalThis.WebSocket. */
  WebSocket?: typeof WebSocket;
  fetch?: typeof fetch;
  /** Injectable clock, timers and randomness (tests). */
  timers?: Timers;
  /** Where an error thrown by an event listener goes (default: reportError, else rethrown apart). */
  onListenerError?: (error: unknown) => void;
}

/** The timings a session runs with. */
export type SessionConfig = Required<
  Pick<
    SessionOptions,
    | "backoffInitialMs"
    | "backoffMaxMs"
    | "breakerFailures"
    | "breakerWindowMs"
    | "pingIntervalMs"
    | "welcomeTimeoutMs"
    | "joinTimeoutMs"
    | "ackPatienceMs"
  >
>;

export function sessionConfig(opts: SessionOptions): SessionConfig {
  return {
    backoffInitialMs: opts.backoffInitialMs ?? 50,
    backoffMaxMs: opts.backoffMaxMs ?? 5000,
    breakerFailures: opts.breakerFailures ?? 6,
    breakerWindowMs: opts.breakerWindowMs ?? 30_000,
    pingIntervalMs: opts.pingIntervalMs ?? 1000,
    welcomeTimeoutMs: opts.welcomeTimeoutMs ?? 5000,
    joinTimeoutMs: opts.joinTimeoutMs ?? 10_000,
    ackPatienceMs: opts.ackPatienceMs ?? 3000,
  };
}
