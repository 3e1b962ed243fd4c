// A game session that survives its connection, like the Rust SDK's (client/src/session.rs):
// reconnect through any of several gateways with exponential backoff and full jitter, resume
// the room from the last frame applied (Join with `resume` = cursor), never hand out a
// duplicate or a delta that does not chain (a gap asks for a keyframe), resend the inputs and
// commands the room has not acknowledged, and give up through a circuit breaker.
//
// Nothing here throws at the caller once connected: bad bytes resync, lost sockets reconnect,
// a room that ends (RoomClosed, Kicked, a refused rejoin) ends calmly, and the breaker reports
// `failed`. Promises (join, command) reject with an OrreryError.
//
// This file is the public face and routes each server message to the part that owns it:
// reconnect.ts (sockets, reconnects, breaker, pings), membership.ts (joining and leaving
// rooms, matchmaking), frames.ts (the cursor, gaps, Resync), inputs.ts and commands.ts.

import { OrreryError } from "../errors.js";
import { decodeServerMsg } from "../protocol/codec.js";
import type { CommandOutcome, Joined, Limits, ServerMsg, Watching } from "../protocol/types.js";
import { ClockSync } from "./clock.js";
import { Commands } from "./commands.js";
import { type Conn, Reconnector, type SessionState } from "./reconnect.js";
import type { Cursor } from "./cursor.js";
import { Emitter, type SessionEvents } from "./events.js";
import { FrameOrder } from "./frames.js";
import { type CreateRoomOptions, type CreatedRoom, type Invite, createRoomOnAny, guestTokenFromAny, lookupInvite, onAny, tokenClaims } from "./http.js";
import { InputQueue } from "./inputs.js";
import { Membership } from "./membership.js";
import { type SessionOptions, sessionConfig } from "./options.js";
import { type Timers, realTimers } from "./timers.js";

export type { SessionEvents } from "./events.js";
export type { SessionOptions } from "./options.js";
export type { SessionState } from "./reconnect.js";

export class Session {
  readonly #events: Emitter<SessionEvents>;
  readonly #timers: Timers;
  readonly #fetchFn: typeof fetch;
  readonly #token: string;
  readonly #inputs = new InputQueue();
  readonly #clockSync: ClockSync;
  readonly #reconnector: Reconnector;
  readonly #commands: Commands;
  readonly #frames: FrameOrder;
  readonly #membership: Membership;
  readonly #name: string;
  #malformed = 0;

