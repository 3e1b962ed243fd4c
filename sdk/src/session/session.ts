// A game session that survives its connection, like the Rust SDK's (client/src/session.rs):
// reconnect through any of several gateways with exponential backoff and full jitter, resume
// the room from the last frame applied (Join with `resume` = cursor), never hand out a
// duplicate or a delta that does not chain (a gap asks for a keyframe), resend the inputs and
// commands the room has not acknowledged, and give up through a circuit breaker.
//
// Nothing here throws at the caller once connected: bad bytes resync, lost sockets reconnect,
// a room that ends (RoomClosed, Kicked, a refused rejoin) ends calmly, and the breaker reports
// `failed`. Promises (join, command) reject with an OrreryError.

import { OrreryError } from "../errors.js";
import { decodeServerMsg, encodeClientMsg } from "../protocol/codec.js";
import { CloseCode, isFatalClose } from "../protocol/close.js";
import type { ClientMsg, CommandOutcome, ErrorCode, Frame, Joined, Limits, ServerMsg } from "../protocol/types.js";
import { backoffDelay } from "./backoff.js";
import { CircuitBreaker } from "./breaker.js";
import { ClockSync } from "./clock.js";
import { CommandTracker } from "./commands.js";
import { type Cursor, judge } from "./cursor.js";
import { Emitter } from "./events.js";
import { type CreateRoomOptions, type CreatedRoom, createRoom, guestToken, tokenClaims, wsUrl } from "./http.js";
import { InputQueue } from "./inputs.js";
import { Socket } from "./socket.js";
import { type Timers, realTimers } from "./timers.js";

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
  /** Injectable (tests); default globalThis.WebSocket. */
  WebSocket?: typeof WebSocket;
  fetch?: typeof fetch;
  /** Injectable clock, timers and randomness (tests). */
  timers?: Timers;
  /** Where an error thrown by an event listener goes (default: reportError, else rethrown apart). */
  onListenerError?: (error: unknown) => void;
}

export type SessionState = "connected" | "reconnecting" | "closed" | "failed";

export interface SessionEvents {
  /** Only frames that apply in order: a keyframe, or a delta whose base is the cursor's tick. */
  frame(frame: Frame): void;
  joined(joined: Joined): void;
  reconnecting(info: { reason: string; attempt: number }): void;
  resumed(info: { gateway: string; afterMs: number; resent: number }): void;
  /** A delta did not apply (or bytes did not decode); a keyframe was requested. */
  gap(): void;
  /**
   * Every other server message (RoomClosed, Kicked, Queued, Matched, QueueLeft, Error, GoAway,
   * CommandAck); not Welcome and Pong, which the session consumes itself.
   */
  message(msg: ServerMsg): void;
  /** The circuit breaker gave up: error.code === "CircuitOpen". */
  failed(error: OrreryError): void;
  /** The server ended the session for good (a close code not worth a reconnect: kicked, replaced, ...). */
  closed(info: { code: number; reason: string }): void;
}

/** How a join was asked for, so that a reconnect can ask again. */
type JoinAsk = { via: "room" } | { via: "code"; code: string } | { via: "queue"; mode: string; region: string };

interface PendingJoin {
  ask: JoinAsk;
  resolve(joined: Joined): void;
  reject(error: OrreryError): void;
}

/** One socket and what happened on it. */
interface Conn {
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

const RESYNC_RETRY_MS = 2000;
const COMMAND_RETRY_MS = 500;

export class Session {
  private readonly events: Emitter<SessionEvents>;
  private readonly timers: Timers;
  private readonly Ctor: typeof WebSocket;
  private readonly fetchFn: typeof fetch;
  private readonly gateways: string[];
  private readonly token: string;
  private readonly breaker: CircuitBreaker;
  private readonly inputs = new InputQueue();
  private readonly commands: CommandTracker;
  private readonly clockSync: ClockSync;
  private readonly opts: Required<
    Pick<
      SessionOptions,
      "backoffInitialMs" | "backoffMaxMs" | "breakerWindowMs" | "pingIntervalMs" | "welcomeTimeoutMs" | "joinTimeoutMs"
    >
  >;

