// The connection lifecycle: one socket at a time to the gateways in turn, its Welcome, the
// reconnect loop (exponential backoff with full jitter after a failed attempt, at once after
// losing a working socket, or after a GoAway's delay), the circuit breaker that gives up, the
// Ping loop, and the end of the session (closed or failed).
//
// What the socket carries, and what rejoining a room means, belong to the session's other
// parts: they are reached through `ReconnectorHost`.

import { OrreryError } from "../errors.js";
import { encodeClientMsg } from "../protocol/codec.js";
import { CloseCode, isFatalClose } from "../protocol/close.js";
import type { ClientMsg, Limits } from "../protocol/types.js";
import { backoffDelay } from "./backoff.js";
import { CircuitBreaker } from "./breaker.js";
import type { ClockSync } from "./clock.js";
import type { Emitter, SessionEvents } from "./events.js";
import { wsUrl } from "./http.js";
import type { SessionConfig } from "./options.js";
import { Socket } from "./socket.js";
import type { Timers } from "./timers.js";

export type SessionState = "connected" | "reconnecting" | "closed" | "failed";

/** One socket and what happened on it. */
export interface Conn {
  socket: Socket | undefined;
  welcomed: boolean;
  /** The attempt this socket stands for has succeeded (it counts as connected). */
  succeeded: boolean;
  /** A Join (or JoinByCode, or a Matched) is awaiting its Joined on this socket. */
  joining: boolean;
  /** Joined for the current room on this socket: frames and inputs flow. */
  joined: boolean;
  timer: unknown;
}

/** What the connection needs from the rest of the session. */
export interface ReconnectorHost {
  /** Bytes arrived on the socket in use. */
  bytes(conn: Conn, bytes: Uint8Array): void;
  /** Something that is not bytes arrived on the socket in use. */
  malformed(conn: Conn): void;
  /** Welcomed: send again what puts the session in its room; false when there is nothing to join. */
  rejoin(conn: Conn): boolean;
  /** Whether the session is in (or headed for) a known room. */
  inRoom(): boolean;
  /** The socket in use is gone: what only made sense on it stops. */
  dropped(): void;
  /** The server closed the socket with KICKED. */
  kicked(): void;
  /** The session is over: whatever is pending fails with `error`. */
  ended(error: OrreryError): void;
}

/** Where to connect and as whom. */
export interface Link {
  WebSocket: typeof WebSocket;
  gateways: string[];
  token: string;
  player: string;
  /** The gateway to try first. */
  start: number;
}

export class Reconnector {
  readonly #breaker: CircuitBreaker;
  /** Commands a joined socket let go unanswered past the ack patience; only an answer clears it. */
  readonly #hung: CircuitBreaker;
  #gatewayIndex: number;
  #state: SessionState = "reconnecting";
  #conn: Conn | undefined;
  #player: string;
  #limits: Limits | undefined;
  #attempt = 0;
  #lostAt: number | undefined;
  #goAwayMs: number | undefined;
  #leaving = false;
  #reconnectTimer: unknown;
  #pingTimer: unknown;
  #firstConnect: { resolve(): void; reject(e: OrreryError): void } | undefined;
  #lastFailure = "";

  readonly #link: Link;
  readonly #timers: Timers;
  readonly #settings: SessionConfig;
  readonly #events: Emitter<SessionEvents>;
  readonly #clock: ClockSync;
  readonly #host: ReconnectorHost;

  constructor(link: Link, timers: Timers, settings: SessionConfig, events: Emitter<SessionEvents>, clock: ClockSync, host: ReconnectorHost) {
    this.#link = link;
    this.#timers = timers;
    this.#settings = settings;
    this.#events = events;
    this.#clock = clock;
    this.#host = host;
    this.#gatewayIndex = link.start;
    this.#player = link.player;
    this.#breaker = new CircuitBreaker(settings.breakerFailures, settings.breakerWindowMs);
    this.#hung = new CircuitBreaker(settings.breakerFailures, settings.breakerWindowMs);
  }

