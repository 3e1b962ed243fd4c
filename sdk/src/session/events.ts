// The Session's events (SessionEvents) and the small typed emitter that delivers them. A
// listener that throws does not break its emitter: the error goes to `report` (by default the
// host's reportError, or a rethrow in a microtask).

import type { OrreryError } from "../errors.js";
import type { Frame, Joined, ServerMsg, Watching } from "../protocol/types.js";

export interface SessionEvents {
  /** Only frames that apply in order: a keyframe, or a delta whose base is the cursor's tick. */
  frame(frame: Frame): void;
  joined(joined: Joined): void;
  /** Watching a room without a seat (after `watch`, and again after each reconnect). */
  watching(watching: Watching): void;
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

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  readonly #listeners = new Map<keyof Events, Set<Listener>>();

  readonly #report: (error: unknown) => void;

  constructor(report: (error: unknown) => void = defaultReport) {
    this.#report = report;
  }

  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (e) {
        this.#report(e);
      }
    }
  }
}

function defaultReport(error: unknown): void {
  const host = globalThis as { reportError?: (e: unknown) => void };
  if (typeof host.reportError === "function") host.reportError(error);
  else
    queueMicrotask(() => {
      throw error;
    });
}