  private _player: string;
  private _name: string;
  private _state: SessionState = "reconnecting";
  private _room: number | undefined;
  private _cursor: Cursor | undefined;
  /** The room the cursor and the input numbering belong to. */
  private cursorRoom: number | undefined;
  private _limits: Limits | undefined;
  private gatewayIndex: number;
  private conn: Conn | undefined;
  private attempt = 0;
  private lostAt: number | undefined;
  private goAwayMs: number | undefined;
  private leaving = false;
  private pendingJoin: PendingJoin | undefined;
  private resyncOutstanding = false;
  /** A keyframe is wanted and none has come since: even one at the cursor itself applies. */
  private wantKeyframe = false;
  private reconnectTimer: unknown;
  private pingTimer: unknown;
  private resyncTimer: unknown;
  private commandTimer: unknown;
  private joinRetryTimer: unknown;
  private joinRetries = 0;
  private firstConnect: { resolve(): void; reject(e: OrreryError): void } | undefined;
  private lastFailure = "";
  private _duplicates = 0;
  private _malformed = 0;

  /** Get a token (unless given), open the first socket and wait for its Welcome. */
  static async connect(opts: SessionOptions): Promise<Session> {
    if (opts.gateways.length === 0) throw new OrreryError("Http", "no gateway given");
    const fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis);
    let token = opts.token;
    let player = "";
    let name = opts.name;
    let start = 0;
    if (token === undefined) {
      let last: unknown;
      for (const [i, gateway] of opts.gateways.entries()) {
        try {
          const guest = await guestToken(fetchFn, gateway, opts.name);
          token = guest.token;
          player = guest.player;
          name = guest.name;
          start = i;
          break;
        } catch (e) {
          last = e;
        }
      }
      if (token === undefined) {
        throw last instanceof OrreryError ? last : new OrreryError("Http", `no gateway gave a guest token: ${String(last)}`);
      }
    } else {
      const claims = tokenClaims(token);
      player = claims.sub ?? "";
      name ??= claims.name ?? (claims.sub !== undefined ? `player-${claims.sub.replace(/-/g, "").slice(0, 8)}` : "");
    }
    const session = new Session(opts, fetchFn, token, player, name ?? "", start);
    await session.start();
    return session;
  }

  private constructor(opts: SessionOptions, fetchFn: typeof fetch, token: string, player: string, name: string, start: number) {
    const Ctor = opts.WebSocket ?? globalThis.WebSocket;
    if (Ctor === undefined) throw new OrreryError("Closed", "no WebSocket implementation (pass opts.WebSocket)");
    this.Ctor = Ctor;
    this.fetchFn = fetchFn;
    this.gateways = [...opts.gateways];
    this.token = token;
    this._player = player;
    this._name = name;
    this.gatewayIndex = start;
    this.timers = opts.timers ?? realTimers;
    this.events = new Emitter<SessionEvents>(opts.onListenerError);
    this.opts = {
      backoffInitialMs: opts.backoffInitialMs ?? 50,
      backoffMaxMs: opts.backoffMaxMs ?? 5000,
      breakerWindowMs: opts.breakerWindowMs ?? 30_000,
      pingIntervalMs: opts.pingIntervalMs ?? 1000,
      welcomeTimeoutMs: opts.welcomeTimeoutMs ?? 5000,
      joinTimeoutMs: opts.joinTimeoutMs ?? 10_000,
    };
    this.breaker = new CircuitBreaker(opts.breakerFailures ?? 6, this.opts.breakerWindowMs);
    this.clockSync = new ClockSync(() => this.timers.now());
    // Ids start at random: the room remembers a player's recent ids across sessions (a reused token).
    this.commands = new CommandTracker(1 + Math.floor(this.timers.random() * 0x7fff_ffff));
  }

