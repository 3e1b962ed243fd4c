// Commands: each gets an id (ClientMsgId) and a promise of its outcome. The room applies a
// command at most once per id, so unanswered ones are resent with the same id after a resume
// (or when the room did not answer). `CommandTracker` keeps them; `Commands` sends them, and
// gives up a socket on which one went unanswered for the ack patience (a hung gateway), as
// the Rust SDK's Session does (client/src/session.rs, client/src/commands.rs).

import { OrreryError } from "../errors.js";
import type { CommandOutcome } from "../protocol/types.js";
import type { Conn, Reconnector } from "./reconnect.js";
import type { Timers } from "./timers.js";

const COMMAND_RETRY_MS = 500;

interface Pending {
  id: number;
  payload: Uint8Array;
  /** When it was last sent, or last heard of (RoomUnavailable); undefined before its first send. */
  since: number | undefined;
  resolve: (outcome: CommandOutcome) => void;
  reject: (error: OrreryError) => void;
}

export class CommandTracker {
  #next: number;
  readonly #pending = new Map<number, Pending>();

  /** `first`: the first id (a random one keeps ids apart from an earlier session's). */
  constructor(first = 1) {
    this.#next = first;
  }

  /** A new command: its id and the promise of its outcome. */
  add(payload: Uint8Array): { id: number; outcome: Promise<CommandOutcome> } {
    const id = this.#next;
    this.#next = this.#next >= 0xffff_ffff ? 1 : this.#next + 1;
    const outcome = new Promise<CommandOutcome>((resolve, reject) => {
      this.#pending.set(id, { id, payload, since: undefined, resolve, reject });
    });
    return { id, outcome };
  }

  /** The room answered `id`; false when no such command is pending (a late duplicate ack). */
  settle(id: number, outcome: CommandOutcome): boolean {
    const p = this.#pending.get(id);
    if (p === undefined) return false;
    this.#pending.delete(id);
    p.resolve(outcome);
    return true;
  }

  /** The commands still unanswered, oldest first (Map keeps insertion order). */
  unanswered(): { id: number; payload: Uint8Array }[] {
    return [...this.#pending.values()].map(({ id, payload }) => ({ id, payload }));
  }

  /** `id` went out (again) at `now`. */
  sent(id: number, now: number): void {
    const p = this.#pending.get(id);
    if (p !== undefined) p.since = now;
  }

  /** The gateway is alive and says the room is slow: every sent command's patience starts again. */
  heardOfAll(now: number): void {
    for (const p of this.#pending.values()) if (p.since !== undefined) p.since = now;
  }

  /** When the longest-waiting sent command runs out of `patienceMs` (undefined: none sent). */
  due(patienceMs: number): number | undefined {
    let min: number | undefined;
    for (const p of this.#pending.values()) if (p.since !== undefined && (min === undefined || p.since < min)) min = p.since;
    return min === undefined ? undefined : min + patienceMs;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Fail every pending command (the room or the session ended). */
  failAll(error: OrreryError): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) p.reject(error);
  }
}

/** The session's commands on the wire: sent when joined, resent after a Joined or a RoomUnavailable. */
export class Commands {
  readonly #tracker: CommandTracker;
  #retryTimer: unknown;
  #patienceTimer: unknown;

  readonly #timers: Timers;
  readonly #reconnector: Reconnector;
  readonly #ackPatienceMs: number;

  constructor(timers: Timers, reconnector: Reconnector, ackPatienceMs: number) {
    this.#timers = timers;
    this.#reconnector = reconnector;
    this.#ackPatienceMs = ackPatienceMs;
    // Ids start at random: the room remembers a player's recent ids across sessions (a reused token).
    this.#tracker = new CommandTracker(1 + Math.floor(timers.random() * 0x7fff_ffff));
  }

  /** A new command: sent now if the socket is joined, else after the next Joined. */
  send(payload: Uint8Array): Promise<CommandOutcome> {
    const { id, outcome } = this.#tracker.add(payload);
    if (this.#reconnector.conn?.joined) this.#sendOne(id, payload);
    this.#watch();
    return outcome;
  }

  /** A CommandAck. */
  settle(id: number, outcome: CommandOutcome): void {
    if (this.#tracker.settle(id, outcome)) this.#reconnector.commandAnswered();
    this.#watch();
  }

  /** Send every unanswered command again (with its id). */
  resend(): void {
    for (const c of this.#tracker.unanswered()) this.#sendOne(c.id, c.payload);
    this.#watch();
  }

  /** "the room did not answer; resend the command": the room applies an id at most once. */
  retrySoon(conn: Conn): void {
    if (!conn.joined || this.#tracker.size === 0) return;
    // The gateway answers: it is the room that is slow, not the socket.
    this.#tracker.heardOfAll(this.#timers.now());
    this.#watch();
    this.#timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = this.#timers.setTimeout(() => {
      if (this.#reconnector.conn !== conn || !conn.joined) return;
      this.resend();
    }, COMMAND_RETRY_MS);
  }

  get size(): number {
    return this.#tracker.size;
  }

  failAll(error: OrreryError): void {
    this.#tracker.failAll(error);
    this.#watch();
  }

  /** The session is over. */
  stop(error: OrreryError): void {
    this.#timers.clearTimeout(this.#retryTimer);
    this.#tracker.failAll(error);
    this.#watch();
  }

  #sendOne(id: number, payload: Uint8Array): void {
    if (this.#reconnector.send({ type: "Command", id, payload })) this.#tracker.sent(id, this.#timers.now());
  }

  /** (Re)arm the ack patience for the longest-waiting sent command, on the socket in use. */
  #watch(): void {
    this.#timers.clearTimeout(this.#patienceTimer);
    const due = this.#tracker.due(this.#ackPatienceMs);
    const conn = this.#reconnector.conn;
    if (due === undefined || conn === undefined) return;
    this.#patienceTimer = this.#timers.setTimeout(
      () => {
        // Not a word about a command for longer than a working gateway takes: it hangs.
        if (this.#reconnector.conn === conn && conn.joined) this.#reconnector.commandHung(conn);
      },
      Math.max(0, due - this.#timers.now()),
    );
  }
}
