// Room membership: which room the session is in, how it got there (a room id, an invite
// code, the matchmaking queue: Queue -> Queued -> Matched -> Joined), asking again on every
// new socket (a Join resumes from the cursor), the answers (Joined resends the unacknowledged
// inputs and commands; RoomUnavailable asks again after a backoff; any other refusal ends the
// room), and leaving. A session may instead watch a room without a seat (Watch -> Watching,
// asked again on every new socket; no inputs or commands are sent then).

import { OrreryError } from "../errors.js";
import type { ErrorCode, Joined, Watching } from "../protocol/types.js";
import { backoffDelay } from "./backoff.js";
import type { Commands } from "./commands.js";
import type { Conn, Reconnector } from "./reconnect.js";
import type { Emitter, SessionEvents } from "./events.js";
import type { FrameOrder } from "./frames.js";
import type { InputQueue } from "./inputs.js";
import type { SessionConfig } from "./options.js";
import type { Timers } from "./timers.js";

/** How a join was asked for, so that a reconnect can ask again. */
export type JoinAsk =
  | { via: "room" }
  | { via: "watch" }
  | { via: "code"; code: string }
  | { via: "queue"; mode: string; region: string };

interface PendingJoin {
  ask: JoinAsk;
  resolve(answer: Joined | Watching): void;
  reject(error: OrreryError): void;
}

/** What membership works with: the rest of the session. */
export interface MembershipParts {
  timers: Timers;
  settings: SessionConfig;
  events: Emitter<SessionEvents>;
  reconnector: Reconnector;
  frames: FrameOrder;
  inputs: InputQueue;
  commands: Commands;
}

export class Membership {
  #room: number | undefined;
  /** The session watches `#room` without a seat. */
  #watching = false;
  #pendingJoin: PendingJoin | undefined;
  #retryTimer: unknown;
  #retries = 0;

  readonly #s: MembershipParts;

  constructor(parts: MembershipParts) {
    this.#s = parts;
  }

  /** The room this session is in (or joining). */
  get room(): number | undefined {
    return this.#room;
  }

  /** Whether the session watches its room without a seat. */
  get watching(): boolean {
    return this.#watching;
  }

  /** Whether the session is in a room or on its way to one. */
  get busy(): boolean {
    return this.#room !== undefined || this.#pendingJoin !== undefined;
  }