  private start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.firstConnect = { resolve, reject };
      this.open();
    });
  }

  // ---- what callers see --------------------------------------------------------------------

  /** Your player id (from the Welcome). */
  get player(): string {
    return this._player;
  }
  get name(): string {
    return this._name;
  }
  /** The gateway (HTTP base URL) in use, or tried next. */
  get gateway(): string {
    return this.gateways[this.gatewayIndex]!;
  }
  get state(): SessionState {
    return this._state;
  }
  /** The room this session is in (or joining). */
  get room(): number | undefined {
    return this._room;
  }
  /** The (epoch, tick) of the last frame handed out. */
  get cursor(): Cursor | undefined {
    return this._cursor === undefined ? undefined : { ...this._cursor };
  }
  /** Round trip and the server's clock, from Ping/Pong. */
  get clock(): { readonly rttMs: number; serverNowMs(): number } {
    return this.clockSync;
  }
  /** The limits the gateway announced. */
  get limits(): Limits | undefined {
    return this._limits;
  }
  /** Frames dropped because they were at or before the cursor (the server promises none). */
  get duplicates(): number {
    return this._duplicates;
  }
  /** Server messages that did not decode. */
  get malformed(): number {
    return this._malformed;
  }
  /** Inputs sent and not yet acknowledged by the room. */
  get unacked(): number {
    return this.inputs.pending;
  }

  on<K extends keyof SessionEvents>(event: K, listener: SessionEvents[K]): () => void {
    return this.events.on(event, listener);
  }

  /** `POST /v1/rooms` on the gateway in use (then the others). */
  async createRoom(opts: CreateRoomOptions = {}): Promise<CreatedRoom> {
    let last: unknown;
    for (let i = 0; i < this.gateways.length; i++) {
      const gateway = this.gateways[(this.gatewayIndex + i) % this.gateways.length]!;
      try {
        return await createRoom(this.fetchFn, gateway, this.token, opts);
      } catch (e) {
        last = e;
        // A refusal (4xx) is the same everywhere; only a network failure is worth another gateway.
        if (e instanceof OrreryError && / \d{3} /.test(e.message)) break;
      }
    }
    throw last instanceof OrreryError ? last : new OrreryError("Http", String(last));
  }

  /** Take a seat in `room` (resuming from the cursor if it is the same room). */
  join(room: number): Promise<Joined> {
    return this.askJoin({ via: "room" }, room);
  }

  /** Join a private room by its invite code. */
  joinByCode(code: string): Promise<Joined> {
    return this.askJoin({ via: "code", code }, undefined);
  }

  /** Queue -> Queued -> Matched -> Joined. */
  quickPlay(mode: string, region = "any"): Promise<Joined> {
    return this.askJoin({ via: "queue", mode, region }, undefined);
  }

  leaveQueue(): void {
    this.send({ type: "LeaveQueue" });
  }

  /** Send an input; returns its InputSeq. It is resent after a resume until acknowledged. */
  sendInput(payload: Uint8Array): number {
    const seq = this.inputs.push(payload);
    if (this.conn?.joined) this.send({ type: "Input", seq, payload });
    return seq;
  }

  /** Send a command; resolves with its outcome. Resent with the same id after a resume. */
  command(payload: Uint8Array): Promise<CommandOutcome> {
    if (this.ended) return Promise.reject(new OrreryError("Closed", "the session is closed"));
    const { id, outcome } = this.commands.add(payload);
    if (this.conn?.joined) this.send({ type: "Command", id, payload });
    return outcome;
  }

  /** Ask for a keyframe (after a gap, or a payload the game could not apply). */
  resync(): void {
    this.requestResync();
  }

  /** Leave the room for good. The gateway ends the socket; the session opens a fresh one. */
  leave(): void {
    if (this._room === undefined && this.pendingJoin === undefined) return;
    this.endRoom(new OrreryError("Closed", "left the room"));
    if (this.conn?.welcomed) {
      this.leaving = true;
      this.send({ type: "Leave" });
    }
  }

  /** Close the session (the seat is kept for the game's grace period, as on a lost socket). */
  close(): void {
    if (this.ended) return;
    this.shutdown("closed", new OrreryError("Closed", "the session was closed"));
  }

  // ---- connections ---------------------------------------------------------------------------

  private get ended(): boolean {
    return this._state === "closed" || this._state === "failed";
  }

  private open(): void {
    this.timers.clearTimeout(this.reconnectTimer);
    if (this.ended) return;
    const conn: Conn = { socket: undefined, welcomed: false, succeeded: false, joining: false, joined: false, timer: undefined };
    this.conn = conn;
    conn.timer = this.timers.setTimeout(() => this.abandon(conn, "no Welcome in time"), this.opts.welcomeTimeoutMs);
    conn.socket = new Socket(this.Ctor, wsUrl(this.gateway), this.token, {
      message: (bytes) => this.onBytes(conn, bytes),
      malformed: (reason) => this.onMalformed(conn, reason),
      closed: (code, reason) => this.onClose(conn, code, reason),
    });
  }

  /** Give up on a socket that did not answer in time. */
  private abandon(conn: Conn, reason: string): void {
    if (conn !== this.conn) return;
    conn.socket?.close(1000, "");
    this.dropConn(conn);
    if (conn.succeeded) this.lost(reason);
    else this.attemptFailed(reason);
  }

  private dropConn(conn: Conn): void {
    this.timers.clearTimeout(conn.timer);
    this.timers.clearTimeout(this.pingTimer);
    this.timers.clearTimeout(this.joinRetryTimer);
    this.timers.clearTimeout(this.resyncTimer);
    this.resyncOutstanding = false;
    if (this.conn === conn) this.conn = undefined;
  }

  private onClose(conn: Conn, code: number, reason: string): void {
    if (conn !== this.conn) return;
    this.dropConn(conn);
    if (this.ended) return;
    const why = `closed ${code}${reason ? ` (${reason})` : ""}`;
    if (this.leaving) {
      // The gateway ends the socket after a Leave: open a fresh one at once, quietly.
      this.leaving = false;
      this.open();
      return;
    }
    if (isFatalClose(code)) {
      if (code === CloseCode.KICKED && this._room !== undefined) this.endRoom(new OrreryError("Kicked", "kicked from the room"));
      this.shutdown("closed", new OrreryError("Closed", `the server ended the session: ${why}`), { code, reason });
      return;
    }
    if (conn.succeeded) this.lost(why);
    else this.attemptFailed(why);
  }

  /** A working connection is gone: try the next gateway at once (or after a GoAway's delay). */
  private lost(reason: string): void {
    this.lostAt ??= this.timers.now();
    this._state = "reconnecting";
    this.gatewayIndex = (this.gatewayIndex + 1) % this.gateways.length;
    const delay = this.goAwayMs ?? 0;
    this.goAwayMs = undefined;
    this.attempt = 0;
    this.events.emit("reconnecting", { reason, attempt: 1 });
    this.reconnectTimer = this.timers.setTimeout(() => this.open(), delay);
  }

  /** An attempt failed: count it, then the next gateway after a backoff, or give up. */
  private attemptFailed(reason: string): void {
    this.lastFailure = reason;
    if (this.breaker.fail(this.timers.now())) {
      this.fail();
      return;
    }
    this.lostAt ??= this.timers.now();
    this._state = "reconnecting";
    this.gatewayIndex = (this.gatewayIndex + 1) % this.gateways.length;
    const delay = backoffDelay(this.attempt, this.opts.backoffInitialMs, this.opts.backoffMaxMs, () => this.timers.random());
    this.attempt += 1;
    this.events.emit("reconnecting", { reason, attempt: this.attempt + 1 });
    this.reconnectTimer = this.timers.setTimeout(() => this.open(), delay);
  }

  /** The connection works (Welcome, and the room rejoined if there was one). */
  private succeeded(conn: Conn, resent: number): void {
    if (conn.succeeded) return;
    conn.succeeded = true;
    this.timers.clearTimeout(conn.timer);
    this.breaker.succeed();
    this.attempt = 0;
    this._state = "connected";
    if (this.lostAt !== undefined) {
      const afterMs = this.timers.now() - this.lostAt;
      this.lostAt = undefined;
      this.events.emit("resumed", { gateway: this.gateway, afterMs, resent });
    }
    const first = this.firstConnect;
    this.firstConnect = undefined;
    first?.resolve();
  }

  private fail(): void {
    const error = new OrreryError(
      "CircuitOpen",
      `giving up: ${this.breaker.count} failed attempts within ${this.opts.breakerWindowMs} ms; last: ${this.lastFailure}`,
    );
    this.shutdown("failed", error);
    this.events.emit("failed", error);
  }

  private shutdown(state: "closed" | "failed", error: OrreryError, closedBy?: { code: number; reason: string }): void {
    this._state = state;
    for (const t of [this.reconnectTimer, this.pingTimer, this.resyncTimer, this.commandTimer, this.joinRetryTimer]) {
      this.timers.clearTimeout(t);
    }
    const conn = this.conn;
    if (conn !== undefined) {
      this.timers.clearTimeout(conn.timer);
      conn.socket?.close(1000, "");
      this.conn = undefined;
    }
    this.commands.failAll(error);
    const join = this.pendingJoin;
    this.pendingJoin = undefined;
    join?.reject(error);
    const first = this.firstConnect;
    this.firstConnect = undefined;
    first?.reject(error);
    if (closedBy !== undefined) this.events.emit("closed", closedBy);
  }

  private send(msg: ClientMsg): boolean {
    return this.conn?.socket?.send(encodeClientMsg(msg)) ?? false;
  }

  // ---- server messages -----------------------------------------------------------------------

  private onBytes(conn: Conn, bytes: Uint8Array): void {
    if (conn !== this.conn) return;
    let msg: ServerMsg;
    try {
      msg = decodeServerMsg(bytes);
    } catch (e) {
      this.onMalformed(conn, String(e));
      return;
    }
    this.onMessage(conn, msg);
  }

  /** Bytes that are not a v1 ServerMsg: whatever they were, the state may be behind. */
  private onMalformed(conn: Conn, _reason: string): void {
    if (conn !== this.conn) return;
    this._malformed += 1;
    if (conn.joined) {
      this.events.emit("gap");
      this.requestResync();
    }
  }

  private onMessage(conn: Conn, msg: ServerMsg): void {
    switch (msg.type) {
      case "Welcome":
        this.onWelcome(conn, msg.player, msg.limits);
        return;
      case "Joined":
        this.onJoined(conn, msg);
        return;
      case "Frame":
        this.onFrame(conn, msg.frame);
        return;
      case "CommandAck":
        this.commands.settle(msg.id, msg.outcome);
        break;
      case "Pong":
        this.clockSync.pong(msg.clientTimeUs, msg.serverTimeMs);
        return;
      case "Error":
        this.onError(conn, msg.code, msg.message);
        break;
      case "GoAway":
        this.goAwayMs = msg.reconnectAfterMs;
        break;
      case "Matched":
        // The gateway joins the room for us: a Joined (or an Error) follows.
        this.enterRoom(msg.room);
        conn.joining = true;
        conn.joined = false;
        break;
      case "QueueLeft":
        if (this.pendingJoin?.ask.via === "queue" && !conn.joining) {
          const join = this.pendingJoin;
          this.pendingJoin = undefined;
          join.reject(new OrreryError("Closed", "left the matchmaking queue"));
        }
        break;
      case "RoomClosed":
        if (msg.room === this._room) this.endRoom(new OrreryError("RoomClosed", `room ${msg.room} closed`));
        break;
      case "Kicked":
        if (msg.room === this._room) this.endRoom(new OrreryError("Kicked", `kicked from room ${msg.room}`));
        break;
      case "Queued":
        break;
    }
    this.events.emit("message", msg);
  }

  private onWelcome(conn: Conn, player: string, limits: Limits): void {
    if (conn.welcomed) return;
    conn.welcomed = true;
    this._player = player;
    this._limits = limits;
    this.ping(conn);
    if (this.askAgain(conn)) {
      this.timers.clearTimeout(conn.timer);
      conn.timer = this.timers.setTimeout(() => this.abandon(conn, "no answer to the join in time"), this.opts.joinTimeoutMs);
      // A join by code or a queue only starts here: the connection itself works.
      if (this._room === undefined) this.succeeded(conn, 0);
    } else {
      this.succeeded(conn, 0);
    }
  }

  /** Send again what puts this session in its room; false when there is nothing to join. */
  private askAgain(conn: Conn): boolean {
    const ask = this.pendingJoin?.ask;
    if (this._room !== undefined) {
      const resume = this.cursorRoom === this._room ? (this._cursor ?? null) : null;
      conn.joining = this.send({ type: "Join", room: this._room, resume: resume === null ? null : { ...resume } });
    } else if (ask?.via === "code") {
      conn.joining = this.send({ type: "JoinByCode", code: ask.code });
    } else if (ask?.via === "queue") {
      this.send({ type: "Queue", mode: ask.mode, region: ask.region, party: [] });
    } else {
      return false;
    }
    conn.joined = false;
    return true;
  }

  private onJoined(conn: Conn, joined: Joined): void {
    if (this._room !== undefined && joined.room !== this._room) return; // an answer to an older join
    conn.joining = false;
    conn.joined = true;
    this.joinRetries = 0;
    this.timers.clearTimeout(this.joinRetryTimer);
    this.enterRoom(joined.room);
    // Half the gateway's burst for the resend: room for the commands, pings and new inputs.
    const budget = Math.max(1, Math.floor((this._limits?.messageBurst ?? 120) / 2) - this.commands.size);
    const resend = this.inputs.joined(joined.lastInput, budget);
    for (const input of resend) this.send({ type: "Input", seq: input.seq, payload: input.payload });
    for (const command of this.commands.unanswered()) this.send({ type: "Command", id: command.id, payload: command.payload });
    this.succeeded(conn, resend.length);
    this.events.emit("joined", joined);
    const join = this.pendingJoin;
    this.pendingJoin = undefined;
    join?.resolve(joined);
  }

  /** This session is now in (or headed for) `room`; a different room starts afresh. */
  private enterRoom(room: number): void {
    this._room = room;
    if (this.cursorRoom !== room) {
      this.cursorRoom = room;
      this._cursor = undefined;
      this.wantKeyframe = false;
      this.inputs.reset();
    }
  }

  private onFrame(conn: Conn, frame: Frame): void {
    if (!conn.joined || frame.room !== this._room) return;
    switch (judge(this._cursor, frame)) {
      case "duplicate": {
        const atCursor = this._cursor?.epoch === frame.epoch && this._cursor.tick === frame.tick;
        if (!(this.wantKeyframe && frame.kind.type === "Keyframe" && atCursor)) {
          this._duplicates += 1;
          return;
        }
        // The state held is unusable (a resync was asked for): the keyframe replaces it.
        this.wantKeyframe = false;
        this.events.emit("frame", frame);
        return;
      }
      case "gap":
        this.events.emit("gap");
        this.requestResync();
        return;
      case "apply":
        this._cursor = { epoch: frame.epoch, tick: frame.tick };
        if (frame.kind.type === "Keyframe") {
          this.wantKeyframe = false;
          this.resyncOutstanding = false;
          this.timers.clearTimeout(this.resyncTimer);
        }
        if (frame.ack !== null) this.inputs.ack(frame.ack);
        this.events.emit("frame", frame);
    }
  }

  private onError(conn: Conn, code: ErrorCode, message: string): void {
    const queueing = this.pendingJoin?.ask.via === "queue" && this._room === undefined;
    if (conn.joining || queueing) {
      if (code === "RoomUnavailable") {
        // The room has no owner right now (just created, failing over): ask again shortly.
        this.lastFailure = `RoomUnavailable: ${message}`;
        if (this.breaker.fail(this.timers.now())) {
          this.fail();
          return;
        }
        const delay = backoffDelay(this.joinRetries++, Math.max(this.opts.backoffInitialMs, 250), this.opts.backoffMaxMs, () => this.timers.random());
        this.timers.clearTimeout(this.joinRetryTimer);
        this.joinRetryTimer = this.timers.setTimeout(() => {
          if (this.conn === conn) this.askAgain(conn);
        }, delay);
        return;
      }
      if (code !== "NotInRoom") {
        // The room refused us (gone, full, started, kicked; or the queue refused): it ends here.
        conn.joining = false;
        this.endRoom(new OrreryError(code, message));
        this.succeeded(conn, 0);
        return;
      }
    }
    if (code === "RoomUnavailable" && conn.joined && this.commands.size > 0) {
      // "the room did not answer; resend the command": the room applies an id at most once.
      this.timers.clearTimeout(this.commandTimer);
      this.commandTimer = this.timers.setTimeout(() => {
        if (this.conn !== conn || !conn.joined) return;
        for (const c of this.commands.unanswered()) this.send({ type: "Command", id: c.id, payload: c.payload });
      }, COMMAND_RETRY_MS);
    }
  }

  /** The room is over for this session: no rejoin, pending promises fail with `error`. */
  private endRoom(error: OrreryError): void {
    this._room = undefined;
    this._cursor = undefined;
    this.cursorRoom = undefined;
    this.wantKeyframe = false;
    this.inputs.reset();
    this.resyncOutstanding = false;
    this.timers.clearTimeout(this.resyncTimer);
    this.timers.clearTimeout(this.joinRetryTimer);
    if (this.conn !== undefined) {
      this.conn.joined = false;
      this.conn.joining = false;
    }
    this.commands.failAll(error);
    const join = this.pendingJoin;
    this.pendingJoin = undefined;
    join?.reject(error);
  }

  private askJoin(ask: JoinAsk, room: number | undefined): Promise<Joined> {
    if (this.ended) return Promise.reject(new OrreryError("Closed", "the session is closed"));
    const previous = this.pendingJoin;
    this.pendingJoin = undefined;
    previous?.reject(new OrreryError("Closed", "replaced by another join"));
    const promise = new Promise<Joined>((resolve, reject) => {
      this.pendingJoin = { ask, resolve, reject };
    });
    if (room !== undefined) this.enterRoom(room);
    else if (this._room !== undefined) {
      // A join by code or a queue leaves the current room (the gateway does so on the join).
      this._room = undefined;
    }
    const conn = this.conn;
    if (conn?.welcomed) {
      this.timers.clearTimeout(this.joinRetryTimer);
      this.joinRetries = 0;
      this.askAgain(conn);
    }
    return promise;
  }

  // ---- timers --------------------------------------------------------------------------------

  private ping(conn: Conn): void {
    if (conn !== this.conn) return;
    this.send({ type: "Ping", clientTimeUs: this.clockSync.pingTime() });
    this.pingTimer = this.timers.setTimeout(() => this.ping(conn), this.opts.pingIntervalMs);
  }

  /** One Resync outstanding at a time; asked again if no keyframe came within 2 s. */
  private requestResync(): void {
    if (this._room !== undefined) this.wantKeyframe = true;
    const conn = this.conn;
    // Without a joined socket the keyframe after the next Joined serves.
    if (conn === undefined || !conn.joined || this.resyncOutstanding) return;
    this.resyncOutstanding = true;
    this.send({ type: "Resync" });
    this.timers.clearTimeout(this.resyncTimer);
    this.resyncTimer = this.timers.setTimeout(() => {
      this.resyncOutstanding = false;
      if (this.conn === conn) this.requestResync();
    }, RESYNC_RETRY_MS);
  }
}