  /** Open the first socket; resolves once it works (or fails like the session). */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#firstConnect = { resolve, reject };
      this.#open();
    });
  }

  get state(): SessionState {
    return this.#state;
  }
  get ended(): boolean {
    return this.#state === "closed" || this.#state === "failed";
  }
  /** The socket in use (or being opened). */
  get conn(): Conn | undefined {
    return this.#conn;
  }
  /** The player id: from the token, then from the Welcome. */
  get player(): string {
    return this.#player;
  }
  get limits(): Limits | undefined {
    return this.#limits;
  }
  /** The gateway (HTTP base URL) in use, or tried next. */
  get gateway(): string {
    return this.#link.gateways[this.#gatewayIndex]!;
  }
  /** Every gateway, starting with the one in use. */
  gatewaysInTurn(): string[] {
    const g = this.#link.gateways;
    return g.map((_, i) => g[(this.#gatewayIndex + i) % g.length]!);
  }

  send(msg: ClientMsg): boolean {
    return this.#conn?.socket?.send(encodeClientMsg(msg)) ?? false;
  }

  /** The gateway ends the socket after a Leave: the next close opens a fresh one, quietly. */
  expectClose(): void {
    this.#leaving = true;
  }

  /** A GoAway: reconnect after this delay when the socket closes. */
  goAway(reconnectAfterMs: number): void {
    this.#goAwayMs = reconnectAfterMs;
  }

  welcome(conn: Conn, player: string, limits: Limits): void {
    if (conn.welcomed) return;
    conn.welcomed = true;
    this.#player = player;
    this.#limits = limits;
    this.#ping(conn);
    if (this.#host.rejoin(conn)) {
      this.#timers.clearTimeout(conn.timer);
      conn.timer = this.#timers.setTimeout(() => this.#abandon(conn, "no answer to the join in time"), this.#settings.joinTimeoutMs);
      // A join by code or a queue only starts here: the connection itself works.
      if (!this.#host.inRoom()) this.succeeded(conn, 0);
    } else {
      this.succeeded(conn, 0);
    }
  }

  /** The connection works (Welcome, and the room rejoined if there was one). */
  succeeded(conn: Conn, resent: number): void {
    if (conn.succeeded) return;
    conn.succeeded = true;
    this.#timers.clearTimeout(conn.timer);
    this.#breaker.succeed();
    this.#attempt = 0;
    this.#state = "connected";
    if (this.#lostAt !== undefined) {
      const afterMs = this.#timers.now() - this.#lostAt;
      this.#lostAt = undefined;
      this.#events.emit("resumed", { gateway: this.gateway, afterMs, resent });
    }
    const first = this.#firstConnect;
    this.#firstConnect = undefined;
    first?.resolve();
  }

  /** Count a failure for the breaker; true when it opened (the session has failed). */
  countFailure(reason: string): boolean {
    this.#lastFailure = reason;
    if (!this.#breaker.fail(this.#timers.now())) return false;
    this.#fail();
    return true;
  }

  close(): void {
    if (this.ended) return;
    this.#shutdown("closed", new OrreryError("Closed", "the session was closed"));
  }

  #open(): void {
    this.#timers.clearTimeout(this.#reconnectTimer);
    if (this.ended) return;
    const conn: Conn = { socket: undefined, welcomed: false, succeeded: false, joining: false, joined: false, timer: undefined };
    this.#conn = conn;
    conn.timer = this.#timers.setTimeout(() => this.#abandon(conn, "no Welcome in time"), this.#settings.welcomeTimeoutMs);
    conn.socket = new Socket(this.#link.WebSocket, wsUrl(this.gateway), this.#link.token, {
      message: (bytes) => {
        if (conn === this.#conn) this.#host.bytes(conn, bytes);
      },
      malformed: () => {
        if (conn === this.#conn) this.#host.malformed(conn);
      },
      closed: (code, reason) => this.#onClose(conn, code, reason),
    });
  }

  /**
   * A joined socket let a command go unanswered past its patience (a hung gateway): the next
   * gateway, and resume. Counted apart from failed attempts, because the next join succeeds
   * and would forgive it: gateways that seat a session but never answer its commands open
   * the circuit like dead ones.
   */
  commandHung(conn: Conn): void {
    if (conn !== this.#conn) return;
    const reason = "no answer to a command in time";
    if (this.#hung.fail(this.#timers.now())) {
      this.#lastFailure = reason;
      this.#fail(this.#hung.count);
      return;
    }
    this.#abandon(conn, reason);
  }

  /** The room answered a command: the path to it works. */
  commandAnswered(): void {
    this.#hung.succeed();
  }

  /** Give up on a socket that did not answer in time. */
  #abandon(conn: Conn, reason: string): void {
    if (conn !== this.#conn) return;
    conn.socket?.close(1000, "");
    this.#drop(conn);
    if (conn.succeeded) this.#lost(reason);
    else this.#attemptFailed(reason);
  }

  #drop(conn: Conn): void {
    this.#timers.clearTimeout(conn.timer);
    this.#timers.clearTimeout(this.#pingTimer);
    this.#host.dropped();
    if (this.#conn === conn) this.#conn = undefined;
  }

  #onClose(conn: Conn, code: number, reason: string): void {
    if (conn !== this.#conn) return;
    this.#drop(conn);
    if (this.ended) return;
    const why = `closed ${code}${reason ? ` (${reason})` : ""}`;
    if (this.#leaving) {
      this.#leaving = false;
      this.#open();
      return;
    }
    if (isFatalClose(code)) {
      if (code === CloseCode.KICKED) this.#host.kicked();
      this.#shutdown("closed", new OrreryError("Closed", `the server ended the session: ${why}`), { code, reason });
      return;
    }
    if (conn.succeeded) this.#lost(why);
    else this.#attemptFailed(why);
  }

  /** A working connection is gone: try the next gateway at once (or after a GoAway's delay). */
  #lost(reason: string): void {
    this.#lostAt ??= this.#timers.now();
    this.#state = "reconnecting";
    this.#gatewayIndex = (this.#gatewayIndex + 1) % this.#link.gateways.length;
    const delay = this.#goAwayMs ?? 0;
    this.#goAwayMs = undefined;
    this.#attempt = 0;
    this.#events.emit("reconnecting", { reason, attempt: 1 });
    this.#reconnectTimer = this.#timers.setTimeout(() => this.#open(), delay);
  }

  /** An attempt failed: count it, then the next gateway after a backoff, or give up. */
  #attemptFailed(reason: string): void {
    if (this.countFailure(reason)) return;
    this.#lostAt ??= this.#timers.now();
    this.#state = "reconnecting";
    this.#gatewayIndex = (this.#gatewayIndex + 1) % this.#link.gateways.length;
    const delay = backoffDelay(this.#attempt, this.#settings.backoffInitialMs, this.#settings.backoffMaxMs, () => this.#timers.random());
    this.#attempt += 1;
    this.#events.emit("reconnecting", { reason, attempt: this.#attempt + 1 });
    this.#reconnectTimer = this.#timers.setTimeout(() => this.#open(), delay);
  }

  #fail(failures = this.#breaker.count): void {
    const error = new OrreryError(
      "CircuitOpen",
      `giving up: ${failures} failed attempts within ${this.#settings.breakerWindowMs} ms; last: ${this.#lastFailure}`,
    );
    this.#shutdown("failed", error);
    this.#events.emit("failed", error);
  }

  #shutdown(state: "closed" | "failed", error: OrreryError, closedBy?: { code: number; reason: string }): void {
    this.#state = state;
    this.#timers.clearTimeout(this.#reconnectTimer);
    this.#timers.clearTimeout(this.#pingTimer);
    const conn = this.#conn;
    if (conn !== undefined) {
      this.#timers.clearTimeout(conn.timer);
      conn.socket?.close(1000, "");
      this.#conn = undefined;
    }
    this.#host.ended(error);
    const first = this.#firstConnect;
    this.#firstConnect = undefined;
    first?.reject(error);
    if (closedBy !== undefined) this.#events.emit("closed", closedBy);
  }

  #ping(conn: Conn): void {
    if (conn !== this.#conn) return;
    this.send({ type: "Ping", clientTimeUs: this.#clock.pingTime() });
    this.#pingTimer = this.#timers.setTimeout(() => this.#ping(conn), this.#settings.pingIntervalMs);
  }
}
