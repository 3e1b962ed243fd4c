// Frame ordering for the room the session is in: the cursor (the last frame handed out),
// which arriving frames apply (`judge` in cursor.ts), duplicates dropped, gaps turned into a
// Resync (one outstanding at a time, asked again after 2 s without a keyframe), and the
// keyframe a resync brings at the cursor itself let through.

import type { Frame } from "../protocol/types.js";
import type { Reconnector, Conn } from "./reconnect.js";
import { type Cursor, judge } from "./cursor.js";
import type { Emitter, SessionEvents } from "./events.js";
import type { InputQueue } from "./inputs.js";
import type { Timers } from "./timers.js";

const RESYNC_RETRY_MS = 2000;

export class FrameOrder {
  #cursor: Cursor | undefined;
  /** The room the cursor and the input numbering belong to. */
  #cursorRoom: number | undefined;
  /** A keyframe is wanted and none has come since: even one at the cursor itself applies. */
  #wantKeyframe = false;
  #resyncOutstanding = false;
  #resyncTimer: unknown;
  #duplicates = 0;

  readonly #timers: Timers;
  readonly #events: Emitter<SessionEvents>;
  readonly #inputs: InputQueue;
  readonly #reconnector: Reconnector;
  /** The room the session is in (or headed for). */
  readonly #room: () => number | undefined;

  constructor(timers: Timers, events: Emitter<SessionEvents>, inputs: InputQueue, reconnector: Reconnector, room: () => number | undefined) {
    this.#timers = timers;
    this.#events = events;
    this.#inputs = inputs;
    this.#reconnector = reconnector;
    this.#room = room;
  }

  /** The (epoch, tick) of the last frame handed out. */
  get cursor(): Cursor | undefined {
    return this.#cursor;
  }
  /** Frames dropped because they were at or before the cursor (the server promises none). */
  get duplicates(): number {
    return this.#duplicates;
  }

  /** Where a Join to `room` resumes from: the cursor if it belongs to that room. */
  resumeFrom(room: number): Cursor | null {
    return this.#cursorRoom === room ? (this.#cursor ?? null) : null;
  }

  /** The session is headed for `room`; true when that starts afresh (a different room). */
  enterRoom(room: number): boolean {
    if (this.#cursorRoom === room) return false;
    this.#cursorRoom = room;
    this.#cursor = undefined;
    this.#wantKeyframe = false;
    return true;
  }

  /** The room is over for this session. */
  leaveRoom(): void {
    this.#cursor = undefined;
    this.#cursorRoom = undefined;
    this.#wantKeyframe = false;
    this.dropped();
  }

  /** A frame of the current room arrived on a joined socket: hand it out if it applies. */
  offer(frame: Frame): void {
    switch (judge(this.#cursor, frame)) {
      case "duplicate": {
        const atCursor = this.#cursor?.epoch === frame.epoch && this.#cursor.tick === frame.tick;
        if (!(this.#wantKeyframe && frame.kind.type === "Keyframe" && atCursor)) {
          this.#duplicates += 1;
          return;
        }
        // The state held is unusable (a resync was asked for): the keyframe replaces it.
        this.#wantKeyframe = false;
        this.#events.emit("frame", frame);
        return;
      }
      case "gap":
        this.gap();
        return;
      case "apply":
        this.#cursor = { epoch: frame.epoch, tick: frame.tick };
        if (frame.kind.type === "Keyframe") {
          this.#wantKeyframe = false;
          this.dropped();
        }
        if (frame.ack !== null) this.#inputs.ack(frame.ack);
        this.#events.emit("frame", frame);
    }
  }

  /** The state may be behind (a delta that does not chain, bytes that did not decode). */
  gap(): void {
    this.#events.emit("gap");
    this.requestResync();
  }

  /** One Resync outstanding at a time; asked again if no keyframe came within 2 s. */
  requestResync(): void {
    if (this.#room() !== undefined) this.#wantKeyframe = true;
    const conn: Conn | undefined = this.#reconnector.conn;
    // Without a joined socket the keyframe after the next Joined serves.
    if (conn === undefined || !conn.joined || this.#resyncOutstanding) return;
    this.#resyncOutstanding = true;
    this.#reconnector.send({ type: "Resync" });
    this.#timers.clearTimeout(this.#resyncTimer);
    this.#resyncTimer = this.#timers.setTimeout(() => {
      this.#resyncOutstanding = false;
      if (this.#reconnector.conn === conn) this.requestResync();
    }, RESYNC_RETRY_MS);
  }

  /** No Resync is outstanding any more (a keyframe came, or the socket is gone). */
  dropped(): void {
    this.#resyncOutstanding = false;
    this.#timers.clearTimeout(this.#resyncTimer);
  }
}
