// Commands: each gets an id (ClientMsgId) and a promise of its outcome. The room applies a
// command at most once per id, so unanswered ones are resent with the same id after a resume
// (or when the room did not answer).

import { OrreryError } from "../errors.js";
import type { CommandOutcome } from "../protocol/types.js";

interface Pending {
  id: number;
  payload: Uint8Array;
  resolve: (outcome: CommandOutcome) => void;
  reject: (error: OrreryError) => void;
}

export class CommandTracker {
  private next: number;
  private readonly pending = new Map<number, Pending>();

  /** `first`: the first id (a random one keeps ids apart from an earlier session's). */
  constructor(first = 1) {
    this.next = first;
  }

  /** A new command: its id and the promise of its outcome. */
  add(payload: Uint8Array): { id: number; outcome: Promise<CommandOutcome> } {
    const id = this.next;
    this.next = this.next >= 0xffff_ffff ? 1 : this.next + 1;
    const outcome = new Promise<CommandOutcome>((resolve, reject) => {
      this.pending.set(id, { id, payload, resolve, reject });
    });
    return { id, outcome };
  }

  /** The room answered `id`; false when no such command is pending (a late duplicate ack). */
  settle(id: number, outcome: CommandOutcome): boolean {
    const p = this.pending.get(id);
    if (p === undefined) return false;
    this.pending.delete(id);
    p.resolve(outcome);
    return true;
  }

  /** The commands still unanswered, oldest first (Map keeps insertion order). */
  unanswered(): { id: number; payload: Uint8Array }[] {
    return [...this.pending.values()].map(({ id, payload }) => ({ id, payload }));
  }

  get size(): number {
    return this.pending.size;
  }

  /** Fail every pending command (the room or the session ended). */
  failAll(error: OrreryError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(error);
  }
}