  /** Get a token (unless given), open the first socket and wait for its Welcome. */
  static async connect(opts: SessionOptions): Promise<Session> {
    if (opts.gateways.length === 0) throw new OrreryError("Http", "no gateway given");
    const fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis);
    let token = opts.token;
    let player = "";
    let name = opts.name;
    let start = 0;
    if (token === undefined) {
      const { guest, index } = await guestTokenFromAny(fetchFn, opts.gateways, opts.name);
      ({ token, player, name } = guest);
      start = index;
    } else {
      const claims = tokenClaims(token);
      player = claims.sub ?? "";
      name ??= claims.name ?? (claims.sub !== undefined ? `player-${claims.sub.replace(/-/g, "").slice(0, 8)}` : "");
    }
    const session = new Session(opts, fetchFn, token, player, name ?? "", start);
    await session.#reconnector.start();
    return session;
  }

  private constructor(opts: SessionOptions, fetchFn: typeof fetch, token: string, player: string, name: string, start: number) {
    const WebSocket = opts.WebSocket ?? globalThis.WebSocket;
    if (WebSocket === undefined) throw new OrreryError("Closed", "no WebSocket implementation (pass opts.WebSocket)");
    this.#fetchFn = fetchFn;
    this.#token = token;
    this.#name = name;
    this.#timers = opts.timers ?? realTimers;
    this.#events = new Emitter<SessionEvents>(opts.onListenerError);
    const timing = sessionConfig(opts);
    this.#clockSync = new ClockSync(() => this.#timers.now());
    this.#reconnector = new Reconnector(
      { WebSocket, gateways: [...opts.gateways], token, player, start },
      this.#timers,
      timing,
      this.#events,
      this.#clockSync,
      {
        bytes: (conn, bytes) => this.#onBytes(conn, bytes),
        malformed: (conn) => this.#onMalformed(conn),
        rejoin: (conn) => this.#membership.rejoin(conn),
        inRoom: () => this.#membership.room !== undefined,
        dropped: () => {
          this.#membership.dropped();
          this.#frames.dropped();
        },
        kicked: () => {
          if (this.#membership.room !== undefined) this.#membership.end(new OrreryError("Kicked", "kicked from the room"));
        },
        ended: (error) => {
          this.#frames.dropped();
          this.#commands.stop(error);
          this.#membership.stop(error);
        },
      },
    );
    this.#commands = new Commands(this.#timers, this.#reconnector, timing.ackPatienceMs);
    this.#frames = new FrameOrder(this.#timers, this.#events, this.#inputs, this.#reconnector, () => this.#membership.room);
    this.#membership = new Membership({
      timers: this.#timers,
      settings: timing,
      events: this.#events,
      reconnector: this.#reconnector,
      frames: this.#frames,
      inputs: this.#inputs,
      commands: this.#commands,
    });
  }

  // ---- what callers see --------------------------------------------------------------------

  /** Your player id (from the Welcome). */
  get player(): string {
    return this.#reconnector.player;
  }
  get name(): string {
    return this.#name;
  }
  /** The gateway (HTTP base URL) in use, or tried next. */
  get gateway(): string {
    return this.#reconnector.gateway;
  }
  get state(): SessionState {
    return this.#reconnector.state;
  }
  /** The room this session is in (or joining). */
  get room(): number | undefined {
    return this.#membership.room;
  }
  /** The (epoch, tick) of the last frame handed out. */
  get cursor(): Cursor | undefined {
    const cursor = this.#frames.cursor;
    return cursor === undefined ? undefined : { ...cursor };
  }
  /** Round trip and the server's clock, from Ping/Pong. */
  get clock(): { readonly rttMs: number; serverNowMs(): number } {
    return this.#clockSync;
  }
  /** The limits the gateway announced. */
  get limits(): Limits | undefined {
    return this.#reconnector.limits;
  }
  /** Frames dropped because they were at or before the cursor (the server promises none). */
  get duplicates(): number {
    return this.#frames.duplicates;
  }
  /** Server messages that did not decode. */
  get malformed(): number {
    return this.#malformed;
  }
  /** Inputs sent and not yet acknowledged by the room. */
  get unacked(): number {
    return this.#inputs.pending;
  }

  on<K extends keyof SessionEvents>(event: K, listener: SessionEvents[K]): () => void {
    return this.#events.on(event, listener);
  }

  /** `POST /v1/rooms` on the gateway in use (then the others). */
  createRoom(opts: CreateRoomOptions = {}): Promise<CreatedRoom> {
    return createRoomOnAny(this.#fetchFn, this.#reconnector.gatewaysInTurn(), this.#token, opts);
  }

  /** `GET /v1/invites/{code}`: which room and game a code opens, before joining it (admits nobody). */
  lookupInvite(code: string): Promise<Invite> {
    return onAny(this.#reconnector.gatewaysInTurn(), (gateway) => lookupInvite(this.#fetchFn, gateway, this.#token, code));
  }

  /** Take a seat in `room` (resuming from the cursor if it is the same room). */
  join(room: number): Promise<Joined> {
    return this.#membership.ask({ via: "room" }, room) as Promise<Joined>;
  }

  /**
   * Watch `room` without a seat: frames of the spectator view, asked for again after every
   * reconnect. Inputs are dropped and commands rejected while watching (OrreryError "Spectating"); a
   * full room rejects with "SpectatorsFull". `leave` stops watching; `join` takes a seat.
   */
  watch(room: number): Promise<Watching> {
    return this.#membership.ask({ via: "watch" }, room) as Promise<Watching>;
  }

  /** Whether the session watches its room without a seat. */
  get watching(): boolean {
    return this.#membership.watching;
  }

  /** Join a private room by its invite code. */
  joinByCode(code: string): Promise<Joined> {
    return this.#membership.ask({ via: "code", code }, undefined) as Promise<Joined>;
  }

  /** Queue -> Queued -> Matched -> Joined. */
  quickPlay(mode: string, region = "any"): Promise<Joined> {
    return this.#membership.ask({ via: "queue", mode, region }, undefined) as Promise<Joined>;
  }

  leaveQueue(): void {
    this.#reconnector.send({ type: "LeaveQueue" });
  }

  /**
   * Send an input; returns its InputSeq. It is resent after a resume until acknowledged.
   * While watching (a spectator has no seat) the input is dropped and 0 returned.
   */
  sendInput(payload: Uint8Array): number {
    if (this.#membership.watching) return 0;
    const seq = this.#inputs.push(payload);
    if (this.#reconnector.conn?.joined) this.#reconnector.send({ type: "Input", seq, payload });
    return seq;
  }

  /** Send a command; resolves with its outcome. Resent with the same id after a resume. */
  command(payload: Uint8Array): Promise<CommandOutcome> {
    if (this.#reconnector.ended) return Promise.reject(new OrreryError("Closed", "the session is closed"));
    if (this.#membership.watching) {
      return Promise.reject(new OrreryError("Spectating", "a spectator sends no commands: join the room to play"));
    }
    return this.#commands.send(payload);
  }

  /** Ask for a keyframe (after a gap, or a payload the game could not apply). */
  resync(): void {
    this.#frames.requestResync();
  }

  /** Leave the room for good. The gateway ends the socket; the session opens a fresh one. */
  leave(): void {
    this.#membership.leave();
  }

  /** Close the session (the seat is kept for the game's grace period, as on a lost socket). */
  close(): void {
    this.#reconnector.close();
  }

  // ---- server messages -----------------------------------------------------------------------

  #onBytes(conn: Conn, bytes: Uint8Array): void {
    let msg: ServerMsg;
    try {
      msg = decodeServerMsg(bytes);
    } catch {
      this.#onMalformed(conn);
      return;
    }
    this.#onMessage(conn, msg);
  }

  /** Bytes that are not a v1 ServerMsg: whatever they were, the state may be behind. */
  #onMalformed(conn: Conn): void {
    this.#malformed += 1;
    if (conn.joined) this.#frames.gap();
  }

  #onMessage(conn: Conn, msg: ServerMsg): void {
    const membership = this.#membership;
    switch (msg.type) {
      case "Welcome":
        this.#reconnector.welcome(conn, msg.player, msg.limits);
        return;
      case "Joined":
        membership.joined(conn, msg);
        return;
      case "Watching":
        membership.watchingRoom(conn, msg);
        return;
      case "Frame":
        if (conn.joined && msg.frame.room === membership.room) this.#frames.offer(msg.frame);
        return;
      case "Pong":
        this.#clockSync.pong(msg.clientTimeUs, msg.serverTimeMs);
        return;
      case "CommandAck":
        this.#commands.settle(msg.id, msg.outcome);
        break;
      case "Error":
        if (!membership.refused(conn, msg.code, msg.message) && msg.code === "RoomUnavailable") this.#commands.retrySoon(conn);
        break;
      case "GoAway":
        this.#reconnector.goAway(msg.reconnectAfterMs);
        break;
      case "Matched":
        membership.matched(conn, msg.room);
        break;
      case "QueueLeft":
        membership.queueLeft(conn);
        break;
      case "RoomClosed":
        if (msg.room === membership.room) membership.end(new OrreryError("RoomClosed", `room ${msg.room} closed`));
        break;
      case "Kicked":
        if (msg.room === membership.room) membership.end(new OrreryError("Kicked", `kicked from room ${msg.room}`));
        break;
      case "Queued":
        break;
    }
    this.#events.emit("message", msg);
  }
}