  /** Ask to join (`room` for a join by id); settles with the Joined or the refusal. */
  ask(ask: JoinAsk, room: number | undefined): Promise<Joined | Watching> {
    if (this.#s.reconnector.ended) return Promise.reject(new OrreryError("Closed", "the session is closed"));
    const previous = this.#pendingJoin;
    this.#pendingJoin = undefined;
    previous?.reject(new OrreryError("Closed", "replaced by another join"));
    const promise = new Promise<Joined | Watching>((resolve, reject) => {
      this.#pendingJoin = { ask, resolve, reject };
    });
    const watching = ask.via === "watch";
    // Watching and playing the same room are two histories: a switch starts afresh.
    if (watching !== this.#watching) this.#s.frames.leaveRoom();
    this.#watching = watching;
    if (room !== undefined) this.#enterRoom(room);
    else if (this.#room !== undefined) {
      // A join by code or a queue leaves the current room (the gateway does so on the join).
      this.#room = undefined;
    }
    const conn = this.#s.reconnector.conn;
    if (conn?.welcomed) {
      this.#s.timers.clearTimeout(this.#retryTimer);
      this.#retries = 0;
      this.rejoin(conn);
    }
    return promise;
  }

  /** Send again what puts this session in its room; false when there is nothing to join. */
  rejoin(conn: Conn): boolean {
    const { reconnector, frames } = this.#s;
    const ask = this.#pendingJoin?.ask;
    if (this.#room !== undefined && this.#watching) {
      conn.joining = reconnector.send({ type: "Watch", room: this.#room });
    } else if (this.#room !== undefined) {
      const resume = frames.resumeFrom(this.#room);
      conn.joining = reconnector.send({ type: "Join", room: this.#room, resume: resume === null ? null : { ...resume } });
    } else if (ask?.via === "code") {
      conn.joining = reconnector.send({ type: "JoinByCode", code: ask.code });
    } else if (ask?.via === "queue") {
      reconnector.send({ type: "Queue", mode: ask.mode, region: ask.region, party: [] });
    } else {
      return false;
    }
    conn.joined = false;
    return true;
  }

  joined(conn: Conn, joined: Joined): void {
    if (this.#watching || (this.#room !== undefined && joined.room !== this.#room)) return; // an answer to an older join
    const { timers, reconnector, inputs, commands, events } = this.#s;
    conn.joining = false;
    conn.joined = true;
    this.#retries = 0;
    timers.clearTimeout(this.#retryTimer);
    this.#enterRoom(joined.room);
    // Half the gateway's burst for the resend: room for the commands, pings and new inputs.
    const budget = Math.max(1, Math.floor((reconnector.limits?.messageBurst ?? 120) / 2) - commands.size);
    const resend = inputs.joined(joined.lastInput, budget);
    for (const input of resend) reconnector.send({ type: "Input", seq: input.seq, payload: input.payload });
    commands.resend();
    reconnector.succeeded(conn, resend.length);
    events.emit("joined", joined);
    const join = this.#pendingJoin;
    this.#pendingJoin = undefined;
    join?.resolve(joined);
  }

  /** The answer to a Watch: the room's frames (the spectator view) follow. */
  watchingRoom(conn: Conn, watching: Watching): void {
    if (!this.#watching || joinedElsewhere(this.#room, watching.room)) return; // an answer to an older ask
    const { timers, reconnector, events } = this.#s;
    conn.joining = false;
    conn.joined = true;
    this.#retries = 0;
    timers.clearTimeout(this.#retryTimer);
    reconnector.succeeded(conn, 0);
    events.emit("watching", watching);
    const join = this.#pendingJoin;
    this.#pendingJoin = undefined;
    join?.resolve(watching);
  }

  /** The queue matched us: the gateway joins the room for us, a Joined (or an Error) follows. */
  matched(conn: Conn, room: number): void {
    if (this.#watching) this.#s.frames.leaveRoom();
    this.#watching = false;
    this.#enterRoom(room);
    conn.joining = true;
    conn.joined = false;
  }

  queueLeft(conn: Conn): void {
    if (this.#pendingJoin?.ask.via === "queue" && !conn.joining) {
      const join = this.#pendingJoin;
      this.#pendingJoin = undefined;
      join.reject(new OrreryError("Closed", "left the matchmaking queue"));
    }
  }

  /** An Error while joining or queueing; true when it was the answer to that. */
  refused(conn: Conn, code: ErrorCode, message: string): boolean {
    const queueing = this.#pendingJoin?.ask.via === "queue" && this.#room === undefined;
    if (!(conn.joining || queueing)) return false;
    if (code === "RoomUnavailable") {
      // The room has no owner right now (just created, failing over): ask again shortly.
      const { timers, settings, reconnector } = this.#s;
      if (reconnector.countFailure(`RoomUnavailable: ${message}`)) return true;
      const delay = backoffDelay(this.#retries++, Math.max(settings.backoffInitialMs, 250), settings.backoffMaxMs, () => timers.random());
      timers.clearTimeout(this.#retryTimer);
      this.#retryTimer = timers.setTimeout(() => {
        if (reconnector.conn === conn) this.rejoin(conn);
      }, delay);
      return true;
    }
    if (code === "NotInRoom") return false;
    // The room refused us (gone, full, started, kicked; or the queue refused): it ends here.
    conn.joining = false;
    this.end(new OrreryError(code, message));
    this.#s.reconnector.succeeded(conn, 0);
    return true;
  }

  /** Leave the room for good. The gateway ends the socket; the session opens a fresh one. */
  leave(): void {
    if (!this.busy) return;
    this.end(new OrreryError("Closed", "left the room"));
    const { reconnector } = this.#s;
    if (reconnector.conn?.welcomed) {
      reconnector.expectClose();
      reconnector.send({ type: "Leave" });
    }
  }

  /** The room is over for this session: no rejoin, pending promises fail with `error`. */
  end(error: OrreryError): void {
    const { timers, reconnector, frames, inputs, commands } = this.#s;
    this.#room = undefined;
    this.#watching = false;
    frames.leaveRoom();
    inputs.reset();
    timers.clearTimeout(this.#retryTimer);
    const conn = reconnector.conn;
    if (conn !== undefined) {
      conn.joined = false;
      conn.joining = false;
    }
    commands.failAll(error);
    this.#rejectPending(error);
  }

  /** The socket is gone: a pending retry was for it. */
  dropped(): void {
    this.#s.timers.clearTimeout(this.#retryTimer);
  }

  /** The session is over. */
  stop(error: OrreryError): void {
    this.dropped();
    this.#rejectPending(error);
  }

  /** This session is now in (or headed for) `room`; a different room starts afresh. */
  #enterRoom(room: number): void {
    this.#room = room;
    if (this.#s.frames.enterRoom(room)) this.#s.inputs.reset();
  }

  #rejectPending(error: OrreryError): void {
    const join = this.#pendingJoin;
    this.#pendingJoin = undefined;
    join?.reject(error);
  }
}

/** An answer for another room than the one asked for last. */
function joinedElsewhere(room: number | undefined, answered: number): boolean {
  return room !== undefined && answered !== room;
}
